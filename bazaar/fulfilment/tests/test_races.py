"""Races for the last quantity and the last money (SPEC §14), through the real HTTP stack with
real parallel database connections (bazaar.orders.tests.test_concurrency.run_in_parallel): the
order row lock (PostgreSQL) or IMMEDIATE transactions (SQLite) make them queue, so exactly as
many succeed as fit."""

import pytest

from bazaar.accounts.models import User
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.conftest import client_for
from bazaar.fulfilment.models import Refund, Shipment, ShipmentItem
from bazaar.orders.models import Order, OrderEvent, OrderItem
from bazaar.orders.tests.test_concurrency import run_in_parallel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def racer():
    return User.objects.create_superuser("racer", "r@example.com", "pw-Racer-123")


def _order(racer, *, quantity: int, paid: int) -> dict:
    client = client_for(racer)
    body = {
        "items": [{"product": ProductFactory(price=paid // quantity).pk, "quantity": quantity}],
        "payments": [{"amount": paid, "approved": True}],
    }
    order = client.post("/api/orders/", body).json()
    assert client.patch(f"/api/orders/{order['id']}/", {"status": "processing"}).status_code == 200
    return order


def test_8_concurrent_shipments_of_the_last_quantity_accept_exactly_one(racer):
    order = _order(racer, quantity=5, paid=1000)
    item = order["items"][0]["id"]
    url = f"/api/orders/{order['id']}/shipments/"
    client = client_for(racer)
    assert client.post(url, {"items": [{"item": item, "quantity": 4}]}).status_code == 201
    clients = [client_for(racer) for _ in range(8)]
    codes = run_in_parallel(
        [
            lambda c=c: c.post(url, {"items": [{"item": item, "quantity": 1}]}).status_code
            for c in clients
        ]
    )
    assert sorted(codes) == [201] + [400] * 7
    assert ShipmentItem.objects.filter(item_id=item).count() == 2
    assert Shipment.objects.filter(order_id=order["id"]).count() == 2
    assert OrderEvent.objects.filter(order_id=order["id"], type="shipment_created").count() == 2


def test_8_concurrent_whole_shipments_accept_exactly_one(racer):
    order = _order(racer, quantity=3, paid=900)
    url = f"/api/orders/{order['id']}/shipments/"
    clients = [client_for(racer) for _ in range(8)]
    codes = run_in_parallel(
        [lambda c=c: c.post(url, {"status": "shipped"}).status_code for c in clients]
    )
    assert sorted(codes) == [201] + [400] * 7
    stored = Order.objects.get(pk=order["id"])
    assert (stored.status, stored.fulfilment_status) == ("shipped", "shipped")
    assert OrderItem.objects.get(order_id=order["id"]).quantity_shipped == 3
    assert OrderEvent.objects.filter(order_id=order["id"], type="status_changed").count() == 2


def test_6_parallel_refunds_of_400_on_a_payment_of_1000_accept_exactly_2(racer):
    order = _order(racer, quantity=1, paid=1000)
    payment = order["payments"][0]["id"]
    url = f"/api/orders/{order['id']}/refunds/"
    clients = [client_for(racer) for _ in range(6)]
    codes = run_in_parallel(
        [lambda c=c: c.post(url, {"payment": payment, "amount": 400}).status_code for c in clients]
    )
    assert sorted(codes) == [201, 201] + [400] * 4
    assert Order.objects.get(pk=order["id"]).amount_refunded == 800
    assert Refund.objects.filter(payment_id=payment).count() == 2


def test_8_concurrent_refunds_of_the_last_amount_accept_exactly_one(racer):
    order = _order(racer, quantity=1, paid=1000)
    payment = order["payments"][0]["id"]
    url = f"/api/orders/{order['id']}/refunds/"
    assert client_for(racer).post(url, {"payment": payment, "amount": 700}).status_code == 201
    clients = [client_for(racer) for _ in range(8)]
    codes = run_in_parallel(
        [lambda c=c: c.post(url, {"payment": payment, "amount": 300}).status_code for c in clients]
    )
    assert sorted(codes) == [201] + [400] * 7
    stored = Order.objects.get(pk=order["id"])
    assert (stored.amount_refunded, stored.status) == (1000, "refunded")
