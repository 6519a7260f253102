"""The idempotency keys' background work (Django's Tasks API, run by `manage.py run_worker`)."""

import random

from django.conf import settings
from django.db import transaction
from django_tasks import task


@task()
def purge_expired_keys() -> int:
    """Delete every answer older than the keys are kept (`services.keys_purge`)."""
    from bazaar.idempotency.services import keys_purge  # the services call us

    return keys_purge()


def after_key_stored() -> None:
    """Called by every stored answer (inside its transaction): now and then, purge the expired
    ones once it has committed, the way the change feed is purged. The table stays about one
    day of keys, and no request pays a DELETE for it."""
    if random.randrange(settings.IDEMPOTENCY_PURGE_ONE_IN) == 0:
        transaction.on_commit(purge_expired_keys.enqueue)
