"""Reads of images, shaped for the API: every image comes with its thumbnails in one query."""

from django.db.models import Prefetch, QuerySet

from bazaar.media.models import Image, Thumbnail


def thumbnails_prefetch(lookup: str = "thumbnails") -> Prefetch:
    """Prefetch an image's thumbnails, smallest box first.

    `lookup` reaches them from another model: `thumbnails_prefetch("image__thumbnails")`.
    """
    return Prefetch(lookup, queryset=Thumbnail.objects.order_by("size", "id"))


def image_queryset() -> QuerySet[Image]:
    """Images with their thumbnails, ready for `image_data`."""
    return Image.objects.prefetch_related(thumbnails_prefetch())
