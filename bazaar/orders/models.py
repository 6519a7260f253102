import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bazaar.api.models import Timestamped
from bazaar.api.text import search_text_field
from bazaar.catalog.models import Product
from bazaar.customers.models import Customer
from bazaar.geo.models import City, Country, State
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod
from bazaar.orders import pricing
from bazaar.orders.status import NOT_PAYABLE, Status


class DeliveryMethod(models.TextChoices):
    SHIPPING = "shipping", _("Shipping")
    PICKUP = "pickup", _("Pickup")


class FulfilmentStatus(models.TextChoices):
    """How much of an order is shipped (SPEC §14)."""

    UNFULFILLED = "unfulfilled", _("Unfulfilled")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")


class OrderSource(models.TextChoices):
    """Where an order was created (SPEC §12)."""

    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    DEMO = "demo", _("Demo data")


# The stored money an order's own facts make (pricing.order_money), rewritten on every save.
MONEY_FIELDS = ("coupon_discount", "order_discount", "tax", "total")


def new_order_key() -> str:
    return secrets.token_hex(10)  # 20 lowercase hex characters


class Order(Timestamped):
    key = models.CharField(
        verbose_name=_("key"), max_length=20, unique=True, default=new_order_key, editable=False
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    payment_method = models.ForeignKey(
        PaymentMethod,
        verbose_name=_("payment method"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    shipping_method = models.ForeignKey(
        ShippingMethod,
        verbose_name=_("shipping method"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    shipping_cost = models.BigIntegerField(verbose_name=_("shipping cost"), default=0)
    notes = models.TextField(verbose_name=_("notes"), null=True, blank=True)
    extra = models.JSONField(verbose_name=_("extra"), default=dict, blank=True)

    billing_country = models.ForeignKey(
        Country,
        verbose_name=_("billing country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    billing_state = models.ForeignKey(
        State,
        verbose_name=_("billing state"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    billing_city = models.ForeignKey(
        City,
        verbose_name=_("billing city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    billing_address = models.TextField(verbose_name=_("billing address"), null=True, blank=True)
    billing_postal_code = models.CharField(
        verbose_name=_("billing postal code"), max_length=10, null=True, blank=True
    )
    billing_national_code = models.CharField(
        verbose_name=_("billing national code"), max_length=10, null=True, blank=True
    )
    billing_mobile_number = models.CharField(
        verbose_name=_("billing mobile number"), max_length=11, null=True, blank=True
    )
    billing_first_name = models.CharField(
        verbose_name=_("billing first name"), max_length=150, null=True, blank=True
    )
    billing_last_name = models.CharField(
        verbose_name=_("billing last name"), max_length=150, null=True, blank=True
    )
    # A guest order's contact (no customer); SPEC §11.
    billing_email = models.EmailField(verbose_name=_("billing email"), null=True, blank=True)

    # Delivery: shipped to the receiver below, or picked up at a branch (SPEC §11).
    delivery_method = models.CharField(
        verbose_name=_("delivery method"),
        max_length=16,
        choices=DeliveryMethod.choices,
        default=DeliveryMethod.SHIPPING,
    )
    pickup_branch = models.ForeignKey(
        Branch,
        verbose_name=_("pickup branch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    shipping_first_name = models.CharField(
        verbose_name=_("shipping first name"), max_length=150, null=True, blank=True
    )
    shipping_last_name = models.CharField(
        verbose_name=_("shipping last name"), max_length=150, null=True, blank=True
    )
    shipping_mobile_number = models.CharField(
        verbose_name=_("shipping mobile number"), max_length=11, null=True, blank=True
    )
    shipping_country = models.ForeignKey(
        Country,
        verbose_name=_("shipping country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    shipping_state = models.ForeignKey(
        State,
        verbose_name=_("shipping state"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    shipping_city = models.ForeignKey(
        City,
        verbose_name=_("shipping city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    shipping_address = models.TextField(verbose_name=_("shipping address"), null=True, blank=True)
    shipping_postal_code = models.CharField(
        verbose_name=_("shipping postal code"), max_length=10, null=True, blank=True
    )
    shipping_latitude = models.DecimalField(
        verbose_name=_("shipping latitude"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    shipping_longitude = models.DecimalField(
        verbose_name=_("shipping longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    # The order's own searchable text, folded (SPEC §16, bazaar.api.text): computed by the
    # database on every write path, trigram-indexed on PostgreSQL (migration 0009). The
    # customer's text is matched in the much smaller user table (orders.filters).
    search_text = search_text_field(
        "notes",
        "billing_first_name",
        "billing_last_name",
        "billing_mobile_number",
        "billing_email",
        "shipping_first_name",
        "shipping_last_name",
        "shipping_mobile_number",
    )

    # Totals of the order's rows, kept in the order row and rewritten by
    # services.order_refresh_totals in the same transaction as every item or payment write
    # (which holds the order's row lock).
    # Why stored: the list reads 100 orders at once and filters over millions; summing two
    # reverse relations per row on every read would dominate its cost. A test proves they match
    # the rows after every kind of write.
    item_count = models.PositiveIntegerField(verbose_name=_("item count"), default=0)
    item_quantity = models.BigIntegerField(verbose_name=_("item quantity"), default=0)
    items_subtotal = models.BigIntegerField(verbose_name=_("items subtotal"), default=0)
    items_discount = models.BigIntegerField(verbose_name=_("items discount"), default=0)
    amount_paid = models.BigIntegerField(verbose_name=_("amount paid"), default=0)

    # SPEC §12. The coupon applied, with the terms it had then: editing or deactivating the
    # coupon later never changes this order, and its discount is recomputed from these terms.
    # The coupon's index is the composite one below (coupon first), so the FK has none of its own.
    coupon = models.ForeignKey(
        "coupons.Coupon",
        verbose_name=_("coupon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
    )
    coupon_code = models.CharField(_("coupon code"), max_length=32, null=True, blank=True)
    coupon_kind = models.CharField(_("coupon kind"), max_length=16, null=True, blank=True)
    coupon_value = models.BigIntegerField(_("coupon value"), null=True, blank=True)
    coupon_max_discount = models.BigIntegerField(
        _("coupon maximum discount"), null=True, blank=True
    )
    coupon_min_subtotal = models.BigIntegerField(_("coupon minimum subtotal"), default=0)
    order_discount = models.BigIntegerField(
        _("order discount"), default=0
    )  # the staff discount (CS-Cart's)
    tax_rate = models.DecimalField(
        _("tax rate"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    # Stored for the same reason as the totals above, and because the list filters and orders
    # by `total` over millions of orders: MONEY_FIELDS, rewritten by save() from this row.
    coupon_discount = models.BigIntegerField(_("coupon discount"), default=0)
    tax = models.BigIntegerField(_("tax"), default=0)
    total = models.BigIntegerField(_("total"), default=0)
    # Labels (SPEC §12). A JSON list in the row: the list reads it with no extra query, and on
    # PostgreSQL a GIN index (migration 0008) answers `tag` / `tag_in` (lookups.HasTag).
    tags = models.JSONField(_("tags"), default=list, blank=True)
    source = models.CharField(
        _("source"),
        max_length=8,
        choices=OrderSource.choices,
        default=OrderSource.API,
        editable=False,
    )
    # SPEC §13: +1 on every change to the order, its items, payments, shipments or refunds; the
    # order's ETag is made from it.
    version = models.PositiveBigIntegerField(_("version"), default=1, editable=False)
    # SPEC §14, kept by bazaar.fulfilment.services under the order's row lock (and by the item
    # writes, whose quantities they depend on). Stored, as the totals above are, because the list
    # filters by them over millions of orders (`fulfilment_status`, `has_refund`, `is_refunded`).
    fulfilment_status = models.CharField(
        _("fulfilment status"),
        max_length=20,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.UNFULFILLED,
        editable=False,
    )
    amount_refunded = models.BigIntegerField(_("amount refunded"), default=0, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        # The default page and the filters a shop uses every day, each with the default order so
        # that a page is an index range scan; trigram indexes for search are PostgreSQL-only and
        # live in migration 0002.
        indexes = [
            # The default order, with the status: a page of the newest live orders and the
            # exact count of a date range (`created_from/to`, every status but deleted) from the
            # index alone. Without it the count of ten days at a million orders (~28,000)
            # visited each row: 110 ms cold, 4 ms from this index.
            models.Index(fields=["-created_at", "-id", "status"], name="order_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_created_idx"),
            models.Index(
                fields=["customer", "-created_at", "-id"], name="order_customer_created_idx"
            ),
            models.Index(fields=["-updated_at", "-id"], name="order_updated_idx"),
            # SPEC §12: `coupon` / `coupon_code` / a coupon's uses, and `ordering=total` both ways
            # (the list appends `-id`) with `total_min` / `total_max`.
            models.Index(fields=["coupon", "-created_at", "-id"], name="order_coupon_created_idx"),
            # The exact count of a coupon's orders (the list leaves deleted ones out) read from
            # the index alone: a coupon's orders are spread over the whole table, and visiting
            # each row cost 400 ms for 36,000 orders at a million (4 ms from this index).
            models.Index(
                fields=["coupon", "status"],
                name="order_coupon_status_idx",
                condition=models.Q(coupon__isnull=False),
            ),
            models.Index(fields=["total", "-id"], name="order_total_idx"),
            # SPEC §14: `fulfilment_status` in the default order; `has_refund` / `is_refunded`
            # read the (few) refunded orders from a partial index.
            models.Index(
                fields=["fulfilment_status", "-created_at", "-id"],
                name="order_fulfilment_created_idx",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                name="order_refunded_created_idx",
                condition=models.Q(amount_refunded__gt=0),
            ),
            # ... and count them from the index alone, by fulfilment status (refunded orders are
            # ~10 % of a shop's: counting `fulfilment_status=delivered&has_refund=true` from the
            # rows was a 560 ms scan of the table at a million orders).
            models.Index(
                fields=["fulfilment_status", "status"],
                name="order_refunded_fulfilment_idx",
                condition=models.Q(amount_refunded__gt=0),
            ),
            models.Index(fields=["-total", "-id"], name="order_total_desc_idx"),
            # A search page read by id (a term's matches joined to the orders, then the newest
            # 100): each match's sort key and status from the index alone, with no visit to the
            # row; at a million orders a mobile-number part has ~1,000 matches, 7.2 → 5.5 ms.
            models.Index(fields=["id", "created_at", "status"], name="order_id_created_status_idx"),
        ]

    def __str__(self) -> str:
        return _("Order #%(id)s (%(key)s)") % {"id": self.pk, "key": self.key}

    def prepare_save(self, update_fields: list[str] | None) -> list[str] | None:
        # The money columns are a pure function of this row's own columns (pricing.order_money),
        # so they are rewritten on every save, whichever write made it: they can never disagree
        # with the facts they come from. Writers hold the order's row lock (services).
        self.refresh_money()
        fields = super().prepare_save(update_fields)
        return None if fields is None else list(dict.fromkeys([*fields, *MONEY_FIELDS]))

    @property
    def coupon_terms(self) -> pricing.CouponTerms | None:
        """The terms the coupon had when it was applied, or None without a coupon."""
        if self.coupon_id is None or self.coupon_kind is None:
            return None
        return pricing.CouponTerms(
            kind=self.coupon_kind,
            value=self.coupon_value or 0,
            max_discount=self.coupon_max_discount,
            min_subtotal=self.coupon_min_subtotal or 0,
        )

    def money(self) -> pricing.OrderMoney:
        return pricing.order_money(
            items_subtotal=self.items_subtotal,
            items_discount=self.items_discount,
            shipping_cost=self.shipping_cost or 0,
            coupon=self.coupon_terms,
            order_discount=self.order_discount or 0,
            tax_rate=Decimal(self.tax_rate or 0),
        )

    def refresh_money(self) -> None:
        money = self.money()
        self.coupon_discount = money.coupon_discount
        self.order_discount = money.order_discount
        self.tax = money.tax
        self.total = money.total

    # --- computed fields (SPEC §5, §12), all integers ----------------------------------------
    @property
    def subtotal(self) -> int:
        return self.items_subtotal

    @property
    def total_discount(self) -> int:
        return self.items_discount + self.coupon_discount + self.order_discount

    @property
    def amount_outstanding(self) -> int:
        return self.total - self.amount_paid

    @property
    def is_paid(self) -> bool:
        return self.total > 0 and self.amount_outstanding <= 0

    @property
    def net_paid(self) -> int:
        return self.amount_paid - self.amount_refunded

    @property
    def is_payable(self) -> bool:
        return (
            self.item_count > 0 and self.amount_outstanding > 0 and self.status not in NOT_PAYABLE
        )


class OrderItem(Timestamped):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="order_items"
    )
    # What the product was when the item was made (with the chosen options); never rewritten.
    product_data = models.JSONField(verbose_name=_("product data"), default=dict)
    # Ids of the chosen option values. Plain ids, not a relation: the catalog may replace a
    # product's options later, and the item keeps what was chosen (named in product_data).
    options = models.JSONField(verbose_name=_("options"), default=list, blank=True)
    unit_price = models.BigIntegerField(verbose_name=_("unit price"))
    unit_discount = models.BigIntegerField(verbose_name=_("unit discount"), default=0)
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"), default=1)
    notes = models.TextField(verbose_name=_("notes"), blank=True, default="")
    # SPEC §14, kept by bazaar.fulfilment.services: the quantity in shipments `shipped` or
    # `delivered`, and the quantity returned over all refunds.
    quantity_shipped = models.PositiveIntegerField(
        verbose_name=_("quantity shipped"), default=0, editable=False
    )
    quantity_returned = models.PositiveIntegerField(
        verbose_name=_("quantity returned"), default=0, editable=False
    )

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["id"]

    def __str__(self) -> str:
        return _("%(quantity)s × product %(product)s on order %(order)s") % {
            "quantity": self.quantity,
            "product": self.product_id,
            "order": self.order_id,
        }

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity

    @property
    def discount(self) -> int:
        return self.unit_discount * self.quantity

    @property
    def total(self) -> int:
        return self.subtotal - self.discount


class OrderPayment(Timestamped):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="payments"
    )
    payment_method = models.ForeignKey(
        PaymentMethod,
        verbose_name=_("payment method"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount = models.BigIntegerField(verbose_name=_("amount"))
    approved = models.BooleanField(verbose_name=_("approved"), default=False)
    transaction_id = models.CharField(
        verbose_name=_("transaction id"), max_length=255, blank=True, default=""
    )
    notes = models.TextField(verbose_name=_("notes"), blank=True, default="")

    class Meta:
        verbose_name = _("order payment")
        verbose_name_plural = _("order payments")
        ordering = ["id"]

    def __str__(self) -> str:
        return _("%(amount)s on order %(order)s") % {
            "amount": f"{self.amount:,}",
            "order": self.order_id,
        }


class OrderStatusDelta(models.Model):
    """A change in the number of orders of one status, written by database triggers on
    orders_order (PostgreSQL; migration 0006) for every insert, status change, delete and
    truncate, so that `SUM(delta)` per status is always the exact number of orders with it.

    Why: the list's default page must report the exact count of every live order, and counting
    a million rows takes 150-200 ms, ten times the page itself. The triggers only ever insert
    rows (no counter row is updated, so concurrent writes never wait on each other), and
    `services.order_status_deltas_compact` folds the rows back into one per status."""

    status = models.CharField(verbose_name=_("status"), max_length=16, choices=Status.choices)
    delta = models.BigIntegerField(verbose_name=_("delta"))

    class Meta:
        verbose_name = _("order status delta")
        verbose_name_plural = _("order status deltas")

    def __str__(self) -> str:
        return f"{self.status} {self.delta:+d}"


class EventType(models.TextChoices):
    """The kinds of order events (SPEC §13, §14); docs/events.md lists what each one's `changes`
    carry."""

    ORDER_CREATED = "order_created", _("Order created")
    ORDER_UPDATED = "order_updated", _("Order updated")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ITEM_ADDED = "item_added", _("Item added")
    ITEM_UPDATED = "item_updated", _("Item updated")
    ITEM_REMOVED = "item_removed", _("Item removed")
    PAYMENT_ADDED = "payment_added", _("Payment added")
    PAYMENT_UPDATED = "payment_updated", _("Payment updated")
    PAYMENT_REMOVED = "payment_removed", _("Payment removed")
    COUPON_APPLIED = "coupon_applied", _("Coupon applied")
    COUPON_REMOVED = "coupon_removed", _("Coupon removed")
    NOTE_ADDED = "note_added", _("Note added")
    SHIPMENT_CREATED = "shipment_created", _("Shipment created")
    SHIPMENT_UPDATED = "shipment_updated", _("Shipment updated")
    SHIPMENT_CANCELLED = "shipment_cancelled", _("Shipment cancelled")
    REFUND_CREATED = "refund_created", _("Refund created")


class OrderEvent(models.Model):
    """One change to an order, written in the transaction of the change; never edited."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(_("type"), max_length=32, choices=EventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")
    # {field: [old, new]}: only what changed, money as integers.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Plain ids, not relations: an event names its item or payment also after it was removed.
    item_id = models.BigIntegerField(_("item"), null=True, blank=True)
    payment_id = models.BigIntegerField(_("payment"), null=True, blank=True)
    shipment_id = models.BigIntegerField(_("shipment"), null=True, blank=True)
    refund_id = models.BigIntegerField(_("refund"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="order_event_order_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} #{self.pk}"
