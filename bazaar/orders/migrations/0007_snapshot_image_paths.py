"""Item snapshots store their image's file path, not a URL (issue 13).

Snapshots made through the API held `product_data.image.f` as an absolute URL built from the
request that made the item (`http://testserver/media/...`, whatever Host the caller sent); the
demo seeder's and the admin's held MEDIA_URL-relative ones (`/media/...`). Both become the path in
storage (`core_media/2025/12/27/x.jpg`), from which the API builds the URL when it reads an item.
A value that is already a path is left as it is, so the migration can run twice."""

from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import migrations
from django.utils.encoding import filepath_to_uri

BATCH = 2_000


def snapshot_image_path(url: str, media_url: str) -> str | None:
    """The storage path of a snapshot's `f`: the URL's path without MEDIA_URL's, unquoted (as the
    storage quoted it); None for a URL under another prefix (MEDIA_URL changed since)."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc and not url.startswith("/"):
        return url  # already a path
    media_path = urlsplit(media_url).path or "/"
    if not media_path.endswith("/"):
        media_path += "/"
    if parts.path.startswith(media_path):
        return unquote(parts.path[len(media_path) :])
    return None


def snapshot_image_url(path: str, media_url: str) -> str:
    """Back to a MEDIA_URL-relative URL (what seed data held before)."""
    if "://" in path or path.startswith("/"):
        return path
    return media_url.rstrip("/") + "/" + filepath_to_uri(path)


def _convert(apps, convert) -> None:
    OrderItem = apps.get_model("orders", "OrderItem")
    Image = apps.get_model("media", "Image")
    items = (
        OrderItem.objects.filter(product_data__image__f__isnull=False)
        .only("id", "product_data")
        .order_by("id")
    )
    batch = []
    for item in items.iterator(chunk_size=BATCH):
        image = item.product_data.get("image")
        if not isinstance(image, dict) or not isinstance(image.get("f"), str):
            continue
        new = convert(image, Image)
        if new != image["f"]:
            item.product_data = {**item.product_data, "image": {**image, "f": new}}
            batch.append(item)
        if len(batch) >= BATCH:
            OrderItem.objects.bulk_update(batch, ["product_data"])
            batch = []
    if batch:
        OrderItem.objects.bulk_update(batch, ["product_data"])


def urls_to_paths(apps, schema_editor) -> None:
    def convert(image: dict, Image) -> str:
        path = snapshot_image_path(image["f"], settings.MEDIA_URL)
        if path is not None:
            return path
        # Under another prefix: the image row's file when it still exists, else the URL's path.
        image_id = image.get("id")
        rows = (
            Image.objects.filter(pk=image_id) if isinstance(image_id, int) else Image.objects.none()
        )
        stored = rows.values_list("file", flat=True).first()
        return stored or unquote(urlsplit(image["f"]).path.lstrip("/"))

    _convert(apps, convert)


def paths_to_urls(apps, schema_editor) -> None:
    _convert(apps, lambda image, Image: snapshot_image_url(image["f"], settings.MEDIA_URL))


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0001_initial"),
        ("orders", "0006_order_status_tallies"),
    ]

    operations = [migrations.RunPython(urls_to_paths, paths_to_urls, elidable=True)]
