"""Images made for real: a Pillow-drawn picture uploaded through `image_create`, so the file, its
thumbnails and the measured fields are what an API upload would give."""

import io
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from bazaar.media.models import Image
from bazaar.media.services import image_create


def image_bytes(
    *,
    width: int = 200,
    height: int = 100,
    mode: str = "RGB",
    color: Any = "red",
    fmt: str = "PNG",
    **save_kwargs: Any,
) -> bytes:
    """A picture encoded in memory: `image_bytes(width=225, height=150, fmt="JPEG")`."""
    buffer = io.BytesIO()
    PILImage.new(mode, (width, height), color).save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()


def image_upload(
    filename: str = "picture.png", content: bytes | None = None, **kwargs: Any
) -> SimpleUploadedFile:
    """An uploaded-file object, as a multipart request or a test client would deliver it."""
    if content is None:
        content = image_bytes(**kwargs)
    return SimpleUploadedFile(filename, content)


class ImageFactory(factory.django.DjangoModelFactory):
    """`ImageFactory()` -> a stored 200×100 PNG with 64 and 128 px thumbnails.

    `ImageFactory(width=1920, height=1080, fmt="JPEG")` gives all four thumbnails.
    """

    name = factory.Sequence(lambda n: f"image {n}")
    width = 200
    height = 100
    color = "red"
    fmt = "PNG"

    class Meta:
        model = Image

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("ImageFactory stores a real file: use create(), not build().")

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Image:
        fmt = kwargs.pop("fmt")
        extension = {"JPEG": "jpg"}.get(fmt, fmt.lower())
        upload = image_upload(
            f"{kwargs['name']}.{extension}",
            width=kwargs.pop("width"),
            height=kwargs.pop("height"),
            color=kwargs.pop("color"),
            fmt=fmt,
        )
        return image_create(upload=upload, name=kwargs.pop("name"))
