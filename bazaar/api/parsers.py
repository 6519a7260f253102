from collections.abc import Iterator

import orjson
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from bazaar.api.errors import RequestTooLarge

# Deeper bodies are refused. orjson reads 1 024 levels but writes only 254, and the standard
# library's json (psycopg's and SQLite's JSONField readers) stops near 1 000: a deeper `extra`
# would be a 500 at once, or stored and then break every later read of its row.
MAX_JSON_DEPTH = 100


def json_nodes(value) -> Iterator[tuple[object, int]]:
    """Every value nested in a parsed JSON body, object keys included, with its depth (the body
    is 1). Iterative: a body may nest as deep as the parser allows, past Python's recursion
    limit."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        if isinstance(node, dict):
            stack.extend((key, depth + 1) for key in node)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def json_depth_exceeds(value, limit: int) -> bool:
    """True when objects/arrays nest more than `limit` levels."""
    return any(depth > limit for node, depth in json_nodes(value) if isinstance(node, dict | list))


class JSONParser(parsers.JSONParser):
    """JSON bodies up to API_MAX_BODY_BYTES, parsed with orjson.

    The size is enforced while reading, so a chunked body without Content-Length cannot slip past;
    orjson refuses nesting deeper than 1024 instead of exhausting the stack; this parser refuses
    anything deeper than MAX_JSON_DEPTH as well.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(limit)
        if not body.strip():
            raise ParseError("JSON parse error - the request body is empty.")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if isinstance(data, dict | list) and json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(
                f"JSON parse error - objects and arrays nest more than {MAX_JSON_DEPTH} levels."
            )
        return data
