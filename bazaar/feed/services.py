"""Purging the change feed, and rows for orders that have none (made before the feed, or by a
bulk loader)."""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from bazaar.feed.models import OrderChange
from bazaar.feed.receivers import INSERT_PG
from bazaar.orders.models import Order


def feed_retention() -> timedelta:
    """How long a superseded change row is kept: a cursor's lifetime (FEED_CURSOR_MAX_AGE_DAYS)
    plus a day."""
    return timedelta(days=settings.FEED_CURSOR_MAX_AGE_DAYS) + timedelta(days=1)


def feed_purge(*, now=None, batch: int = 10_000) -> int:
    """Delete the change rows older than the retention that a later row of the same order
    supersedes, in batches; returns how many. Each order's last row stays, so no cursor, however
    old, can miss an order's latest state through the purge: the order comes again at its later
    row (for one order, a larger id is a later commit: its writes queue on the order's row
    lock)."""
    cutoff = (now or timezone.now()) - feed_retention()
    later = OrderChange.objects.filter(order_id=OuterRef("order_id"), id__gt=OuterRef("id"))
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                OrderChange.objects.filter(changed_at__lt=cutoff)
                .filter(Exists(later))
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                return deleted
            deleted += OrderChange.objects.filter(id__in=ids).delete()[0]


def feed_backfill(*, batch: int = 10_000) -> int:
    """A change row for every order that has none (orders made before the feed existed, or by
    the demo seeder's bulk loads), so that the feed read from the start holds every order.
    Returns how many rows were added."""
    added = 0
    missing = Order.objects.filter(
        ~Exists(OrderChange.objects.filter(order_id=OuterRef("pk")))
    ).order_by("pk")
    while True:
        with transaction.atomic():
            ids = list(missing.values_list("pk", flat=True)[:batch])
            if not ids:
                return added
            now = timezone.now()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.executemany(INSERT_PG, [(order_id, now) for order_id in ids])
            else:
                OrderChange.objects.bulk_create(
                    OrderChange(order_id=order_id, changed_at=now) for order_id in ids
                )
            added += len(ids)
