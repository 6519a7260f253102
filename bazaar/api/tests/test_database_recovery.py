"""The database goes away and comes back while the server keeps running.

A small TCP proxy sits between gunicorn and PostgreSQL. Switched off, it closes its listening
socket and every connection it forwards (the server's persistent connections die, new ones are
refused); switched on, it listens again on the same port. In "blackhole" mode it accepts
connections and never answers (a network partition: only DB_CONNECT_TIMEOUT ends the wait).

What must hold: during the outage /readyz and the API answer 503 with a JSON `detail` and no
stack trace, quickly; a write during the outage leaves nothing behind; once the database is back,
the same server processes (same PIDs, no restart) answer 200 again within seconds — including
the first request of a worker whose pooled connection died while it was idle.

PostgreSQL only: the proxy forwards PostgreSQL's TCP port; SQLite has no connection to lose.
"""

import collections
import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.db import connection
from knox.models import AuthToken

from bazaar.accounts.models import User
from bazaar.api.tests.live_server import (
    LiveServer,
    free_port,
    gunicorn,
    pytest_database_url,
    request,
)
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.orders.models import Order, OrderItem
from bazaar.orders.tests.totals import order_totals_from_rows

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the outage is made by cutting PostgreSQL's TCP connections; SQLite has none",
    ),
    pytest.mark.django_db(transaction=True),
]

UNAVAILABLE = "The database is unavailable or busy. Try again in a few seconds."


class SwitchableProxy:
    """127.0.0.1:<port> -> the real database, with an off switch."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.blackhole = False
        self.accepted = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def on(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, args=(listener, self._stop))
        self._thread.daemon = True
        self._thread.start()

    def off(self) -> None:
        """Stop listening and cut every forwarded connection."""
        if self._stop is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._stop = None
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    client, _address = listener.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                with self._lock:
                    self.accepted += 1
                    self._sockets.add(client)
                if self.blackhole:
                    continue  # held open, never answered
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    self._close(client)
                    continue
                upstream.settimeout(None)
                with self._lock:
                    self._sockets.add(upstream)
                for src, dst in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()
        finally:
            listener.close()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src)
            self._close(dst)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


@dataclass
class Server:
    live: LiveServer
    proxy: SwitchableProxy

    @property
    def port(self) -> int:
        return self.live.port

    def pids(self) -> set[int]:
        return self.live.pids()

    def log_text(self) -> str:
        return self.live.log_text()


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[Server]:
    db = connection.settings_dict
    proxy = SwitchableProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.on()
    env = {"DATABASE_URL": pytest_database_url(port=proxy.port), "DB_CONNECT_TIMEOUT": "1"}
    try:
        with gunicorn(
            tmp_path_factory.mktemp("recovery"), env, "--workers", "2", "--timeout", "30",
            ready=lambda live: len(live.pids()) == 3,
        ) as live:  # fmt: skip
            yield Server(live=live, proxy=proxy)
    finally:
        proxy.off()


@pytest.fixture
def api(server):
    """A token and an order with one item, made directly in the database (not via the proxy)."""
    proxy = server.proxy
    proxy.blackhole = False
    proxy.off()
    proxy.on()
    user = User.objects.create_superuser("ops", "ops@example.com", None)
    _instance, token = AuthToken.objects.create(user)
    product = ProductFactory(price=1_000)
    order = Order.objects.create(notes="before")
    OrderItem.objects.create(order=order, product=product, unit_price=1_000, product_data={})
    Order.objects.filter(pk=order.pk).update(**order_totals_from_rows(order_id=order.pk))

    def call(method: str, path: str, body=None):
        return request(server.port, method, path, body, token)

    call.order, call.product = order, product
    yield call
    proxy.blackhole = False
    proxy.off()
    proxy.on()


def assert_unavailable(status: int, content_type: str, raw: bytes) -> None:
    assert status == 503, raw[:300]
    assert content_type.startswith("application/json")
    assert json.loads(raw) == {"detail": UNAVAILABLE}
    assert b"Traceback" not in raw and b"psycopg" not in raw


def wait_until_ready(server: Server, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if request(server.port, "GET", "/readyz")[0] == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"/readyz not 200 within {within} s:\n{server.log_text()[-3000:]}")


def test_outage_is_503_and_recovery_needs_no_restart(server, api):
    order = api.order
    items_url = f"/api/orders/{order.pk}/items/"
    for _ in range(6):  # both workers hold a pooled connection through the proxy
        assert api("GET", "/api/orders/")[0] == 200
    assert request(server.port, "GET", "/readyz")[0] == 200
    pids = server.pids()
    assert len(pids) == 3

    server.proxy.off()
    started = time.monotonic()
    for _ in range(4):  # several rounds, so that both workers meet the outage
        status, _content_type, raw = request(server.port, "GET", "/readyz")
        assert status == 503 and json.loads(raw)["database"] == "unreachable"
        assert_unavailable(*api("GET", "/api/orders/"))
        assert_unavailable(*api("GET", f"/api/orders/{order.pk}/"))
        assert_unavailable(*api("POST", items_url, {"product": api.product.pk, "quantity": 3}))
        assert_unavailable(*api("PATCH", f"/api/orders/{order.pk}/", {"notes": "during"}))
    outage_answers = time.monotonic() - started
    assert outage_answers < 10  # 16 requests: refused connections fail fast
    assert request(server.port, "GET", "/healthz")[0] == 200  # alive, only not ready

    server.proxy.on()
    recovered_in = wait_until_ready(server, within=10)
    for _ in range(6):
        status, _content_type, raw = api("GET", "/api/orders/")
        assert status == 200, raw[:300]
    assert server.pids() == pids  # the same master and workers: recovered, not restarted

    # The writes refused during the outage left nothing behind.
    order.refresh_from_db()
    assert order.notes == "before"
    assert OrderItem.objects.filter(order=order).count() == 1
    assert order.item_count == 1 and order.item_quantity == 1
    # ... and succeed once, when sent again.
    assert api("POST", items_url, {"product": api.product.pk, "quantity": 3})[0] == 201
    order.refresh_from_db()
    assert (order.item_count, order.item_quantity) == (2, 4)
    assert "Traceback" not in server.log_text()
    sys.stdout.write(
        f"\n[outage] 16 requests during the outage answered 503 in {outage_answers:.2f} s; "
        f"/readyz 200 again {recovered_in:.2f} s after the database came back\n"
    )


def test_idle_connections_cut_while_nobody_asked_do_not_fail_the_next_requests(server, api):
    """Regression guard for CONN_HEALTH_CHECKS: a blip while the workers are idle kills their
    pooled connections; the next request of each worker must notice and reconnect (200), not
    fail on the dead connection (503) — whichever worker gets it."""
    for _ in range(6):
        assert api("GET", "/api/orders/")[0] == 200
    pids = server.pids()
    before = server.proxy.accepted
    server.proxy.off()
    server.proxy.on()
    statuses = [api("GET", "/api/orders/")[0] for _ in range(8)]
    statuses += [api("GET", f"/api/orders/{api.order.pk}/")[0] for _ in range(4)]
    assert statuses == [200] * 12
    assert server.proxy.accepted > before  # they did reconnect
    assert server.pids() == pids


def test_blackholed_database_is_503_after_the_connect_timeout(server, api):
    """Connections accepted and never answered (a partition): DB_CONNECT_TIMEOUT=1 bounds the
    wait, so each request is a 503 within seconds, not a hung worker killed by gunicorn."""
    pids = server.pids()
    server.proxy.off()
    server.proxy.blackhole = True
    server.proxy.on()
    for _ in range(2):
        started = time.monotonic()
        assert_unavailable(*api("GET", "/api/orders/"))
        assert time.monotonic() - started < 5
    status, _content_type, raw = request(server.port, "GET", "/readyz")
    assert status == 503 and json.loads(raw)["database"] == "unreachable"
    server.proxy.off()
    server.proxy.blackhole = False
    server.proxy.on()
    wait_until_ready(server, within=10)
    assert api("GET", "/api/orders/")[0] == 200
    assert server.pids() == pids


def test_flapping_database_under_load_never_answers_500(server, api):
    """Four clients write and read while the database drops out three times. Every answer is a
    200/201 or a 503; afterwards the order's totals equal its rows, and it holds at least every
    item answered 201 and at most those plus the adds answered 503 (a commit may be cut off after
    the database applied it — the client cannot know, and must check before retrying)."""
    order = api.order
    items_url = f"/api/orders/{order.pk}/items/"
    stop = threading.Event()
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            if (index + n) % 2:
                op, status = "add", api("POST", items_url, {"product": api.product.pk})[0]
            else:
                op, status = "read", api("GET", f"/api/orders/{order.pk}/")[0]
            with lock:
                answers.append((op, status))

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(client, i) for i in range(4)]
        time.sleep(1.0)
        for _ in range(3):
            server.proxy.off()
            time.sleep(0.7)
            server.proxy.on()
            time.sleep(1.0)
        stop.set()
        for future in futures:
            future.result(timeout=60)
    wait_until_ready(server, within=10)

    histogram = collections.Counter(f"{op} {status}" for op, status in answers)
    assert {status for _op, status in answers} <= {200, 201, 503}, histogram
    assert histogram["add 201"] and histogram["read 200"] and histogram["read 503"]
    order.refresh_from_db()
    rows = OrderItem.objects.filter(order=order).count() - 1
    assert histogram["add 201"] <= rows <= histogram["add 201"] + histogram["add 503"]
    stored = {name: getattr(order, name) for name in order_totals_from_rows(order_id=order.pk)}
    assert stored == order_totals_from_rows(order_id=order.pk)
    assert "Traceback" not in server.log_text()
    sys.stdout.write(
        f"\n[flapping] {len(answers)} requests, {dict(sorted(histogram.items()))}; "
        f"{rows} items stored for {histogram['add 201']} answered 201\n"
    )


def test_the_connection_gives_up_on_a_silent_database(db):
    """Keepalives and tcp_user_timeout bound how long a vanished peer can hold a worker."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    parameters = connection.connection.info.get_parameters()
    assert parameters["keepalives"] == "1" and parameters["keepalives_idle"] == "30"
    assert parameters["tcp_user_timeout"] == "15000"
