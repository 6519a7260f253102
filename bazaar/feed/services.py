"""Purging the change feed: rows older than the cursors' lifetime plus a margin go."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from bazaar.feed.models import FeedPurge, OrderChange


def feed_retention() -> timedelta:
    """How long a change row is kept: a cursor's lifetime (FEED_CURSOR_MAX_AGE_DAYS) plus a
    day, so that a row a slow transaction wrote just before a cursor was issued outlives it."""
    return timedelta(days=settings.FEED_CURSOR_MAX_AGE_DAYS) + timedelta(days=1)


def feed_purge(*, now=None, batch: int = 10_000) -> int:
    """Delete the change rows older than the retention, in batches; record the highest position
    deleted so that a cursor behind it is answered 410 instead of skipping what was purged.
    Returns the number of rows deleted."""
    cutoff = (now or timezone.now()) - feed_retention()
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                OrderChange.objects.filter(changed_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                return deleted
            rows = OrderChange.objects.filter(id__in=ids)
            top = rows.aggregate(xid=Max("xid"))["xid"] or 0
            top_id = rows.filter(xid=top).aggregate(id=Max("id"))["id"] if top else max(ids)
            mark, _created = FeedPurge.objects.select_for_update().get_or_create(pk=1)
            if (top, top_id or 0) > (mark.xid, mark.change_id):
                mark.xid, mark.change_id = top, top_id or 0
            mark.purged_at = timezone.now()
            mark.save()
            deleted += rows.delete()[0]
