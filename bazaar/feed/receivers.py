"""Every order write records its change in the feed, in the write's own transaction."""

from django.db import connection
from django.dispatch import receiver
from django.utils import timezone

from bazaar.feed.models import OrderChange
from bazaar.orders.events import WriteCompanion, order_events_recorded, register_write_companion
from bazaar.orders.models import EventType, Order, OrderEvent

# ON CONFLICT: a transaction that writes one order several times (an order created with items)
# keeps one row, the first; the feed reads the order as it is anyway.
INSERT_PG = (
    "INSERT INTO feed_orderchange (order_id, xid, changed_at) "
    "VALUES (%s, pg_current_xact_id()::text::bigint, %s) "
    "ON CONFLICT (xid, order_id) DO NOTHING"
)


def _is_change(events: list[OrderEvent]) -> bool:
    # A staff note is an event, not a change: the order's version and updated_at stay.
    return not all(event.type == EventType.NOTE_ADDED for event in events)


def _change_sql(order: Order, events: list[OrderEvent]) -> tuple[str, list] | None:
    return (INSERT_PG, [order.pk, timezone.now()]) if _is_change(events) else None


COMPANION = WriteCompanion("feed.order_change", _change_sql, writes=True)
register_write_companion(COMPANION)  # on PostgreSQL, in the order write's own statement


def order_change_record(*, order: Order) -> None:
    # The time the row is written, not the order's updated_at (a bulk loader may set that to
    # the past): the purge goes by it.
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(INSERT_PG, [order.pk, now])
    else:
        OrderChange.objects.create(order_id=order.pk, changed_at=now)
    _written()


def _written() -> None:
    from bazaar.feed.tasks import after_feed_write

    after_feed_write()


@receiver(order_events_recorded, dispatch_uid="feed.order_change")
def record_order_change(sender, order: Order, events: list[OrderEvent], **kwargs) -> None:
    if not _is_change(events):
        return
    if kwargs.get("companions", {}).get(COMPANION.name):
        _written()  # the row went with the write's own statement
    else:
        order_change_record(order=order)
