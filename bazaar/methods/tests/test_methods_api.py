"""/api/payment-methods/ and /api/shipping-methods/ through the HTTP stack."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bazaar.media.serializers import image_data
from bazaar.media.tests.factories import ImageFactory
from bazaar.methods.models import PaymentMethod, ShippingMethod
from bazaar.methods.tests.factories import PaymentMethodFactory, ShippingMethodFactory
from bazaar.orders.models import Order, OrderPayment

pytestmark = pytest.mark.django_db


RESOURCES = [
    ("/api/payment-methods/", 2000, PaymentMethod, PaymentMethodFactory),
    ("/api/shipping-methods/", 2100, ShippingMethod, ShippingMethodFactory),
]


@pytest.mark.parametrize(("url", "block", "model", "factory"), RESOURCES)
@pytest.mark.parametrize("slash", ["", "/"])
def test_crud_with_image_written_as_id_and_read_as_structure(
    admin_client, url, block, model, factory, slash
):
    image = ImageFactory(width=300, height=200)
    base = url.rstrip("/") + slash
    created = admin_client.post(base, {"name": "پیک موتور", "image": image.pk})
    assert created.status_code == 201, created.json()
    body = created.json()
    # SPEC §14: shipping methods also carry their tracking URL template
    extra = {"tracking_url_template"} if model is ShippingMethod else set()
    assert set(body) == {"id", "name", "image", "is_active", *extra}
    assert body["name"] == "پیک موتور"
    assert body["is_active"] is True
    assert body["image"]["id"] == image.pk
    assert body["image"]["type"] == "image"
    assert [t["size"] for t in body["image"]["thumbnails"]] == [64, 128]
    assert body["image"]["f"].startswith("http://testserver/media/")

    detail = f"{url}{body['id']}{slash}"
    assert admin_client.get(detail).json() == body
    put = admin_client.put(detail, {**body, "image": None, "is_active": False})
    assert put.status_code == 200, put.json()
    assert put.json() == {**body, "image": None, "is_active": False}
    patched = admin_client.patch(detail, {"image": image.pk})
    assert patched.json()["image"] == body["image"]
    assert admin_client.delete(detail).status_code == 204
    assert not model.objects.exists()


@pytest.mark.parametrize(("url", "block", "model", "factory"), RESOURCES)
@pytest.mark.parametrize(
    ("image", "message_part"),
    [
        (999999, "No image with id 999999."),
        ("abc", "whole number"),
        (1.5, "whole number"),
        (True, "whole number"),
        ({}, "whole number"),
        (10**30, "less than or equal"),
    ],
)
def test_bad_image_reference_is_a_400(
    admin_client, url, block, model, factory, image, message_part
):
    response = admin_client.post(url, {"name": "X", "image": image})
    assert response.status_code == 400
    assert message_part in response.json()["image"][0]


@pytest.mark.parametrize(("url", "block", "model", "factory"), RESOURCES)
def test_name_is_required_and_unknown_fields_refused(admin_client, url, block, model, factory):
    assert "name" in admin_client.post(url, {}).json()
    typo = admin_client.post(url, {"name": "X", "is_actve": True})
    assert typo.status_code == 400
    assert "is_actve" in typo.json()


@pytest.mark.parametrize(("url", "block", "model", "factory"), RESOURCES)
def test_filter_search_and_ordering(admin_client, url, block, model, factory):
    card = factory(name="Card", is_active=True)
    cash = factory(name="Cash", is_active=False)
    assert [m["id"] for m in admin_client.get(url, {"is_active": "FALSE"}).json()["results"]] == [
        cash.pk
    ]
    assert [m["id"] for m in admin_client.get(url, {"is_active": "1"}).json()["results"]] == [
        card.pk
    ]
    bad = admin_client.get(url, {"is_active": "maybe"})
    assert bad.status_code == 400
    assert "is_active" in bad.json()
    assert admin_client.get(url, {"search": "cas"}).json()["count"] == 1
    names = [m["name"] for m in admin_client.get(url, {"ordering": "-name"}).json()["results"]]
    assert names == ["Cash", "Card"]


@pytest.mark.parametrize(("url", "block", "model", "factory"), RESOURCES)
def test_list_costs_the_same_queries_for_1_and_20_methods(
    admin_client, url, block, model, factory, memory_cache, django_assert_num_queries
):
    factory(with_image=True)
    admin_client.get(url)  # warm up caches that are not part of the list itself
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(url).json()["count"] == 1
    for _ in range(19):
        factory(with_image=True)
    factory()  # one without an image too
    with django_assert_num_queries(len(one.captured_queries)):
        response = admin_client.get(url, {"limit": 100})
    assert response.json()["count"] == 21
    with_images = [m for m in response.json()["results"] if m["image"] is not None]
    assert len(with_images) == 20
    assert all(len(m["image"]["thumbnails"]) == 2 for m in with_images)


def test_list_query_count_is_pinned(admin_client, memory_cache, django_assert_num_queries):
    for _ in range(5):
        PaymentMethodFactory(with_image=True)
    admin_client.get("/api/payment-methods/")
    # token lookup, count, page of methods with their images, thumbnails
    with django_assert_num_queries(4):
        admin_client.get("/api/payment-methods/")


def test_image_data_matches_the_api(admin_client, rf):
    method = ShippingMethodFactory(with_image=True)
    api = admin_client.get(f"/api/shipping-methods/{method.pk}/").json()["image"]
    request = rf.get("/")
    assert image_data(method.image, request) == api
    assert image_data(None, request) is None


def test_deleting_a_method_used_by_orders_is_a_409(admin_client):
    payment, shipping = PaymentMethodFactory(), ShippingMethodFactory()
    order = Order.objects.create(shipping_method=shipping)
    OrderPayment.objects.create(order=order, payment_method=payment, amount=1000)

    for url, method in [
        ("/api/payment-methods/", payment),
        ("/api/shipping-methods/", shipping),
    ]:
        response = admin_client.delete(f"{url}{method.pk}/")
        assert response.status_code == 409
        assert "Cannot delete" in response.json()["detail"]
        assert type(method).objects.filter(pk=method.pk).exists()


@pytest.mark.parametrize(("url", "block", "model", "factory"), RESOURCES)
def test_staff_with_list_code_only_can_list_and_nothing_else(
    staff_with_codes, url, block, model, factory
):
    method = factory()
    client = staff_with_codes(block + 2)
    assert client.get(url).status_code == 200
    attempts = {
        block + 1: client.post(url, {"name": "X"}),
        block + 3: client.get(f"{url}{method.pk}/"),
        block + 4: client.put(f"{url}{method.pk}/", {"name": "Y"}),
        block + 5: client.delete(f"{url}{method.pk}/"),
    }
    for code, response in attempts.items():
        assert response.status_code == 403, code
        assert str(code) in response.json()["detail"]
