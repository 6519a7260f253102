"""/api/images/: real pictures made with Pillow, uploaded through the whole HTTP stack."""

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image as PILImage

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.media.models import Image, Thumbnail
from bazaar.media.services import human_readable_size
from bazaar.media.tests.factories import ImageFactory, image_bytes, image_upload
from bazaar.methods.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db

URL = "/api/images/"
IMAGE_KEYS = {
    "id",
    "type",
    "name",
    "size",
    "human_readable_size",
    "f",
    "width",
    "height",
    "mode",
    "thumbnails",
}


def upload(client, content: bytes, filename: str = "picture.png", **extra):
    return client.post(URL, {"file": image_upload(filename, content), **extra}, format="multipart")


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def thumbnail_dimensions(image_id: int) -> dict[int, tuple[int, int]]:
    return {t.size: (t.width, t.height) for t in Thumbnail.objects.filter(image_id=image_id)}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size in its header but carries almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def serve_test_media():
    """MEDIA_URL must be served (bazaar/urls.py reads MEDIA_ROOT per request, so each test's
    own MEDIA_ROOT is where downloads come from)."""
    from bazaar import urls

    prefix = settings.MEDIA_URL.lstrip("/")
    assert any(prefix in str(p.pattern) for p in urls.urlpatterns), "MEDIA_URL is not served"


# --- the shape ------------------------------------------------------------------------------------


def test_upload_png_returns_the_image_data_structure(admin_client, serve_test_media):
    content = image_bytes(width=1920, height=1080, fmt="PNG")
    response = upload(admin_client, content, "Shipping Logo.png")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == IMAGE_KEYS
    assert body["type"] == "image"
    assert body["name"] == "Shipping Logo"
    assert body["size"] == len(content)
    assert body["human_readable_size"] == human_readable_size(len(content))
    assert (body["width"], body["height"], body["mode"]) == (1920, 1080, "RGB")
    assert body["f"].startswith("http://testserver/media/core_media/")
    assert body["f"].endswith(".png")
    assert [t["size"] for t in body["thumbnails"]] == [64, 128, 512, 1080]
    for thumb in body["thumbnails"]:
        assert set(thumb) == {"id", "f", "size"}
        size = thumb["size"]
        assert thumb["f"].endswith(f"_thumbnail_{size}x{size}.jpg")
        assert "/thumbnails/" in thumb["f"]
    assert thumbnail_dimensions(body["id"]) == {
        64: (64, 36),
        128: (128, 72),
        512: (512, 288),
        1080: (1080, 608),
    }

    download = admin_client.get(body["f"].removeprefix("http://testserver"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    thumb_download = admin_client.get(body["thumbnails"][0]["f"].removeprefix("http://testserver"))
    with PILImage.open(io.BytesIO(b"".join(thumb_download.streaming_content))) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (64, 36))


@pytest.mark.parametrize("slash", ["", "/"])
def test_retrieve_and_list_show_the_same_shape(admin_client, slash):
    image = ImageFactory(width=300, height=300)
    one = admin_client.get(f"{URL}{image.pk}{slash}")
    assert one.status_code == 200
    listed = admin_client.get(URL.rstrip("/") + slash)
    assert listed.json()["results"] == [one.json()]
    assert [t["size"] for t in one.json()["thumbnails"]] == [64, 128]


def test_name_is_taken_from_the_form_when_given(admin_client):
    response = upload(admin_client, image_bytes(), "x.png", name="پیک موتوری")
    assert response.status_code == 201
    assert response.json()["name"] == "پیک موتوری"


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0.00 B"),
        (512, "512.00 B"),
        (1023, "1023.00 B"),
        (1024, "1.00 KB"),
        (4766, "4.65 KB"),
        (808754, "789.80 KB"),
        (5 * 1024 * 1024, "5.00 MB"),
        (3 * 1024**4, "3072.00 GB"),
    ],
)
def test_human_readable_size(size, expected):
    assert human_readable_size(size) == expected


# --- decoding: formats, modes, orientation, thumbnail boxes ---------------------------------------


def test_225px_image_gets_64_and_128_thumbnails_only(admin_client):
    response = upload(admin_client, image_bytes(width=225, height=150, fmt="JPEG"), "a.jpg")
    assert response.status_code == 201
    assert [t["size"] for t in response.json()["thumbnails"]] == [64, 128]
    assert thumbnail_dimensions(response.json()["id"]) == {64: (64, 43), 128: (128, 85)}


def test_small_image_is_never_upscaled(admin_client):
    response = upload(admin_client, image_bytes(width=64, height=40), "tiny.png")
    assert response.status_code == 201
    assert response.json()["thumbnails"] == []


def test_exif_orientation_is_applied_to_width_and_height(admin_client):
    exif = PILImage.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    content = image_bytes(width=600, height=200, fmt="JPEG", exif=exif.tobytes())
    response = upload(admin_client, content, "rotated.jpg")

    assert response.status_code == 201
    body = response.json()
    assert (body["width"], body["height"]) == (200, 600)
    assert thumbnail_dimensions(body["id"])[128] == (43, 128)


def test_cmyk_jpeg_gets_rgb_jpeg_thumbnails(admin_client):
    content = image_bytes(width=300, height=200, mode="CMYK", color=(0, 255, 255, 0), fmt="JPEG")
    response = upload(admin_client, content, "cmyk.jpg")

    assert response.status_code == 201
    assert response.json()["mode"] == "CMYK"
    thumb = Thumbnail.objects.get(image_id=response.json()["id"], size=128)
    with PILImage.open(thumb.file.path) as decoded:
        assert (decoded.format, decoded.mode) == ("JPEG", "RGB")


def test_palette_png_with_transparency_keeps_it_in_png_thumbnails(admin_client):
    picture = PILImage.new("P", (300, 150), 0)
    picture.putpalette([0, 0, 0, 255, 0, 0] + [0] * (256 * 3 - 6))
    picture.paste(1, (100, 50, 200, 100))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", transparency=0)
    response = upload(admin_client, buffer.getvalue(), "logo.png")

    assert response.status_code == 201
    body = response.json()
    assert body["mode"] == "P"
    assert all(t["f"].endswith(".png") for t in body["thumbnails"])
    thumb = Thumbnail.objects.get(image_id=body["id"], size=128)
    with PILImage.open(thumb.file.path) as decoded:
        assert decoded.mode == "RGBA"
        assert decoded.getpixel((0, 0))[3] == 0  # transparent corner stays transparent
        assert decoded.getpixel((64, 32))[:3] == (255, 0, 0)


def test_rgba_png_gets_png_thumbnails(admin_client):
    content = image_bytes(width=200, height=200, mode="RGBA", color=(0, 0, 255, 128))
    response = upload(admin_client, content, "alpha.png")
    assert response.status_code == 201
    assert response.json()["mode"] == "RGBA"
    assert {t["f"][-4:] for t in response.json()["thumbnails"]} == {".png"}


def test_16_bit_greyscale_png_is_scaled_to_8_bits(admin_client):
    content = image_bytes(width=200, height=200, mode="I;16", color=40000)
    response = upload(admin_client, content, "deep.png")

    assert response.status_code == 201
    thumb = Thumbnail.objects.get(image_id=response.json()["id"], size=64)
    with PILImage.open(thumb.file.path) as decoded:
        assert decoded.mode == "L"
        assert 150 < decoded.getpixel((10, 10)) < 160  # 40000/65535 of white, not clipped to 255


def test_extension_follows_the_real_format_not_the_client_name(admin_client):
    response = upload(admin_client, image_bytes(fmt="JPEG"), "really-a-jpeg.png")
    assert response.status_code == 201
    assert response.json()["f"].endswith("/really-a-jpeg.jpg")
    assert Image.objects.get().content_type == "image/jpeg"


def test_path_traversal_in_the_file_name_stays_inside_media_root(admin_client):
    response = upload(admin_client, image_bytes(), "../../../../etc/passwd.png")
    assert response.status_code == 201
    assert response.json()["name"] == "passwd"
    root = Path(settings.MEDIA_ROOT).resolve()
    for path in media_files():
        assert path.resolve().is_relative_to(root)
    assert Image.objects.get().file.name.startswith("core_media/")
    assert ".." not in Image.objects.get().file.name


def test_very_long_file_name_is_shortened(admin_client):
    response = upload(admin_client, image_bytes(width=300, height=300), "ب" * 400 + ".png")
    assert response.status_code == 201
    assert 200 < len(response.json()["name"]) <= 255
    assert len(Path(Image.objects.get().file.name).stem) <= 80
    assert all(len(t.file.name) <= 255 for t in Thumbnail.objects.all())


def test_two_uploads_with_one_name_get_distinct_files(admin_client):
    first = upload(admin_client, image_bytes(width=100, height=100), "same.png").json()
    second = upload(admin_client, image_bytes(width=100, height=100), "same.png").json()
    assert first["f"] != second["f"]
    assert first["thumbnails"][0]["f"] != second["thumbnails"][0]["f"]


def test_five_mib_upload_is_accepted(admin_client):
    # Uncompressed TIFF of random pixels: as large as we ask, and quick to make.
    noise = PILImage.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "TIFF")
    content = buffer.getvalue()
    assert len(content) > 5 * 1024 * 1024

    response = upload(admin_client, content, "big.tiff")
    assert response.status_code == 201, response.json()
    assert response.json()["size"] == len(content)


# --- refusals: nothing stored ------------------------------------------------------------------------


def assert_nothing_stored() -> None:
    assert Image.objects.count() == 0
    assert Thumbnail.objects.count() == 0
    assert media_files() == []


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"just some text, not a picture", "notes.txt"),
        (b"this claims to be a PNG but is text", "fake.png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "vector.eps"),
        (b"GIF89a", "short.gif"),
    ],
)
def test_non_images_are_a_400_and_store_nothing(admin_client, content, filename):
    response = upload(admin_client, content, filename)
    assert response.status_code == 400
    assert "file" in response.json()
    assert_nothing_stored()


def test_truncated_jpeg_is_a_400_and_stores_nothing(admin_client):
    content = image_bytes(width=400, height=400, color="blue", fmt="JPEG")
    response = upload(admin_client, content[: len(content) // 2], "cut.jpg")
    assert response.status_code == 400
    assert response.json()["file"]
    assert_nothing_stored()


def test_empty_file_is_a_400(admin_client):
    response = upload(admin_client, b"", "empty.png")
    assert response.status_code == 400
    assert "file" in response.json()
    assert_nothing_stored()


def test_missing_file_is_a_400(admin_client):
    response = admin_client.post(URL, {"name": "no file"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_an_upload_is_multipart_only(admin_client):
    """SPEC §2: multipart/form-data only where a file is uploaded; a JSON upload is a 415."""
    response = admin_client.post(URL, {"name": "x"}, format="json")
    assert response.status_code == 415
    assert "detail" in response.json()


def test_unknown_form_field_is_a_400(admin_client):
    response = upload(admin_client, image_bytes(), "a.png", nmae="typo")
    assert response.status_code == 400
    assert "nmae" in response.json()
    assert_nothing_stored()


def test_oversize_upload_is_a_413_and_stores_nothing(admin_client, settings):
    content = image_bytes(width=300, height=300, fmt="BMP")
    settings.IMAGE_MAX_BYTES = len(content) - 1
    response = upload(admin_client, content, "big.bmp")
    assert response.status_code == 413
    assert str(settings.IMAGE_MAX_BYTES) in response.json()["detail"]
    assert_nothing_stored()


def test_upload_over_the_default_limit_is_refused_before_parsing(admin_client):
    content = b"\x00" * (11 * 1024 * 1024)
    response = upload(admin_client, content, "huge.png")
    assert response.status_code == 413
    assert_nothing_stored()


def test_pixel_limit_is_a_413_from_the_header(admin_client, settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    response = upload(admin_client, image_bytes(width=200, height=100), "wide.png")
    assert response.status_code == 413
    assert "200×100" in response.json()["detail"]
    assert_nothing_stored()


def test_decompression_bomb_header_is_refused_without_decoding(admin_client):
    # 10 000 × 5 000 = 50 Mpx: above the 40 Mpx default, below Pillow's own warning threshold.
    response = upload(admin_client, png_header_only(10_000, 5_000), "bomb.png")
    assert response.status_code == 413
    assert_nothing_stored()


def test_pillow_decompression_bomb_error_is_a_413(admin_client, settings):
    settings.IMAGE_MAX_PIXELS = 10**12  # let Pillow's own guard be the one that fires
    response = upload(admin_client, png_header_only(30_000, 30_000), "bomb.png")
    assert response.status_code == 413
    assert_nothing_stored()


def test_pillow_decompression_bomb_warning_is_a_413(admin_client, settings):
    settings.IMAGE_MAX_PIXELS = 10**12
    # 100 Mpx: over Pillow's MAX_IMAGE_PIXELS (89.5 Mpx) warning, under its 2× error.
    response = upload(admin_client, png_header_only(10_000, 10_000), "bomb.png")
    assert response.status_code == 413
    assert_nothing_stored()


def test_failure_while_writing_removes_files_already_written(admin_client, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Thumbnail, "save", fail)
    with pytest.raises(OSError, match="disk full"):
        upload(admin_client, image_bytes(width=300, height=300), "a.png")
    assert_nothing_stored()


# --- update and delete -------------------------------------------------------------------------------


def test_patch_and_put_change_the_name_only(admin_client):
    image = ImageFactory(width=300, height=300)
    before = admin_client.get(f"{URL}{image.pk}/").json()

    patched = admin_client.patch(f"{URL}{image.pk}/", {"name": "renamed"}, format="json")
    assert patched.status_code == 200
    assert patched.json() == {**before, "name": "renamed"}

    put = admin_client.put(f"{URL}{image.pk}", {**before, "name": " again "}, format="json")
    assert put.status_code == 200
    assert put.json()["name"] == "again"


def test_a_new_file_cannot_replace_an_image(admin_client):
    image = ImageFactory()
    # Renaming is JSON like every other write: a multipart body (a file) is a 415 ...
    response = admin_client.patch(
        f"{URL}{image.pk}/", {"file": image_upload("b.png")}, format="multipart"
    )
    assert response.status_code == 415
    # ... and a `file` key in JSON is refused with a message saying what to do instead.
    response = admin_client.patch(f"{URL}{image.pk}/", {"file": "b.png"}, format="json")
    assert response.status_code == 400
    assert "new image" in response.json()["file"][0]


def test_put_requires_a_name(admin_client):
    image = ImageFactory()
    response = admin_client.put(f"{URL}{image.pk}/", {"name": "  "}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_delete_removes_row_and_files(admin_client, django_capture_on_commit_callbacks):
    image = ImageFactory(width=600, height=600)
    assert len(media_files()) == 4  # original + 64, 128, 512

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.delete(f"{URL}{image.pk}/")

    assert response.status_code == 204
    assert_nothing_stored()


@pytest.mark.parametrize("user_factory", [ProductFactory, PaymentMethodFactory])
def test_delete_of_a_used_image_is_a_409_and_keeps_everything(
    admin_client, django_capture_on_commit_callbacks, user_factory
):
    image = ImageFactory()
    user_factory(image=image)
    files = media_files()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.delete(f"{URL}{image.pk}")

    assert response.status_code == 409
    assert "Cannot delete" in response.json()["detail"]
    assert Image.objects.filter(pk=image.pk).exists()
    assert Thumbnail.objects.filter(image=image).count() == 2
    assert media_files() == files


# --- permissions --------------------------------------------------------------------------------------


def test_staff_with_list_code_only_can_list_and_nothing_else(staff_with_codes):
    image = ImageFactory()
    client = staff_with_codes(1302)
    assert client.get(URL).status_code == 200

    attempts = {
        1301: client.post(URL, {"file": image_upload()}, format="multipart"),
        1303: client.get(f"{URL}{image.pk}/"),
        1304: client.patch(f"{URL}{image.pk}/", {"name": "x"}, format="json"),
        1305: client.delete(f"{URL}{image.pk}/"),
    }
    for code, response in attempts.items():
        assert response.status_code == 403
        assert str(code) in response.json()["detail"]
    assert Image.objects.count() == 1


def test_staff_with_create_code_can_upload(staff_with_codes):
    client = staff_with_codes(1301)
    assert upload(client, image_bytes(), "a.png").status_code == 201


def test_anonymous_is_401_and_customer_is_403(anon_client, customer_user):
    from bazaar.conftest import client_for

    assert anon_client.get(URL).status_code == 401
    assert client_for(customer_user).get(URL).status_code == 403
