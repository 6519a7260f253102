"""Shipments and refunds nest in the order shape at a fixed number of queries (SPEC §14): the list
of 1 and of 100 orders with shipments and refunds costs the same."""

import pytest

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.fulfilment.models import Refund, RefundItem, Shipment, ShipmentItem
from bazaar.orders.models import Order, OrderItem, OrderPayment
from bazaar.orders.services import order_refresh_totals

pytestmark = pytest.mark.django_db

# The token; the count; the page's ids; its rows; its places (none here: no query); items;
# payments; shipments with their lines; refunds with their lines; the method images (none here).
LIST_QUERIES = 8


def _order_with_everything(product, method) -> None:
    order = Order.objects.create(status="processing", shipping_method=method)
    item = OrderItem.objects.create(order=order, product=product, unit_price=100, quantity=2)
    payment = OrderPayment.objects.create(order=order, amount=200, approved=True)
    order_refresh_totals(order=order)
    for status in ("shipped", "cancelled"):
        shipment = Shipment.objects.create(order=order, status=status, shipping_method=method)
        ShipmentItem.objects.create(shipment=shipment, item=item, quantity=2)
    refund = Refund.objects.create(order=order, payment=payment, amount=50)
    RefundItem.objects.create(refund=refund, item=item, quantity=1)
    Refund.objects.create(order=order, payment=payment, amount=10)


def test_the_list_costs_the_same_for_1_and_for_100_orders_with_shipments_and_refunds(
    admin_client, memory_cache, django_assert_num_queries, shop
):
    product = ProductFactory()
    admin_client.get("/api/orders/")  # warm what a first request loads once
    for count in (1, 100):
        while Order.objects.count() < count:
            _order_with_everything(product, shop.courier)
        with django_assert_num_queries(LIST_QUERIES):
            body = admin_client.get("/api/orders/", {"limit": 100}).json()
        assert len(body["results"]) == count
        for order in body["results"]:
            assert [s["status"] for s in order["shipments"]] == ["shipped", "cancelled"]
            assert [s["items"][0]["quantity"] for s in order["shipments"]] == [2, 2]
            assert [r["amount"] for r in order["refunds"]] == [50, 10]
            assert order["refunds"][0]["items"] == [
                {"item": order["items"][0]["id"], "quantity": 1}
            ]
            assert order["refunds"][1]["items"] == []


def test_child_lists_page_whole_shipments(admin_client, make_order):
    order = make_order(quantities=(1, 1, 1))
    oid = order["id"]
    for item in order["items"]:
        admin_client.post(
            f"/api/orders/{oid}/shipments/", {"items": [{"item": item["id"], "quantity": 1}]}
        )
    page = admin_client.get(f"/api/orders/{oid}/shipments/", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 3
    assert [s["items"][0]["item"] for s in page["results"]] == [i["id"] for i in order["items"][1:]]
