"""Shipments (SPEC §14): shape, quantities, status moves and timestamps, the automatic order
moves with their events, the guards on items, permissions and the If-Match precondition."""

import pytest

from bazaar.accounts.codes import PermissionCode
from bazaar.fulfilment.models import Shipment
from bazaar.fulfilment.tests.conftest import events_of
from bazaar.orders.models import OrderEvent

pytestmark = pytest.mark.django_db

UTC_STAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"


def ship(client, order_id: int, body: dict | None = None, **headers):
    return client.post(f"/api/orders/{order_id}/shipments/", body or {}, **headers)


def test_a_shipment_of_everything_by_default_with_tracking_from_the_method(
    admin_client, make_order, shop
):
    order = make_order()
    made = ship(admin_client, order["id"], {"tracking_number": "RR 123/IR"})
    assert made.status_code == 201
    body = made.json()
    assert body["id"] == order["id"] and body["version"] == order["version"] + 1
    assert made["ETag"]
    [shipment] = body["shipments"]
    assert list(shipment) == [
        "id", "status", "shipping_method", "shipping_method_data", "tracking_number",
        "tracking_url", "items", "notes", "shipped_at", "delivered_at", "created_at",
        "updated_at",
    ]  # fmt: skip
    assert shipment["status"] == "pending"
    assert shipment["shipping_method"] == shop.post.pk
    assert shipment["shipping_method_data"] == {"id": shop.post.pk, "name": "Post", "image": None}
    assert shipment["tracking_number"] == "RR 123/IR"
    assert shipment["tracking_url"] == "https://track.example.com/?code=RR%20123%2FIR"
    items = order["items"]
    assert shipment["items"] == [
        {"item": items[0]["id"], "quantity": 3},
        {"item": items[1]["id"], "quantity": 2},
    ]
    assert shipment["shipped_at"] is None and shipment["delivered_at"] is None
    # pending quantities are not shipped
    assert [i["quantity_shipped"] for i in body["items"]] == [0, 0]
    assert body["fulfilment_status"] == "unfulfilled" and body["status"] == "processing"
    listed = admin_client.get(f"/api/orders/{order['id']}/shipments/").json()
    assert listed["count"] == 1 and listed["results"] == [shipment]
    one = admin_client.get(f"/api/orders/{order['id']}/shipments/{shipment['id']}")
    assert one.status_code == 200 and one.json() == shipment


def test_partial_shipments_count_only_what_is_shipped_and_move_the_order(
    admin_client, admin_user, make_order
):
    order = make_order()
    first, second = order["items"]
    oid = order["id"]
    partial = ship(
        admin_client, oid, {"items": [{"item": first["id"], "quantity": 2}], "status": "shipped"}
    ).json()
    assert partial["fulfilment_status"] == "partially_shipped"
    assert partial["status"] == "processing"
    assert [i["quantity_shipped"] for i in partial["items"]] == [2, 0]
    assert partial["shipments"][0]["shipped_at"] is not None
    rest = ship(admin_client, oid, {"tracking_number": "X1"}).json()  # what is left: 1 and 2
    assert rest["shipments"][1]["items"] == [
        {"item": first["id"], "quantity": 1},
        {"item": second["id"], "quantity": 2},
    ]
    assert rest["status"] == "processing"  # pending: not shipped yet
    second_id = rest["shipments"][1]["id"]
    shipped = admin_client.patch(f"/api/orders/{oid}/shipments/{second_id}/", {"status": "shipped"})
    assert shipped.status_code == 200
    shipped = shipped.json()
    assert shipped["fulfilment_status"] == "shipped" and shipped["status"] == "shipped"
    assert [i["quantity_shipped"] for i in shipped["items"]] == [3, 2]
    moves = events_of(admin_client, oid, "status_changed")
    assert moves[-1]["changes"] == {"status": ["processing", "shipped"]}
    assert moves[-1]["actor"] == {"id": admin_user.pk, "username": admin_user.username}
    first_id = rest["shipments"][0]["id"]
    one = admin_client.patch(f"/api/orders/{oid}/shipments/{first_id}/", {"status": "delivered"})
    assert one.json()["status"] == "shipped"  # one shipment still on its way
    assert one.json()["fulfilment_status"] == "shipped"
    assert one.json()["shipments"][0]["delivered_at"] is not None
    done = admin_client.patch(f"/api/orders/{oid}/shipments/{second_id}/", {"status": "delivered"})
    done = done.json()
    assert done["fulfilment_status"] == "delivered" and done["status"] == "completed"
    assert events_of(admin_client, oid, "status_changed")[-1]["changes"] == {
        "status": ["shipped", "completed"]
    }


def test_over_shipping_is_a_400_naming_the_item_and_what_is_left(admin_client, make_order):
    order = make_order()
    first = order["items"][0]
    oid = order["id"]
    ship(admin_client, oid, {"items": [{"item": first["id"], "quantity": 2}]})
    over = ship(admin_client, oid, {"items": [{"item": first["id"], "quantity": 2}]})
    assert over.status_code == 400
    assert over.json() == {
        "items": [{"quantity": [f"Item {first['id']} has 1 left to ship; 2 asked."]}]
    }
    other = make_order()["items"][0]["id"]
    foreign = ship(admin_client, oid, {"items": [{"item": other, "quantity": 1}]})
    assert foreign.status_code == 400
    assert foreign.json()["items"][0]["item"] == [f"Item {other} is not an item of order {oid}."]
    twice = ship(
        admin_client,
        oid,
        {"items": [{"item": first["id"], "quantity": 1}, {"item": first["id"], "quantity": 0}]},
    )
    assert twice.status_code == 400
    ship(admin_client, oid)  # the rest
    nothing = ship(admin_client, oid)
    assert nothing.status_code == 400 and "already in a shipment" in str(nothing.json())
    assert Shipment.objects.filter(order_id=oid).count() == 2  # nothing half-written


@pytest.mark.parametrize(
    "body",
    [
        {"status": "delivered"},
        {"status": "cancelled"},
        {"status": "lost"},
        {"items": []},
        {"items": [{"item": 1}]},
        {"items": [{"item": "a", "quantity": 1}]},
        {"tracking_url": "ftp://example.com/x"},
        {"tracking_number": "x" * 101},
        {"trackng_number": "x"},
        {"shipping_method": 999999},
    ],
)
def test_bad_shipment_input_is_a_400(admin_client, make_order, body):
    order = make_order()
    answer = ship(admin_client, order["id"], body)
    assert answer.status_code == 400, answer.json()
    assert not Shipment.objects.filter(order_id=order["id"]).exists()


@pytest.mark.parametrize("status", ["new", "hold", "cancelled"])
def test_shipments_are_made_only_while_processing_or_shipped(admin_client, make_order, status):
    order = make_order(status=status)
    answer = ship(admin_client, order["id"])
    assert answer.status_code == 409
    assert f"'{status}'" in answer.json()["detail"]


def test_the_shipment_status_table(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    sid = ship(admin_client, oid).json()["shipments"][0]["id"]
    url = f"/api/orders/{oid}/shipments/{sid}/"
    jump = admin_client.patch(url, {"status": "delivered"})
    assert jump.status_code == 400
    assert jump.json()["status"] == [
        "Cannot change a shipment's status from 'pending' to 'delivered'. "
        "Allowed next statuses: shipped, cancelled."
    ]
    same = admin_client.patch(url, {"status": "pending"})
    assert same.status_code == 200 and same.json()["version"] == order["version"] + 1  # no-op
    assert admin_client.patch(url, {"status": "shipped"}).status_code == 200
    assert admin_client.patch(url, {"status": "pending"}).status_code == 400
    assert admin_client.patch(url, {"status": "delivered"}).status_code == 200
    back = admin_client.patch(url, {"status": "cancelled"})
    assert back.status_code == 400 and "Allowed next statuses: none." in str(back.json())


def test_cancelling_frees_the_quantities_and_is_its_own_event(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    made = ship(admin_client, oid, {"status": "shipped"}).json()
    assert made["status"] == "shipped"  # fully shipped at once
    sid = made["shipments"][0]["id"]
    cancelled = admin_client.patch(f"/api/orders/{oid}/shipments/{sid}/", {"status": "cancelled"})
    body = cancelled.json()
    assert body["fulfilment_status"] == "unfulfilled"
    assert [i["quantity_shipped"] for i in body["items"]] == [0, 0]
    assert body["status"] == "shipped"  # no automatic move backwards
    [event] = events_of(admin_client, oid, "shipment_cancelled")
    assert event["shipment"] == sid and event["changes"] == {"status": ["shipped", "cancelled"]}
    again = ship(admin_client, oid)  # the quantities are free again
    assert again.status_code == 201


def test_only_a_pending_shipment_can_be_deleted(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    first = order["items"][0]["id"]
    sid = ship(admin_client, oid, {"items": [{"item": first, "quantity": 1}]}).json()
    sid = sid["shipments"][0]["id"]
    deleted = admin_client.delete(f"/api/orders/{oid}/shipments/{sid}")
    assert deleted.status_code == 204
    assert not Shipment.objects.filter(pk=sid).exists()
    [event] = events_of(admin_client, oid, "shipment_cancelled")
    assert event["shipment"] == sid
    assert event["changes"]["items"] == [[{"item": first, "quantity": 1}], None]
    shipped = ship(admin_client, oid, {"status": "shipped"}).json()["shipments"][0]["id"]
    refused = admin_client.delete(f"/api/orders/{oid}/shipments/{shipped}/")
    assert refused.status_code == 409 and "'shipped'" in refused.json()["detail"]
    other = make_order()
    assert admin_client.delete(f"/api/orders/{other['id']}/shipments/{shipped}/").status_code == 404


def test_events_carry_the_shipment_and_what_changed(admin_client, make_order, shop):
    order = make_order()
    oid = order["id"]
    sid = ship(admin_client, oid, {"notes": "fragile"}).json()["shipments"][0]["id"]
    [created] = events_of(admin_client, oid, "shipment_created")
    items = order["items"]
    assert created["shipment"] == sid and created["refund"] is None
    assert created["changes"] == {
        "status": [None, "pending"],
        "shipping_method": [None, shop.post.pk],
        "notes": [None, "fragile"],
        "items": [
            [],
            [{"item": items[0]["id"], "quantity": 3}, {"item": items[1]["id"], "quantity": 2}],
        ],
    }
    url = f"/api/orders/{oid}/shipments/{sid}/"
    admin_client.patch(url, {"tracking_number": "AB1"})
    [updated] = events_of(admin_client, oid, "shipment_updated")
    assert updated["changes"] == {
        "tracking_number": [None, "AB1"],
        "tracking_url": [None, "https://track.example.com/?code=AB1"],
    }
    admin_client.patch(url, {"shipping_method": shop.courier.pk})  # no template: no URL
    shipment = admin_client.get(url).json()
    assert shipment["tracking_url"] is None and shipment["tracking_number"] == "AB1"
    admin_client.patch(url, {"tracking_url": "http://carrier.example.com/t/AB1"})
    assert admin_client.get(url).json()["tracking_url"] == "http://carrier.example.com/t/AB1"
    assert OrderEvent.objects.filter(order_id=oid, shipment_id=sid).count() == 4


def test_a_shipments_items_are_fixed(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    shipment = ship(admin_client, oid).json()["shipments"][0]
    url = f"/api/orders/{oid}/shipments/{shipment['id']}/"
    assert admin_client.put(url, shipment).status_code == 200  # a GET body PUT back
    changed = {**shipment, "items": shipment["items"][:1]}
    answer = admin_client.put(url, changed)
    assert answer.status_code == 400 and "cannot change" in answer.json()["items"][0]


def test_items_cannot_go_below_what_live_shipments_hold(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    first, second = order["items"]
    ship(admin_client, oid, {"items": [{"item": first["id"], "quantity": 2}]})
    lower = admin_client.patch(f"/api/orders/{oid}/items/{first['id']}/", {"quantity": 1})
    assert lower.status_code == 409
    assert lower.json()["detail"] == (
        f"Item {first['id']} cannot be lowered below 2: 2 of it in shipments that are not "
        "cancelled."
    )
    same = admin_client.patch(f"/api/orders/{oid}/items/{first['id']}/", {"quantity": 2})
    assert same.status_code == 200
    removed = admin_client.delete(f"/api/orders/{oid}/items/{first['id']}/")
    assert removed.status_code == 409 and "cannot be removed" in removed.json()["detail"]
    assert admin_client.delete(f"/api/orders/{oid}/items/{second['id']}/").status_code == 204


def test_removing_the_last_unshipped_item_completes_the_shipping(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    first, second = order["items"]
    ship(admin_client, oid, {"items": [{"item": first["id"], "quantity": 3}], "status": "shipped"})
    assert admin_client.delete(f"/api/orders/{oid}/items/{second['id']}/").status_code == 204
    after = admin_client.get(f"/api/orders/{oid}/").json()
    assert after["status"] == "shipped" and after["fulfilment_status"] == "shipped"
    added = admin_client.post(
        f"/api/orders/{oid}/items/", {"product": first["product"], "unit_price": 5}
    )
    assert added.json()["fulfilment_status"] == "partially_shipped"
    assert added.json()["status"] == "shipped"


def test_if_match_and_permission_codes(staff_with_codes, admin_client, make_order):
    order = make_order()
    oid = order["id"]
    stale = ship(admin_client, oid, HTTP_IF_MATCH='"stale"')
    assert stale.status_code == 412 and not Shipment.objects.exists()
    ok = admin_client.get(f"/api/orders/{oid}/")
    assert ship(admin_client, oid, HTTP_IF_MATCH=ok["ETag"]).status_code == 201
    reader = staff_with_codes(PermissionCode.ORDER_SHIPMENTS_LIST)
    assert reader.get(f"/api/orders/{oid}/shipments/").status_code == 200
    refused = ship(reader, oid)
    assert refused.status_code == 403 and "2261" in refused.json()["detail"]
    writer = staff_with_codes(PermissionCode.ORDER_SHIPMENTS_CREATE)
    assert ship(writer, make_order()["id"]).status_code == 201


def test_unknown_query_parameters_and_ids(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    assert admin_client.get(f"/api/orders/{oid}/shipments/?stauts=x").status_code == 400
    assert admin_client.get(f"/api/orders/{oid}/shipments/abc/").status_code == 404
    assert admin_client.get("/api/orders/999999/shipments/").status_code == 404
    assert admin_client.get(f"/api/orders/{oid}/shipments/99999999999999999999/").status_code == 404


def test_list_filters_and_search_on_tracking_numbers(admin_client, make_order):
    shipped = make_order()
    partial = make_order()
    plain = make_order()
    ship(admin_client, shipped["id"], {"status": "shipped", "tracking_number": "RR۱۲۳IR"})
    ship(
        admin_client,
        partial["id"],
        {"status": "shipped", "items": [{"item": partial["items"][0]["id"], "quantity": 1}]},
    )

    def listed(query: str) -> list[int]:
        answer = admin_client.get(f"/api/orders/?{query}")
        assert answer.status_code == 200, answer.json()
        return sorted(o["id"] for o in answer.json()["results"])

    assert listed("fulfilment_status=shipped") == [shipped["id"]]
    assert listed("fulfilment_status=partially_shipped") == [partial["id"]]
    assert listed("fulfilment_status=unfulfilled") == [plain["id"]]
    assert listed("tracking_number=rr123ir") == [shipped["id"]]
    assert listed("tracking_number=RR123") == []
    assert listed("search=RR123IR") == [shipped["id"]]
    assert listed("search=rr۱۲۳ir") == [shipped["id"]]
    for bad in ("fulfilment_status=sent", "tracking_number=" + "x" * 101):
        assert admin_client.get(f"/api/orders/?{bad}").status_code == 400


def test_the_tracking_url_template_of_shipping_methods(admin_client):
    url = "/api/shipping-methods/"
    good = admin_client.post(
        url, {"name": "Tipax", "tracking_url_template": "http://t.example.com/{tracking_number}"}
    )
    assert good.status_code == 201
    assert good.json()["tracking_url_template"] == "http://t.example.com/{tracking_number}"
    for template in ("https://t.example.com/", "ftp://t.example.com/{tracking_number}", "x"):
        bad = admin_client.post(url, {"name": "Bad", "tracking_url_template": template})
        assert bad.status_code == 400 and "tracking_url_template" in bad.json()
    cleared = admin_client.patch(f"{url}{good.json()['id']}/", {"tracking_url_template": ""})
    assert cleared.json()["tracking_url_template"] is None


def test_cancelled_shipments_do_not_hold_back_completion(admin_client, make_order):
    order = make_order()
    oid = order["id"]
    second = order["items"][1]
    lost = ship(admin_client, oid, {"status": "shipped"}).json()["shipments"][0]["id"]
    admin_client.patch(f"/api/orders/{oid}/shipments/{lost}/", {"status": "cancelled"})
    # the cancelled shipment freed its quantities: the item can be lowered again
    lowered = admin_client.patch(f"/api/orders/{oid}/items/{second['id']}/", {"quantity": 1})
    assert lowered.status_code == 200
    again = ship(admin_client, oid, {"status": "shipped"}).json()
    sid = again["shipments"][1]["id"]
    done = admin_client.patch(f"/api/orders/{oid}/shipments/{sid}/", {"status": "delivered"})
    assert done.json()["status"] == "completed"
    assert done.json()["fulfilment_status"] == "delivered"
    late = ship(admin_client, oid)
    assert late.status_code == 409 and "'completed'" in late.json()["detail"]
