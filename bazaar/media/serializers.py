"""The source's "Image Data Structure", built fast enough to nest in every order of a list page.

`image_data(image, request)` is the one way to render an image; `ImageSerializer` describes the
same shape for the OpenAPI schema, and `ImageRelatedField` lets other resources write an image
as an id and read it as that structure.
"""

from collections.abc import Callable
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage
from django.utils.encoding import filepath_to_uri
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from bazaar.api.relations import RelatedIdField
from bazaar.api.serializers import Serializer
from bazaar.media.models import Image, Thumbnail
from bazaar.media.services import MAX_NAME_LENGTH, human_readable_size


def _absolute(url: str, request) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def url_prefix(storage: Storage, request) -> str | None:
    """The absolute base every file URL of `storage` starts with (ending with "/"), or None
    where a storage's URLs are not its base + the path: the file system storage's `url` is
    `urljoin(base_url, filepath_to_uri(path))`, a custom storage's may be anything."""
    # `storage.url`, not the type's: the default storage is a lazy proxy to the real one.
    if getattr(storage.url, "__func__", None) is not FileSystemStorage.url or not storage.base_url:
        return None
    return _absolute(storage.base_url, request)


def image_url_prefix(request) -> str | None:
    """`url_prefix` of the images' storage."""
    return url_prefix(Image._meta.get_field("file").storage, request)


def _url_maker(prefix: str | None, storage: Storage, request) -> Callable[[str], str]:
    """`path -> _absolute(storage.url(path), request)`. Where the storage has a prefix
    (`url_prefix`) each path is appended to it: `urljoin` and `build_absolute_uri` per file
    were ~20 % of a page of 100 orders, which shows a few hundred pictures."""
    if prefix is not None:
        return lambda path: prefix + filepath_to_uri(path).lstrip("/")
    return lambda path: _absolute(storage.url(path), request)


def _memoised(url_of: Callable[[str], str]) -> Callable[[str], str]:
    urls: dict[str, str] = {}

    def url(path: str) -> str:
        found = urls.get(path)
        if found is None:
            found = urls[path] = url_of(path)
        return found

    return url


class FileURLs:
    """The absolute URLs of images (`image(path)`) and thumbnails (`thumbnail(path)`) in one
    response, each path's built once: a page of orders names the same few product pictures in
    hundreds of items."""

    def __init__(self, request) -> None:
        images = Image._meta.get_field("file").storage
        thumbnails = Thumbnail._meta.get_field("file").storage
        self.image = _memoised(_url_maker(url_prefix(images, request), images, request))
        self.thumbnail = _memoised(_url_maker(url_prefix(thumbnails, request), thumbnails, request))


def image_data(image: Image | None, request) -> dict[str, Any] | None:
    """`{id, type, name, size, human_readable_size, f, width, height, mode, thumbnails}`.

    Expects `thumbnails` prefetched (`bazaar.media.selectors.thumbnails_prefetch`); sorts them by
    box edge in Python so any prefetch order gives the same output. `f` URLs are absolute when a
    request is given.
    """
    if image is None:
        return None
    thumbnails = sorted(image.thumbnails.all(), key=lambda t: (t.size, t.pk))
    row = {
        "id": image.pk,
        "name": image.name,
        "file": image.file.name,
        "size": image.size,
        "width": image.width,
        "height": image.height,
        "mode": image.mode,
        "thumbnails": [{"id": t.pk, "file": t.file.name, "size": t.size} for t in thumbnails],
    }
    return image_row_data(row, request)


def image_row_data(row: dict[str, Any], request, urls: FileURLs | None = None) -> dict[str, Any]:
    """`image_data` of an image read as a plain row (`bazaar.orders.selectors.images_by_id`):
    `{id, name, file, size, width, height, mode, thumbnails: [{id, file, size}]}`, the files
    as their paths in storage, thumbnails smallest box first. `urls`: the response's URLs."""
    if urls is None:
        urls = FileURLs(request)
    return {
        "id": row["id"],
        "type": "image",
        "name": row["name"],
        "size": row["size"],
        "human_readable_size": human_readable_size(row["size"]),
        "f": urls.image(row["file"]),
        "width": row["width"],
        "height": row["height"],
        "mode": row["mode"],
        "thumbnails": [
            {"id": t["id"], "f": urls.thumbnail(t["file"]), "size": t["size"]}
            for t in row["thumbnails"]
        ],
    }


def image_snapshot(image: Image) -> dict[str, Any]:
    """The image as an order item's snapshot stores it (SPEC §6): the image structure without
    thumbnails, with `f` the file's path in storage rather than a URL. A URL would record the
    Host header of whoever made the item (a forged one included); the path is the same
    whoever asks, and `image_snapshot_data` turns it into the URL when the item is read."""
    return {
        "id": image.pk,
        "type": "image",
        "name": image.name,
        "size": image.size,
        "human_readable_size": human_readable_size(image.size),
        "f": image.file.name,
        "width": image.width,
        "height": image.height,
        "mode": image.mode,
    }


def image_snapshot_data(
    snapshot: dict[str, Any] | None, request, urls: FileURLs | None = None
) -> dict[str, Any] | None:
    """A stored snapshot image as the API shows it: `f` an absolute URL, built as `image_data`
    builds every other image's (the same storage, the same request), with no query. `urls` is
    kept by the caller for one response."""
    if not snapshot or not snapshot.get("f"):
        return snapshot
    if urls is None:
        urls = FileURLs(request)
    return {**snapshot, "f": urls.image(snapshot["f"])}


class ThumbnailSerializer(Serializer):
    """`{id, f, size}`: `size` is the box edge, as in the source examples."""

    id = serializers.IntegerField(read_only=True)
    f = serializers.URLField(read_only=True, help_text="Absolute URL of the thumbnail file.")
    size = serializers.IntegerField(
        read_only=True, help_text="Edge of the box the thumbnail fits in: 64, 128, 512 or 1080."
    )


class ImageSerializer(Serializer):
    """The Image Data Structure (read-only); renders through `image_data`."""

    id = serializers.IntegerField(read_only=True)
    type = serializers.CharField(read_only=True, help_text='Always "image".')
    name = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="File size in bytes.")
    human_readable_size = serializers.CharField(read_only=True, help_text='e.g. "789.80 KB"')
    f = serializers.URLField(read_only=True, help_text="Absolute URL of the original file.")
    width = serializers.IntegerField(read_only=True, help_text="As displayed (EXIF applied).")
    height = serializers.IntegerField(read_only=True, help_text="As displayed (EXIF applied).")
    mode = serializers.CharField(read_only=True, help_text="Pillow colour mode: RGB, CMYK, P ...")
    thumbnails = ThumbnailSerializer(many=True, read_only=True)

    def to_representation(self, instance: Image) -> dict[str, Any] | None:
        return image_data(instance, self.context.get("request"))


class ImageUploadSerializer(Serializer):
    """A multipart/form-data upload: `file`, and optionally `name`."""

    file = serializers.FileField(
        write_only=True, help_text="JPEG, PNG, GIF, WEBP, BMP or TIFF, within the upload limit."
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_NAME_LENGTH,
        help_text="Defaults to the uploaded file name without its extension.",
    )


class ImageUpdateSerializer(ImageSerializer):
    """Only the name changes (the other fields of a GET body may be sent back and are ignored);
    a new picture is uploaded as a new image."""

    name = serializers.CharField(max_length=MAX_NAME_LENGTH)

    def to_internal_value(self, data):
        if hasattr(data, "get") and "file" in data:
            raise serializers.ValidationError(
                {"file": ["An image's file cannot be replaced: upload a new image instead."]}
            )
        return super().to_internal_value(data)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value.strip()


class ImageRelatedField(RelatedIdField):
    """Written as an image id, read as the full image structure with thumbnails.

    The queryset of the owning view should bring the image and its thumbnails along
    (`select_related("image")` plus `thumbnails_prefetch("image__thumbnails")`).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Image.objects.all())
        super().__init__(**kwargs)

    def to_representation(self, value: Image) -> dict[str, Any] | None:
        return image_data(value, self.context.get("request"))


class ImageRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Schema: an integer id in requests, the image structure in responses."""

    target_class = ImageRelatedField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(ImageSerializer, direction).ref
