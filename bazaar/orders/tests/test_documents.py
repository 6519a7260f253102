"""The order documents PostgreSQL writes (bazaar.orders.documents) are the Python shapes
(serializers.orders_data), key for key and in the same key order, for orders holding every kind
of nested row; and the two rules written twice, in SQL and in Python (an image's human-readable
size, a file path's URL), agree on any input."""

import json

import orjson
import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test import RequestFactory
from django.utils.encoding import filepath_to_uri
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bazaar.accounts.models import User
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.coupons.tests.factories import CouponFactory
from bazaar.fulfilment.models import Refund, RefundItem, Shipment, ShipmentItem
from bazaar.media.models import Image
from bazaar.media.serializers import image_url_prefix
from bazaar.media.services import human_readable_size
from bazaar.media.sql import file_url_sql
from bazaar.media.tests.factories import ImageFactory
from bazaar.methods.tests.factories import BranchFactory
from bazaar.orders import documents
from bazaar.orders.models import Order, OrderItem, OrderPayment
from bazaar.orders.selectors import order_rows_by_ids, order_rows_related
from bazaar.orders.serializers import orders_data
from bazaar.orders.services import order_refresh_totals
from bazaar.orders.status import Status

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the documents are PostgreSQL's JSON"
)

PREFIX = "http://testserver/media/"


def request():
    return RequestFactory().get("/api/orders/", HTTP_HOST="testserver")


def as_python(ids: list[int]) -> list[str]:
    shaped = orders_data(order_rows_related(order_rows_by_ids(ids)), request())
    return [json.dumps(orjson.loads(orjson.dumps(order)), ensure_ascii=False) for order in shaped]


def as_documents(ids: list[int]) -> list[str]:
    found = documents.order_documents(ids, request())
    return [json.dumps(json.loads(d.json), ensure_ascii=False) for d in found]


@pytest.fixture
def orders(world):
    """Three orders: one with every kind of nested row, a bare one, and one with a coupon and
    an order discount but no customer, method or place."""
    picture = ImageFactory(name="عکس محصول", width=1920, height=1080, fmt="JPEG")
    world.payment_method.image = ImageFactory(name="درگاه")
    world.payment_method.save()
    product = ProductFactory(image=picture, title="کالا (ویژه)")
    full = Order.objects.create(
        status="processing", customer=world.customer, payment_method=world.payment_method,
        shipping_method=world.shipping_method, billing_country=world.country,
        billing_state=world.state, billing_city=world.city, shipping_country=world.country,
        shipping_state=world.state, shipping_city=world.city, pickup_branch=BranchFactory(),
        shipping_latitude="35.689200", shipping_longitude="51.389000", tax_rate="9.5",
        extra={"nested": {"b": [1, 2.5, None, True], "a": "متن"}}, tags=["vip", "هدیه"],
        notes="یادداشت \"نقل\" \\ و\nخط",
    )  # fmt: skip
    items = [
        OrderItem.objects.create(
            order=full, product=product, unit_price=1000, unit_discount=100, quantity=3,
            product_data={"id": product.pk, "image": {"f": picture.file.name, "id": picture.pk}},
            options=[{"group": "رنگ", "value": "آبی", "price": 0}],
        ),
        OrderItem.objects.create(
            order=full, product=world.freshener, unit_price=500, quantity=1, product_data={}
        ),
    ]  # fmt: skip
    payment = OrderPayment.objects.create(
        order=full, amount=2000, approved=True, payment_method=world.payment_method
    )
    OrderPayment.objects.create(order=full, amount=300, transaction_id="T-1")
    shipment = Shipment.objects.create(
        order=full, status="shipped", shipping_method=world.shipping_method, tracking_number="X1"
    )
    ShipmentItem.objects.create(shipment=shipment, item=items[0], quantity=2)
    ShipmentItem.objects.create(shipment=shipment, item=items[1], quantity=1)
    Shipment.objects.create(order=full, status="pending")
    refund = Refund.objects.create(
        order=full, payment=payment, amount=50, reason="شکسته",
        actor=User.objects.create(username="staff-1", is_staff=True),
    )  # fmt: skip
    RefundItem.objects.create(refund=refund, item=items[0], quantity=1)
    Refund.objects.create(order=full, payment=payment, amount=10)
    order_refresh_totals(order=full)
    bare = Order.objects.create()
    coupon = CouponFactory(code="OFF10", kind="percent", value=10)
    discounted = Order.objects.create(
        coupon=coupon, coupon_code="OFF10", coupon_kind="percent", coupon_value=10,
        order_discount=30, status="cancelled",
    )  # fmt: skip
    OrderItem.objects.create(order=discounted, product=product, unit_price=1000, product_data={})
    order_refresh_totals(order=discounted)
    Order.objects.filter(pk=discounted.pk).update(order_discount=30)  # as stored, whatever made it
    return [full.pk, bare.pk, discounted.pk]


@postgresql
def test_the_documents_are_the_python_shapes_key_for_key(orders):
    expected = as_python(orders)
    assert len(expected) == 3
    assert as_documents(orders) == expected
    full = json.loads(expected[0])  # the fixture holds what it claims to
    assert full["items"][0]["product_data"]["image"]["f"].startswith("http://testserver/media/")
    assert full["payments"][0]["payment_method_data"]["image"]["thumbnails"]
    assert [len(s["items"]) for s in full["shipments"]] == [2, 0]
    assert full["refunds"][0]["actor"]["username"] == "staff-1"
    assert full["pickup_branch_data"] and full["billing_city_data"]
    assert full["discounts"][0] == {"type": "items", "amount": 300}
    assert [line["type"] for line in json.loads(expected[2])["discounts"]] == ["coupon", "order"]


@postgresql
def test_the_list_with_its_snapshot_urls_written_by_the_database_is_the_python_shape(orders, world):
    """The list's rows (`order_rows_related(..., image_prefix)`): JSON columns passed through as
    PostgreSQL's text, each snapshot's image URL written by the database. Shaped, they are what
    the rows parsed and shaped in Python give, key order included."""
    for snapshot in (
        {"image": {"f": "تصویر/عکس ۱ (کوچک)#?.jpg", "id": 9}},
        {"image": {"f": "", "id": 1}},
        {"image": None, "title": "x"},
    ):
        OrderItem.objects.create(
            order_id=orders[1], product=world.mouse, unit_price=1, product_data=snapshot
        )
    prefix = image_url_prefix(request())
    assert prefix == PREFIX
    rows = order_rows_related(order_rows_by_ids(orders), prefix)
    snapshot = rows.items[orders[0]][0]["product_data"]
    assert isinstance(snapshot, orjson.Fragment)  # passed through, not parsed
    passed = [
        json.dumps(orjson.loads(orjson.dumps(order)), ensure_ascii=False)
        for order in orders_data(rows, request())
    ]
    assert passed == as_python(orders)
    urls = [i["product_data"]["image"] for i in json.loads(passed[1])["items"]]
    assert urls[0]["f"] == PREFIX + filepath_to_uri("تصویر/عکس ۱ (کوچک)#?.jpg")
    assert urls[1:] == [{"f": "", "id": 1}, None]


@postgresql
def test_documents_keep_the_order_asked_and_skip_missing_ids(orders):
    asked = [orders[2], 10**9, orders[0], 2**63, orders[1]]
    assert [d.id for d in documents.order_documents(asked, request())] == [
        orders[2], orders[0], orders[1],
    ]  # fmt: skip
    assert documents.order_documents([], request()) == []


@postgresql
@pytest.mark.parametrize("status", [s.value for s in Status])
def test_every_status_shows_its_next_statuses_and_payability(orders, status):
    Order.objects.filter(pk__in=orders).update(status=status)
    assert as_documents(orders) == as_python(orders)


def test_the_retrieve_and_a_write_answer_with_the_document(admin_client, orders, world):
    order_id = orders[0]
    read = admin_client.get(f"/api/orders/{order_id}/")
    assert read.status_code == 200
    assert read.headers["ETag"] == f'"{order_id}-{read.json()["version"]}"'
    item = admin_client.post(f"/api/orders/{order_id}/items/", {"product": world.mouse.pk})
    assert item.status_code == 201
    assert item.json()["count"] == read.json()["count"] + 1
    assert item.json()["version"] == read.json()["version"] + 1


def _sql_value(expression: str, **params):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", params)
        return cursor.fetchone()[0]


EDGES = [0, 1, 1023, 1024, 1152, 1153, 4766, 808754, 1024**2 - 1, 1024**2, 1024**3 - 1, 1024**4]


@postgresql
@pytest.mark.parametrize("size", EDGES)
def test_human_sizes_round_as_python_does_at_the_edges(size):
    """1152 B is 1.125 KB exactly: Python rounds half to even ("1.12 KB")."""
    assert _sql_value(documents._human_size("%(size)s::bigint"), size=size) == human_readable_size(
        size
    )


@postgresql
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(min_value=0, max_value=2**50))
def test_human_sizes_agree_with_python(db, size):
    assert _sql_value(documents._human_size("%(size)s::bigint"), size=size) == human_readable_size(
        size
    )


@postgresql
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    )
)
def test_file_urls_agree_with_filepath_to_uri(db, path):
    url = _sql_value(file_url_sql("%(prefix)s", "%(path)s::text"), prefix=PREFIX, path=path)
    assert url == PREFIX + filepath_to_uri(path).lstrip("/")


class SignedURLStorage(FileSystemStorage):
    """A storage whose URLs are not its base + the path (a signed query, as a CDN's are)."""

    def url(self, name):
        return f"https://cdn.example/{name}?signature=1"


def test_a_storage_whose_urls_are_its_own_is_asked_for_each_url(admin_client, orders, monkeypatch):
    """Neither the documents nor the list's rows write such URLs in SQL: the storage's own
    `url` makes them, on both databases, for the list and the retrieve alike."""
    monkeypatch.setattr(Image._meta.get_field("file"), "storage", SignedURLStorage())
    assert image_url_prefix(request()) is None
    listed = admin_client.get("/api/orders/", {"limit": 100}).json()["results"]
    full = next(order for order in listed if order["id"] == orders[0])
    read = admin_client.get(f"/api/orders/{orders[0]}/").json()
    picture = full["items"][0]["product_data"]["image"]["f"]
    assert picture.startswith("https://cdn.example/") and picture.endswith("?signature=1")
    assert read == full
