from django.db import models
from django.utils.translation import gettext_lazy as _

from bazaar.api.text import search_text_field
from bazaar.media.models import Image


class Product(models.Model):
    code = models.CharField(verbose_name=_("code"), max_length=64, unique=True, help_text=_("SKU"))
    slug = models.SlugField(verbose_name=_("slug"), max_length=255, unique=True, allow_unicode=True)
    title = models.CharField(verbose_name=_("title"), max_length=255)
    price = models.BigIntegerField(
        verbose_name=_("price"), help_text=_("smallest currency unit (rial)")
    )
    image = models.ForeignKey(
        Image,
        verbose_name=_("image"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    # Folded for search (SPEC §16, bazaar.api.text); kept by the database on every write.
    search_text = search_text_field("code", "slug", "title")

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class ProductOptionGroup(models.Model):
    """A choice a buyer makes for a product, e.g. "رنگ" (colour); SPEC §11."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="options"
    )
    name = models.CharField(verbose_name=_("name"), max_length=100)
    required = models.BooleanField(verbose_name=_("required"), default=False)
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)

    class Meta:
        verbose_name = _("product option group")
        verbose_name_plural = _("product option groups")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.name}"


class ProductOptionValue(models.Model):
    """One value of a group with its integer price delta (may be negative)."""

    group = models.ForeignKey(
        ProductOptionGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="values"
    )
    name = models.CharField(verbose_name=_("name"), max_length=100)
    price_delta = models.BigIntegerField(verbose_name=_("price delta"), default=0)
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)

    class Meta:
        verbose_name = _("product option value")
        verbose_name_plural = _("product option values")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.price_delta:+})"
