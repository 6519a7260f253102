"""Races through the real HTTP stack with real parallel database connections (one per thread).
On PostgreSQL the order row lock makes them queue; on SQLite, IMMEDIATE transactions do."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from bazaar.accounts.models import User
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.conftest import client_for
from bazaar.orders.models import Order, OrderItem, OrderPayment
from bazaar.orders.tests.totals import order_totals_from_rows

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_parallel(jobs: list[Callable[[], int]]) -> list[int]:
    """Start every job at once (a barrier), each on its own thread and connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[int] = [0] * len(jobs)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = jobs[index]()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def admin():
    return User.objects.create_superuser("racer", "r@example.com", "pw-Racer-123")


def test_24_concurrent_item_adds_are_all_counted(admin):
    order = Order.objects.create()
    product = ProductFactory(price=1000)
    clients = [client_for(admin) for _ in range(24)]
    url = f"/api/orders/{order.pk}/items/"
    codes = run_in_parallel(
        [
            lambda c=c: c.post(url, {"product": product.pk, "quantity": 2}).status_code
            for c in clients
        ]
    )
    assert codes == [201] * 24
    order.refresh_from_db()
    assert OrderItem.objects.filter(order=order).count() == 24
    assert (order.item_count, order.item_quantity, order.items_subtotal) == (24, 48, 48_000)
    assert order_totals_from_rows(order_id=order.pk)["item_count"] == 24


def test_8_concurrent_approvals_of_600_on_1000_accept_exactly_one(admin):
    order = Order.objects.create()
    product = ProductFactory(price=1000)
    OrderItem.objects.create(order=order, product=product, unit_price=1000, product_data={})
    Order.objects.filter(pk=order.pk).update(**order_totals_from_rows(order_id=order.pk))
    clients = [client_for(admin) for _ in range(8)]
    url = f"/api/orders/{order.pk}/payments/"
    codes = run_in_parallel(
        [lambda c=c: c.post(url, {"amount": 600, "approved": True}).status_code for c in clients]
    )
    assert sorted(codes) == [201] + [400] * 7
    order.refresh_from_db()
    assert order.amount_paid == 600
    assert OrderPayment.objects.filter(order=order).count() == 1


def test_status_changes_and_item_adds_racing_leave_consistent_totals(admin):
    order = Order.objects.create()
    product = ProductFactory(price=500)
    clients = [client_for(admin) for _ in range(12)]
    url = f"/api/orders/{order.pk}"
    jobs = []
    for i, c in enumerate(clients):
        if i % 3 == 0:
            jobs.append(lambda c=c: c.patch(url + "/", {"status": "hold"}).status_code)
        elif i % 3 == 1:
            jobs.append(lambda c=c: c.patch(url + "/", {"status": "new"}).status_code)
        else:
            jobs.append(lambda c=c: c.post(url + "/items/", {"product": product.pk}).status_code)
    codes = run_in_parallel(jobs)
    assert set(codes) <= {200, 201}
    order.refresh_from_db()
    stored = {name: getattr(order, name) for name in order_totals_from_rows(order_id=order.pk)}
    assert stored == order_totals_from_rows(order_id=order.pk)
    assert order.item_count == 4
