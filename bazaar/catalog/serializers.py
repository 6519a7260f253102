from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from bazaar.api.fields import MoneyField
from bazaar.api.limits import MAX_MONEY
from bazaar.api.serializers import ModelSerializer
from bazaar.catalog.models import Product, ProductOptionGroup, ProductOptionValue
from bazaar.catalog.services import product_create, product_update
from bazaar.media.serializers import ImageRelatedField


class ProductOptionValueSerializer(ModelSerializer):
    price_delta = MoneyField(
        min_value=-MAX_MONEY, max_value=MAX_MONEY, required=False, help_text="May be negative."
    )

    class Meta:
        model = ProductOptionValue
        fields = ["id", "name", "price_delta"]


class ProductOptionGroupSerializer(ModelSerializer):
    values = ProductOptionValueSerializer(many=True, min_length=1, max_length=100)

    class Meta:
        model = ProductOptionGroup
        fields = ["id", "name", "required", "values"]


class ProductSerializer(ModelSerializer):
    """A product; `image` is written as an image id and read as the image structure."""

    code = serializers.CharField(
        max_length=64,
        help_text="The SKU; unique.",
        validators=[
            UniqueValidator(
                Product.objects.all(), message="A product with this code already exists."
            )
        ],
    )
    slug = serializers.SlugField(
        max_length=255,
        allow_unicode=True,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Unique. Defaults to the title slugified with Unicode kept (-2, -3 ... when "
        "taken); blank or null makes it again from the title.",
        validators=[
            UniqueValidator(
                Product.objects.all(), message="A product with this slug already exists."
            )
        ],
    )
    price = MoneyField(
        min_value=0, max_value=MAX_MONEY, help_text="Integer, smallest currency unit (rial)."
    )
    image = ImageRelatedField(
        allow_null=True, required=False, help_text="Write an image id; read the image structure."
    )
    options = ProductOptionGroupSerializer(
        many=True,
        required=False,
        max_length=50,
        help_text="Option groups with their values. Written whole: the list sent "
        "replaces the product's options.",
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "slug",
            "title",
            "price",
            "image",
            "is_active",
            "created_at",
            "updated_at",
            "options",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        """`price + Σ deltas` is never below 0, whatever the buyer chooses: the cheapest choice
        is the most negative value of each required group and of each optional one below 0."""
        price = attrs.get("price", getattr(self.instance, "price", 0))
        if "options" in attrs:
            groups = [
                (
                    g.get("required", False),
                    [v.get("price_delta", 0) for v in g["values"]],
                )
                for g in attrs["options"]
            ]
        elif self.instance is not None:
            groups = [
                (group.required, [value.price_delta for value in group.values.all()])
                for group in self.instance.options.all()
            ]
        else:
            groups = []
        cheapest = price + sum(
            min(deltas) if required else min(0, *deltas) for required, deltas in groups
        )
        if cheapest < 0:
            raise serializers.ValidationError(
                {"options": [f"Some choice of options makes the price negative ({cheapest})."]}
            )
        return attrs

    def create(self, validated_data) -> Product:
        return product_create(**validated_data)

    def update(self, instance: Product, validated_data) -> Product:
        return product_update(product=instance, **validated_data)
