from django.db import models

from bazaar.api.models import Timestamped
from bazaar.orders import pricing


class CouponKind(models.TextChoices):
    PERCENT = pricing.PERCENT
    FIXED = pricing.FIXED


class Coupon(Timestamped):
    """A discount code (SPEC §12). Orders keep the terms they were given (`Order.coupon_*`), so
    editing a coupon changes only the orders it is applied to afterwards."""

    # Stored upper-case with ASCII digits (rules.normalize_code), so a plain unique index makes
    # codes unique ignoring case, and every lookup is an exact match on it.
    code = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=CouponKind.choices)
    value = models.BigIntegerField(help_text="A percentage 1–100, or an amount.")
    max_discount = models.BigIntegerField(null=True, blank=True)
    min_subtotal = models.BigIntegerField(default=0)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.code

    @property
    def terms(self) -> pricing.CouponTerms:
        return pricing.CouponTerms(
            kind=self.kind,
            value=self.value,
            max_discount=self.max_discount,
            min_subtotal=self.min_subtotal,
        )
