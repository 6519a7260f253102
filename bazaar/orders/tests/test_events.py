"""Order events, versions and ETags (SPEC §13), through the API."""

import pytest

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.conftest import client_for
from bazaar.coupons.tests.factories import CouponFactory
from bazaar.methods.models import PaymentMethod
from bazaar.orders.models import EventType, Order, OrderEvent
from bazaar.orders.status import allowed_next

pytestmark = pytest.mark.django_db


def events_of(client, order_id: int, **params) -> list[dict]:
    response = client.get(f"/api/orders/{order_id}/events/", params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def new_order(client, **body) -> dict:
    response = client.post("/api/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- what each write records --------------------------------------------------------------------


def test_a_new_order_records_order_created_with_the_fields_set(admin_client, admin_user):
    order = new_order(admin_client, notes="call first", shipping_cost=5000, tags=["vip"])
    (event,) = events_of(admin_client, order["id"])
    assert event["type"] == "order_created"
    assert event["actor"] == {"id": admin_user.pk, "username": admin_user.username}
    assert event["changes"]["status"] == [None, "new"]
    assert event["changes"]["notes"] == [None, "call first"]
    assert event["changes"]["shipping_cost"] == [None, 5000]
    assert event["changes"]["tags"] == [None, ["vip"]]
    assert "billing_address" not in event["changes"]  # not set, not listed
    assert event["item"] is None and event["payment"] is None
    assert order["version"] == 1


def test_a_whole_order_in_one_call_records_one_event_listing_its_rows(admin_client):
    product = ProductFactory(price=1000)
    method = PaymentMethod.objects.create(name="cash")
    order = new_order(
        admin_client,
        items=[{"product": product.pk, "quantity": 2}, {"product": product.pk}],
        payments=[{"payment_method": method.pk, "amount": 500, "approved": True}],
    )
    (event,) = events_of(admin_client, order["id"])
    assert event["type"] == "order_created"
    assert event["changes"]["items"] == [[], [item["id"] for item in order["items"]]]
    assert event["changes"]["payments"] == [[], [order["payments"][0]["id"]]]
    assert order["version"] == 1


def test_one_write_records_one_event_per_kind_of_change(admin_client):
    order = new_order(admin_client, notes="a")
    response = admin_client.patch(
        f"/api/orders/{order['id']}/",
        {"status": "hold", "notes": "b", "order_discount": 0, "shipping_cost": 100},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    _created, *rest = events_of(admin_client, order["id"])
    by_type = {event["type"]: event["changes"] for event in rest}
    assert by_type == {
        "status_changed": {"status": ["new", "hold"]},
        "order_updated": {"notes": ["a", "b"], "shipping_cost": [0, 100]},
    }


def test_a_write_that_changes_nothing_records_and_moves_nothing(admin_client):
    order = new_order(admin_client, notes="same")
    response = admin_client.patch(
        f"/api/orders/{order['id']}/", {"notes": "same", "status": "new"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.json()["updated_at"] == order["updated_at"]
    assert len(events_of(admin_client, order["id"])) == 1


def test_a_refused_write_records_nothing(admin_client):
    order = new_order(admin_client)
    response = admin_client.patch(
        f"/api/orders/{order['id']}/", {"status": "completed", "notes": "x"}, format="json"
    )
    assert response.status_code == 400
    assert [e["type"] for e in events_of(admin_client, order["id"])] == ["order_created"]
    assert Order.objects.get(pk=order["id"]).version == 1


def test_the_order_discount_is_recorded_with_old_and_new(admin_client):
    product = ProductFactory(price=10_000)
    order = new_order(admin_client, items=[{"product": product.pk}])
    admin_client.patch(f"/api/orders/{order['id']}/", {"order_discount": 700}, format="json")
    admin_client.patch(f"/api/orders/{order['id']}/", {"order_discount": 200}, format="json")
    changes = [e["changes"] for e in events_of(admin_client, order["id"], type="order_updated")]
    assert changes == [{"order_discount": [0, 700]}, {"order_discount": [700, 200]}]


def test_a_coupon_is_applied_and_removed_as_its_own_events(admin_client):
    CouponFactory(code="SPRING", value=10)
    product = ProductFactory(price=10_000)
    order = new_order(admin_client, items=[{"product": product.pk}])
    url = f"/api/orders/{order['id']}/"
    assert admin_client.patch(url, {"coupon_code": "spring"}, format="json").status_code == 200
    assert admin_client.patch(url, {"coupon_code": None}, format="json").status_code == 200
    _, applied, removed = events_of(admin_client, order["id"])
    assert applied["type"] == "coupon_applied"
    assert applied["changes"] == {"coupon_code": [None, "SPRING"], "coupon_discount": [0, 1000]}
    assert removed["type"] == "coupon_removed"
    assert removed["changes"] == {"coupon_code": ["SPRING", None], "coupon_discount": [1000, 0]}


def test_item_events_name_the_item_also_once_removed(admin_client):
    product = ProductFactory(price=1000)
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/items/"
    made = admin_client.post(url, {"product": product.pk, "quantity": 2}, format="json").json()
    item_id = made["items"][0]["id"]
    assert made["version"] == 2
    assert (
        admin_client.patch(f"{url}{item_id}/", {"quantity": 3}, format="json").json()["version"]
        == 3
    )
    # The same quantity again changes nothing.
    assert (
        admin_client.patch(f"{url}{item_id}/", {"quantity": 3}, format="json").json()["version"]
        == 3
    )
    assert admin_client.delete(f"{url}{item_id}/").status_code == 204
    _, added, updated, removed = events_of(admin_client, order["id"])
    assert (added["type"], added["item"]) == ("item_added", item_id)
    assert added["changes"]["product"] == [None, product.pk]
    assert added["changes"]["quantity"] == [None, 2]
    assert added["changes"]["unit_price"] == [None, 1000]
    assert (updated["type"], updated["changes"]) == ("item_updated", {"quantity": [2, 3]})
    assert (removed["type"], removed["item"]) == ("item_removed", item_id)
    assert removed["changes"]["quantity"] == [3, None]
    assert Order.objects.get(pk=order["id"]).version == 4


def test_payment_events_name_the_payment(admin_client):
    product = ProductFactory(price=1000)
    order = new_order(admin_client, items=[{"product": product.pk}])
    url = f"/api/orders/{order['id']}/payments/"
    made = admin_client.post(url, {"amount": 400}, format="json").json()
    payment_id = made["payments"][0]["id"]
    admin_client.patch(f"{url}{payment_id}/", {"approved": True}, format="json")
    assert admin_client.delete(f"{url}{payment_id}/").status_code == 204
    _, added, updated, removed = events_of(admin_client, order["id"])
    assert (added["type"], added["payment"]) == ("payment_added", payment_id)
    assert added["changes"]["amount"] == [None, 400]
    assert added["changes"]["approved"] == [None, False]
    assert updated["changes"] == {"approved": [False, True]}
    assert (removed["type"], removed["payment"]) == ("payment_removed", payment_id)
    assert removed["changes"]["amount"] == [400, None]


def test_events_carry_the_request_id_sent_and_the_server_echoes_it(admin_client):
    response = admin_client.post("/api/orders/", {}, format="json", HTTP_X_REQUEST_ID="abc-123.x")
    assert response["X-Request-ID"] == "abc-123.x"
    (event,) = events_of(admin_client, response.json()["id"])
    assert event["request_id"] == "abc-123.x"


def test_a_malformed_request_id_is_replaced_by_a_new_one(admin_client):
    response = admin_client.post("/api/orders/", {}, format="json", HTTP_X_REQUEST_ID="bad id!")
    assert response["X-Request-ID"] not in ("", "bad id!")
    (event,) = events_of(admin_client, response.json()["id"])
    assert event["request_id"] == response["X-Request-ID"]


# --- the events endpoint ----------------------------------------------------------------------


def test_a_staff_note_is_an_event_not_a_change(admin_client, admin_user):
    order = new_order(admin_client)
    response = admin_client.post(
        f"/api/orders/{order['id']}/events/", {"note": "  customer called  "}, format="json"
    )
    assert response.status_code == 201, response.json()
    note = response.json()
    assert note["type"] == "note_added"
    assert note["note"] == "customer called"
    assert note["actor"]["username"] == admin_user.username
    assert note["changes"] == {}
    after = admin_client.get(f"/api/orders/{order['id']}/").json()
    assert (after["version"], after["updated_at"]) == (1, order["updated_at"])
    one = admin_client.get(f"/api/orders/{order['id']}/events/{note['id']}/")
    assert one.status_code == 200 and one.json() == note


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}, {"note": "x" * 5001}])
def test_a_note_must_be_1_to_5000_characters(admin_client, body):
    order = new_order(admin_client)
    response = admin_client.post(f"/api/orders/{order['id']}/events/", body, format="json")
    assert response.status_code == 400
    assert "note" in response.json()
    assert OrderEvent.objects.filter(order_id=order["id"]).count() == 1


def test_events_are_never_edited_or_deleted(admin_client):
    order = new_order(admin_client)
    (event,) = events_of(admin_client, order["id"])
    base = f"/api/orders/{order['id']}/events/"
    for method in ("put", "patch", "delete"):
        assert getattr(admin_client, method)(base).status_code == 405
        assert getattr(admin_client, method)(f"{base}{event['id']}/").status_code == 405
    assert OrderEvent.objects.filter(pk=event["id"]).exists()


def test_events_filter_by_type_and_refuse_an_unknown_one(admin_client):
    order = new_order(admin_client)
    admin_client.patch(f"/api/orders/{order['id']}/", {"status": "hold"}, format="json")
    assert [e["type"] for e in events_of(admin_client, order["id"], type="status_changed")] == [
        "status_changed"
    ]
    response = admin_client.get(f"/api/orders/{order['id']}/events/", {"type": "nope"})
    assert response.status_code == 400 and "type" in response.json()
    response = admin_client.get(f"/api/orders/{order['id']}/events/", {"typo": "x"})
    assert response.status_code == 400 and "typo" in response.json()


def test_an_event_of_another_order_is_a_404(admin_client):
    first, second = new_order(admin_client), new_order(admin_client)
    (event,) = events_of(admin_client, first["id"])
    assert admin_client.get(f"/api/orders/{second['id']}/events/{event['id']}/").status_code == 404
    assert admin_client.get("/api/orders/999999/events/").status_code == 404


def test_reading_events_needs_2203_and_a_note_2204(admin_client, staff_with_codes):
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/events/"
    reader = staff_with_codes(2203)
    assert reader.get(url).status_code == 200
    assert reader.post(url, {"note": "x"}, format="json").status_code == 403
    writer = staff_with_codes(2204)
    assert writer.get(url).status_code == 403
    assert writer.post(url, {"note": "x"}, format="json").status_code == 201


def test_the_events_list_costs_the_same_queries_for_1_and_100_events(
    admin_client, memory_cache, django_assert_num_queries
):
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/events/?limit=100"
    # The token, the order (404 check), the count, the page.
    with django_assert_num_queries(4):
        assert len(admin_client.get(url).json()["results"]) == 1
    for number in range(99):
        admin_client.post(url.split("?")[0], {"note": f"n{number}"}, format="json")
    with django_assert_num_queries(4):
        assert len(admin_client.get(url).json()["results"]) == 100


# --- version, ETag, If-Match, If-None-Match -------------------------------------------------------


def test_the_order_shows_its_allowed_next_statuses(admin_client):
    order = new_order(admin_client, status="hold")
    assert order["allowed_next_statuses"] == allowed_next("hold")
    assert order["allowed_next_statuses"] == ["new", "failed", "cancelled", "processing", "deleted"]


def test_the_etag_changes_exactly_when_the_version_does(admin_client):
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/"
    first = admin_client.get(url)
    assert first["ETag"] == f'"{order["id"]}-1"'
    assert admin_client.get(url)["ETag"] == first["ETag"]
    patched = admin_client.patch(url, {"notes": "x"}, format="json")
    assert patched["ETag"] == f'"{order["id"]}-2"' != first["ETag"]
    assert admin_client.get(url)["ETag"] == patched["ETag"]


def test_if_none_match_with_the_current_etag_is_a_304(admin_client):
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/"
    etag = admin_client.get(url)["ETag"]
    response = admin_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert admin_client.get(url, HTTP_IF_NONE_MATCH='"0-0"').status_code == 200
    admin_client.patch(url, {"notes": "x"}, format="json")
    assert admin_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def _writes(order: dict, product_id: int) -> list[tuple[str, str, dict]]:
    url = f"/api/orders/{order['id']}/"
    item_id, payment_id = order["items"][0]["id"], order["payments"][0]["id"]
    return [
        ("patch", url, {"notes": "changed"}),
        ("put", url, {"notes": "changed"}),
        ("delete", url, {}),
        ("post", f"{url}items/", {"product": product_id}),
        ("patch", f"{url}items/{item_id}/", {"quantity": 5}),
        ("delete", f"{url}items/{item_id}/", {}),
        ("post", f"{url}payments/", {"amount": 1}),
        ("patch", f"{url}payments/{payment_id}/", {"amount": 2}),
        ("delete", f"{url}payments/{payment_id}/", {}),
    ]


@pytest.mark.parametrize("index", range(9))
def test_a_stale_if_match_changes_nothing(admin_client, index):
    product = ProductFactory(price=1000)
    order = new_order(
        admin_client,
        items=[{"product": product.pk}],
        payments=[{"amount": 100}],
    )
    stale = admin_client.get(f"/api/orders/{order['id']}/")["ETag"]
    admin_client.patch(f"/api/orders/{order['id']}/", {"notes": "moved on"}, format="json")
    before = admin_client.get(f"/api/orders/{order['id']}/").json()
    method, url, body = _writes(order, product.pk)[index]
    response = getattr(admin_client, method)(url, body, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412, response.content
    assert "detail" in response.json()
    assert response["ETag"] == f'"{order["id"]}-2"'
    assert admin_client.get(f"/api/orders/{order['id']}/").json() == before
    assert OrderEvent.objects.filter(order_id=order["id"]).count() == 2


@pytest.mark.parametrize("star", [False, True], ids=["current", "star"])
@pytest.mark.parametrize("index", range(9))
def test_the_current_if_match_or_a_star_lets_the_write_go_ahead(admin_client, index, star):
    product = ProductFactory(price=1000)
    order = new_order(admin_client, items=[{"product": product.pk}], payments=[{"amount": 100}])
    header = "*" if star else admin_client.get(f"/api/orders/{order['id']}/")["ETag"]
    method, url, body = _writes(order, product.pk)[index]
    response = getattr(admin_client, method)(url, body, format="json", HTTP_IF_MATCH=header)
    assert response.status_code in (200, 201, 204), response.content
    assert Order.objects.get(pk=order["id"]).version == 2


def test_a_weak_etag_never_matches(admin_client):
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/"
    weak = "W/" + admin_client.get(url)["ETag"]
    assert (
        admin_client.patch(url, {"notes": "x"}, format="json", HTTP_IF_MATCH=weak).status_code
        == 412
    )


def test_a_stale_if_match_is_not_stored_under_an_idempotency_key(admin_client):
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/"
    headers = {"HTTP_IF_MATCH": '"0-0"', "HTTP_IDEMPOTENCY_KEY": "retry-me"}
    assert admin_client.patch(url, {"notes": "x"}, format="json", **headers).status_code == 412
    headers["HTTP_IF_MATCH"] = admin_client.get(url)["ETag"]
    assert admin_client.patch(url, {"notes": "x"}, format="json", **headers).status_code == 200


def test_a_customers_token_reads_no_events(customer_user, admin_client):
    order = new_order(admin_client)
    assert client_for(customer_user).get(f"/api/orders/{order['id']}/events/").status_code == 403


def test_event_types_listed_in_the_schema(admin_client):
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/orders/{order_pk}/events/" in schema["paths"]
    assert set(EventType.values) <= set(
        schema["components"]["schemas"]["OrderEvent"]["properties"]["type"].get("enum", [])
        or schema["components"]["schemas"][
            schema["components"]["schemas"]["OrderEvent"]["properties"]["type"]["$ref"].split("/")[
                -1
            ]
        ]["enum"]
    )


def test_a_replayed_write_records_no_second_event(admin_client):
    order = new_order(admin_client)
    url = f"/api/orders/{order['id']}/"
    for _ in range(2):
        response = admin_client.patch(
            url, {"notes": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="note-once"
        )
        assert response.status_code == 200
    assert response["Idempotent-Replayed"] == "true"
    assert response["ETag"] == f'"{order["id"]}-2"'
    assert [e["type"] for e in events_of(admin_client, order["id"])] == [
        "order_created",
        "order_updated",
    ]


@pytest.mark.parametrize("kind", ["item", "payment"])
def test_regression_a_row_removed_by_an_earlier_write_is_a_404_not_a_500(admin_client, kind):
    """Was: DoesNotExist (a 500) when a racing write removed the row after the view found it."""
    from rest_framework.exceptions import NotFound

    from bazaar.orders import services

    order = new_order(admin_client)
    update = services.item_update if kind == "item" else services.payment_update
    with pytest.raises(NotFound, match="is not in this order"):
        update(order_id=order["id"], **{f"{kind}_id": 999_999}, data={"notes": "x"})
    assert Order.objects.get(pk=order["id"]).version == 1
