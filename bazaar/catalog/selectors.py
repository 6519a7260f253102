"""Reads of products, shaped for the API."""

from django.db.models import QuerySet

from bazaar.catalog.models import Product
from bazaar.media.selectors import thumbnails_prefetch


def product_queryset() -> QuerySet[Product]:
    """Products with image and thumbnails (three queries for any page size)."""
    return Product.objects.select_related("image").prefetch_related(
        thumbnails_prefetch("image__thumbnails"), "options__values"
    )
