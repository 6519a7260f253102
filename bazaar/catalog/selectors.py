"""Reads of products, shaped for the API."""

from django.db.models import QuerySet

from bazaar.catalog.models import Product
from bazaar.media.selectors import thumbnails_prefetch


def product_queryset() -> QuerySet[Product]:
    """Products with image and thumbnails (three queries for any page size)."""
    return Product.objects.select_related("image").prefetch_related(
        thumbnails_prefetch("image__thumbnails"), "options__values"
    )


def product_slug_taken(*, slug: str, exclude_pk: int | None = None) -> bool:
    clash = Product.objects.filter(slug=slug)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()
