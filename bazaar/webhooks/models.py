from django.db import models
from django.utils.translation import gettext_lazy as _

from bazaar.api.models import Timestamped
from bazaar.orders.models import Order, OrderEvent


class Webhook(Timestamped):
    """A subscription (SPEC §15): where to POST which event types, signed with `secret`."""

    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list, help_text=_("Event type patterns."))
    description = models.CharField(_("description"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)
    # Kept readable: every delivery is signed with it (HMAC needs the key itself). The API shows
    # it only in the create and rotate-secret answers.
    secret = models.CharField(_("secret"), max_length=100, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message to one subscription: the outbox row written in the transaction of the change
    that caused it, with its body frozen then (the order as of the event)."""

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # Null for a ping. Carried so that deliveries can be distributed by order (SPEC §17) and so
    # one order's messages go out in order.
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    event = models.ForeignKey(
        OrderEvent,
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    event_type = models.CharField(_("event type"), max_length=32)
    # The `webhook-id` header: the same on every attempt, so receivers can drop duplicates.
    message_id = models.CharField(_("message id"), max_length=40, unique=True)
    # The exact JSON sent (text, not JSON: PostgreSQL's jsonb would reorder its keys).
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # Set while a worker is making an attempt: no other worker takes the delivery before it has
    # passed (a worker that died mid-attempt leaves it, and the sweep takes it up after it).
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            # The delivery log of a subscription, and its filters.
            models.Index(fields=["webhook", "order", "id"], name="webhooks_delivery_order"),
            # Due deliveries, for the sweep (only pending ones have a next attempt).
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_delivery_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"
