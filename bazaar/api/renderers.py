import orjson
from rest_framework.renderers import BaseRenderer


class JSONRenderer(BaseRenderer):
    """orjson: several times faster than the standard library on large order pages."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS, default=_default)


def _default(value):
    # Lazy translation strings and other str-like objects in error details.
    if hasattr(value, "__str__"):
        return str(value)
    raise TypeError
