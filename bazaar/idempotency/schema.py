"""The OpenAPI schema's account of SPEC §13's headers: `Idempotency-Key` on every write (with its
422 and `Idempotent-Replayed`), `X-Request-ID` on every operation and response. Registered in
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] after bazaar.api.schema's hooks."""

import copy

from bazaar.api.request_id import HEADER as REQUEST_ID_HEADER
from bazaar.idempotency import keys
from bazaar.idempotency.errors import REPLAYED_HEADER

IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": keys.HEADER,
    "required": False,
    "description": "Makes the write safe to retry: the first request with a key runs; the same "
    "request again with the same key (within 24 hours) gets the first answer back, with "
    f"`{REPLAYED_HEADER}: true`, and changes nothing. Another request with a used key is a "
    "422; the same key while its first request still runs is a 409. Keys belong to your user.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}
REQUEST_ID_PARAMETER = {
    "in": "header",
    "name": REQUEST_ID_HEADER,
    "required": False,
    "description": "Your id for this request: 1–64 ASCII letters, digits, `-`, `_` or `.`. It is "
    "echoed in the answer and kept in the server's logs and the order's events. Any other value is "
    "not refused: the server makes a new id for the request instead, as when none is sent.",
    # No pattern: the server accepts every value (a malformed one is replaced, never a 400), and
    # an exact schema constrains only what the server enforces.
    "schema": {"type": "string"},
}
REQUEST_ID_RESPONSE_HEADER = {
    "description": "The request's id: the one sent, or the one the server made.",
    "schema": {"type": "string"},
}
REPLAYED_RESPONSE_HEADER = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
    "Idempotency-Key (nothing ran again).",
    "schema": {"type": "string", "enum": ["true"]},
}
KEY_REUSED_RESPONSE = {
    "description": "The Idempotency-Key was already used for another request (another method, "
    "path or body).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}},
}


def postprocess_request_headers(result, generator, request, public, **kwargs):
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.setdefault("parameters", [])
            # Copies: a YAML dump would turn shared objects into anchors and aliases.
            parameters.append(copy.deepcopy(REQUEST_ID_PARAMETER))
            keyed = keys.takes_key(method.upper(), path)
            if keyed:
                parameters.append(copy.deepcopy(IDEMPOTENCY_KEY_PARAMETER))
                operation["responses"].setdefault("422", copy.deepcopy(KEY_REUSED_RESPONSE))
            for status, response in operation["responses"].items():
                headers = response.setdefault("headers", {})
                headers[REQUEST_ID_HEADER] = copy.deepcopy(REQUEST_ID_RESPONSE_HEADER)
                if keyed and status.isdigit() and keys.is_stored(int(status)):
                    headers[REPLAYED_HEADER] = copy.deepcopy(REPLAYED_RESPONSE_HEADER)
    return result
