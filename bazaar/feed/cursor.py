"""Feed cursors: an opaque token for a position in the feed and the time it was issued.

A position is (xid, id): the feed continues with the rows after it in (xid, id) order. On SQLite
xid is always 0 and the id alone orders the rows. The token is URL-safe base64 of a small JSON
object; clients treat it as opaque."""

import base64
import binascii
import json
import time
from dataclasses import dataclass

from bazaar.api.rows import BIGINT_MAX


class MalformedCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    xid: int
    change_id: int
    issued_at: float  # Unix seconds

    @property
    def position(self) -> tuple[int, int]:
        return (self.xid, self.change_id)


def cursor_encode(xid: int, change_id: int, issued_at: float | None = None) -> str:
    issued = int(time.time() if issued_at is None else issued_at)
    raw = json.dumps({"x": xid, "i": change_id, "t": issued}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _whole(value) -> int:
    # bool is an int in Python: refuse it, and anything out of a bigint's range.
    if type(value) is not int or not 0 <= value <= BIGINT_MAX:
        raise MalformedCursor
    return value


def cursor_decode(token: str) -> Cursor:
    """The cursor a token carries; MalformedCursor for anything this server did not issue."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise MalformedCursor from None
    if not isinstance(data, dict) or set(data) != {"x", "i", "t"}:
        raise MalformedCursor
    return Cursor(_whole(data["x"]), _whole(data["i"]), float(_whole(data["t"])))
