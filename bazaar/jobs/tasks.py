"""Background tasks (Django's Tasks API), run by `python manage.py run_worker`.

Bookkeeping that must not slow a request, and must never be done by a read, lives here: the
write that makes the work enqueues the task once its transaction commits."""

import random

from django.db import transaction
from django_tasks import task

# One write in this many that changes an order's status (each adds one or two tally rows)
# enqueues a compaction, so the tallies stay a few hundred rows per status between two
# compactions whatever the write rate, without a query on every write to count them.
COMPACT_TALLIES_ONE_IN = 500


@task()
def compact_status_tallies() -> bool:
    """Fold the status tally rows into one per status (PostgreSQL; a no-op elsewhere)."""
    from bazaar.orders.services import order_status_deltas_compact  # the services call us

    return order_status_deltas_compact()


def after_status_write() -> None:
    """Called by every write that adds tally rows (inside its transaction): now and then,
    compact the tallies once that write has committed."""
    if random.randrange(COMPACT_TALLIES_ONE_IN) == 0:
        transaction.on_commit(compact_status_tallies.enqueue)
