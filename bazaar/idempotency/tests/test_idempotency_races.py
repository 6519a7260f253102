"""Idempotency-Key with real parallel connections (one thread and connection per request): one
key never runs twice, whatever the timing. On PostgreSQL a duplicate that arrives while the first
request runs gets a 409 at once (advisory lock); on SQLite it waits for the first to commit
(IMMEDIATE transactions) and gets the stored answer."""

import json
import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from bazaar.accounts.models import User
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.conftest import client_for
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.idempotency import keys
from bazaar.idempotency.keys import lock_id
from bazaar.idempotency.models import StoredResponse
from bazaar.orders.models import Order, OrderItem
from bazaar.orders.tests.test_concurrency import run_in_parallel

pytestmark = pytest.mark.django_db(transaction=True)
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def admin():
    return User.objects.create_superuser("racer", "r@example.com", "pw-Racer-123")


def keyed_post(client, path: str, body: dict, key: str):
    return client.post(
        path, data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_8_identical_creates_with_one_key_make_exactly_one_order(admin):
    body = {"customer": CustomerFactory().pk, "shipping_cost": 75000, "notes": "race"}
    clients = [client_for(admin) for _ in range(8)]
    answers = run_in_parallel(
        [lambda c=c: keyed_post(c, "/api/orders/", body, "one-order") for c in clients]
    )

    assert Order.objects.count() == 1
    order_id = Order.objects.get().pk
    first = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" not in a]
    replays = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" in a]
    in_flight = [a for a in answers if a.status_code == 409]
    assert len(first) == 1
    assert len(first) + len(replays) + len(in_flight) == 8, [a.status_code for a in answers]
    assert all(a.json()["id"] == order_id for a in first + replays)
    assert all(a.content == first[0].content for a in replays)
    assert all(set(a.json()) == {"detail"} for a in in_flight)
    if not POSTGRES:
        assert not in_flight  # SQLite: the duplicates waited for the commit, then replayed
    assert StoredResponse.objects.count() == 1


def test_a_duplicate_while_the_first_still_runs_never_runs_twice(admin):
    """The first request is held inside its transaction (another connection holds the order row
    it must lock); its duplicate arrives meanwhile."""
    order = Order.objects.create()
    product = ProductFactory(price=1000)
    url, body = f"/api/orders/{order.pk}/items/", {"product": product.pk, "quantity": 1}
    first_client, duplicate_client = client_for(admin), client_for(admin)
    holding, release = threading.Event(), threading.Event()
    answers = {}

    def hold_the_order() -> None:
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=order.pk)  # SQLite: the write lock
                Order.objects.filter(pk=order.pk).update(notes="held")
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    def send(name: str, client) -> None:
        try:
            answers[name] = keyed_post(client, url, body, "held-key")
        finally:
            connection.close()

    blocker = threading.Thread(target=hold_the_order)
    blocker.start()
    assert holding.wait(30)
    first = threading.Thread(target=send, args=("first", first_client))
    first.start()
    if POSTGRES:
        wait_until_the_key_is_locked(admin.pk, "held-key")
        send("duplicate", duplicate_client)  # answered while the first is still blocked
        assert first.is_alive()
        duplicate = answers["duplicate"]
        assert duplicate.status_code == 409
        assert "still being processed" in duplicate.json()["detail"]
        release.set()
    else:
        duplicate = threading.Thread(target=send, args=("duplicate", duplicate_client))
        duplicate.start()
        time.sleep(0.5)
        release.set()
        duplicate.join(60)
    first.join(60)
    blocker.join(60)

    assert answers["first"].status_code == 201
    assert OrderItem.objects.filter(order=order).count() == 1
    if not POSTGRES:
        # Whichever got the write lock first ran; the other waited and got its stored answer.
        statuses = sorted(("Idempotent-Replayed" in a, a.status_code) for a in answers.values())
        assert statuses == [(False, 201), (True, 201)]
    # The 409 was not stored: a retry now gets the first request's answer.
    retried = keyed_post(duplicate_client, url, body, "held-key")
    assert retried["Idempotent-Replayed"] == "true"
    assert OrderItem.objects.filter(order=order).count() == 1


def wait_until_the_key_is_locked(user_id: int, key: str) -> None:
    """Until PostgreSQL shows the advisory lock of (user, key) granted in this database (a
    bigint lock appears as its high and low 32 bits)."""
    lock = lock_id(user_id, key) & 0xFFFFFFFFFFFFFFFF
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1",
                [lock >> 32, lock & 0xFFFFFFFF],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the first request never took its key")


@pytest.mark.skipif(not POSTGRES, reason="SQLite serialises writers: no claim runs unseen")
def test_an_answer_stored_after_the_claim_read_makes_the_second_run_roll_back(admin):
    """The claim locks the key and reads its stored answer in one statement, whose snapshot
    predates the lock: a first request that commits in that instant is not seen. Here another
    connection stores the key's answer (and commits) while this request runs its handler, as such
    a first request would have: the unique (user, key) constraint refuses this request's own
    answer, and its write goes with it (409, nothing added; a retry replays the stored one)."""
    order = Order.objects.create()
    product = ProductFactory(price=1000)
    url, body = f"/api/orders/{order.pk}/items/", {"product": product.pk, "quantity": 1}
    client = client_for(admin)

    def store_from_elsewhere(execute, sql, params, many, context):
        if "FOR UPDATE" in sql:  # the handler locks the order (reading the product with it)
            with psycopg.connect(**other_connection_params(), autocommit=True) as other:
                other.execute(
                    "INSERT INTO idempotency_storedresponse (user_id, key, method, path, "
                    "body_hash, status_code, content_type, location, etag, body, created_at) "
                    "VALUES (%s, 'unseen', 'POST', %s, %s, 201, 'application/json', '', '', "
                    "'{}', now())",
                    [admin.pk, keys.request_path(url, ""), keys.body_hash(body)],
                )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(store_from_elsewhere):
        answer = keyed_post(client, url, body, "unseen")

    assert answer.status_code == 409, answer.content
    assert set(answer.json()) == {"detail"}
    assert not OrderItem.objects.filter(order=order).exists()
    assert StoredResponse.objects.filter(key="unseen").count() == 1
    retried = keyed_post(client, url, body, "unseen")
    assert retried["Idempotent-Replayed"] == "true"
    assert not OrderItem.objects.filter(order=order).exists()


def other_connection_params() -> dict:
    """psycopg's connection parameters for the test database, for a connection of its own."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return params
