from django.db import models
from django.utils.translation import gettext_lazy as _

from bazaar.api.text import search_text_field
from bazaar.media.models import Image


class Method(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=100)
    image = models.ForeignKey(
        Image,
        verbose_name=_("image"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    # Folded for search (SPEC §16, bazaar.api.text); kept by the database on every write.
    search_text = search_text_field("name")

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PaymentMethod(Method):
    class Meta(Method.Meta):
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")


class ShippingMethod(Method):
    class Meta(Method.Meta):
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")


class Branch(models.Model):
    """A shop branch where customers pick orders up (delivery_method "pickup", SPEC §11)."""

    name = models.CharField(verbose_name=_("name"), max_length=100)
    code = models.CharField(verbose_name=_("code"), max_length=32, unique=True)
    address = models.TextField(verbose_name=_("address"), blank=True, default="")
    city = models.ForeignKey(
        "geo.City",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
    )
    mobile_number = models.CharField(
        verbose_name=_("mobile number"), max_length=11, blank=True, default=""
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    search_text = search_text_field("name", "code", "address")

    class Meta:
        ordering = ["id"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
