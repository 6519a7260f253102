"""A write committed while the client lost the response, through the real server: a raw socket
sends a keyed create and closes before reading, the server commits anyway, and the client's
retry with the same key gets the stored answer instead of a second order."""

import http.client
import json
import socket
import time

import pytest
from django.db import connection
from knox.models import AuthToken

from bazaar.accounts.models import User
from bazaar.api.tests.live_server import gunicorn, pytest_database_url
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.idempotency.models import StoredResponse
from bazaar.orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    if connection.vendor == "postgresql":
        database_url = pytest_database_url()
    else:
        with django_db_blocker.unblock():
            database_url = f"sqlite:///{connection.settings_dict['NAME']}"
    with gunicorn(tmp_path_factory.mktemp("lost"), {"DATABASE_URL": database_url}) as live:
        yield live


@pytest.fixture
def token():
    user = User.objects.create_superuser("lost", "lost@example.com", "pw-Lost-123")
    return AuthToken.objects.create(user)[1]


def send_and_hang_up(port: int, token: str, body: bytes, key: str | None) -> None:
    """The whole request, then the socket closed before a byte of the answer is read."""
    head = [
        "POST /api/orders/ HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Token {token}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    if key is not None:
        head.append(f"Idempotency-Key: {key}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)


def post(port: int, token: str, body: bytes, key: str | None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    try:
        conn.request("POST", "/api/orders/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_for_orders(count: int) -> None:
    deadline = time.monotonic() + 30
    while Order.objects.count() < count:
        assert time.monotonic() < deadline, "the server never committed the order"
        time.sleep(0.05)


def test_a_retry_after_a_lost_response_is_replayed_not_repeated(server, token):
    body = json.dumps({"customer": CustomerFactory().pk, "notes": "lost"}).encode()

    send_and_hang_up(server.port, token, body, key="lost-1")
    wait_for_orders(1)  # committed while nobody was listening
    assert StoredResponse.objects.filter(key="lost-1").exists()  # in the same commit

    status, headers, answer = post(server.port, token, body, key="lost-1")

    assert status == 201
    assert headers["Idempotent-Replayed"] == "true"
    assert json.loads(answer)["id"] == Order.objects.get().pk
    assert Order.objects.count() == 1


def test_without_a_key_the_same_retry_writes_twice(server, token):
    """What the key prevents: the blind retry of a lost create makes a second order."""
    body = json.dumps({"customer": CustomerFactory().pk, "notes": "lost"}).encode()

    send_and_hang_up(server.port, token, body, key=None)
    wait_for_orders(1)
    status, _headers, _answer = post(server.port, token, body, key=None)

    assert status == 201
    assert Order.objects.count() == 2
