import pytest
from django.core.files.storage import FileSystemStorage
from django.test import RequestFactory

from bazaar.media.models import Image
from bazaar.media.serializers import FileURLs, _url_maker, url_prefix

NAMES = [
    "images/2026/12/phone.jpg",
    "images/a b+c.png",
    "images/گوشی-سامسونگ.webp",
    "images/a:b?c#d%e.jpg",
    "/images/leading-slash.jpg",
    "images/tilde~(1)!*'.jpg",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("secure", [False, True])
def test_file_urls_are_the_storage_urls_made_absolute(name, secure):
    """The per-response prefix shortcut builds exactly what `build_absolute_uri(storage.url())`
    builds, for names with spaces, Persian letters and URL delimiters."""
    request = RequestFactory().get("/api/orders/", secure=secure, HTTP_HOST="testserver:8443")
    storage = Image._meta.get_field("file").storage
    urls = FileURLs(request)
    assert urls.image(name) == request.build_absolute_uri(storage.url(name))
    assert urls.thumbnail(name) == request.build_absolute_uri(storage.url(name))


@pytest.mark.parametrize("base_url", ["https://cdn.example/media/", "/files/"])
def test_a_storage_elsewhere_keeps_its_base(base_url):
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    storage = FileSystemStorage(base_url=base_url)
    for name in NAMES:
        made = _url_maker(url_prefix(storage, request), storage, request)
        assert made(name) == request.build_absolute_uri(storage.url(name))


def test_without_a_request_the_urls_stay_relative():
    storage = Image._meta.get_field("file").storage
    assert FileURLs(None).image(NAMES[1]) == storage.url(NAMES[1])
