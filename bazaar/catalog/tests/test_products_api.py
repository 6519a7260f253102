"""/api/products/ through the HTTP stack."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bazaar.catalog.models import Product
from bazaar.catalog.services import product_set_options
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.media.tests.factories import ImageFactory
from bazaar.orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db

URL = "/api/products/"
KEYS = {
    "id", "code", "slug", "title", "price", "image", "is_active", "created_at", "updated_at",
    "options",
}  # fmt: skip


@pytest.mark.parametrize("slash", ["", "/"])
def test_create_with_persian_title_gets_a_persian_slug(admin_client, slash):
    image = ImageFactory(width=1920, height=1080, fmt="JPEG")
    response = admin_client.post(
        URL.rstrip("/") + slash,
        {"code": "PH-1", "title": "گوشی موبایل سامسونگ", "price": 9_780_000, "image": image.pk},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == KEYS
    assert body["slug"] == "گوشی-موبایل-سامسونگ"
    assert body["price"] == 9_780_000
    assert body["is_active"] is True
    assert body["image"]["id"] == image.pk
    assert [t["size"] for t in body["image"]["thumbnails"]] == [64, 128, 512, 1080]
    assert body["created_at"].endswith("Z")
    assert body["updated_at"].endswith("Z")


def test_default_slug_clashes_get_numbered(admin_client):
    slugs = [
        admin_client.post(URL, {"code": f"C{i}", "title": "Blue Shirt", "price": 1}).json()["slug"]
        for i in range(4)
    ]
    assert slugs == ["blue-shirt", "blue-shirt-2", "blue-shirt-3", "blue-shirt-4"]
    Product.objects.filter(slug="blue-shirt-2").delete()
    again = admin_client.post(URL, {"code": "C9", "title": "Blue shirt!", "price": 1})
    assert again.json()["slug"] == "blue-shirt-2"


def test_title_without_letters_falls_back_to_the_code(admin_client):
    response = admin_client.post(URL, {"code": "SKU 77", "title": "!!!", "price": 1})
    assert response.json()["slug"] == "sku-77"


def test_explicit_slug_is_kept_and_a_clash_is_a_400(admin_client):
    ProductFactory(slug="shirt")
    response = admin_client.post(URL, {"code": "A", "title": "T", "price": 1, "slug": "shirt"})
    assert response.status_code == 400
    assert response.json() == {"slug": ["A product with this slug already exists."]}
    ok = admin_client.post(URL, {"code": "A", "title": "T", "price": 1, "slug": "پیراهن-آبی"})
    assert ok.json()["slug"] == "پیراهن-آبی"


@pytest.mark.parametrize("slug", ["has space", "a/b", "ü?"])
def test_invalid_slug_is_a_400(admin_client, slug):
    response = admin_client.post(URL, {"code": "A", "title": "T", "price": 1, "slug": slug})
    assert response.status_code == 400
    assert "slug" in response.json()


def test_duplicate_code_is_a_400(admin_client):
    ProductFactory(code="SKU-1")
    response = admin_client.post(URL, {"code": "SKU-1", "title": "T", "price": 1})
    assert response.status_code == 400
    assert response.json() == {"code": ["A product with this code already exists."]}


@pytest.mark.parametrize(
    "price",
    [10.5, "lots", -1, 10**13 + 1, True, None, "10.5", "", [], {"a": 1}, "1e3", 1e300, "250000"],
)
def test_bad_prices_are_400(admin_client, price):
    response = admin_client.post(URL, {"code": "A", "title": "T", "price": price})
    assert response.status_code == 400
    assert "price" in response.json()
    assert not Product.objects.exists()


@pytest.mark.parametrize(("price", "stored"), [(0, 0), (10**13, 10**13), (75000.0, 75000)])
def test_accepted_prices(admin_client, price, stored):
    response = admin_client.post(URL, {"code": "A", "title": "T", "price": price})
    assert response.status_code == 201, response.json()
    assert response.json()["price"] == stored


def test_required_fields(admin_client):
    response = admin_client.post(URL, {})
    assert response.status_code == 400
    assert set(response.json()) == {"code", "title", "price"}


def test_unknown_image_is_a_400(admin_client):
    response = admin_client.post(URL, {"code": "A", "title": "T", "price": 1, "image": 424242})
    assert response.status_code == 400
    assert "No image with id 424242" in response.json()["image"][0]


def test_update_keeps_the_slug_unless_asked(admin_client):
    product = ProductFactory(title="Old", slug="old")
    url = f"{URL}{product.pk}/"
    body = admin_client.get(url).json()

    put = admin_client.put(url, {**body, "title": "New title", "price": 5})
    assert put.status_code == 200, put.json()
    assert (put.json()["slug"], put.json()["title"], put.json()["price"]) == ("old", "New title", 5)
    assert put.json()["updated_at"] >= body["updated_at"]
    assert put.json()["created_at"] == body["created_at"]

    regenerated = admin_client.patch(url, {"slug": ""})
    assert regenerated.json()["slug"] == "new-title"
    same = admin_client.patch(url, {"slug": "new-title"})
    assert same.status_code == 200  # its own slug is no clash
    deactivated = admin_client.patch(url, {"is_active": False, "image": None})
    assert deactivated.json()["is_active"] is False


def test_search_filter_and_ordering(admin_client):
    shirt = ProductFactory(code="SH-1", title="Blue Shirt", slug="blue-shirt", price=300)
    phone = ProductFactory(code="PH-1", title="گوشی", slug="گوشی", price=100, is_active=False)
    with_image = ProductFactory(
        code="IM-1", title="Poster", slug="poster", price=200, with_image=True
    )

    def ids(**params) -> list[int]:
        response = admin_client.get(URL, params)
        assert response.status_code == 200, response.json()
        return [p["id"] for p in response.json()["results"]]

    assert ids(search="sh-1") == [shirt.pk]
    assert ids(search="گوش") == [phone.pk]
    assert ids(search="blue shirt") == [shirt.pk]
    assert ids(ordering="price") == [phone.pk, with_image.pk, shirt.pk]
    assert ids(ordering="-price") == [shirt.pk, with_image.pk, phone.pk]
    assert ids(is_active="false") == [phone.pk]
    assert ids(has_image="true") == [with_image.pk]
    assert ids(has_image="0") == [phone.pk, shirt.pk]
    assert admin_client.get(URL, {"is_active": "yes please"}).status_code == 400
    assert admin_client.get(URL, {"ordering": "cost"}).status_code == 400


def test_list_costs_the_same_queries_for_1_and_20_products(
    admin_client, memory_cache, django_assert_num_queries
):
    image = ImageFactory(width=600, height=600)
    with_options = ProductFactory(image=image)
    product_set_options(
        product=with_options, groups=[{"name": "رنگ", "values": [{"name": "مشکی"}]}]
    )
    admin_client.get(URL)
    with CaptureQueriesContext(connection) as one:
        admin_client.get(URL)
    # token lookup, count, page of products with their images, thumbnails, option groups, values
    assert len(one.captured_queries) == 6
    for _ in range(10):
        ProductFactory(with_image=True)
    ProductFactory.create_batch(9)
    with django_assert_num_queries(6):
        response = admin_client.get(URL, {"limit": 50})
    assert response.json()["count"] == 20
    assert sum(p["image"] is not None for p in response.json()["results"]) == 11


def test_deleting_a_product_used_by_order_items_is_a_409(admin_client):
    product = ProductFactory()
    order = Order.objects.create()
    OrderItem.objects.create(order=order, product=product, unit_price=1)
    response = admin_client.delete(f"{URL}{product.pk}/")
    assert response.status_code == 409
    assert "deactivate" in response.json()["detail"]
    assert Product.objects.filter(pk=product.pk).exists()


def test_delete(admin_client):
    product = ProductFactory(with_image=True)
    assert admin_client.delete(f"{URL}{product.pk}").status_code == 204
    assert not Product.objects.exists()


def test_staff_with_list_code_only_can_list_and_nothing_else(staff_with_codes):
    product = ProductFactory()
    client = staff_with_codes(1202)
    assert client.get(URL).json()["count"] == 1
    attempts = {
        1201: client.post(URL, {"code": "A", "title": "T", "price": 1}),
        1203: client.get(f"{URL}{product.pk}/"),
        1204: client.patch(f"{URL}{product.pk}/", {"price": 2}),
        1205: client.delete(f"{URL}{product.pk}/"),
    }
    for code, response in attempts.items():
        assert response.status_code == 403, code
        assert str(code) in response.json()["detail"]
    assert Product.objects.get().price == product.price
