from django.db import models

from bazaar.api.text import search_text_field
from bazaar.media.models import Image


class Product(models.Model):
    code = models.CharField(max_length=64, unique=True, help_text="SKU")
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=True)
    title = models.CharField(max_length=255)
    price = models.BigIntegerField(help_text="smallest currency unit (rial)")
    image = models.ForeignKey(
        Image, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Folded for search (SPEC §16, bazaar.api.text); kept by the database on every write.
    search_text = search_text_field("code", "slug", "title")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class ProductOptionGroup(models.Model):
    """A choice a buyer makes for a product, e.g. "رنگ" (colour); SPEC §11."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(max_length=100)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.name}"


class ProductOptionValue(models.Model):
    """One value of a group with its integer price delta (may be negative)."""

    group = models.ForeignKey(ProductOptionGroup, on_delete=models.CASCADE, related_name="values")
    name = models.CharField(max_length=100)
    price_delta = models.BigIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.price_delta:+})"
