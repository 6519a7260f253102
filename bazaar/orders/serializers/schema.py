"""The order output shapes declared for the OpenAPI schema only: responses are built by the
functions of `bazaar.orders.serializers.shapes`, never by these classes."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bazaar.api.serializers import Serializer
from bazaar.coupons.models import CouponKind
from bazaar.fulfilment.models import ShipmentStatus
from bazaar.media.serializers import ImageSerializer
from bazaar.orders.models import DeliveryMethod, FulfilmentStatus, OrderSource
from bazaar.orders.status import Status

__all__ = [
    "TAX_RATE_PATTERN",
    "BranchDataSerializer",
    "CityDataSerializer",
    "CouponDataSerializer",
    "CustomerDataSerializer",
    "DiscountLineSerializer",
    "JSONObjectField",
    "MethodDataSerializer",
    "OrderItemSerializer",
    "OrderPaymentSerializer",
    "OrderSerializer",
    "PlaceDataSerializer",
    "RefundSerializer",
    "ShipmentSerializer",
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
    quantity_shipped = serializers.IntegerField(
        help_text="In shipments that are shipped or delivered."
    )
    quantity_returned = serializers.IntegerField(help_text="Returned over all refunds.")


class OrderPaymentSerializer(Serializer):
    id = serializers.IntegerField()
    payment_method_data = MethodDataSerializer(allow_null=True)
    approved = serializers.BooleanField()
    amount = serializers.IntegerField()
    transaction_id = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class FulfilmentLineSerializer(Serializer):
    item = serializers.IntegerField(help_text="An item of this order.")
    quantity = serializers.IntegerField(min_value=1)


class ShipmentSerializer(Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ShipmentStatus.choices)
    shipping_method = serializers.IntegerField(allow_null=True)
    shipping_method_data = MethodDataSerializer(allow_null=True)
    tracking_number = serializers.CharField(allow_null=True)
    tracking_url = serializers.CharField(allow_null=True)
    items = FulfilmentLineSerializer(many=True)
    notes = serializers.CharField(allow_blank=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RefundActorSerializer(Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class RefundSerializer(Serializer):
    id = serializers.IntegerField()
    payment = serializers.IntegerField(help_text="The approved payment refunded.")
    amount = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)
    items = FulfilmentLineSerializer(many=True, help_text="The returned quantities.")
    actor = RefundActorSerializer(allow_null=True, help_text="Who made the refund.")
    created_at = serializers.DateTimeField()


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
    fulfilment_status = serializers.ChoiceField(choices=FulfilmentStatus.choices)
    amount_refunded = serializers.IntegerField(help_text="The sum of the refunds.")
    net_paid = serializers.IntegerField(help_text="amount_paid − amount_refunded.")
    shipments = ShipmentSerializer(many=True)
    refunds = RefundSerializer(many=True)
