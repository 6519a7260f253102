"""A service inside a keyed request's savepoint runs without one of its own, and is still all
or nothing (bazaar.db.transactions); anywhere else it keeps Django's savepoint."""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.db.transactions import request_savepoint_covers, write_atomic
from bazaar.geo.models import Country
from bazaar.idempotency.models import StoredResponse
from bazaar.orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db


@write_atomic
def add_country_then(fail: bool) -> None:
    Country.objects.create(name="Nowhere", code=f"N{Country.objects.count()}")
    if fail:
        raise ValueError("refused after a write")


def savepoints(queries) -> list[str]:
    return [q["sql"] for q in queries if "SAVEPOINT" in q["sql"].upper()]


def taken(queries) -> int:
    return sum(sql.startswith("SAVEPOINT") for sql in savepoints(queries))


def test_a_covered_service_takes_no_savepoint_and_a_nested_one_does():
    with transaction.atomic():
        transaction.savepoint()
        with request_savepoint_covers():
            with CaptureQueriesContext(connection) as covered:
                add_country_then(fail=False)
            with CaptureQueriesContext(connection) as nested:
                with transaction.atomic():  # a caller that may catch the error and go on
                    add_country_then(fail=False)
                with pytest.raises(ValueError), transaction.atomic():
                    add_country_then(fail=True)
        with CaptureQueriesContext(connection) as uncovered:
            add_country_then(fail=False)
    assert savepoints(covered) == []
    assert taken(nested) == 4  # the two blocks' and the two services' own
    assert taken(uncovered) == 1
    assert Country.objects.count() == 3  # the refused one's row was taken back alone


def test_a_keyed_write_refused_after_it_wrote_leaves_nothing_and_stores_the_answer(
    admin_client,
):
    # The order total limit is checked after the item is inserted: the item must go, with no
    # savepoint of the service's own, and the 400 is kept for the key's retry.
    order = Order.objects.create(shipping_cost=10**15 - 10)
    body = {"product": ProductFactory(price=1000).pk, "quantity": 1}
    key = uuid.uuid4().hex
    with CaptureQueriesContext(connection) as queries:
        refused = admin_client.post(
            f"/api/orders/{order.pk}/items/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
    assert refused.status_code == 400, refused.content
    assert not OrderItem.objects.filter(order=order).exists()
    assert Order.objects.get(pk=order.pk).version == order.version
    assert StoredResponse.objects.filter(key=key, status_code=400).exists()
    # Between the request's savepoint and the rollback to it, no other savepoint was taken.
    statements = savepoints(queries)
    [rollback] = [sql for sql in statements if sql.startswith("ROLLBACK TO SAVEPOINT")]
    taken = statements.index(rollback.removeprefix("ROLLBACK TO "))
    assert statements[taken + 1] == rollback
    again = admin_client.post(
        f"/api/orders/{order.pk}/items/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
