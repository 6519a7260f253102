from django.db import models

from bazaar.api.text import search_text_field
from bazaar.media.models import Image


class Method(models.Model):
    name = models.CharField(max_length=100)
    image = models.ForeignKey(
        Image, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    # Folded for search (SPEC §16, bazaar.api.text); kept by the database on every write.
    search_text = search_text_field("name")

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PaymentMethod(Method):
    pass


class ShippingMethod(Method):
    pass


class Branch(models.Model):
    """A shop branch where customers pick orders up (delivery_method "pickup", SPEC §11)."""

    name = models.CharField(max_length=100)
    code = models.CharField(max_length=32, unique=True)
    address = models.TextField(blank=True, default="")
    city = models.ForeignKey(
        "geo.City", on_delete=models.PROTECT, null=True, blank=True, related_name="branches"
    )
    mobile_number = models.CharField(max_length=11, blank=True, default="")
    is_active = models.BooleanField(default=True)
    search_text = search_text_field("name", "code", "address")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
