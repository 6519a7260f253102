"""The change feed GET /api/orders/changes/ (SPEC §15), on SQLite and PostgreSQL."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.feed.cursor import cursor_decode, cursor_encode
from bazaar.feed.models import OrderChange
from bazaar.feed.services import feed_purge
from bazaar.feed.tests.settle import settle
from bazaar.orders.models import Order

# PostgreSQL: the feed returns only what committed transactions wrote, so the test's writes must
# commit (a test inside one open transaction would see none of them).
pytestmark = pytest.mark.django_db(transaction=connection.vendor == "postgresql")
URL = "/api/orders/changes/"


def feed(client, settled: bool = True, **params) -> dict:
    if settled:
        settle()
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"results", "next_cursor", "has_more"}
    return body


def new_order(client, **body) -> int:
    response = client.post("/api/orders/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def follow(client, cursor: str | None = None, limit: int = 100) -> tuple[list[dict], str]:
    """Every result from `cursor` on, following next_cursor until has_more is false."""
    seen: list[dict] = []
    while True:
        params = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
        body = feed(client, **params)
        seen += body["results"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return seen, cursor


def test_changes_appear_with_the_order_shape_and_version(admin_client):
    order_id = new_order(admin_client, notes="first")
    admin_client.patch(f"/api/orders/{order_id}/", {"notes": "second"}, format="json")
    body = feed(admin_client)
    (change,) = body["results"]  # two changes of one order in a page: once, latest version
    assert change["order_id"] == order_id
    assert change["change"] == "upsert"
    assert change["version"] == 2 == change["order"]["version"]
    assert change["order"]["notes"] == "second"
    assert change["changed_at"] == change["order"]["updated_at"]
    assert body["has_more"] is False
    assert admin_client.get(f"/api/orders/{order_id}/").json() == change["order"]


def test_next_cursor_continues_and_is_always_there(admin_client):
    first = new_order(admin_client)
    body = feed(admin_client)
    assert [c["order_id"] for c in body["results"]] == [first]
    cursor = body["next_cursor"]
    empty = feed(admin_client, cursor=cursor)
    assert empty["results"] == [] and empty["has_more"] is False and empty["next_cursor"]
    second = new_order(admin_client)
    admin_client.patch(f"/api/orders/{first}/", {"notes": "x"}, format="json")
    seen, _ = follow(admin_client, empty["next_cursor"])
    assert [c["order_id"] for c in seen] == [second, first]


def test_a_deleted_order_is_a_delete(admin_client):
    order_id = new_order(admin_client)
    cursor = feed(admin_client)["next_cursor"]
    assert admin_client.delete(f"/api/orders/{order_id}/").status_code == 204
    (change,) = feed(admin_client, cursor=cursor)["results"]
    assert change["change"] == "delete" and change["order"]["status"] == "deleted"


def test_a_staff_note_is_not_a_change(admin_client):
    order_id = new_order(admin_client)
    cursor = feed(admin_client)["next_cursor"]
    response = admin_client.post(f"/api/orders/{order_id}/events/", {"note": "hi"}, format="json")
    assert response.status_code == 201
    assert feed(admin_client, cursor=cursor)["results"] == []


def test_item_writes_are_changes(admin_client):
    order_id = new_order(admin_client)
    cursor = feed(admin_client)["next_cursor"]
    product = ProductFactory(price=1000)
    response = admin_client.post(
        f"/api/orders/{order_id}/items/", {"product": product.pk}, format="json"
    )
    assert response.status_code == 201
    (change,) = feed(admin_client, cursor=cursor)["results"]
    assert change["order"]["count"] == 1


def test_cursor_now_starts_from_this_moment(admin_client):
    new_order(admin_client)
    body = feed(admin_client, cursor="now")
    assert body["results"] == [] and body["has_more"] is False
    later = new_order(admin_client)
    assert [c["order_id"] for c in feed(admin_client, cursor=body["next_cursor"])["results"]] == [
        later
    ]


def test_paging_with_limit_has_more_and_sees_every_order_once(admin_client):
    ids = [new_order(admin_client) for _ in range(7)]
    body = feed(admin_client, limit=3)
    assert len(body["results"]) == 3 and body["has_more"] is True
    seen, _ = follow(admin_client, limit=3)
    assert [c["order_id"] for c in seen] == ids


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": "eyJ4IjoxfQ"}, "cursor"),  # {"x":1}: not all the parts
        ({"cursor": cursor_encode(1, 2)[:-3]}, "cursor"),
        ({"staus": "new"}, "staus"),
        ({"offset": "1"}, "offset"),
    ],
)
def test_bad_parameters_are_400s(admin_client, params, field):
    response = admin_client.get(URL, params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_large_limit_is_clamped(admin_client):
    assert feed(admin_client, limit=5000)["has_more"] is False


def test_a_cursor_older_than_7_days_is_a_410(admin_client, settings):
    old = cursor_encode(0, 0, issued_at=time.time() - 7 * 86_400 - 60)
    response = admin_client.get(URL, {"cursor": old})
    assert response.status_code == 410 and "detail" in response.json()
    fresh = cursor_encode(0, 0, issued_at=time.time() - 6 * 86_400)
    assert admin_client.get(URL, {"cursor": fresh}).status_code == 200
    settings.FEED_CURSOR_MAX_AGE_DAYS = 5
    assert admin_client.get(URL, {"cursor": fresh}).status_code == 410


def test_the_purge_keeps_each_orders_last_row_so_no_cursor_misses_an_order(admin_client):
    cursor = feed(admin_client)["next_cursor"]
    twice = new_order(admin_client)
    admin_client.patch(f"/api/orders/{twice}/", {"notes": "again"}, format="json")
    once = new_order(admin_client)
    OrderChange.objects.update(changed_at=timezone.now() - timedelta(days=9))
    fresh = new_order(admin_client)
    admin_client.patch(f"/api/orders/{fresh}/", {"notes": "again"}, format="json")
    rows = OrderChange.objects.count()
    assert feed_purge() == 1  # `twice`'s first row: old and superseded
    assert OrderChange.objects.count() == rows - 1
    assert OrderChange.objects.filter(order_id=twice).count() == 1
    # An old cursor and the start both still see every order, in its latest version.
    seen, _ = follow(admin_client, cursor)
    assert sorted(c["order_id"] for c in seen) == sorted([twice, once, fresh])
    assert {c["order_id"]: c["version"] for c in seen}[twice] == 2
    seen, _ = follow(admin_client)
    assert sorted(c["order_id"] for c in seen) == sorted([twice, once, fresh])
    call_command("purge_feed")  # nothing left to purge: the rest are last rows or recent
    assert OrderChange.objects.count() == rows - 1


def test_orders_without_a_row_are_backfilled(admin_client):
    """Orders of a bulk load (the demo seeder) or from before the feed get a row."""
    from bazaar.feed.services import feed_backfill

    made = Order.objects.create()  # no service, no event, no row
    assert feed_backfill() == 1
    assert feed_backfill() == 0
    assert [c["order_id"] for c in feed(admin_client)["results"]] == [made.pk]


def test_the_purge_task_runs_through_the_tasks_api(admin_client, settings):
    from bazaar.feed.tasks import purge_order_changes

    order_id = new_order(admin_client)
    admin_client.patch(f"/api/orders/{order_id}/", {"notes": "again"}, format="json")
    OrderChange.objects.update(changed_at=timezone.now() - timedelta(days=9))
    assert purge_order_changes.call() == 1


def test_the_feed_needs_code_2202(staff_with_codes):
    assert staff_with_codes(2203).get(URL).status_code == 403
    assert staff_with_codes(2202).get(URL).status_code == 200


def test_the_path_answers_without_the_slash_and_is_not_an_order_id(admin_client):
    assert admin_client.get("/api/orders/changes").status_code == 200
    assert admin_client.get(URL).json()["results"] == []


def test_a_page_costs_the_same_queries_for_1_and_100_changes(
    admin_client, memory_cache, django_assert_num_queries
):
    new_order(admin_client)
    settle()
    # The token, the page of changes, the orders, their items, their payments, their shipments,
    # their refunds.
    with django_assert_num_queries(7):
        assert len(feed(admin_client, settled=False)["results"]) == 1
    for _ in range(99):
        new_order(admin_client)
    settle()
    with django_assert_num_queries(7):
        assert len(feed(admin_client, settled=False, limit=100)["results"]) == 100
    cursor = feed(admin_client, limit=50)["next_cursor"]
    with django_assert_num_queries(7):
        assert len(feed(admin_client, settled=False, cursor=cursor)["results"]) == 50


def test_cursors_are_opaque_tokens(admin_client):
    new_order(admin_client)
    cursor = cursor_decode(feed(admin_client)["next_cursor"])
    assert cursor.change_id == OrderChange.objects.get().pk
    assert Order.objects.count() == 1


def test_the_feed_reads_the_primary_and_the_export_may_read_a_replica():
    from bazaar.db.middleware import may_read_from_replica
    from bazaar.feed.views import OrderChangesViewSet
    from bazaar.orders.views import OrderExportViewSet

    feed_view = OrderChangesViewSet.as_view({"get": "list"})
    assert not may_read_from_replica("GET", URL, feed_view)
    export_view = OrderExportViewSet.as_view({"get": "list"})
    assert may_read_from_replica("GET", "/api/orders/export/", export_view)


def test_feed_responses_validate_strictly_against_the_schema(admin_client, anon_client):
    from bazaar.api.tests.test_schema_exact import assert_valid

    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = schema.json()
    order_id = new_order(admin_client, notes="x", tags=["a"])
    admin_client.delete(f"/api/orders/{order_id}/")
    new_order(admin_client)
    settle()
    assert_valid(schema, "get", URL, admin_client.get(URL), 200)
    assert_valid(schema, "get", URL, admin_client.get(URL, {"cursor": "now"}), 200)
    assert_valid(schema, "get", URL, admin_client.get(URL, {"cursor": "bad"}), 400)
    expired = cursor_encode(0, 0, issued_at=time.time() - 30 * 86_400)
    assert_valid(schema, "get", URL, admin_client.get(URL, {"cursor": expired}), 410)
