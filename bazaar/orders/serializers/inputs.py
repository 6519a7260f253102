"""The order input serializers (SPEC §5, §6, §7, §11, §12): they validate a request, under the
rules the admin shares (bazaar.orders.rules), and feed the services."""

from decimal import ROUND_HALF_UP, Decimal

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bazaar.accounts.validators import (
    normalize_mobile,
    normalize_national_code,
    normalize_postal_code,
)
from bazaar.api.fields import MoneyField, StrictIntegerField
from bazaar.api.limits import (
    MAX_EXTRA_BYTES,
    MAX_ID,
    MAX_ITEMS_PER_ORDER,
    MAX_NOTES,
    MAX_PAYMENT,
    MAX_QUANTITY,
)
from bazaar.api.relations import RelatedIdField
from bazaar.api.serializers import PositionalErrorsListSerializer, Serializer
from bazaar.catalog.selectors import products_for_items
from bazaar.coupons.serializers import CouponCodeField
from bazaar.customers.models import Customer
from bazaar.geo.models import City, Country, State
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod
from bazaar.orders import pricing, rules
from bazaar.orders.models import DeliveryMethod, Order, OrderItem
from bazaar.orders.serializers.shapes import (
    ITEM_RESPONSE_KEYS,
    ORDER_RESPONSE_KEYS,
    PAYMENT_RESPONSE_KEYS,
)
from bazaar.orders.services import rule_errors
from bazaar.orders.status import Status
from bazaar.orders.tags import MAX_TAG_LENGTH, MAX_TAGS, clean_tags

__all__ = [
    "BILLING_TO_SHIPPING",
    "SHIPPING_ADDRESS_FIELDS",
    "TEXT_FIELDS",
    "ActiveRowField",
    "CoordinateField",
    "CustomerReferenceField",
    "InlineCustomerSerializer",
    "InlineItemSerializer",
    "NormalizedCharField",
    "OrderItemWriteSerializer",
    "OrderPaymentWriteSerializer",
    "OrderWriteSerializer",
    "TaxRateField",
    "active_row_field",
    "coordinate_field",
    "mobile_field",
    "optional_text",
    "postal_code_field",
]


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


class ActiveRowField(RelatedIdField):
    """The id of a row that must be active (methods, branches): rules.check_active, the rule the
    admin's order form checks too."""

    def to_internal_value(self, data):
        row = super().to_internal_value(data)
        try:
            rules.check_active(self.field_name, row)
        except rules.OrderRuleError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return row


def active_row_field(model) -> RelatedIdField:
    """An optional id of a row that must be active (methods, branches)."""
    return ActiveRowField(queryset=model.objects.all(), required=False, allow_null=True)


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


class OrderItemWriteSerializer(Serializer):
    """An item: on /api/orders/{id}/items/ (SPEC §6) and inline in an order (SPEC §11)."""

    read_only_keys = frozenset(ITEM_RESPONSE_KEYS) - {"product", "options"}

    product = RelatedIdField(queryset=products_for_items())
    unit_price = MoneyField(required=False)
    unit_discount = MoneyField(required=False)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    options = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=50,
        help_text="Ids of the chosen option values: one per group, every required group.",
    )

    def validate(self, attrs):
        item: OrderItem | None = self.instance
        if item is None and isinstance(attrs.get("product"), int):
            # The product by id alone (IDS_ONLY): the write reads it with the order's lock and
            # applies `rules.new_item_terms` itself (`services.item_add`).
            return attrs
        product = attrs.get("product") or item.product
        if item is not None and "product" in attrs and attrs["product"].pk != item.product_id:
            raise serializers.ValidationError(
                {"product": ["An item's product cannot change; delete it and add a new item."]}
            )
        if item is not None and "options" in attrs and attrs["options"] != item.options:
            raise serializers.ValidationError(
                {"options": ["An item's options cannot change; delete it and add a new item."]}
            )
        with rule_errors():  # the rules the admin's item form checks too (orders.rules)
            if item is None:
                return rules.new_item_terms(product, attrs)
            attrs.pop("options", None)
            unit_price = attrs.get("unit_price", item.unit_price)
            unit_discount = attrs.get("unit_discount", item.unit_discount)
            quantity = attrs.get("quantity", item.quantity)
            rules.check_unit_discount(unit_discount, unit_price)
            rules.check_line_amount(unit_price, quantity)
        attrs.update(
            product=product, unit_price=unit_price, unit_discount=unit_discount, quantity=quantity
        )
        return attrs


class InlineItemSerializer(OrderItemWriteSerializer):
    """An item inside `POST /api/orders/`: the product by `product` id or `product_code` (SKU)."""

    class Meta:
        list_serializer_class = PositionalErrorsListSerializer

    product = RelatedIdField(queryset=products_for_items(), required=False)
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
            product = products_for_items().filter(code=code).first()
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

        # The rules the admin's order form checks too (orders.rules), every refusal reported.
        errors = rules.place_and_delivery_errors(
            current,
            branch_given="pickup_branch" in attrs,
            address_given=[name for name in SHIPPING_ADDRESS_FIELDS if name in attrs],
        )
        if (current("delivery_method") or DeliveryMethod.SHIPPING) == DeliveryMethod.PICKUP:
            for name in SHIPPING_ADDRESS_FIELDS:
                attrs[name] = None
        elif "delivery_method" in attrs:
            attrs["pickup_branch"] = None
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
