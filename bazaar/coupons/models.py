from django.db import models
from django.utils.translation import gettext_lazy as _

from bazaar.api.models import Timestamped
from bazaar.orders import pricing


class CouponKind(models.TextChoices):
    PERCENT = pricing.PERCENT, _("Percent")
    FIXED = pricing.FIXED, _("Fixed amount")


class Coupon(Timestamped):
    """A discount code (SPEC §12). Orders keep the terms they were given (`Order.coupon_*`), so
    editing a coupon changes only the orders it is applied to afterwards."""

    # Stored upper-case with ASCII digits (rules.normalize_code), so a plain unique index makes
    # codes unique ignoring case, and every lookup is an exact match on it.
    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CouponKind.choices)
    value = models.BigIntegerField(_("value"), help_text=_("A percentage 1–100, or an amount."))
    max_discount = models.BigIntegerField(_("maximum discount"), null=True, blank=True)
    min_subtotal = models.BigIntegerField(_("minimum subtotal"), default=0)
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(
        _("maximum uses per customer"), null=True, blank=True
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")

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
