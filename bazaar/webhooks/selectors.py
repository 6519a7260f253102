"""Reads of webhooks and their delivery logs (SPEC §15)."""

from django.db.models import QuerySet

from bazaar.webhooks.models import Delivery, Webhook


def webhook_queryset() -> QuerySet[Webhook]:
    return Webhook.objects.all()


def delivery_queryset(*, webhook_id: int) -> QuerySet[Delivery]:
    """A subscription's deliveries; the body is left out (the log shows what happened to each,
    not the message, which may be large)."""
    return Delivery.objects.filter(webhook_id=webhook_id).defer("body")
