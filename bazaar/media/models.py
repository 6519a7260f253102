from django.db import models
from django.utils.translation import gettext_lazy as _

from bazaar.api.text import search_text_field

THUMBNAIL_BOXES: tuple[int, ...] = (64, 128, 512, 1080)


def image_upload_to(instance: "Image", filename: str) -> str:
    return f"core_media/{instance.created_at:%Y/%m/%d}/{filename}"


def thumbnail_upload_to(instance: "Thumbnail", filename: str) -> str:
    return f"core_media/{instance.image.created_at:%Y/%m/%d}/thumbnails/{filename}"


class Image(models.Model):
    """An uploaded picture, decoded and measured on upload (the source's Image Data Structure)."""

    name = models.CharField(verbose_name=_("name"), max_length=255)
    file = models.ImageField(verbose_name=_("file"), upload_to=image_upload_to, max_length=255)
    size = models.PositiveBigIntegerField(verbose_name=_("size"), help_text=_("bytes"))
    width = models.PositiveIntegerField(verbose_name=_("width"))
    height = models.PositiveIntegerField(verbose_name=_("height"))
    mode = models.CharField(
        verbose_name=_("mode"),
        max_length=16,
        help_text=_("Pillow colour mode: RGB, RGBA, CMYK, L, P ..."),
    )
    content_type = models.CharField(
        verbose_name=_("content type"), max_length=50, default="image/jpeg"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    # Folded for search (SPEC §16, bazaar.api.text); kept by the database on every write.
    search_text = search_text_field("name")

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class Thumbnail(models.Model):
    image = models.ForeignKey(
        Image, verbose_name=_("image"), on_delete=models.CASCADE, related_name="thumbnails"
    )
    file = models.ImageField(verbose_name=_("file"), upload_to=thumbnail_upload_to, max_length=255)
    size = models.PositiveIntegerField(
        verbose_name=_("size"), help_text=_("the edge of the box it fits in: 64, 128, 512, 1080")
    )
    width = models.PositiveIntegerField(verbose_name=_("width"))
    height = models.PositiveIntegerField(verbose_name=_("height"))

    class Meta:
        verbose_name = _("thumbnail")
        verbose_name_plural = _("thumbnails")
        ordering = ["size"]
        constraints = [
            models.UniqueConstraint(fields=["image", "size"], name="one_thumbnail_per_box")
        ]

    def __str__(self) -> str:
        return f"{self.image} {self.size}px"
