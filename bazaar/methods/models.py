from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
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


TRACKING_PLACEHOLDER = "{tracking_number}"


def validate_tracking_url_template(value: str) -> None:
    """SPEC §14: an http(s) URL that contains `{tracking_number}` (checked as a URL with the
    placeholder filled in, since braces are not URL characters)."""
    if TRACKING_PLACEHOLDER not in value:
        raise ValidationError(
            _("The template must contain %(placeholder)s."),
            code="no_placeholder",
            params={"placeholder": TRACKING_PLACEHOLDER},
        )
    try:
        URLValidator(schemes=["http", "https"])(value.replace(TRACKING_PLACEHOLDER, "X123"))
    except ValidationError:
        raise ValidationError(_("Enter an https:// or http:// URL."), code="invalid_url") from None


class ShippingMethod(Method):
    # SPEC §14: a shipment's tracking_url is this with its tracking number filled in.
    tracking_url_template = models.CharField(
        verbose_name=_("tracking URL template"),
        max_length=500,
        null=True,
        blank=True,
        validators=[validate_tracking_url_template],
        help_text=_("e.g. https://tracking.example.com/{tracking_number}"),
    )

    class Meta(Method.Meta):
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")

    def tracking_url(self, tracking_number: str | None) -> str | None:
        if not tracking_number or not self.tracking_url_template:
            return None
        return self.tracking_url_template.replace(
            TRACKING_PLACEHOLDER, quote(tracking_number, safe="")
        )


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
