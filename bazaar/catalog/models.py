from django.db import models

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

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"
