import secrets

from django.db import models

from bazaar.api.models import Timestamped
from bazaar.api.text import search_text_field
from bazaar.catalog.models import Product
from bazaar.customers.models import Customer
from bazaar.geo.models import City, Country, State
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod
from bazaar.orders.status import NOT_PAYABLE, Status


class DeliveryMethod(models.TextChoices):
    SHIPPING = "shipping"
    PICKUP = "pickup"


def new_order_key() -> str:
    return secrets.token_hex(10)  # 20 lowercase hex characters


class Order(Timestamped):
    key = models.CharField(max_length=20, unique=True, default=new_order_key, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    shipping_cost = models.BigIntegerField(default=0)
    notes = models.TextField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    billing_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    billing_state = models.ForeignKey(
        State, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    billing_city = models.ForeignKey(
        City, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    billing_address = models.TextField(null=True, blank=True)
    billing_postal_code = models.CharField(max_length=10, null=True, blank=True)
    billing_national_code = models.CharField(max_length=10, null=True, blank=True)
    billing_mobile_number = models.CharField(max_length=11, null=True, blank=True)
    billing_first_name = models.CharField(max_length=150, null=True, blank=True)
    billing_last_name = models.CharField(max_length=150, null=True, blank=True)
    # A guest order's contact (no customer); SPEC §11.
    billing_email = models.EmailField(null=True, blank=True)

    # Delivery: shipped to the receiver below, or picked up at a branch (SPEC §11).
    delivery_method = models.CharField(
        max_length=16, choices=DeliveryMethod.choices, default=DeliveryMethod.SHIPPING
    )
    pickup_branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    shipping_first_name = models.CharField(max_length=150, null=True, blank=True)
    shipping_last_name = models.CharField(max_length=150, null=True, blank=True)
    shipping_mobile_number = models.CharField(max_length=11, null=True, blank=True)
    shipping_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shipping_state = models.ForeignKey(
        State, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shipping_city = models.ForeignKey(
        City, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shipping_address = models.TextField(null=True, blank=True)
    shipping_postal_code = models.CharField(max_length=10, null=True, blank=True)
    shipping_latitude = models.DecimalField(max_digits=8, decimal_places=6, null=True, blank=True)
    shipping_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

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
    item_count = models.PositiveIntegerField(default=0)
    item_quantity = models.BigIntegerField(default=0)
    items_subtotal = models.BigIntegerField(default=0)
    items_discount = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The default page and the filters a shop uses every day, each with the default order so
        # that a page is an index range scan; trigram indexes for search are PostgreSQL-only and
        # live in migration 0002.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_created_idx"),
            models.Index(
                fields=["customer", "-created_at", "-id"], name="order_customer_created_idx"
            ),
            models.Index(fields=["-updated_at", "-id"], name="order_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk} ({self.key})"

    # --- computed fields (SPEC §5), all integers ---------------------------------------------
    @property
    def subtotal(self) -> int:
        return self.items_subtotal

    @property
    def total_discount(self) -> int:
        return self.items_discount

    @property
    def total(self) -> int:
        return self.items_subtotal - self.items_discount + self.shipping_cost

    @property
    def amount_outstanding(self) -> int:
        return self.total - self.amount_paid

    @property
    def is_paid(self) -> bool:
        return self.total > 0 and self.amount_outstanding <= 0

    @property
    def is_payable(self) -> bool:
        return (
            self.item_count > 0 and self.amount_outstanding > 0 and self.status not in NOT_PAYABLE
        )


class OrderItem(Timestamped):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    # What the product was when the item was made (with the chosen options); never rewritten.
    product_data = models.JSONField(default=dict)
    # Ids of the chosen option values. Plain ids, not a relation: the catalog may replace a
    # product's options later, and the item keeps what was chosen (named in product_data).
    options = models.JSONField(default=list, blank=True)
    unit_price = models.BigIntegerField()
    unit_discount = models.BigIntegerField(default=0)
    quantity = models.PositiveIntegerField(default=1)
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id} on order {self.order_id}"

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
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount = models.BigIntegerField()
    approved = models.BooleanField(default=False)
    transaction_id = models.CharField(max_length=255, blank=True, default="")
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.amount} on order {self.order_id}"


class OrderStatusDelta(models.Model):
    """A change in the number of orders of one status, written by database triggers on
    orders_order (PostgreSQL; migration 0006) for every insert, status change, delete and
    truncate, so that `SUM(delta)` per status is always the exact number of orders with it.

    Why: the list's default page must report the exact count of every live order, and counting
    a million rows takes 150-200 ms, ten times the page itself. The triggers only ever insert
    rows (no counter row is updated, so concurrent writes never wait on each other), and
    `services.order_status_deltas_compact` folds the rows back into one per status."""

    status = models.CharField(max_length=16, choices=Status.choices)
    delta = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.status} {self.delta:+d}"
