from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bazaar.api.fields import MoneyField, StrictIntegerField
from bazaar.api.limits import MAX_MONEY
from bazaar.api.serializers import ModelSerializer
from bazaar.coupons import rules
from bazaar.coupons.models import Coupon, CouponKind
from bazaar.orders.pricing import RuleError

MAX_USES = 2**31 - 1


@extend_schema_field(
    {
        "type": "string",
        "minLength": rules.CODE_MIN,
        "maxLength": rules.CODE_MAX,
        "pattern": rules.CODE_PATTERN,
        "description": "3–32 Latin letters, digits, '-' or '_'; unique ignoring case; stored "
        "and shown upper-case (Persian and Arabic-Indic digits are read as Latin).",
        "example": "NOROOZ1405",
    }
)
class CouponCodeField(serializers.CharField):
    """A coupon code, normalised by rules.normalize_code."""

    def __init__(self, *, rule_field: str = "code", **kwargs) -> None:
        self.rule_field = rule_field
        kwargs.setdefault("max_length", 64)  # before normalising: spaces around are trimmed
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return rules.normalize_code(super().to_internal_value(data), field=self.rule_field)
        except RuleError as exc:
            raise serializers.ValidationError(exc.message) from None


def use_limit_field(help_text: str) -> StrictIntegerField:
    return StrictIntegerField(
        min_value=1, max_value=MAX_USES, required=False, allow_null=True, help_text=help_text
    )


class CouponSerializer(ModelSerializer):
    """A coupon (SPEC §12). `uses` counts the orders holding it that are not cancelled, failed
    or deleted."""

    code = CouponCodeField()
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    value = StrictIntegerField(
        min_value=1,
        max_value=MAX_MONEY,
        help_text="percent: a whole number 1–100; fixed: an amount in the smallest currency unit.",
    )
    max_discount = MoneyField(
        required=False, allow_null=True, help_text="Caps a percent coupon's discount; null: none."
    )
    min_subtotal = MoneyField(
        required=False, help_text="The order's goods (items after their discounts) must reach it."
    )
    max_uses = use_limit_field("null: unlimited.")
    max_uses_per_customer = use_limit_field("null: unlimited. Guest orders are not limited by it.")
    uses = serializers.IntegerField(read_only=True)

    class Meta:
        model = Coupon
        fields = [
            "id", "code", "kind", "value", "max_discount", "min_subtotal", "max_uses",
            "max_uses_per_customer", "uses", "valid_from", "valid_to", "is_active",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def validate_code(self, code: str) -> str:
        taken = Coupon.objects.filter(code=code)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("A coupon with this code already exists.")
        return code

    def validate(self, attrs):
        def current(name: str):
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name, None)

        try:
            rules.check_terms(
                kind=current("kind"),
                value=current("value"),
                max_discount=current("max_discount"),
                valid_from=current("valid_from"),
                valid_to=current("valid_to"),
            )
        except RuleError as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        return attrs
