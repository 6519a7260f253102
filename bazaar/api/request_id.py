"""The request id (SPEC §13 "X-Request-ID"): the client's own when it is well formed, else a new
one; held in a context variable for the length of the request, so that log lines and services
(events, later) read it without having the request passed down to them."""

import contextvars
import re
import uuid

HEADER = "X-Request-ID"
# 1–64 ASCII letters, digits, `-`, `_`, `.`: safe in a header, a log line and a database column.
VALID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def accepted_request_id(sent: str | None) -> str:
    """The id a request goes by: the one the client sent when it is valid, else a new unique one
    (a malformed id is replaced, not refused: it only labels the request)."""
    if sent is not None and VALID.match(sent):
        return sent
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being handled on this thread, None outside a request."""
    return _current.get()


def set_current_request_id(request_id: str | None) -> None:
    _current.set(request_id)
