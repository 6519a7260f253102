import orjson
from rest_framework import renderers
from rest_framework.renderers import BaseRenderer


class JSONRenderer(BaseRenderer):
    """orjson: several times faster than the standard library on large order pages."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        try:
            return orjson.dumps(data, default=_default)
        except orjson.JSONEncodeError:
            # A key that is not a string (an error detail keyed by a list's index, say): the
            # option that writes such keys costs ~40 % more on every page, so only here.
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS, default=_default)


def _default(value):
    # Lazy translation strings and other str-like objects in error details.
    if hasattr(value, "__str__"):
        return str(value)
    raise TypeError


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, for staff logged into /admin/ who open /api/ in a browser.

    Only the raw JSON form is offered for writes: DRF's HTML forms would list every choice of a
    related field (every customer, every product) in a select box on each page view, and the
    write shapes of this API are not the view's output serializers anyway."""

    def get_rendered_html_form(self, data, view, method, request):
        return None
