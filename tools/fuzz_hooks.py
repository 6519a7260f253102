"""schemathesis hooks for `tools/fuzz.sh` (loaded through SCHEMATHESIS_HOOKS).

An Idempotency-Key belongs to one request: sent again with another body it is rightly refused
(422), and two workers sending one key at once get a 409. schemathesis draws header values from
a small space, so it reuses keys across unrelated requests, and such answers would read as
failures that only stateful runs can produce. Every valid key it sends is made unique; a key that
the schema rules out (negative data) is sent as drawn, so its 400 is still checked.

A query value travels as text, and a query array (`form` style, not exploded) as one
comma-joined text, so a "negative" value can arrive as a valid one: an item of `tag_in` changed
into an object is sent as its text (`{}` is a fine label), an item with a comma in it as two
items, `billing_city_in` changed into the integer 40 is sent as `40`, the wire form of `[40]`,
and a value sent as an empty text is what `allowEmptyValue` admits. schemathesis reads some of
these back from the wire itself, one mutation at a time, not when several meet in one case.
`filter_failure` drops exactly the "schema-violating request accepted" failures whose every
mutated parameter, read back from the text sent by its schema's types, is valid after all. Any
other failure is kept, and so is one whose text is not a plain form of its type."""

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


_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _read_back(text: str, schema: dict):
    """`text` read as a value of `schema`'s type, as the query carries it; ValueError when the
    text is not that type's plain form (then the failure is kept: no guess is made)."""
    kind = schema.get("type")
    if kind == "string":
        return text
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return float(text)
    if kind == "boolean" and text in {"true", "false"}:
        return text == "true"
    raise ValueError(text)


def _sent_as_valid(case, name: str, texts: list[str]) -> bool:
    """Whether the text sent for a mutated query parameter is valid after all: empty where the
    parameter allows an empty value, or, read back by the schema's types (an array split on its
    commas), a value the schema admits."""
    parameter = case.operation.get_parameter_set(ParameterLocation.QUERY).get(name)
    definition = getattr(parameter, "definition", None) or {}
    if texts == [""]:
        return bool(definition.get("allowEmptyValue"))
    schema = definition.get("schema") or {}
    try:
        if schema.get("type") == "array":
            if definition.get("style", "form") != "form" or definition.get("explode", True):
                return False
            items = schema.get("items") or {}
            value = [_read_back(piece, items) for text in texts for piece in text.split(",")]
        elif len(texts) == 1:
            value = _read_back(texts[0], schema)
        else:
            return False
    except ValueError:
        return False
    return jsonschema_rs.validator_for(schema).is_valid(value)


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
