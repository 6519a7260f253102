"""An order's ETag and the `If-Match` check (SPEC §13)."""

from django.utils.http import parse_etags

from bazaar.api.errors import PreconditionFailed


def order_etag(order_id: int, version: int) -> str:
    """Strong, and different for every version of every order."""
    return f'"{order_id}-{version}"'


def order_etag_sql(row: str) -> str:
    """`order_etag` in PostgreSQL, over a row of `row` with `id` and `version` columns."""
    return f"""'"' || {row}.id || '-' || {row}.version || '"'"""


def etag_matches(header: str, etag: str) -> bool:
    """Strong comparison (RFC 9110 §13.1.1): `*` matches, a weak tag never does."""
    tags = parse_etags(header)
    return "*" in tags or etag in tags


def check_if_match(*, order_id: int, version: int, if_match: str | None) -> None:
    """Called under the order's row lock, so the version compared is the one the write changes.
    Without the header the write goes ahead."""
    if if_match is None:
        return
    etag = order_etag(order_id, version)
    if not etag_matches(if_match, etag):
        raise PreconditionFailed(etag)
