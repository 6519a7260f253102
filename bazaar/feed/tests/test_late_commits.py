"""The feed never skips a change whose transaction commits after a later one (SPEC §15), with
real parallel PostgreSQL connections: one transaction is held open on its own thread while
another commits and the feed is read."""

import threading

import pytest
from django.db import connection, transaction

from bazaar.conftest import client_for
from bazaar.feed.tests.settle import settle
from bazaar.orders import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="transaction ids and snapshots: PostgreSQL"
    ),
]
URL = "/api/orders/changes/"


def order_ids(body: dict) -> list[int]:
    return [change["order_id"] for change in body["results"]]


@pytest.fixture
def client(admin_user):
    return client_for(admin_user)


def hold_open_while(order_id: int, written: threading.Event, release: threading.Event) -> None:
    """T1: change the order, keep the transaction open until `release`, then commit."""
    try:
        with transaction.atomic():
            services.order_update(order_id=order_id, data={"notes": "slow"})
            written.set()
            assert release.wait(timeout=60)
    finally:
        connection.close()


def test_a_slow_transaction_committing_late_is_not_skipped(client):
    slow = client.post("/api/orders/", {}, format="json").json()["id"]
    settle()
    start = client.get(URL).json()
    assert order_ids(start) == [slow]
    cursor = start["next_cursor"]

    written, release = threading.Event(), threading.Event()
    t1 = threading.Thread(target=hold_open_while, args=(slow, written, release))
    t1.start()
    try:
        assert written.wait(timeout=60)
        # T2 starts after T1 took its transaction id, and commits first.
        fast = client.post("/api/orders/", {}, format="json").json()["id"]
        during = client.get(URL, {"cursor": cursor}).json()
        # Read by sequence alone, `fast` would come now and the cursor would pass T1's row.
        # The feed waits for T1 instead: nothing it returns can be overtaken.
        assert slow not in order_ids(during)
        assert during["has_more"] is False
        cursor = during["next_cursor"]
    finally:
        release.set()
        t1.join(timeout=60)

    settle()
    after = client.get(URL, {"cursor": cursor}).json()
    assert sorted(order_ids(after)) == sorted([slow, fast])
    (late,) = [change for change in after["results"] if change["order_id"] == slow]
    assert late["order"]["notes"] == "slow" and late["version"] == 2


def test_cursor_now_taken_while_a_transaction_is_open_still_sees_it(client):
    slow = client.post("/api/orders/", {}, format="json").json()["id"]
    written, release = threading.Event(), threading.Event()
    t1 = threading.Thread(target=hold_open_while, args=(slow, written, release))
    t1.start()
    try:
        assert written.wait(timeout=60)
        now = client.get(URL, {"cursor": "now"}).json()["next_cursor"]
    finally:
        release.set()
        t1.join(timeout=60)
    # T1 was running when "now" was taken: its change commits after that moment, so it is seen.
    settle()
    assert order_ids(client.get(URL, {"cursor": now}).json()) == [slow]


def test_many_interleaved_writers_lose_nothing(client):
    """Eight threads each write orders while a reader follows the feed; at the end the reader
    has seen every order's last version."""
    ids = [client.post("/api/orders/", {}, format="json").json()["id"] for _ in range(8)]
    cursor = client.get(URL, {"cursor": "now"}).json()["next_cursor"]
    seen: dict[int, int] = {}
    done = threading.Event()

    def writer(order_id: int) -> None:
        try:
            for n in range(5):
                services.order_update(order_id=order_id, data={"notes": f"n{n}"})
        finally:
            connection.close()

    def reader() -> None:
        nonlocal cursor
        try:
            while True:
                finished = done.is_set()
                body = client.get(URL, {"cursor": cursor, "limit": 3}).json()
                for change in body["results"]:
                    order_id, version = change["order_id"], change["version"]
                    seen[order_id] = max(seen.get(order_id, 0), version)
                cursor = body["next_cursor"]
                if finished and not body["has_more"]:
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(order_id,)) for order_id in ids]
    read = threading.Thread(target=reader)
    read.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    settle()
    done.set()
    read.join(timeout=120)
    assert seen == dict.fromkeys(ids, 6)
