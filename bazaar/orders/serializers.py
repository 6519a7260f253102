"""Order shapes. Input serializers validate and feed the services; the output is built by plain
functions (`orders_data` and friends) over plain rows, because a page of 100 orders with nested
items, payments and images is the API's hottest path, and DRF's generic field machinery (or even
model instances) would dominate its cost. The output serializer classes below describe the very
same shapes for the OpenAPI schema only, and a test checks that both agree on every key."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bazaar.accounts.validators import (
    normalize_mobile,
    normalize_national_code,
    normalize_postal_code,
)
from bazaar.api.fields import MoneyField, StrictIntegerField
from bazaar.api.relations import RelatedIdField
from bazaar.api.serializers import PositionalErrorsListSerializer, Serializer
from bazaar.catalog.models import Product, ProductOptionValue
from bazaar.coupons.models import CouponKind
from bazaar.coupons.serializers import CouponCodeField
from bazaar.customers.models import Customer
from bazaar.geo.models import City, Country, State
from bazaar.media.serializers import ImageSerializer, image_data, image_snapshot_data
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod
from bazaar.orders import pricing
from bazaar.orders.models import DeliveryMethod, Order, OrderItem, OrderSource
from bazaar.orders.selectors import OrderRows, Row
from bazaar.orders.services import MAX_ITEMS_PER_ORDER, MAX_ORDER_AMOUNT
from bazaar.orders.status import NOT_PAYABLE, Status, allowed_next
from bazaar.orders.tags import MAX_TAG_LENGTH, MAX_TAGS, clean_tags

MAX_NOTES = 5_000
MAX_EXTRA_BYTES = 64 * 1024
MAX_QUANTITY = 100_000
MAX_PAYMENT = 10**15

ORDER_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "key", "status", "customer_data", "payment_method_data", "shipping_method_data",
    "shipping_cost", "notes", "extra", "created_at", "updated_at", "billing_country_data",
    "billing_state_data", "billing_city_data", "billing_address", "billing_postal_code",
    "billing_national_code", "billing_mobile_number", "billing_first_name", "billing_last_name",
    "count", "quantity", "items_subtotal", "items_discount", "subtotal", "total_discount", "total",
    "amount_paid", "amount_outstanding", "is_paid", "is_payable", "items", "payments",
    # SPEC §11
    "billing_email", "delivery_method", "pickup_branch_data", "shipping_first_name",
    "shipping_last_name", "shipping_mobile_number", "shipping_country_data", "shipping_state_data",
    "shipping_city_data", "shipping_address", "shipping_postal_code", "shipping_latitude",
    "shipping_longitude",
    # SPEC §12
    "coupon_code", "coupon_data", "coupon_discount", "order_discount", "tax_rate", "tax",
    "currency", "discounts", "tags", "source",
    # SPEC §13
    "version", "allowed_next_statuses",
)  # fmt: skip
ITEM_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "product", "product_title", "product_name", "product_data", "unit_price",
    "unit_discount", "quantity", "notes", "subtotal", "discount", "total", "created_at",
    "updated_at", "options",
)  # fmt: skip
PAYMENT_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "payment_method_data", "approved", "amount", "transaction_id", "notes", "created_at",
    "updated_at",
)  # fmt: skip


# --- output: plain functions over the rows of selectors.order_rows_related() ---------------------


class NestedShapes:
    """The method, place and branch shapes of one response. Each distinct method is shaped once,
    however many orders and payments show it: a page of 100 orders names the same few methods
    some 300 times, each with an image and four thumbnail URLs."""

    def __init__(self, rows: OrderRows, request) -> None:
        self.rows = rows
        self.request = request
        self.methods: dict[tuple[str, int], dict[str, Any]] = {}
        self.snapshot_urls: dict[str, str] = {}  # an item snapshot's image path -> its URL

    def method(self, kind: str, row: Row) -> dict[str, Any] | None:
        method_id = row[f"{kind}_id"]
        if method_id is None:
            return None
        shaped = self.methods.get((kind, method_id))
        if shaped is None:
            image_id = row[f"{kind}__image_id"]
            image = None if image_id is None else self.rows.images[image_id]
            shaped = self.methods[kind, method_id] = {
                "id": method_id,
                "name": row[f"{kind}__name"],
                "image": image_data(image, self.request),
            }
        return shaped


def customer_data(row: Row) -> dict[str, Any] | None:
    if row["customer_id"] is None:
        return None
    first_name, last_name = row["customer__first_name"], row["customer__last_name"]
    return {
        "id": row["customer_id"],
        "username": row["customer__username"],
        "mobile_number": row["customer__mobile_number"],
        "first_name": first_name,
        "last_name": last_name,
        "full_name": f"{first_name} {last_name}".strip(),
    }


def place_data(place_id: int | None, places: dict[int, Row]) -> dict[str, Any] | None:
    """`{id, name, code}` of a country, state or branch, `{id, name}` of a city (the columns
    `selectors.order_rows_related` read), shared by every order of the response that names it."""
    return None if place_id is None else places[place_id]


def product_snapshot_data(
    snapshot: dict[str, Any], request, urls: dict[str, str] | None = None
) -> dict[str, Any]:
    """An item's stored product snapshot as the API shows it: its image's file path becomes the
    absolute URL (built from this request, as every other image URL is, with no query)."""
    image = snapshot.get("image")
    if not image:
        return snapshot
    return {**snapshot, "image": image_snapshot_data(image, request, urls)}


def item_data(item: Row, request, urls: dict[str, str] | None = None) -> dict[str, Any]:
    """An item's shape; `urls` memoises its snapshot image's URL across one response."""
    unit_price, unit_discount = item["unit_price"], item["unit_discount"]
    quantity, title = item["quantity"], item["product__title"]
    return {
        "id": item["id"],
        "product": item["product_id"],
        "product_title": title,
        "product_name": title,
        "product_data": product_snapshot_data(item["product_data"], request, urls),
        "unit_price": unit_price,
        "unit_discount": unit_discount,
        "quantity": quantity,
        "notes": item["notes"],
        "subtotal": unit_price * quantity,
        "discount": unit_discount * quantity,
        "total": (unit_price - unit_discount) * quantity,
        "created_at": item["created"],
        "updated_at": item["updated"],
        "options": item["options"],
    }


def _coordinate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def payment_data(payment: Row, shapes: NestedShapes) -> dict[str, Any]:
    return {
        "id": payment["id"],
        "payment_method_data": shapes.method("payment_method", payment),
        "approved": payment["approved"],
        "amount": payment["amount"],
        "transaction_id": payment["transaction_id"],
        "notes": payment["notes"],
        "created_at": payment["created"],
        "updated_at": payment["updated"],
    }


def order_data(
    order: Row, items: list[Row], payments: list[Row], shapes: NestedShapes
) -> dict[str, Any]:
    """The order shape of SPEC §5. Totals come from the order row (kept by the services)."""
    items_subtotal, items_discount = order["items_subtotal"], order["items_discount"]
    coupon, by_staff = order["coupon_discount"], order["order_discount"]
    total = order["total"]
    outstanding = total - order["amount_paid"]
    return {
        "id": order["id"],
        "key": order["key"],
        "status": order["status"],
        "customer_data": customer_data(order),
        "payment_method_data": shapes.method("payment_method", order),
        "shipping_method_data": shapes.method("shipping_method", order),
        "shipping_cost": order["shipping_cost"],
        "notes": order["notes"],
        "extra": order["extra"],
        "created_at": order["created"],
        "updated_at": order["updated"],
        "billing_country_data": place_data(order["billing_country_id"], shapes.rows.countries),
        "billing_state_data": place_data(order["billing_state_id"], shapes.rows.states),
        "billing_city_data": place_data(order["billing_city_id"], shapes.rows.cities),
        "billing_address": order["billing_address"],
        "billing_postal_code": order["billing_postal_code"],
        "billing_national_code": order["billing_national_code"],
        "billing_mobile_number": order["billing_mobile_number"],
        "billing_first_name": order["billing_first_name"],
        "billing_last_name": order["billing_last_name"],
        "count": order["item_count"],
        "quantity": order["item_quantity"],
        "items_subtotal": items_subtotal,
        "items_discount": items_discount,
        "subtotal": items_subtotal,
        "total_discount": items_discount + coupon + by_staff,
        "total": total,
        "amount_paid": order["amount_paid"],
        "amount_outstanding": outstanding,
        "is_paid": total > 0 and outstanding <= 0,
        "is_payable": order["item_count"] > 0
        and outstanding > 0
        and order["status"] not in NOT_PAYABLE,
        "items": [item_data(item, shapes.request, shapes.snapshot_urls) for item in items],
        "payments": [payment_data(payment, shapes) for payment in payments],
        "billing_email": order["billing_email"],
        "delivery_method": order["delivery_method"],
        "pickup_branch_data": place_data(order["pickup_branch_id"], shapes.rows.branches),
        "shipping_first_name": order["shipping_first_name"],
        "shipping_last_name": order["shipping_last_name"],
        "shipping_mobile_number": order["shipping_mobile_number"],
        "shipping_country_data": place_data(order["shipping_country_id"], shapes.rows.countries),
        "shipping_state_data": place_data(order["shipping_state_id"], shapes.rows.states),
        "shipping_city_data": place_data(order["shipping_city_id"], shapes.rows.cities),
        "shipping_address": order["shipping_address"],
        "shipping_postal_code": order["shipping_postal_code"],
        "shipping_latitude": _coordinate(order["shipping_latitude"]),
        "shipping_longitude": _coordinate(order["shipping_longitude"]),
        "coupon_code": order["coupon_code"],
        "coupon_data": coupon_data(order),
        "coupon_discount": coupon,
        "order_discount": by_staff,
        "tax_rate": pricing.tax_rate_text(order["tax_rate"]),
        "tax": order["tax"],
        "currency": settings.CURRENCY,
        "discounts": pricing.discount_lines(
            items_discount=items_discount,
            coupon_code=order["coupon_code"],
            coupon=coupon,
            order_discount=by_staff,
        ),
        "tags": order["tags"],
        "source": order["source"],
        "version": order["version"],
        "allowed_next_statuses": allowed_next(order["status"]),
    }


def coupon_data(row: Row) -> dict[str, Any] | None:
    """The coupon as it was applied: the terms the order keeps, not the coupon's current ones."""
    if row["coupon_id"] is None:
        return None
    return {
        "id": row["coupon_id"],
        "code": row["coupon_code"],
        "kind": row["coupon_kind"],
        "value": row["coupon_value"],
    }


def orders_data(rows: OrderRows, request) -> list[dict[str, Any]]:
    """Every order of `rows`, in their order, shaped."""
    shapes = NestedShapes(rows, request)
    no_rows: list[Row] = []
    return [
        order_data(
            order,
            rows.items.get(order["id"], no_rows),
            rows.payments.get(order["id"], no_rows),
            shapes,
        )
        for order in rows.orders
    ]


# --- output: the same shapes, declared for the OpenAPI schema --------------------------------


class CustomerDataSerializer(Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    mobile_number = serializers.CharField(allow_null=True)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    full_name = serializers.CharField()


class MethodDataSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    image = ImageSerializer(allow_null=True)


class PlaceDataSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class CityDataSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BranchDataSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    pass


class CouponDataSerializer(Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    value = serializers.IntegerField()


class DiscountLineSerializer(Serializer):
    type = serializers.ChoiceField(choices=["items", "coupon", "order"])
    code = serializers.CharField(required=False, help_text="The coupon's code (coupon lines).")
    amount = serializers.IntegerField()


TAX_RATE_PATTERN = r"^[0-9]{1,3}\.[0-9]{2}$"


class OrderItemSerializer(Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField()
    product_title = serializers.CharField(help_text="The product's current title.")
    product_name = serializers.CharField(help_text="The product's current title (source alias).")
    product_data = JSONObjectField(help_text="Snapshot of the product when the item was made.")
    unit_price = serializers.IntegerField()
    unit_discount = serializers.IntegerField()
    quantity = serializers.IntegerField()
    notes = serializers.CharField(allow_blank=True)
    subtotal = serializers.IntegerField()
    discount = serializers.IntegerField()
    total = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    options = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the chosen option values."
    )


class OrderPaymentSerializer(Serializer):
    id = serializers.IntegerField()
    payment_method_data = MethodDataSerializer(allow_null=True)
    approved = serializers.BooleanField()
    amount = serializers.IntegerField()
    transaction_id = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class OrderSerializer(Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField(help_text="20 lowercase hex characters, never changes.")
    status = serializers.ChoiceField(choices=Status.choices)
    customer_data = CustomerDataSerializer(allow_null=True)
    payment_method_data = MethodDataSerializer(allow_null=True)
    shipping_method_data = MethodDataSerializer(allow_null=True)
    shipping_cost = serializers.IntegerField()
    notes = serializers.CharField(allow_null=True)
    extra = JSONObjectField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    billing_country_data = PlaceDataSerializer(allow_null=True)
    billing_state_data = PlaceDataSerializer(allow_null=True)
    billing_city_data = CityDataSerializer(allow_null=True)
    billing_address = serializers.CharField(allow_null=True)
    billing_postal_code = serializers.CharField(allow_null=True)
    billing_national_code = serializers.CharField(allow_null=True)
    billing_mobile_number = serializers.CharField(allow_null=True)
    billing_first_name = serializers.CharField(allow_null=True)
    billing_last_name = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    quantity = serializers.IntegerField()
    items_subtotal = serializers.IntegerField()
    items_discount = serializers.IntegerField()
    subtotal = serializers.IntegerField()
    total_discount = serializers.IntegerField()
    total = serializers.IntegerField()
    amount_paid = serializers.IntegerField()
    amount_outstanding = serializers.IntegerField(help_text="Negative when overpaid.")
    is_paid = serializers.BooleanField()
    is_payable = serializers.BooleanField()
    items = OrderItemSerializer(many=True)
    payments = OrderPaymentSerializer(many=True)
    billing_email = serializers.EmailField(allow_null=True)
    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    pickup_branch_data = BranchDataSerializer(allow_null=True)
    shipping_first_name = serializers.CharField(allow_null=True)
    shipping_last_name = serializers.CharField(allow_null=True)
    shipping_mobile_number = serializers.CharField(allow_null=True)
    shipping_country_data = PlaceDataSerializer(allow_null=True)
    shipping_state_data = PlaceDataSerializer(allow_null=True)
    shipping_city_data = CityDataSerializer(allow_null=True)
    shipping_address = serializers.CharField(allow_null=True)
    shipping_postal_code = serializers.CharField(allow_null=True)
    shipping_latitude = serializers.FloatField(allow_null=True)
    shipping_longitude = serializers.FloatField(allow_null=True)
    coupon_code = serializers.CharField(allow_null=True)
    coupon_data = CouponDataSerializer(
        allow_null=True, help_text="The coupon as applied: its terms then, not now."
    )
    coupon_discount = serializers.IntegerField()
    order_discount = serializers.IntegerField()
    tax_rate = serializers.RegexField(
        TAX_RATE_PATTERN, help_text='A percentage with two decimals, e.g. "9.00".'
    )
    tax = serializers.IntegerField(help_text="On the goods after every discount; not shipping.")
    currency = serializers.CharField(help_text="ISO 4217; amounts are in its smallest unit.")
    discounts = DiscountLineSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField())
    source = serializers.ChoiceField(choices=OrderSource.choices)
    version = serializers.IntegerField(
        min_value=1, help_text="+1 on every change; the order's ETag is made from it."
    )
    allowed_next_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=Status.choices),
        help_text="The statuses this order may move to from its current one.",
    )


# --- input ------------------------------------------------------------------------------------


class NormalizedCharField(serializers.CharField):
    """A text field run through one of the §8 normalisers (digits in any script -> ASCII)."""

    def __init__(self, *, normalizer, **kwargs) -> None:
        self.normalizer = normalizer
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return self.normalizer(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


def active_row_field(model) -> RelatedIdField:
    """An optional id of a row that must be active (methods, branches)."""
    label = str(model._meta.verbose_name).capitalize()
    return RelatedIdField(
        queryset=model.objects.all(),
        usable=model.objects.filter(is_active=True),
        unusable_message=f"{label} {{id}} is inactive.",
        required=False,
        allow_null=True,
    )


def optional_text(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=max_length, **kwargs
    )


def mobile_field() -> NormalizedCharField:
    return NormalizedCharField(
        normalizer=normalize_mobile, required=False, allow_null=True, max_length=40
    )


def postal_code_field() -> NormalizedCharField:
    return NormalizedCharField(
        normalizer=normalize_postal_code, required=False, allow_null=True, max_length=40
    )


class CoordinateField(serializers.DecimalField):
    """A JSON number with 6 decimals kept; more decimals are rounded, not refused."""

    def validate_precision(self, value):
        return super().validate_precision(self.quantize(value))


def coordinate_field(limit: int) -> CoordinateField:
    return CoordinateField(
        max_digits=9 if limit == 90 else 10,
        decimal_places=6,
        min_value=Decimal(-limit),
        max_value=Decimal(limit),
        rounding=ROUND_HALF_UP,
        required=False,
        allow_null=True,
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": 0, "maximum": 100},
            {"type": "string", "pattern": r"^[0-9]{1,3}(\.[0-9]+)?$"},
        ],
        "description": "A percentage 0–100 with at most two decimal places (trailing zeros "
        "aside), as a number or a string; never null.",
        "example": "9.00",
    }
)
class TaxRateField(serializers.Field):
    """SPEC §12's tax rate (pricing.parse_tax_rate)."""

    def to_internal_value(self, data):
        try:
            return pricing.parse_tax_rate(data)
        except pricing.RuleError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_empty_values(self, data):
        if data is None:  # refused with the rule's own message, not DRF's "may not be null"
            self.to_internal_value(data)
        return super().validate_empty_values(data)

    def to_representation(self, value):
        return pricing.tax_rate_text(value)


class InlineCustomerSerializer(Serializer):
    """SPEC §11: a customer given inline, matched by normalised mobile number or created."""

    mobile_number = NormalizedCharField(normalizer=normalize_mobile, max_length=40)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True)


class CustomerReferenceField(serializers.Field):
    """`customer`: an id (SPEC §5) or an inline object (SPEC §11)."""

    def __init__(self, **kwargs) -> None:
        self.by_id = RelatedIdField(
            queryset=Customer._base_manager.all(),
            usable=Customer.objects.all(),
            unusable_message="User {id} is a staff member, not a customer.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            inline = InlineCustomerSerializer(data=data)
            inline.is_valid(raise_exception=True)
            return dict(inline.validated_data)
        return self.by_id.to_internal_value(data)

    def to_representation(self, value):
        return value.pk


BILLING_TO_SHIPPING = {
    "billing_first_name": "shipping_first_name",
    "billing_last_name": "shipping_last_name",
    "billing_mobile_number": "shipping_mobile_number",
    "billing_country": "shipping_country",
    "billing_state": "shipping_state",
    "billing_city": "shipping_city",
    "billing_address": "shipping_address",
    "billing_postal_code": "shipping_postal_code",
}
SHIPPING_ADDRESS_FIELDS = (*BILLING_TO_SHIPPING.values(), "shipping_latitude", "shipping_longitude")
TEXT_FIELDS = (
    "notes", "billing_address", "billing_first_name", "billing_last_name", "billing_email",
    "shipping_address", "shipping_first_name", "shipping_last_name",
)  # fmt: skip


def resolve_options(product: Product, value_ids: list[int]) -> list[ProductOptionValue]:
    """The chosen option values of a product: at most one per group, every required group
    chosen, values of this product only (SPEC §11). Raises a ValidationError on `options`."""
    groups = list(product.options.prefetch_related("values"))
    values = {value.pk: value for group in groups for value in group.values.all()}
    errors: list[str] = []
    chosen: list[ProductOptionValue] = []
    for value_id in value_ids:
        if value_id not in values:
            errors.append(
                gettext("Option value %(value)s is not an option of product %(product)s.")
                % {"value": value_id, "product": product.pk}
            )
        else:
            chosen.append(values[value_id])
    per_group: dict[int, int] = {}
    for value in chosen:
        per_group[value.group_id] = per_group.get(value.group_id, 0) + 1
    for group in groups:
        if per_group.get(group.pk, 0) > 1:
            errors.append(
                gettext("Choose at most one value of '%(group)s'.") % {"group": group.name}
            )
        if group.required and not per_group.get(group.pk):
            errors.append(
                gettext("'%(group)s' is required: choose one of its values.")
                % {"group": group.name}
            )
    if errors:
        raise serializers.ValidationError({"options": errors})
    return chosen


class OrderItemWriteSerializer(Serializer):
    """An item: on /api/orders/{id}/items/ (SPEC §6) and inline in an order (SPEC §11)."""

    read_only_keys = frozenset(ITEM_RESPONSE_KEYS) - {"product", "options"}

    product = RelatedIdField(queryset=Product.objects.all())
    unit_price = MoneyField(required=False)
    unit_discount = MoneyField(required=False)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    options = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=50,
        help_text="Ids of the chosen option values: one per group, every required group.",
    )

    def resolve_product(self, attrs) -> Product:
        return attrs["product"]

    def validate(self, attrs):
        item: OrderItem | None = self.instance
        product = attrs.get("product") or item.product
        if item is not None and "product" in attrs and attrs["product"].pk != item.product_id:
            raise serializers.ValidationError(
                {"product": ["An item's product cannot change; delete it and add a new item."]}
            )
        if item is not None and "options" in attrs and attrs["options"] != item.options:
            raise serializers.ValidationError(
                {"options": ["An item's options cannot change; delete it and add a new item."]}
            )
        if item is None:
            if not product.is_active:
                raise serializers.ValidationError(
                    {"product": [f"Product {product.pk} is inactive."]}
                )
            chosen = resolve_options(product, attrs.get("options", []))
            attrs["options"] = chosen
            catalog_price = product.price + sum(value.price_delta for value in chosen)
        else:
            attrs.pop("options", None)
            catalog_price = item.unit_price
        unit_price = attrs.get("unit_price", catalog_price)
        unit_discount = attrs.get("unit_discount", item.unit_discount if item else 0)
        quantity = attrs.get("quantity", item.quantity if item else 1)
        if unit_discount > unit_price:
            raise serializers.ValidationError(
                {"unit_discount": [f"Must not exceed unit_price ({unit_price})."]}
            )
        if unit_price * quantity > MAX_ORDER_AMOUNT:
            raise serializers.ValidationError(
                {"quantity": [f"unit_price × quantity must not exceed {MAX_ORDER_AMOUNT}."]}
            )
        attrs.update(
            product=product, unit_price=unit_price, unit_discount=unit_discount, quantity=quantity
        )
        return attrs


class InlineItemSerializer(OrderItemWriteSerializer):
    """An item inside `POST /api/orders/`: the product by `product` id or `product_code` (SKU)."""

    class Meta:
        list_serializer_class = PositionalErrorsListSerializer

    product = RelatedIdField(queryset=Product.objects.all(), required=False)
    product_code = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs):
        code = attrs.pop("product_code", None)
        if ("product" in attrs) == (code is not None):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        "Give exactly one of `product` (id) or `product_code` (SKU)."
                    ]
                }
            )
        if code is not None:
            product = Product.objects.filter(code=code).first()
            if product is None:
                raise serializers.ValidationError(
                    {"product_code": [f"No product with code {code!r}."]}
                )
            attrs["product"] = product
        return super().validate(attrs)


class OrderPaymentWriteSerializer(Serializer):
    read_only_keys = frozenset(PAYMENT_RESPONSE_KEYS)

    class Meta:
        list_serializer_class = PositionalErrorsListSerializer

    payment_method = active_row_field(PaymentMethod)
    amount = MoneyField(min_value=1, max_value=MAX_PAYMENT)
    approved = serializers.BooleanField(required=False)
    transaction_id = serializers.CharField(required=False, allow_blank=True, max_length=255)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)


class OrderWriteSerializer(Serializer):
    """Writable order fields (SPEC §5, §11); ids for relations. Feeds services.order_create/update.

    On create, `items` and `payments` may come inline and `customer` may be an object; the whole
    order is then made in one transaction (services.order_create)."""

    read_only_keys = frozenset(ORDER_RESPONSE_KEYS) - {"items", "payments"}

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    customer = CustomerReferenceField(required=False, allow_null=True)
    payment_method = active_row_field(PaymentMethod)
    shipping_method = active_row_field(ShippingMethod)
    shipping_cost = MoneyField(required=False)
    notes = optional_text(MAX_NOTES)
    extra = serializers.JSONField(required=False)
    billing_country = RelatedIdField(
        queryset=Country.objects.all(), required=False, allow_null=True
    )
    billing_state = RelatedIdField(queryset=State.objects.all(), required=False, allow_null=True)
    billing_city = RelatedIdField(queryset=City.objects.all(), required=False, allow_null=True)
    billing_address = optional_text(1_000)
    billing_postal_code = postal_code_field()
    billing_national_code = NormalizedCharField(
        normalizer=normalize_national_code, required=False, allow_null=True, max_length=40
    )
    billing_mobile_number = mobile_field()
    billing_first_name = optional_text(150)
    billing_last_name = optional_text(150)
    billing_email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)

    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices, required=False)
    pickup_branch = active_row_field(Branch)
    shipping_first_name = optional_text(150)
    shipping_last_name = optional_text(150)
    shipping_mobile_number = mobile_field()
    shipping_country = RelatedIdField(
        queryset=Country.objects.all(), required=False, allow_null=True
    )
    shipping_state = RelatedIdField(queryset=State.objects.all(), required=False, allow_null=True)
    shipping_city = RelatedIdField(queryset=City.objects.all(), required=False, allow_null=True)
    shipping_address = optional_text(1_000)
    shipping_postal_code = postal_code_field()
    shipping_latitude = coordinate_field(90)
    shipping_longitude = coordinate_field(180)
    shipping_same_as_billing = serializers.BooleanField(
        required=False, write_only=True, help_text="Copy the billing name, mobile and address."
    )

    items = InlineItemSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_ORDER)
    payments = OrderPaymentWriteSerializer(many=True, required=False, max_length=100)

    # SPEC §12
    coupon_code = CouponCodeField(
        rule_field="coupon_code",
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text='A coupon\'s code (ignoring case); null or "" removes the coupon.',
    )
    order_discount = MoneyField(
        required=False,
        help_text="A staff discount on the whole order; at most the goods after the coupon.",
    )
    tax_rate = TaxRateField(required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH),
        required=False,
        allow_null=True,
        max_length=MAX_TAGS,
        help_text="Labels, each 1–50 characters after trimming; a repeated one is kept once.",
    )

    def to_internal_value(self, data):
        if self.instance is not None and isinstance(data, dict):
            # Inline rows are a create-time convenience; afterwards they have their own endpoints.
            # A GET body PUT back carries them as read-only output: ignore them then.
            data = {k: v for k, v in data.items() if k not in {"items", "payments"}}
        return super().to_internal_value(data)

    def validate_extra(self, value):
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise serializers.ValidationError("`extra` must be a JSON object.")
        if len(orjson.dumps(value)) > MAX_EXTRA_BYTES:
            raise serializers.ValidationError(f"`extra` must be at most {MAX_EXTRA_BYTES} bytes.")
        return value

    def validate_tags(self, value):
        try:
            return clean_tags(value)
        except pricing.RuleError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate(self, attrs):
        instance: Order | None = self.instance
        if attrs.get("coupon_code") == "":
            attrs["coupon_code"] = None  # "" removes the coupon, as null does
        for name in TEXT_FIELDS:
            if attrs.get(name) == "":
                attrs[name] = None  # "absent values are null": an empty string is absent too

        def current(name: str):
            if name in attrs:
                return attrs[name]
            return getattr(instance, name) if instance is not None else None

        if attrs.pop("shipping_same_as_billing", False):
            given = [name for name in SHIPPING_ADDRESS_FIELDS if name in attrs]
            if given:
                raise serializers.ValidationError(
                    {name: ["Not with shipping_same_as_billing."] for name in given}
                )
            for billing, shipping in BILLING_TO_SHIPPING.items():
                attrs[shipping] = current(billing)

        errors: dict[str, list[str]] = {}
        for prefix in ("billing", "shipping"):
            country, state, city = (
                current(f"{prefix}_{part}") for part in ("country", "state", "city")
            )
            if state is not None and country is not None and state.country_id != country.pk:
                errors[f"{prefix}_state"] = [f"State {state.pk} is not in country {country.pk}."]
            if city is not None and state is not None and city.state_id != state.pk:
                errors[f"{prefix}_city"] = [f"City {city.pk} is not in state {state.pk}."]

        delivery = current("delivery_method") or DeliveryMethod.SHIPPING
        if delivery == DeliveryMethod.PICKUP:
            if current("pickup_branch") is None:
                errors["pickup_branch"] = ["Required when delivery_method is pickup."]
            for name in SHIPPING_ADDRESS_FIELDS:
                if attrs.get(name) is not None:
                    errors[name] = ["A pickup order takes no shipping address."]
                attrs[name] = None
        elif attrs.get("pickup_branch") is not None:
            errors["pickup_branch"] = ["Only for delivery_method pickup."]
        elif "delivery_method" in attrs:
            attrs["pickup_branch"] = None
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
