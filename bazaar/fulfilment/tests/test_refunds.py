"""Refunds and returns (SPEC §14): the shape, the money and quantity limits, the amount from the
returned items, the automatic move to `refunded`, the payment guards, 405 for edits."""

import pytest

from bazaar.accounts.codes import PermissionCode
from bazaar.fulfilment.models import Refund, RefundItem
from bazaar.fulfilment.tests.conftest import events_of

pytestmark = pytest.mark.django_db


def refund(client, order_id: int, body: dict, **headers):
    return client.post(f"/api/orders/{order_id}/refunds/", body, **headers)


def test_a_partial_refund_with_returned_items(admin_client, admin_user, make_order):
    order = make_order()  # items 3 and 2 at 900 after discount; paid 4500
    oid = order["id"]
    payment = order["payments"][0]["id"]
    first = order["items"][0]["id"]
    made = refund(
        admin_client,
        oid,
        {"payment": payment, "items": [{"item": first, "quantity": 2}], "reason": "broken"},
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["amount_paid"], body["amount_refunded"], body["net_paid"]) == (4500, 1800, 2700)
    assert body["total"] == 4500 and body["amount_outstanding"] == 0  # not re-priced
    assert [i["quantity_returned"] for i in body["items"]] == [2, 0]
    assert body["status"] == "processing"
    [shown] = body["refunds"]
    assert list(shown) == ["id", "payment", "amount", "reason", "items", "actor", "created_at"]
    assert shown["payment"] == payment and shown["amount"] == 1800 and shown["reason"] == "broken"
    assert shown["items"] == [{"item": first, "quantity": 2}]
    assert shown["actor"] == {"id": admin_user.pk, "username": admin_user.username}
    listed = admin_client.get(f"/api/orders/{oid}/refunds/").json()
    assert listed["count"] == 1 and listed["results"] == [shown]
    assert admin_client.get(f"/api/orders/{oid}/refunds/{shown['id']}").json() == shown
    [event] = events_of(admin_client, oid, "refund_created")
    assert event["refund"] == shown["id"] and event["shipment"] is None
    assert event["changes"] == {
        "payment": [None, payment],
        "amount": [None, 1800],
        "reason": [None, "broken"],
        "items": [[], [{"item": first, "quantity": 2}]],
    }


def test_amount_given_with_items_is_taken_as_given(admin_client, make_order):
    order = make_order()
    first = order["items"][0]["id"]
    body = refund(
        admin_client,
        order["id"],
        {
            "payment": order["payments"][0]["id"],
            "amount": 50,
            "items": [{"item": first, "quantity": 3}],
        },
    ).json()
    assert body["amount_refunded"] == 50 and body["items"][0]["quantity_returned"] == 3
    again = refund(
        admin_client,
        order["id"],
        {
            "payment": order["payments"][0]["id"],
            "amount": 1,
            "items": [{"item": first, "quantity": 1}],
        },
    )
    assert again.status_code == 400
    assert again.json() == {
        "items": [{"quantity": [f"Item {first} has 0 left to return; 1 asked."]}]
    }


def test_refunds_never_exceed_the_payment(admin_client, make_order):
    order = make_order()
    oid, payment = order["id"], order["payments"][0]["id"]
    assert refund(admin_client, oid, {"payment": payment, "amount": 4000}).status_code == 201
    over = refund(admin_client, oid, {"payment": payment, "amount": 501})
    assert over.status_code == 400
    assert over.json() == {
        "amount": [f"Payment {payment} has 500 left to refund (of 4500, 4000 refunded); 501 asked."]
    }
    assert Refund.objects.filter(order_id=oid).count() == 1


def test_the_last_refund_moves_the_order_to_refunded(admin_client, admin_user, make_order):
    order = make_order()
    oid, payment = order["id"], order["payments"][0]["id"]
    refund(admin_client, oid, {"payment": payment, "amount": 4000})
    last = refund(admin_client, oid, {"payment": payment, "amount": 500}).json()
    assert last["status"] == "refunded" and last["net_paid"] == 0
    [move] = [
        e
        for e in events_of(admin_client, oid, "status_changed")
        if e["changes"]["status"][1] == "refunded"
    ]
    assert move["changes"] == {"status": ["processing", "refunded"]}
    assert move["actor"]["id"] == admin_user.pk
    filtered = admin_client.get("/api/orders/?is_refunded=true").json()
    assert [o["id"] for o in filtered["results"]] == [oid]


def test_a_full_refund_where_the_table_forbids_refunded_keeps_the_status(admin_client, make_order):
    order = make_order(status="new")  # new → refunded is not in §5's table
    oid, payment = order["id"], order["payments"][0]["id"]
    body = refund(admin_client, oid, {"payment": payment, "amount": 4500}).json()
    assert body["status"] == "new" and body["amount_refunded"] == 4500
    assert events_of(admin_client, oid, "status_changed") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 10}, "payment"),
        ({"payment": "x", "amount": 10}, "payment"),
        ({"payment": 1, "amount": 0}, "amount"),
        ({"payment": 1, "amount": 1.5}, "amount"),
        ({"payment": 1, "amount": 10**16}, "amount"),
        ({"payment": 1, "items": [{"item": 1, "quantity": 0}]}, "items"),
        ({"payment": 1, "amount": 10, "actor": 5, "cost": 1}, "cost"),
    ],
)
def test_bad_refund_input_is_a_400(admin_client, make_order, body, field):
    order = make_order()
    answer = refund(admin_client, order["id"], body)
    assert answer.status_code == 400 and field in answer.json()
    assert not Refund.objects.exists()


def test_only_approved_payments_of_this_order(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    pending = admin_client.post(f"/api/orders/{oid}/payments/", {"amount": 10}).json()["payments"][
        1
    ]
    answer = refund(admin_client, oid, {"payment": pending["id"], "amount": 5})
    assert answer.status_code == 400
    assert answer.json() == {
        "payment": [
            f"Payment {pending['id']} is not approved: only approved payments are refunded."
        ]
    }
    other = make_order()["payments"][0]["id"]
    foreign = refund(admin_client, oid, {"payment": other, "amount": 5})
    assert foreign.json() == {"payment": [f"Payment {other} is not a payment of order {oid}."]}
    nothing = refund(admin_client, oid, {"payment": order["payments"][0]["id"]})
    assert nothing.status_code == 400 and "amount" in nothing.json()
    foreign_item = make_order()["items"][0]["id"]
    item = refund(
        admin_client,
        oid,
        {"payment": order["payments"][0]["id"], "items": [{"item": foreign_item, "quantity": 1}]},
    )
    assert item.json() == {
        "items": [{"item": [f"Item {foreign_item} is not an item of order {oid}."]}]
    }


def test_a_free_return_needs_an_amount(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    item = order["items"][0]
    admin_client.patch(
        f"/api/orders/{oid}/items/{item['id']}/", {"unit_price": 0, "unit_discount": 0}
    )
    answer = refund(
        admin_client,
        oid,
        {"payment": order["payments"][0]["id"], "items": [{"item": item["id"], "quantity": 1}]},
    )
    assert answer.status_code == 400 and "cost nothing" in answer.json()["amount"][0]


def test_refunds_are_never_edited_or_deleted(admin_client, staff_with_codes, make_order):
    order = make_order()
    oid = order["id"]
    rid = refund(admin_client, oid, {"payment": order["payments"][0]["id"], "amount": 5}).json()
    rid = rid["refunds"][0]["id"]
    staff = staff_with_codes(*[int(c) for c in PermissionCode if 2280 < c < 2290])
    for client in (admin_client, staff):
        for path in (f"/api/orders/{oid}/refunds/{rid}/", f"/api/orders/{oid}/refunds/"):
            assert client.put(path, {"amount": 1}).status_code == 405
            assert client.patch(path, {"amount": 1}).status_code == 405
            assert client.delete(path).status_code == 405
    assert Refund.objects.get(pk=rid).amount == 5
    assert {2281, 2282, 2283} <= {int(c) for c in PermissionCode}
    assert not {2284, 2285} & {int(c) for c in PermissionCode}
    reader = staff_with_codes(PermissionCode.ORDER_REFUNDS_LIST)
    assert reader.get(f"/api/orders/{oid}/refunds/").status_code == 200
    assert reader.get(f"/api/orders/{oid}/refunds/{rid}/").status_code == 403
    assert refund(reader, oid, {"payment": 1, "amount": 1}).status_code == 403


def test_a_payment_with_refunds_is_guarded(admin_client, make_order):
    order = make_order()
    oid, payment = order["id"], order["payments"][0]["id"]
    refund(admin_client, oid, {"payment": payment, "amount": 1000})
    url = f"/api/orders/{oid}/payments/{payment}/"
    unapprove = admin_client.patch(url, {"approved": False})
    assert unapprove.status_code == 409
    assert unapprove.json()["detail"] == (
        f"Payment {payment} cannot be un-approved: 1000 of it was refunded."
    )
    lower = admin_client.patch(url, {"amount": 999})
    assert lower.status_code == 409 and "below 1000" in lower.json()["detail"]
    assert admin_client.patch(url, {"amount": 1000}).status_code == 200
    deleted = admin_client.delete(url)
    assert deleted.status_code == 409 and "cannot be deleted" in deleted.json()["detail"]
    assert admin_client.patch(url, {"notes": "bank ref 12"}).status_code == 200


def test_returned_items_cannot_be_removed_or_lowered_below_the_returns(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    first = order["items"][0]["id"]
    refund(
        admin_client,
        oid,
        {"payment": order["payments"][0]["id"], "items": [{"item": first, "quantity": 2}]},
    )
    lower = admin_client.patch(f"/api/orders/{oid}/items/{first}/", {"quantity": 1})
    assert lower.status_code == 409 and "2 of it returned" in lower.json()["detail"]
    assert admin_client.delete(f"/api/orders/{oid}/items/{first}/").status_code == 409
    assert RefundItem.objects.filter(item_id=first).exists()


def test_refunds_on_a_deleted_order_are_a_409(admin_client, make_order):
    order = make_order(status="new")
    admin_client.delete(f"/api/orders/{order['id']}/")
    answer = refund(admin_client, order["id"], {"payment": order["payments"][0]["id"], "amount": 1})
    assert answer.status_code == 409 and "'deleted'" in answer.json()["detail"]


def test_if_match_on_refunds(admin_client, make_order):
    order = make_order()
    body = {"payment": order["payments"][0]["id"], "amount": 1}
    assert refund(admin_client, order["id"], body, HTTP_IF_MATCH='"x"').status_code == 412
    etag = admin_client.get(f"/api/orders/{order['id']}/")["ETag"]
    assert refund(admin_client, order["id"], body, HTTP_IF_MATCH=etag).status_code == 201
    assert refund(admin_client, order["id"], body, HTTP_IF_MATCH=etag).status_code == 412


def test_a_completed_order_fully_refunded_moves_to_refunded(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    sid = admin_client.post(f"/api/orders/{oid}/shipments/", {"status": "shipped"}).json()
    sid = sid["shipments"][0]["id"]
    admin_client.patch(f"/api/orders/{oid}/shipments/{sid}/", {"status": "delivered"})
    back = refund(
        admin_client,
        oid,
        {
            "payment": order["payments"][0]["id"],
            "items": [{"item": i["id"], "quantity": i["quantity"]} for i in order["items"]],
        },
    ).json()
    assert (back["status"], back["amount_refunded"], back["net_paid"]) == ("refunded", 4500, 0)
    moves = [e["changes"]["status"] for e in events_of(admin_client, oid, "status_changed")]
    assert moves[-3:] == [
        ["processing", "shipped"],
        ["shipped", "completed"],
        ["completed", "refunded"],
    ]
    assert admin_client.get("/api/orders/?has_refund=true").json()["count"] == 1
    assert admin_client.get("/api/orders/?has_refund=false").json()["count"] == 0
    assert admin_client.get("/api/orders/?is_refunded=false").json()["count"] == 0
    assert admin_client.get("/api/orders/?has_refund=maybe").status_code == 400
