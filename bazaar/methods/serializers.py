from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from bazaar.accounts.serializers import MobileNumberField
from bazaar.api.relations import RelatedIdField
from bazaar.api.serializers import ModelSerializer
from bazaar.geo.models import City
from bazaar.media.serializers import ImageRelatedField
from bazaar.methods.models import (
    Branch,
    PaymentMethod,
    ShippingMethod,
    validate_tracking_url_template,
)

METHOD_FIELDS = ["id", "name", "image", "is_active"]


class PaymentMethodSerializer(ModelSerializer):
    """`{id, name, image, is_active}`; `image` written as an id, read as the image structure."""

    image = ImageRelatedField(
        allow_null=True, required=False, help_text="Write an image id; read the image structure."
    )

    class Meta:
        model = PaymentMethod
        fields = METHOD_FIELDS


class ShippingMethodSerializer(ModelSerializer):
    """`{id, name, image, is_active, tracking_url_template}`; `image` written as an id, read as
    the image structure."""

    image = ImageRelatedField(
        allow_null=True, required=False, help_text="Write an image id; read the image structure."
    )
    tracking_url_template = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=500,
        help_text="An https:// or http:// URL containing {tracking_number}; a shipment's "
        "tracking_url is made from it.",
    )

    class Meta:
        model = ShippingMethod
        fields = [*METHOD_FIELDS, "tracking_url_template"]

    def validate_tracking_url_template(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            validate_tracking_url_template(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class BranchSerializer(ModelSerializer):
    """`{id, name, code, address, city, mobile_number, is_active}`; city written and read as id."""

    city = RelatedIdField(queryset=City.objects.all(), required=False, allow_null=True)
    mobile_number = MobileNumberField(required=False, allow_blank=True)

    class Meta:
        model = Branch
        fields = ["id", "name", "code", "address", "city", "mobile_number", "is_active"]
