from django.db import models

from bazaar.api.text import search_text_field

THUMBNAIL_BOXES: tuple[int, ...] = (64, 128, 512, 1080)


def image_upload_to(instance: "Image", filename: str) -> str:
    return f"core_media/{instance.created_at:%Y/%m/%d}/{filename}"


def thumbnail_upload_to(instance: "Thumbnail", filename: str) -> str:
    return f"core_media/{instance.image.created_at:%Y/%m/%d}/thumbnails/{filename}"


class Image(models.Model):
    """An uploaded picture, decoded and measured on upload (the source's Image Data Structure)."""

    name = models.CharField(max_length=255)
    file = models.ImageField(upload_to=image_upload_to, max_length=255)
    size = models.PositiveBigIntegerField(help_text="bytes")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mode = models.CharField(
        max_length=16, help_text="Pillow colour mode: RGB, RGBA, CMYK, L, P ..."
    )
    content_type = models.CharField(max_length=50, default="image/jpeg")
    created_at = models.DateTimeField()
    # Folded for search (SPEC §16, bazaar.api.text); kept by the database on every write.
    search_text = search_text_field("name")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class Thumbnail(models.Model):
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="thumbnails")
    file = models.ImageField(upload_to=thumbnail_upload_to, max_length=255)
    size = models.PositiveIntegerField(
        help_text="the edge of the box it fits in: 64, 128, 512, 1080"
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["size"]
        constraints = [
            models.UniqueConstraint(fields=["image", "size"], name="one_thumbnail_per_box")
        ]

    def __str__(self) -> str:
        return f"{self.image} {self.size}px"
