"""The rules of SPEC §13's `Idempotency-Key`, as pure functions: which requests take a key, what
a valid key is, what makes a retry the same request, and which responses are kept."""

import hashlib
import re

import orjson
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict

HEADER = "Idempotency-Key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Logging in makes a new token each time and has no user yet to own a key.
EXEMPT_PATH = re.compile(r"/api/auth/token/?\Z")
VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}\Z")  # 1–255 printable ASCII characters
INVALID_KEY_MESSAGE = "Idempotency-Key must be 1 to 255 printable ASCII characters."

# Answers that depend on the moment rather than on the request: the key may be retried.
NOT_STORED = frozenset({401, 403, 409, 412, 429})


def takes_key(method: str, path: str) -> bool:
    return method in UNSAFE_METHODS and path.startswith("/api/") and not EXEMPT_PATH.match(path)


def key_is_valid(key: str) -> bool:
    return VALID_KEY.match(key) is not None


def is_stored(status_code: int) -> bool:
    return status_code < 500 and status_code not in NOT_STORED


def request_path(path: str, query_string: str) -> str:
    """The path a key is bound to: a trailing slash or none count as the same (SPEC §2), the
    query string counts as sent."""
    return path.rstrip("/") + (f"?{query_string}" if query_string else "")


def body_hash(data) -> str:
    """SHA-256 of a parsed request body, so that equal bodies hash equally however they were
    written: JSON by value (object keys in any order, any spacing), form fields in any order,
    uploaded files by content."""
    return hashlib.sha256(_canonical(data)).hexdigest()


def _canonical(data) -> bytes:
    if isinstance(data, MultiValueDict):  # form and multipart bodies (files included)
        fields = sorted((name, [_form_value(v) for v in data.getlist(name)]) for name in data)
        return orjson.dumps(fields)
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):  # not from the JSON parser: compare its text
        return repr(data).encode()


def _form_value(value) -> str | list:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)  # the view reads it next
        return [value.name or "", value.size or 0, digest.hexdigest()]
    return str(value)


def lock_id(user_id: int, key: str) -> int:
    """A signed 64-bit number for PostgreSQL's advisory lock on (user, key). Two pairs sharing one
    (odds 2^-64) would only see a 409 while both run, which the client retries."""
    digest = hashlib.blake2b(
        f"{user_id}\x00{key}".encode(), digest_size=8, person=b"idempotency"
    ).digest()
    return int.from_bytes(digest, "big", signed=True)
