"""An item (a payment) added to an order counts itself into the stored totals and the
fulfilment status without reading the other items, payments or shipments
(orders.services.item_add, payment_add). Whatever the order's shipments and payments, the
stored figures must equal what recomputing them from the rows gives."""

import pytest

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.fulfilment import rules
from bazaar.orders import services
from bazaar.orders.models import FulfilmentStatus, Order

pytestmark = pytest.mark.django_db

TOTALS = [*services.TOTAL_FIELDS, "coupon_discount", "order_discount", "tax", "total"]


def stored_and_recomputed(order_id: int) -> tuple[dict, dict]:
    stored = Order.objects.get(pk=order_id)
    recomputed = Order.objects.get(pk=order_id)
    services._set_totals(recomputed)
    rules.sync_fulfilment(recomputed)
    names = [*TOTALS, "fulfilment_status"]
    return (
        {name: getattr(stored, name) for name in names},
        {name: getattr(recomputed, name) for name in names},
    )


@pytest.mark.parametrize(
    ("shipments", "before"),
    [
        ([], FulfilmentStatus.UNFULFILLED),
        ([{"status": "pending"}], FulfilmentStatus.UNFULFILLED),
        ([{"status": "shipped", "first": 1}], FulfilmentStatus.PARTIALLY_SHIPPED),
        ([{"status": "shipped"}], FulfilmentStatus.SHIPPED),
        (
            [{"status": "pending", "then": "cancelled"}, {"status": "shipped"}],
            FulfilmentStatus.SHIPPED,
        ),
    ],
    # Delivered everything: the order is completed and takes no item (the rule test covers it).
    ids=["none", "pending", "partly", "shipped", "one-cancelled"],
)
def test_an_added_item_keeps_the_stored_figures_exact(admin_client, make_order, shipments, before):
    order = make_order(quantities=(3, 2), paid=0)
    oid, (first, _second) = order["id"], order["items"]
    for shipment in shipments:
        body = {"status": shipment["status"]}
        if "first" in shipment:
            body["items"] = [{"item": first["id"], "quantity": shipment["first"]}]
        response = admin_client.post(f"/api/orders/{oid}/shipments/", body, format="json")
        assert response.status_code == 201, response.content
        if "then" in shipment:
            sid = response.json()["shipments"][-1]["id"]
            moved = admin_client.patch(
                f"/api/orders/{oid}/shipments/{sid}/", {"status": shipment["then"]}
            )
            assert moved.status_code == 200, moved.content
    assert Order.objects.get(pk=oid).fulfilment_status == before
    added = admin_client.post(
        f"/api/orders/{oid}/items/",
        {"product": ProductFactory(price=700).pk, "quantity": 4, "unit_discount": 50},
        format="json",
    )
    assert added.status_code == 201, added.content
    stored, recomputed = stored_and_recomputed(oid)
    assert stored == recomputed
    expected = (
        FulfilmentStatus.UNFULFILLED
        if before == FulfilmentStatus.UNFULFILLED
        else FulfilmentStatus.PARTIALLY_SHIPPED
    )
    assert added.json()["fulfilment_status"] == stored["fulfilment_status"] == expected
    assert added.json()["total"] == stored["total"]


def test_the_added_status_agrees_with_the_rule_over_the_items():
    # fulfilment_status_after_adding is fulfilment_status_for with one more unshipped item.
    cases = {
        FulfilmentStatus.UNFULFILLED: ([(1, 2)], {}, {}),
        FulfilmentStatus.PARTIALLY_SHIPPED: ([(1, 2)], {1: 1}, {}),
        FulfilmentStatus.SHIPPED: ([(1, 2)], {1: 2}, {}),
        FulfilmentStatus.DELIVERED: ([(1, 2)], {1: 2}, {1: 2}),
    }
    for status, (items, shipped, delivered) in cases.items():
        assert rules.fulfilment_status_for(items, shipped, delivered) == status
        with_new = rules.fulfilment_status_for([*items, (2, 1)], shipped, delivered)
        assert rules.fulfilment_status_after_adding(status) == with_new, status


def test_an_added_payment_keeps_the_stored_figures_exact(admin_client, make_order):
    order = make_order(quantities=(3, 2), paid=500)
    oid = order["id"]
    for payment in ({"amount": 700, "approved": True}, {"amount": 900, "approved": False}):
        added = admin_client.post(f"/api/orders/{oid}/payments/", payment, format="json")
        assert added.status_code == 201, added.content
        stored, recomputed = stored_and_recomputed(oid)
        assert stored == recomputed
        assert added.json()["amount_paid"] == stored["amount_paid"] == 1200
