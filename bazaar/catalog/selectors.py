"""Reads of products, shaped for the API."""

from django.db.models import Exists, OuterRef, QuerySet

from bazaar.catalog.models import Product, ProductOptionGroup
from bazaar.media.selectors import thumbnails_prefetch


def product_queryset() -> QuerySet[Product]:
    """Products with image and thumbnails (three queries for any page size)."""
    return Product.objects.select_related("image").prefetch_related(
        thumbnails_prefetch("image__thumbnails"), "options__values"
    )


def products_for_items() -> QuerySet[Product]:
    """Products as an item write reads them, in one query: with the image its snapshot keeps
    and `has_option_groups`, so that a product without options costs no look-up of them
    (`orders.rules.resolve_options`)."""
    groups = ProductOptionGroup.objects.filter(product=OuterRef("pk"))
    return Product.objects.select_related("image").annotate(has_option_groups=Exists(groups))
