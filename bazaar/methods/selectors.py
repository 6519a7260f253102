"""Reads of payment and shipping methods, each with its image and thumbnails in fixed queries."""

from django.db.models import QuerySet

from bazaar.media.selectors import thumbnails_prefetch
from bazaar.methods.models import PaymentMethod, ShippingMethod


def payment_method_queryset() -> QuerySet[PaymentMethod]:
    """Payment methods with image and thumbnails (three queries for any page size)."""
    return PaymentMethod.objects.select_related("image").prefetch_related(
        thumbnails_prefetch("image__thumbnails")
    )


def shipping_method_queryset() -> QuerySet[ShippingMethod]:
    """Shipping methods with image and thumbnails (three queries for any page size)."""
    return ShippingMethod.objects.select_related("image").prefetch_related(
        thumbnails_prefetch("image__thumbnails")
    )
