"""Images: decode for real, measure, make thumbnails, store; and delete with their files.

Everything that can refuse an upload (size, pixel count, format, decoding) runs before a single
byte is written, so a refused upload leaves no file and no row. Files written while storing are
removed again if anything fails before the transaction commits.
"""

import io
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from rest_framework.exceptions import ValidationError

from bazaar.api.errors import RequestTooLarge
from bazaar.media.models import THUMBNAIL_BOXES, Image, Thumbnail
from bazaar.media.selectors import image_queryset

logger = logging.getLogger(__name__)

# Formats a browser shows and Pillow decodes natively. Never EPS/PS (Ghostscript), PDF or the
# long tail of exotic decoders: untrusted input only reaches the well-trodden ones.
ALLOWED_FORMATS: dict[str, str] = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
    "TIFF": "tiff",
}
MAX_STEM_LENGTH = 80  # keeps "<stem>_<suffix>_thumbnail_1080x1080.jpg" well inside 255 bytes
MAX_NAME_LENGTH = 255
THUMBNAIL_JPEG_QUALITY = 85

NOT_AN_IMAGE = _(
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)
UNSUPPORTED_FORMAT = _(
    "Unsupported image format %(format)s. Allowed: JPEG, PNG, GIF, WEBP, BMP, TIFF."
)


@dataclass(frozen=True)
class PreparedThumbnail:
    box: int
    width: int
    height: int
    extension: str
    content: bytes


@dataclass(frozen=True)
class PreparedImage:
    """An upload that passed every check, with its thumbnails encoded; nothing written yet."""

    content: bytes
    extension: str
    content_type: str
    width: int
    height: int
    mode: str
    thumbnails: tuple[PreparedThumbnail, ...]


# --- names ---------------------------------------------------------------------------------------


def image_default_name(filename: str) -> str:
    """The client's file name without directories and extension: `C:\\x\\Logo.png` -> `Logo`."""
    base = os.path.basename(filename.replace("\\", "/"))
    stem, _ext = os.path.splitext(base)
    return (stem.strip() or base.strip() or "image")[:MAX_NAME_LENGTH]


def safe_file_stem(filename: str) -> str:
    """A storage-safe stem: no directories, no `..`, only word characters, dots and dashes."""
    stem = default_storage.get_valid_name(image_default_name(filename).replace(".", "_"))
    stem = stem.strip("._-")[:MAX_STEM_LENGTH]
    return stem or "image"


# --- decoding ------------------------------------------------------------------------------------


def human_readable_size(size: int) -> str:
    """1024 steps, two decimals: 512 -> "512.00 B", 4766 -> "4.65 KB", 808754 -> "789.80 KB"."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.2f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _open(content: bytes) -> PILImage.Image:
    return PILImage.open(io.BytesIO(content), formats=list(ALLOWED_FORMATS))


def _check_pixels(width: int, height: int) -> None:
    limit = settings.IMAGE_MAX_PIXELS
    if width * height > limit:
        raise RequestTooLarge(
            detail=_(
                "The image is %(width)s×%(height)s = %(pixels)s pixels; the limit is %(limit)s "
                "pixels."
            )
            % {"width": width, "height": height, "pixels": width * height, "limit": limit}
        )


def _thumbnail_source(image: PILImage.Image) -> tuple[PILImage.Image, str]:
    """The picture in a mode a thumbnail file can hold, and that file's format.

    Transparent pictures (RGBA, LA, PA, or a palette/greyscale with a transparent colour) give
    PNG thumbnails so that logos stay transparent; everything else gives RGB JPEGs (CMYK and
    YCbCr converted, 16-bit and float greyscale scaled down to 8 bits).
    """
    mode = image.mode
    if mode in {"I;16", "I;16L", "I;16B", "I;16N", "I"}:
        image = image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    elif mode == "F":
        low, high = image.getextrema()
        scale = 255 / (high - low) if high > low else 1
        image = image.point(lambda v: (v - low) * scale).convert("L")
    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
        image.mode in {"P", "L", "RGB", "1"} and "transparency" in image.info
    )
    if has_alpha:
        return image.convert("RGBA"), "PNG"
    if image.mode == "L":
        return image, "JPEG"
    return image.convert("RGB"), "JPEG"


def _encode(image: PILImage.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=THUMBNAIL_JPEG_QUALITY, optimize=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def image_prepare(*, content: bytes) -> PreparedImage:
    """Check and decode an upload and encode its thumbnails, in memory.

    Raises RequestTooLarge (413) over IMAGE_MAX_BYTES or IMAGE_MAX_PIXELS, and ValidationError
    `{"file": [...]}` (400) for anything Pillow cannot fully decode.
    """
    if len(content) > settings.IMAGE_MAX_BYTES:
        raise RequestTooLarge(
            detail=_("The file is %(size)s bytes; the limit for images is %(limit)s bytes.")
            % {"size": len(content), "limit": settings.IMAGE_MAX_BYTES}
        )
    if not content:
        raise ValidationError({"file": [_("The submitted file is empty.")]})
    try:
        # Pillow's own bomb guard warns above MAX_IMAGE_PIXELS and raises at twice that; both are
        # refusals here, and the configured, usually lower, IMAGE_MAX_PIXELS is checked from the
        # header before any pixel is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            probe = _open(content)
            fmt = probe.format or ""
            _check_pixels(*probe.size)
            probe.verify()
            picture = _open(content)
            picture.load()
            mode = picture.mode
            shown = ImageOps.exif_transpose(picture)
            source, thumb_format = _thumbnail_source(shown)
            thumbnails = []
            for box in THUMBNAIL_BOXES:
                if max(shown.size) <= box:
                    continue  # never upscaled: a 225 px picture gets 64 and 128 only
                thumb = source.copy()
                thumb.thumbnail((box, box), PILImage.Resampling.LANCZOS)
                thumbnails.append(
                    PreparedThumbnail(
                        box=box,
                        width=thumb.width,
                        height=thumb.height,
                        extension="png" if thumb_format == "PNG" else "jpg",
                        content=_encode(thumb, thumb_format),
                    )
                )
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise RequestTooLarge(
            detail=_("The image has too many pixels: %(reason)s") % {"reason": exc}
        ) from None
    except (RequestTooLarge, ValidationError):
        raise
    except UnidentifiedImageError:
        raise ValidationError({"file": [NOT_AN_IMAGE]}) from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on hostile input; all are 400
        logger.info("image refused: %s: %s", type(exc).__name__, exc)
        raise ValidationError({"file": [NOT_AN_IMAGE]}) from None
    if fmt not in ALLOWED_FORMATS:  # pragma: no cover - Image.open(formats=...) already refuses
        raise ValidationError({"file": [UNSUPPORTED_FORMAT % {"format": fmt or "?"}]})
    return PreparedImage(
        content=content,
        extension=ALLOWED_FORMATS[fmt],
        content_type=PILImage.MIME.get(fmt, "application/octet-stream"),
        width=shown.width,
        height=shown.height,
        mode=mode,
        thumbnails=tuple(thumbnails),
    )


# --- writes --------------------------------------------------------------------------------------


def read_upload(upload: File) -> bytes:
    """The upload's bytes, reading at most one byte past the limit (an oversize file is refused
    without being read into memory whole)."""
    limit = settings.IMAGE_MAX_BYTES
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise RequestTooLarge(
            detail=_("The file is %(size)s bytes; the limit for images is %(limit)s bytes.")
            % {"size": declared, "limit": limit}
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise RequestTooLarge(
            detail=_("The file is larger than the limit of %(limit)s bytes.") % {"limit": limit}
        )
    return content


def image_store(*, prepared: PreparedImage, filename: str, name: str, image: Image) -> Image:
    """Write a prepared image and its thumbnails: files and rows together or neither.

    `image` is an unsaved Image that receives the values (the admin passes its own instance).
    """
    written: list[str] = []
    storage: Storage = Image._meta.get_field("file").storage
    stem = safe_file_stem(filename)
    try:
        with transaction.atomic():
            image.name = name[:MAX_NAME_LENGTH]
            image.size = len(prepared.content)
            image.width, image.height = prepared.width, prepared.height
            image.mode = prepared.mode
            image.content_type = prepared.content_type
            image.created_at = timezone.now()
            image.file.save(
                f"{stem}.{prepared.extension}", ContentFile(prepared.content), save=False
            )
            written.append(image.file.name)
            image.save()
            stored_stem = os.path.splitext(os.path.basename(image.file.name))[0]
            for prepared_thumb in prepared.thumbnails:
                thumb = Thumbnail(
                    image=image,
                    size=prepared_thumb.box,
                    width=prepared_thumb.width,
                    height=prepared_thumb.height,
                )
                box = prepared_thumb.box
                thumb.file.save(
                    f"{stored_stem}_thumbnail_{box}x{box}.{prepared_thumb.extension}",
                    ContentFile(prepared_thumb.content),
                    save=False,
                )
                written.append(thumb.file.name)
                thumb.save()
    except BaseException:
        _delete_files(storage, written)
        image.pk = None
        raise
    return image


def image_create(*, upload: File, name: str | None = None) -> Image:
    """Decode, check and store an uploaded image with its thumbnails."""
    filename = upload.name or "image"
    prepared = image_prepare(content=read_upload(upload))
    name = (name or "").strip() or image_default_name(filename)
    image = image_store(prepared=prepared, filename=filename, name=name, image=Image())
    return image_queryset().get(pk=image.pk)


def image_update(*, image: Image, name: str) -> Image:
    """Rename an image. Its file never changes: a new picture is a new image."""
    image.name = name.strip()[:MAX_NAME_LENGTH]
    image.save(update_fields=["name"])
    return image


def image_delete(*, image: Image) -> None:
    """Delete an image and its thumbnails; their files go once the deletion commits.

    An image that a product or method uses raises ProtectedError (a 409) and nothing is touched.
    """
    storage: Storage = Image._meta.get_field("file").storage
    names = [image.file.name, *(t.file.name for t in Thumbnail.objects.filter(image=image))]
    with transaction.atomic():
        image.delete()
        transaction.on_commit(_files_remover(storage, names))


def _files_remover(storage: Storage, names: list[str]) -> Callable[[], None]:
    return lambda: _delete_files(storage, names)


def _delete_files(storage: Storage, names: list[str]) -> None:
    for file_name in names:
        if not file_name:
            continue
        try:
            storage.delete(file_name)
        except Exception:  # a stale file must never fail the request that cleans up
            logger.warning("could not delete media file %s", file_name, exc_info=True)
