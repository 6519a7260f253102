"""schemathesis hooks for `tools/fuzz.sh` (loaded through SCHEMATHESIS_HOOKS).

An Idempotency-Key belongs to one request: sent again with another body it is rightly refused
(422), and two workers sending one key at once get a 409. schemathesis draws header values from
a small space, so it reuses keys across unrelated requests, and such answers would read as
failures that only stateful runs can produce. Every valid key it sends is made unique; a key that
the schema rules out (negative data) is sent as drawn, so its 400 is still checked.

A query array of strings (`tag_in`, `form` style, not exploded) travels as one comma-joined text,
so a "negative" array can arrive as a valid one: an item changed into an object is sent as its
text (`{}` is a fine label), an item with a comma in it as two items. schemathesis re-reads such
values from the wire for path arrays and for plain strings, not for these (nor for a mutated
value that is sent as an empty text, which `allowEmptyValue` admits). `filter_failure` drops
exactly the "schema-violating request accepted" failures whose every mutated parameter was sent
as valid text: empty where allowed, or such an array valid item by item. Any other is kept."""

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs
import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation

KEY_HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[ -~]{1,255}$")


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    key = headers.get(KEY_HEADER)
    if isinstance(key, str) and VALID_KEY.match(key):
        headers[KEY_HEADER] = f"{key[:200]}-{uuid.uuid4().hex}"
        case.headers = headers


def _sent_as_valid(case, name: str, texts: list[str]) -> bool:
    """Whether the text sent for a mutated query parameter is valid after all: empty where the
    parameter allows an empty value, or a comma-joined array of strings valid item by item."""
    parameter = case.operation.get_parameter_set(ParameterLocation.QUERY).get(name)
    definition = getattr(parameter, "definition", None) or {}
    if texts == [""]:
        return bool(definition.get("allowEmptyValue"))
    schema = definition.get("schema") or {}
    items = schema.get("items") or {}
    if schema.get("type") != "array" or items.get("type") != "string":
        return False
    if definition.get("style", "form") != "form" or definition.get("explode", True):
        return False
    validator = jsonschema_rs.validator_for(items)
    return all(validator.is_valid(piece) for text in texts for piece in text.split(","))


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if not isinstance(failure, AcceptedNegativeData):
        return True
    mutations = getattr(getattr(getattr(case.meta, "phase", None), "data", None), "mutations", ())
    if not mutations:
        return True
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    for mutation in mutations:
        if mutation.parameter_location != ParameterLocation.QUERY or mutation.parameter is None:
            return True
        texts = sent.get(mutation.parameter)
        if texts is None or not _sent_as_valid(case, mutation.parameter, texts):
            return True
    return False
