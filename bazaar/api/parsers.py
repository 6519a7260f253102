import orjson
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from bazaar.api.errors import RequestTooLarge


class JSONParser(parsers.JSONParser):
    """JSON bodies up to API_MAX_BODY_BYTES, parsed with orjson.

    The size is enforced while reading, so a chunked body without Content-Length cannot slip past;
    orjson refuses nesting deeper than 1024 instead of exhausting the stack.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(limit)
        if not body.strip():
            raise ParseError("JSON parse error - the request body is empty.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
