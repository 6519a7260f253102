"""The outbox (SPEC §15): every order event an active subscription matches queues a delivery in
the transaction of the change, its body frozen then; a rolled-back write queues nothing."""

import json

import pytest
from django.db import connection, transaction

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.orders import services as orders
from bazaar.orders.models import Order
from bazaar.webhooks.models import Delivery, Webhook
from bazaar.webhooks.services import new_secret

pytestmark = pytest.mark.django_db


def subscribe(*patterns: str, active: bool = True) -> Webhook:
    return Webhook.objects.create(
        url="https://93.184.215.14/h", events=list(patterns), is_active=active, secret=new_secret()
    )


def bodies(webhook: Webhook | None = None) -> list[dict]:
    deliveries = Delivery.objects.order_by("id")
    if webhook is not None:
        deliveries = deliveries.filter(webhook=webhook)
    return [json.loads(delivery.body) for delivery in deliveries]


def types_of(webhook: Webhook | None = None) -> list[str]:
    return [body["type"] for body in bodies(webhook)]


def test_a_committed_write_queues_its_delivery_inside_its_own_transaction():
    subscribe("*")
    with transaction.atomic():
        order = orders.order_create(data={})
        # Still inside the write's transaction: the row is there already.
        assert list(Delivery.objects.values_list("order_id", "event_type")) == [
            (order.pk, "order.created")
        ]
    assert Delivery.objects.get().status == "pending"


@transaction.atomic
def update_then_fail(order_id: int) -> None:
    orders.order_update(order_id=order_id, data={"notes": "never"})
    assert Delivery.objects.count() == 2  # queued, inside the transaction
    raise RuntimeError("the write failed")


def test_a_rolled_back_write_queues_nothing():
    subscribe("*")
    order = orders.order_create(data={})
    with pytest.raises(RuntimeError, match="the write failed"):
        update_then_fail(order.pk)
    assert types_of() == ["order.created"]


def test_a_refused_api_write_queues_nothing(admin_client):
    subscribe("*")
    order = admin_client.post("/api/orders/", {}, format="json").json()
    refused = admin_client.patch(
        f"/api/orders/{order['id']}/", {"status": "no-such-status"}, format="json"
    )
    assert refused.status_code == 400
    conflict = admin_client.patch(
        f"/api/orders/{order['id']}/", {"notes": "x"}, format="json", HTTP_IF_MATCH='"999"'
    )
    assert conflict.status_code == 412
    assert types_of() == ["order.created"]


def test_the_body_carries_the_event_and_the_order_as_the_api_shows_them(admin_client):
    subscribe("*")
    created = admin_client.post("/api/orders/", {"notes": "call first"}, format="json").json()
    (body,) = bodies()
    assert list(body) == ["type", "timestamp", "data"]
    assert list(body["data"]) == ["event", "order"]
    (event,) = admin_client.get(f"/api/orders/{created['id']}/events/").json()["results"]
    assert body["data"]["event"] == event
    assert body["timestamp"] == event["at"]
    assert body["data"]["order"] == admin_client.get(f"/api/orders/{created['id']}/").json()


def test_the_order_is_frozen_as_of_the_event(admin_client):
    subscribe("order.updated")
    order = admin_client.post("/api/orders/", {}, format="json").json()
    for notes in ("first", "second"):
        admin_client.patch(f"/api/orders/{order['id']}/", {"notes": notes}, format="json")
    first, second = bodies()
    assert (first["data"]["order"]["notes"], first["data"]["order"]["version"]) == ("first", 2)
    assert (second["data"]["order"]["notes"], second["data"]["order"]["version"]) == ("second", 3)
    assert first["data"]["event"]["changes"] == {"notes": [None, "first"]}


def test_each_event_type_maps_to_its_webhook_type(admin_client):
    every = subscribe("*")
    product = ProductFactory(price=1000)
    order = admin_client.post("/api/orders/", {}, format="json").json()
    base = f"/api/orders/{order['id']}/"
    item = admin_client.post(f"{base}items/", {"product": product.pk}, format="json").json()
    item_id = item["items"][0]["id"]
    admin_client.patch(f"{base}items/{item_id}/", {"quantity": 2}, format="json")
    assert admin_client.patch(base, {"status": "hold"}, format="json").status_code == 200
    admin_client.post(f"{base}events/", {"note": "a staff note"}, format="json")  # sends nothing
    paid = admin_client.post(
        f"{base}payments/", {"amount": 2000, "approved": True}, format="json"
    ).json()
    payment_id = paid["payments"][0]["id"]
    admin_client.patch(f"{base}payments/{payment_id}/", {"notes": "ok"}, format="json")
    assert admin_client.delete(f"{base}items/{item_id}/").status_code == 204
    assert admin_client.delete(base).status_code == 204
    assert types_of(every) == [
        "order.created", "item.added", "item.updated", "order.status_changed", "payment.added",
        "order.paid", "payment.updated", "item.removed", "order.deleted",
    ]  # fmt: skip
    paid_body = bodies()[5]
    assert paid_body["data"]["event"]["type"] == "payment_added"  # the event that made it paid
    assert paid_body["data"]["event"]["payment"] == payment_id
    assert paid_body["data"]["order"]["is_paid"] is True
    deleted = bodies()[-1]
    assert deleted["data"]["event"]["changes"]["status"][1] == "deleted"


def test_patterns_choose_the_types_and_inactive_subscriptions_get_nothing(admin_client):
    orders_only = subscribe("order.*")
    paid_only = subscribe("order.paid", "item.added")
    everything = subscribe("*")
    inactive = subscribe("*", active=False)
    product = ProductFactory(price=500)
    created = admin_client.post(
        "/api/orders/",
        {"items": [{"product": product.pk}], "payments": [{"amount": 500, "approved": True}]},
        format="json",
    ).json()
    assert Order.objects.get(pk=created["id"]).is_paid
    assert types_of(orders_only) == ["order.created", "order.paid"]
    assert types_of(paid_only) == ["order.paid"]
    assert types_of(everything) == ["order.created", "order.paid"]
    assert types_of(inactive) == []
    # An order created paid: order.paid carries the one event there is.
    assert bodies(paid_only)[0]["data"]["event"]["type"] == "order_created"


def write(order_id: int, n: int) -> None:
    orders.order_update(order_id=order_id, data={"notes": f"n{n}"})


def test_query_count_of_an_order_write_without_subscriptions(django_assert_num_queries):
    order = orders.order_create(data={})
    write(order.pk, 0)  # warm up (content types, ...)
    subscribe("*", active=False)
    with django_assert_num_queries(WRITE_QUERIES):
        write(order.pk, 1)
    assert not Delivery.objects.exists()


def test_query_count_of_an_order_write_with_three_subscriptions(django_assert_num_queries):
    order = orders.order_create(data={})
    write(order.pk, 0)
    for patterns in (["*"], ["order.*"], ["order.updated"]):
        subscribe(*patterns)
    # + the events' shape, the order's shape, one insert of the deliveries.
    with django_assert_num_queries(WRITE_QUERIES + 1 + ORDER_SHAPE_QUERIES + 1):
        write(order.pk, 1)
    assert Delivery.objects.count() == 3
    for patterns in (["*"], ["order.*"], ["order.updated"]):
        subscribe(*patterns)
    with django_assert_num_queries(WRITE_QUERIES + 1 + ORDER_SHAPE_QUERIES + 1):
        write(order.pk, 2)  # six subscriptions: the same queries
    assert Delivery.objects.count() == 9


# What an order update costs with no subscription to send to: its change-feed row (bazaar.feed)
# and the read of the active subscriptions included, which on PostgreSQL go in one statement
# with the order's update and its event (bazaar.orders.events.EventLog.commit: three fewer).
# And the order shape's reads: on PostgreSQL its document (bazaar.orders.documents); elsewhere
# the order, its items, its payments, its shipments, its refunds.
WRITE_QUERIES = 7 - (3 if connection.vendor == "postgresql" else 0)
ORDER_SHAPE_QUERIES = 1 if connection.vendor == "postgresql" else 5
