"""Shipments and refunds of an order (SPEC §14).

Written only by `bazaar.fulfilment.services`, under the order's row lock, in the transaction
that also rewrites what the order row keeps of them (`fulfilment_status`, `amount_refunded`, the
items' `quantity_shipped` / `quantity_returned`) and records the order's events.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bazaar.api.models import Timestamped


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Shipment(Timestamped):
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="shipments"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING
    )
    shipping_method = models.ForeignKey(
        "methods.ShippingMethod",
        verbose_name=_("shipping method"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
    )
    # Indexed: the order list's `tracking_number` filter and its search look orders up by it.
    tracking_number = models.CharField(
        _("tracking number"), max_length=100, null=True, blank=True, db_index=True
    )
    tracking_url = models.URLField(_("tracking URL"), max_length=1000, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="shipment_order_idx")]

    def __str__(self) -> str:
        return _("Shipment #%(id)s of order %(order)s") % {"id": self.pk, "order": self.order_id}


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="items"
    )
    # CASCADE: only an item whose shipments are all cancelled can be removed (services guard
    # the others), and a cancelled shipment's line of it holds nothing any more.
    item = models.ForeignKey(
        "orders.OrderItem",
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        related_name="shipment_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("shipment item")
        verbose_name_plural = _("shipment items")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "item"], name="shipment_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"


class Refund(models.Model):
    """Money sent back on one approved payment: a record, never edited or deleted."""

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="refunds"
    )
    payment = models.ForeignKey(
        "orders.OrderPayment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    amount = models.BigIntegerField(_("amount"))
    reason = models.TextField(_("reason"), blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="refund_order_idx")]

    def __str__(self) -> str:
        return _("Refund #%(id)s of %(amount)s on order %(order)s") % {
            "id": self.pk,
            "amount": f"{self.amount:,}",
            "order": self.order_id,
        }


class RefundItem(models.Model):
    refund = models.ForeignKey(
        Refund, verbose_name=_("refund"), on_delete=models.CASCADE, related_name="items"
    )
    # PROTECT: an item with returned quantities cannot be removed (services refuse it first).
    item = models.ForeignKey(
        "orders.OrderItem",
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        related_name="refund_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("refund item")
        verbose_name_plural = _("refund items")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["refund", "item"], name="refund_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"
