"""The feed's background work (Django's Tasks API, run by `python manage.py run_worker`)."""

import random

from django.conf import settings
from django.db import transaction
from django_tasks import task


@task()
def purge_order_changes() -> int:
    from bazaar.feed.services import feed_purge

    return feed_purge()


def after_feed_write() -> None:
    """Called by every write that adds a feed row (inside its transaction): now and then, purge
    the old rows once that write has committed, the way the status tallies are compacted."""
    if random.randrange(settings.FEED_PURGE_ONE_IN) == 0:
        transaction.on_commit(purge_order_changes.enqueue)
