"""An item's product snapshot stores its image's file path and shows its URL built when read
(issue 13): the stored data never depends on who asked, and a forged Host header is never
written to it. The response shape stays what source 001 shows."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.orders.models import OrderItem

pytestmark = pytest.mark.django_db

migration = importlib.import_module("bazaar.orders.migrations.0007_snapshot_image_paths")


@pytest.fixture
def product():
    return ProductFactory(with_image=True, price=1000)


def stored_f(item_id: int) -> str:
    return OrderItem.objects.get(pk=item_id).product_data["image"]["f"]


def test_regression_the_snapshot_stores_the_path_not_the_callers_host(admin_client, product):
    """Was: `http://localhost/media/...` stored for one caller, `http://testserver/...` for
    another."""
    order = admin_client.post("/api/orders/", {}).json()
    response = admin_client.post(
        f"/api/orders/{order['id']}/items/", {"product": product.pk}, HTTP_HOST="localhost"
    )
    assert response.status_code == 201
    (item,) = response.json()["items"]
    assert stored_f(item["id"]) == product.image.file.name
    assert "://" not in stored_f(item["id"])
    # Shown as an absolute URL built from the request reading it, like every other image `f`.
    assert item["product_data"]["image"]["f"] == f"http://localhost{product.image.file.url}"
    read = admin_client.get(f"/api/orders/{order['id']}/").json()["items"][0]
    assert read["product_data"]["image"]["f"] == f"http://testserver{product.image.file.url}"
    listed = admin_client.get(f"/api/orders/{order['id']}/items/").json()["results"][0]
    assert listed["product_data"]["image"]["f"] == f"http://testserver{product.image.file.url}"
    one = admin_client.get(f"/api/orders/{order['id']}/items/{item['id']}/").json()
    assert one["product_data"] == listed["product_data"]


def test_inline_items_store_paths_too(admin_client, product):
    order = admin_client.post(
        "/api/orders/", {"items": [{"product": product.pk}]}, HTTP_HOST="127.0.0.1"
    ).json()
    (item,) = order["items"]
    assert stored_f(item["id"]) == product.image.file.name
    assert item["product_data"]["image"]["f"] == f"http://127.0.0.1{product.image.file.url}"


def test_the_snapshot_shows_what_the_image_shows_but_thumbnails(admin_client, product):
    # Compared as objects: PostgreSQL's jsonb keeps a snapshot's keys in its own order.
    order = admin_client.post("/api/orders/", {"items": [{"product": product.pk}]}).json()
    image = order["items"][0]["product_data"]["image"]
    shown = admin_client.get(f"/api/images/{product.image_id}/").json()
    assert image == {key: value for key, value in shown.items() if key != "thumbnails"}


def test_a_snapshot_without_image_is_unchanged(admin_client):
    plain = ProductFactory()
    order = admin_client.post("/api/orders/", {"items": [{"product": plain.pk}]}).json()
    assert order["items"][0]["product_data"]["image"] is None


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("http://testserver/media/core_media/2025/12/27/x.jpg", "core_media/2025/12/27/x.jpg"),
        ("https://evil.example:8443/media/core_media/a%20b.jpg", "core_media/a b.jpg"),
        ("/media/core_media/%D9%85%D8%A7%D9%88%D8%B3.jpg", "core_media/ماوس.jpg"),
        ("core_media/already/a/path.jpg", "core_media/already/a/path.jpg"),
        ("http://elsewhere/static/x.jpg", None),
    ],
)
def test_migration_reads_the_path_out_of_every_url_form(url, path):
    assert migration.snapshot_image_path(url, "/media/") == path


def test_migration_converts_stored_snapshots_and_back(admin_client, product, settings):
    order = admin_client.post("/api/orders/", {"items": [{"product": product.pk}] * 3}).json()
    ids = [item["id"] for item in order["items"]]
    name = product.image.file.name
    old_forms = [
        f"http://testserver{product.image.file.url}",  # made through the API
        product.image.file.url,  # made by the seeder or the admin
        f"http://elsewhere.example/old-media/{name}",  # MEDIA_URL since changed: the row's file
    ]
    for item_id, form in zip(ids, old_forms, strict=True):
        item = OrderItem.objects.get(pk=item_id)
        item.product_data = {
            **item.product_data,
            "image": {**item.product_data["image"], "f": form},
        }
        item.save(update_fields=["product_data"])
    before = {i.pk: i.product_data for i in OrderItem.objects.all()}

    migration.urls_to_paths(apps, None)
    assert [stored_f(item_id) for item_id in ids] == [name] * 3
    for item in OrderItem.objects.all():  # nothing else in the snapshot changed
        assert {**item.product_data, "image": None} == {**before[item.pk], "image": None}
    migration.urls_to_paths(apps, None)  # a second run changes nothing
    assert [stored_f(item_id) for item_id in ids] == [name] * 3

    migration.paths_to_urls(apps, None)
    assert [stored_f(item_id) for item_id in ids] == [product.image.file.url] * 3


def test_reading_snapshots_costs_no_query_per_item(
    admin_client, product, memory_cache, django_assert_num_queries
):
    """The URL is built from the stored path alone: no image is loaded for an item's snapshot.
    The token, the order, its items, payments, shipments, refunds (no places, no method images
    here); on PostgreSQL the token and the order's document (bazaar.orders.documents)."""
    one = admin_client.post("/api/orders/", {"items": [{"product": product.pk}]}).json()
    many = admin_client.post("/api/orders/", {"items": [{"product": product.pk}] * 50}).json()
    for order in (one, many):
        with django_assert_num_queries(2 if connection.vendor == "postgresql" else 6):
            response = admin_client.get(f"/api/orders/{order['id']}/")
        assert all(
            i["product_data"]["image"]["f"].startswith("http://") for i in response.json()["items"]
        )
    # The token, the order, the count, the page's item ids, their rows.
    with django_assert_num_queries(5):
        admin_client.get(f"/api/orders/{many['id']}/items/", {"limit": 100})
