"""Reading the change feed (SPEC §15).

PostgreSQL: a page is the rows after the cursor's (xid, id) whose transaction id is below the
xmin of the query's own snapshot, i.e. rows of transactions that had all finished when the query
began, in (xid, id) order. No transaction still running, and none yet to start, can add a row
below that xmin, so once the cursor passes a position nothing can appear behind it
(docs/decisions.md, "Change feed"). SQLite serialises writers: the id order is the commit order.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Max, Q
from django.db.models.expressions import RawSQL

from bazaar.feed.models import OrderChange
from bazaar.media.serializers import image_url_prefix
from bazaar.orders import selectors as order_selectors
from bazaar.orders.serializers import orders_data
from bazaar.orders.status import Status

XMIN_SQL = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def feed_now_position() -> tuple[int, int]:
    """The position "from this moment": after every row visible now. PostgreSQL: every
    transaction below the snapshot's xmin has finished, and a row of any other (running or yet
    to start) has an xid at or above it, so (xmin, 0) is before all of them and after the rest."""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(f"SELECT {XMIN_SQL}")
            return (cursor.fetchone()[0], 0)
    last = OrderChange.objects.aggregate(last=Max("id"))["last"]
    return (0, last or 0)


def feed_rows(*, after: tuple[int, int], limit: int) -> list[dict[str, Any]]:
    """Up to `limit` change rows after the position `after`, in feed order (one query)."""
    xid, change_id = after
    rows = OrderChange.objects.all()
    if is_postgresql():
        rows = rows.filter(xid__lt=RawSQL(XMIN_SQL, [])).filter(  # noqa: S611 - constant SQL
            # The leading `xid >= x` bounds the index scan; the OR is the strict tuple order.
            Q(xid__gte=xid) & (Q(xid__gt=xid) | Q(id__gt=change_id))
        )
        rows = rows.order_by("xid", "id")
    else:
        rows = rows.filter(id__gt=change_id).order_by("id")
    return list(rows.values("id", "xid", "order_id")[:limit])


@dataclass
class FeedPage:
    results: list[dict[str, Any]]
    last_position: tuple[int, int] | None
    has_more: bool


def feed_page(*, after: tuple[int, int], limit: int, request) -> FeedPage:
    """A page of the feed: each order changed in it once (its latest state, read through the
    orders' one read path), ordered by its last change in the page. A fixed number of queries
    whatever the page size."""
    rows = feed_rows(after=after, limit=limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return FeedPage([], None, False)
    last = rows[-1]
    last_position = (last["xid"] or 0, last["id"])
    # The last occurrence decides an order's place: dict insertion order after re-insertion.
    order_ids: dict[int, None] = {}
    for row in rows:
        order_ids.pop(row["order_id"], None)
        order_ids[row["order_id"]] = None
    loaded = order_selectors.order_rows_related(
        order_selectors.order_rows_by_ids(list(order_ids)), image_url_prefix(request)
    )
    shaped = {order["id"]: order for order in orders_data(loaded, request)}
    results = [
        {
            "order_id": order_id,
            "version": order["version"],
            "change": "delete" if order["status"] == Status.DELETED else "upsert",
            "changed_at": order["updated_at"],
            "order": order,
        }
        # An order removed from the database altogether (not through the API) has no shape
        # left to send: it is skipped.
        for order_id in order_ids
        if (order := shaped.get(order_id)) is not None
    ]
    return FeedPage(results, last_position, has_more)
