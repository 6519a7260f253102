"""schemathesis hooks for `tools/fuzz.sh` (loaded through SCHEMATHESIS_HOOKS).

An Idempotency-Key belongs to one request: sent again with another body it is rightly refused
(422), and two workers sending one key at once get a 409. schemathesis draws header values from
a small space, so it reuses keys across unrelated requests, and such answers would read as
failures that only stateful runs can produce. Every valid key it sends is made unique; a key that
the schema rules out (negative data) is sent as drawn, so its 400 is still checked."""

import re
import uuid

import schemathesis

KEY_HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[ -~]{1,255}$")


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    key = headers.get(KEY_HEADER)
    if isinstance(key, str) and VALID_KEY.match(key):
        headers[KEY_HEADER] = f"{key[:200]}-{uuid.uuid4().hex}"
        case.headers = headers
