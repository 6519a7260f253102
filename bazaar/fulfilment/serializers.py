"""Input of the shipment and refund endpoints (SPEC §14). Their output shapes are part of the
order shape and live with it (`bazaar.orders.serializers.shipment_data` / `refund_data`)."""

from django.core.validators import URLValidator
from rest_framework import serializers

from bazaar.accounts.validators import to_ascii_digits
from bazaar.api.fields import MoneyField, StrictIntegerField
from bazaar.api.limits import MAX_ID, MAX_ITEMS_PER_ORDER, MAX_NOTES, MAX_PAYMENT, MAX_QUANTITY
from bazaar.api.serializers import PositionalErrorsListSerializer, Serializer
from bazaar.fulfilment.models import ShipmentStatus
from bazaar.methods.models import ShippingMethod
from bazaar.orders.serializers import (
    REFUND_RESPONSE_KEYS,
    SHIPMENT_RESPONSE_KEYS,
    active_row_field,
)


class LineSerializer(Serializer):
    """`{item, quantity}`: an item of the order and how many of it."""

    class Meta:
        list_serializer_class = PositionalErrorsListSerializer

    item = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="An item of this order.")
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class HttpURLField(serializers.CharField):
    """An https:// or http:// URL."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators.append(URLValidator(schemes=["http", "https"]))


class ShipmentWriteSerializer(Serializer):
    read_only_keys = frozenset(SHIPMENT_RESPONSE_KEYS) - {"items"}

    status = serializers.ChoiceField(
        choices=ShipmentStatus.choices,
        required=False,
        help_text="pending → shipped → delivered; pending or shipped → cancelled. A shipment "
        "is created as pending (default) or shipped.",
    )
    shipping_method = active_row_field(ShippingMethod)
    tracking_number = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=100
    )
    tracking_url = HttpURLField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=1000,
        help_text="Default: the shipping method's tracking_url_template with the number in it.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    items = LineSerializer(
        many=True,
        required=False,
        min_length=1,
        max_length=MAX_ITEMS_PER_ORDER,
        help_text="Omitted on create: every quantity not yet in a shipment. Fixed afterwards.",
    )

    def validate_tracking_number(self, value: str | None) -> str | None:
        # Latin digits, as SPEC §8 stores numbers, so the list's filter and search find it.
        return to_ascii_digits(value.strip()) or None if value else None


class RefundWriteSerializer(Serializer):
    read_only_keys = frozenset(REFUND_RESPONSE_KEYS) - {"payment", "amount", "reason", "items"}

    payment = StrictIntegerField(
        min_value=1, max_value=MAX_ID, help_text="An approved payment of this order."
    )
    amount = MoneyField(
        min_value=1,
        max_value=MAX_PAYMENT,
        required=False,
        help_text="Default: Σ (unit_price − unit_discount) × returned quantity of `items`.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    items = LineSerializer(
        many=True,
        required=False,
        max_length=MAX_ITEMS_PER_ORDER,
        help_text="The returned quantities.",
    )
