"""Seeds 000, 001 and 002 reproduced field for field through the API (values the server makes,
such as ids, keys, timestamps and file URLs, are checked for form instead of value).

Later features may add keys to these shapes, never remove or rename the source's (SPEC §5), so the
source's keys are compared, in the source's order, and must come first."""

import re

import pytest

pytestmark = pytest.mark.django_db

SOURCE_ORDER_KEYS = (
    "id", "key", "status", "customer_data", "payment_method_data", "shipping_method_data",
    "shipping_cost", "notes", "extra", "created_at", "updated_at", "billing_country_data",
    "billing_state_data", "billing_city_data", "billing_address", "billing_postal_code",
    "billing_national_code", "billing_mobile_number", "billing_first_name", "billing_last_name",
    "count", "quantity", "items_subtotal", "items_discount", "subtotal", "total_discount", "total",
    "amount_paid", "amount_outstanding", "is_paid", "is_payable", "items", "payments",
)  # fmt: skip
SOURCE_ITEM_KEYS = (
    "id", "product", "product_title", "product_name", "product_data", "unit_price",
    "unit_discount", "quantity", "notes", "subtotal", "discount", "total", "created_at",
    "updated_at",
)  # fmt: skip
UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
CUSTOMER_DATA = {
    "username": "BehroozGhorbani",
    "mobile_number": "09308744204",
    "first_name": "بهروز",
    "last_name": "قربانی",
    "full_name": "بهروز قربانی",
}
PAYMENT_METHOD_DATA = {"name": "پرداخت در مخل", "image": None}
SHIPPING_IMAGE = {
    "type": "image",
    "name": "پیک موتوری",
    "size": 808754,
    "human_readable_size": "789.80 KB",
    "width": 1920,
    "height": 1080,
    "mode": "RGB",
}


def without(data: dict, *keys: str) -> dict:
    return {k: v for k, v in data.items() if k not in keys}


def source_part(data: dict, source_keys: tuple[str, ...]) -> dict:
    """The source's keys of a response, after checking they lead it in the source's order."""
    assert tuple(data)[: len(source_keys)] == source_keys
    return {k: data[k] for k in source_keys}


def assert_server_made(order: dict) -> None:
    assert isinstance(order["id"], int)
    assert re.fullmatch(r"[0-9a-f]{20}", order["key"])
    assert UTC_STAMP.match(order["created_at"])
    assert UTC_STAMP.match(order["updated_at"])


def assert_shipping_method_data(data: dict, world) -> None:
    assert data["id"] == world.shipping_method.pk
    assert data["name"] == "پیک موتور"
    image = data["image"]
    assert without(image, "id", "f", "thumbnails") == SHIPPING_IMAGE
    assert image["f"].startswith("http://testserver/media/core_media/")
    assert image["f"].endswith("/Fantasticheskie_kartinki_dlja_monitora_68_63.jpg")
    assert [t["size"] for t in image["thumbnails"]] == [64, 128, 512, 1080]
    for thumb in image["thumbnails"]:
        assert re.search(
            rf"/thumbnails/\S+_thumbnail_{thumb['size']}x{thumb['size']}\.jpg$", thumb["f"]
        )


def test_seed_000_create_order(admin_client, world, source_order_body):
    response = admin_client.post("/api/orders/", source_order_body)
    assert response.status_code == 201, response.json()
    order = response.json()
    order = source_part(order, SOURCE_ORDER_KEYS)
    assert_server_made(order)
    assert_shipping_method_data(order["shipping_method_data"], world)
    assert order["customer_data"] == {"id": world.customer.pk, **CUSTOMER_DATA}
    assert order["payment_method_data"] == {"id": world.payment_method.pk, **PAYMENT_METHOD_DATA}
    assert without(order, "id", "key", "created_at", "updated_at", "customer_data",
                   "payment_method_data", "shipping_method_data") == {
        "status": "new",
        "shipping_cost": 75000,
        "notes": source_order_body["notes"],
        "extra": {"some": "data"},
        "billing_country_data": {"id": world.country.pk, "name": "ایران", "code": "IR"},
        "billing_state_data": {"id": world.state.pk, "name": "آذربایجان شرقی", "code": "EA"},
        "billing_city_data": {"id": world.city.pk, "name": "اسکو"},
        "billing_address": "5411 Stokes Grove",
        "billing_postal_code": "1234567890",
        "billing_national_code": None,
        "billing_mobile_number": "09523296536",
        "billing_first_name": "پدرام",
        "billing_last_name": "زمانی",
        "count": 0,
        "quantity": 0,
        "items_subtotal": 0,
        "items_discount": 0,
        "subtotal": 0,
        "total_discount": 0,
        "total": 75000,
        "amount_paid": 0,
        "amount_outstanding": 75000,
        "is_paid": False,
        "is_payable": False,
        "items": [],
        "payments": [],
    }  # fmt: skip


def test_seed_000_minimal_order_and_seed_002_empty_order(admin_client, world):
    response = admin_client.post(
        "/api/orders", {"customer": world.customer.pk, "notes": "Standard order"}
    )
    assert response.status_code == 201
    assert response.json()["notes"] == "Standard order"
    empty = source_part(admin_client.post("/api/orders/", {}).json(), SOURCE_ORDER_KEYS)
    assert_server_made(empty)
    # Seed 002's second order: nothing set, every absent value null / {} / 0.
    assert without(empty, "id", "key", "created_at", "updated_at") == {
        "status": "new", "customer_data": None, "payment_method_data": None,
        "shipping_method_data": None, "shipping_cost": 0, "notes": None, "extra": {},
        "billing_country_data": None, "billing_state_data": None, "billing_city_data": None,
        "billing_address": None, "billing_postal_code": None, "billing_national_code": None,
        "billing_mobile_number": None, "billing_first_name": None, "billing_last_name": None,
        "count": 0, "quantity": 0, "items_subtotal": 0, "items_discount": 0, "subtotal": 0,
        "total_discount": 0, "total": 0, "amount_paid": 0, "amount_outstanding": 0,
        "is_paid": False, "is_payable": False, "items": [], "payments": [],
    }  # fmt: skip


def test_seed_001_create_order_item(admin_client, world, source_order_body):
    order_id = admin_client.post("/api/orders/", source_order_body).json()["id"]
    added = admin_client.post(
        f"/api/orders/{order_id}/items",
        {"product": world.mouse.pk, "unit_price": 9780000, "unit_discount": 80000, "quantity": 5,
         "notes": "some random note"},
    )  # fmt: skip
    assert added.status_code == 201, added.json()
    response = admin_client.post(
        f"/api/orders/{order_id}/payments/",
        {"payment_method": world.payment_method.pk, "amount": 500000, "approved": True,
         "transaction_id": "1589800", "notes": ""},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    order = source_part(response.json(), SOURCE_ORDER_KEYS)
    totals = {k: order[k] for k in SOURCE_ORDER_KEYS[20:31]}
    assert totals == {
        "count": 1, "quantity": 5, "items_subtotal": 48900000, "items_discount": 400000,
        "subtotal": 48900000, "total_discount": 400000, "total": 48575000, "amount_paid": 500000,
        "amount_outstanding": 48075000, "is_paid": False, "is_payable": True,
    }  # fmt: skip
    (item,) = order["items"]
    item = source_part(item, SOURCE_ITEM_KEYS)
    assert UTC_STAMP.match(item["created_at"])
    assert without(item, "id", "created_at", "updated_at", "product_data") == {
        "product": world.mouse.pk,
        "product_title": "ماوس لاجیتک MX Vertical",
        "product_name": "ماوس لاجیتک MX Vertical",
        "unit_price": 9780000, "unit_discount": 80000, "quantity": 5, "notes": "some random note",
        "subtotal": 48900000, "discount": 400000, "total": 48500000,
    }  # fmt: skip
    snapshot = item["product_data"]
    assert without(snapshot, "image") == {
        "id": world.mouse.pk,
        "code": "1001001",
        "slug": "logitech-mouse-mx-vertical",
        "title": "ماوس لاجیتک MX Vertical",
    }
    assert without(snapshot["image"], "id", "f") == {
        "mode": "RGB", "name": "logitech-mx-1", "size": 4766, "type": "image", "width": 225,
        "height": 225, "human_readable_size": "4.65 KB",
    }  # fmt: skip
    assert snapshot["image"]["f"].endswith("/logitech-mx-1.jpg")
    (payment,) = order["payments"]
    assert without(payment, "id", "created_at", "updated_at") == {
        "payment_method_data": {"id": world.payment_method.pk, **PAYMENT_METHOD_DATA},
        "approved": True, "amount": 500000, "transaction_id": "1589800", "notes": "",
    }  # fmt: skip


def test_seed_002_two_items_totals(admin_client, world, source_order_body):
    order_id = admin_client.post("/api/orders/", source_order_body).json()["id"]
    admin_client.post(
        f"/api/orders/{order_id}/items/",
        {"product": world.mouse.pk, "unit_price": 8500000, "unit_discount": 500000, "quantity": 5,
         "notes": "handle with care"},
    )  # fmt: skip
    admin_client.post(
        f"/api/orders/{order_id}/items/",
        {
            "product": world.freshener.pk,
            "unit_price": 980000,
            "unit_discount": 80000,
            "quantity": 10,
        },
    )
    admin_client.post(
        f"/api/orders/{order_id}/payments/",
        {"payment_method": world.payment_method.pk, "amount": 500000, "approved": True,
         "transaction_id": "1589800"},
    )  # fmt: skip
    admin_client.patch(f"/api/orders/{order_id}/", {"status": "processing"})
    listed = admin_client.get("/api/orders/").json()
    assert listed["count"] == 1
    order = listed["results"][0]
    assert order == admin_client.get(f"/api/orders/{order_id}/").json()
    order = source_part(order, SOURCE_ORDER_KEYS)
    assert order["status"] == "processing"
    assert {k: order[k] for k in SOURCE_ORDER_KEYS[20:31]} == {
        "count": 2, "quantity": 15, "items_subtotal": 52300000, "items_discount": 3300000,
        "subtotal": 52300000, "total_discount": 3300000, "total": 49075000, "amount_paid": 500000,
        "amount_outstanding": 48575000, "is_paid": False, "is_payable": True,
    }  # fmt: skip
    first, second = (source_part(item, SOURCE_ITEM_KEYS) for item in order["items"])
    assert (first["subtotal"], first["discount"], first["total"]) == (42500000, 2500000, 40000000)
    assert (second["subtotal"], second["discount"], second["total"]) == (9800000, 800000, 9000000)
    assert second["notes"] == ""
