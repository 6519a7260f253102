"""The list's count comes from per-status tallies kept by PostgreSQL triggers when the list is
filtered by status alone; it must always equal the real number of rows, however the orders were
written (API, ORM, bulk, raw SQL updates, deletes) and however many writers race."""

import threading

import pytest
from django.db import connection

from bazaar.conftest import client_for
from bazaar.orders import selectors, services
from bazaar.orders.models import Order, OrderStatusDelta
from bazaar.orders.status import Status

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tallies are kept by PostgreSQL triggers"
)


def tallies() -> dict[str, int]:
    counts: dict[str, int] = {}
    for delta in OrderStatusDelta.objects.all():
        counts[delta.status] = counts.get(delta.status, 0) + delta.delta
    return {status: n for status, n in counts.items() if n}


def real_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Order.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def make_orders() -> list[Order]:
    orders = [Order.objects.create() for _ in range(3)]
    orders += Order.objects.bulk_create([Order(status=Status.PROCESSING) for _ in range(4)])
    return orders


def api_count(client, query: str) -> int:
    response = client.get(f"/api/orders/?limit=1&{query}")
    assert response.status_code == 200, response.content
    return response.json()["count"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {Status.NEW, Status.PROCESSING, Status.COMPLETED}),
        ("status=processing", {Status.PROCESSING}),
        ("status=deleted", {Status.DELETED}),
        ("status_in=new,deleted", {Status.NEW, Status.DELETED}),
        ("status=new&status_in=new,hold", {Status.NEW}),
        ("status=new&status_in=hold", set()),
        ("ordering=-id&offset=1", {Status.NEW, Status.PROCESSING, Status.COMPLETED}),
    ],
)
def test_the_count_of_a_status_only_list_is_exact(admin_client, query, expected):
    orders = make_orders()
    Order.objects.filter(pk=orders[0].pk).update(status=Status.COMPLETED)
    Order.objects.filter(pk=orders[1].pk).update(status=Status.DELETED)
    Order.objects.filter(pk=orders[2].pk).delete()
    assert api_count(admin_client, query) == Order.objects.filter(status__in=expected).count()


@on_postgresql
def test_every_kind_of_write_keeps_the_tallies_equal_to_the_rows(admin_user):
    client = client_for(admin_user)
    orders = make_orders()
    assert tallies() == real_counts() == {"new": 3, "processing": 4}
    created = client.post("/api/orders/", {"status": "hold"}).json()["id"]
    assert client.patch(f"/api/orders/{created}/", {"status": "new"}).status_code == 200
    assert client.delete(f"/api/orders/{orders[0].pk}/").status_code == 204  # soft: deleted
    Order.objects.filter(status=Status.PROCESSING).update(status=Status.SHIPPED)
    Order.objects.filter(pk=orders[1].pk).update(notes="no status change")
    Order.objects.filter(pk=orders[2].pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orders_order SET status = 'completed' WHERE id = %s", [created])
    assert tallies() == real_counts() == {"deleted": 1, "new": 1, "shipped": 4, "completed": 1}
    assert selectors.order_count_by_status({"shipped", "completed"}) == 5


@on_postgresql
def test_compaction_keeps_the_sums_and_leaves_one_row_per_status(db):
    for _ in range(5):
        make_orders()
    Order.objects.filter(status=Status.NEW).update(status=Status.HOLD)
    before = tallies()
    assert OrderStatusDelta.objects.count() > 2
    assert services.order_status_deltas_compact() is True
    assert tallies() == before == real_counts()
    assert OrderStatusDelta.objects.count() == len(before)


@on_postgresql
def test_a_count_never_writes_however_many_tally_rows(db, django_assert_num_queries):
    """A read never writes: folding the rows back is the worker's (bazaar.jobs.tasks)."""
    for _ in range(150):
        make_orders()  # 1 050 tally rows
    rows = OrderStatusDelta.objects.count()
    with django_assert_num_queries(1) as queries:
        assert selectors.order_count_by_status({"new", "processing"}) == 1_050
    assert queries.captured_queries[0]["sql"].lstrip().upper().startswith("SELECT")
    assert OrderStatusDelta.objects.count() == rows


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_racing_writers_and_compactions_lose_no_count():
    """Writers on their own connections insert and move orders while others compact."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            barrier.wait()
            for _ in range(15):
                order = Order.objects.create()
                Order.objects.filter(pk=order.pk).update(status=Status.PROCESSING)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    def compactor() -> None:
        try:
            barrier.wait()
            for _ in range(15):
                services.order_status_deltas_compact()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    threads += [threading.Thread(target=compactor) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert tallies() == real_counts() == {"processing": 90}
