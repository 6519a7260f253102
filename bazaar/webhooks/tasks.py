"""The worker's side of webhooks: one task per delivery attempt (bazaar.webhooks.services)."""

from django_tasks import task


@task()
def deliver(delivery_id: int) -> str:
    """Attempt a delivery if it is due; a no-op for one already sent, failed, claimed by another
    worker or waiting for an older delivery of its order (that one's end enqueues it again)."""
    from bazaar.webhooks.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)
