"""Read routing against a real streaming replica (SPEC §17).

A PostgreSQL primary and a hot standby of our own (pgpair.py), a database migrated on them, and
the production server (gunicorn) with DATABASE_URL=primary and DATABASE_REPLICA_URL=standby:

- "tolerant" servers A and B (replicas up to 600 s behind are used) show where reads go while
  the standby's replay is paused: a write is seen at once by the token that made it, on either
  server (the read-your-writes mark is in the shared cache, not in a process), not by another
  token until the standby replays it;
- a "strict" server (REPLICA_MAX_LAG_SECONDS=1) skips the paused standby once it falls behind,
  and does not skip an idle one (no writes for a while is not lag);
- a stopped standby is skipped with no error to the client, and used again once it is back.

Which database served a read is also checked on the standby itself: `pg_stat_activity` shows
the last statement of each server's replica connection (application_name tells them apart).
PostgreSQL only: the pair is made of PostgreSQL servers; the suite's SQLite stage skips it.
"""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from django.db import connection

from bazaar.api.tests.live_server import ROOT, LiveServer, gunicorn, request
from bazaar.db.tests import pgpair

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the replica is a streaming PostgreSQL standby",
    ),
    pytest.mark.skipif(bool(pgpair.missing()), reason=pgpair.missing() or ""),
]

DATABASE = "bazaar"
RYW_SECONDS = 3.0


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@dataclass
class Setup:
    pair: pgpair.Pair
    a: LiveServer
    b: LiveServer
    strict: LiveServer
    tokens: dict[str, str]

    def call(self, server: LiveServer, user: str, method: str, path: str, body=None):
        status, _content_type, raw = request(server.port, method, path, body, self.tokens[user])
        return status, (json.loads(raw) if raw else None)

    def last_replica_statement(self, application_name: str) -> str:
        row = self.pair.standby.execute(
            "SELECT query FROM pg_stat_activity WHERE application_name = %s "
            "ORDER BY state_change DESC LIMIT 1",
            [application_name],
            database=DATABASE,
        )
        return row[0] if row else ""


def reads_an_order(statement: str) -> bool:
    """Whether a statement is one of the order read path's: the order, its items and payments
    (orders_*) or its shipments and refunds (fulfilment_*, read last), or on PostgreSQL the
    one statement that writes the order's document (bazaar.orders.documents; its tables are
    not quoted)."""
    return re.search(r'\b"?(orders|fulfilment)_', statement) is not None


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[Setup]:
    with ExitStack() as stack:
        pg = stack.enter_context(pgpair.pair())
        pg.primary.execute(f'CREATE DATABASE "{DATABASE}"')
        env = {
            **os.environ,
            "DATABASE_URL": pg.primary.url(DATABASE),
            "BAZAAR_DATA_DIR": str(tmp_path_factory.mktemp("replica-manage")),
        }
        env.pop("DATABASE_REPLICA_URL", None)
        manage(env, "migrate", "--noinput", "-v", "0")
        script = (
            "import json\n"
            "from knox.models import AuthToken\n"
            "from bazaar.accounts.models import User\n"
            "tokens = {}\n"
            "for name in ('alice', 'bob', 'carol'):\n"
            "    user = User.objects.create_superuser(name, name + '@example.com', None)\n"
            "    tokens[name] = AuthToken.objects.create(user)[1]\n"
            "print(json.dumps(tokens))\n"
        )
        tokens = json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])
        pg.wait_caught_up()

        def server(name: str, max_lag: float, *options: str) -> LiveServer:
            replica = pg.standby.url(DATABASE) + f"?application_name=bazaar-{name}"
            server_env = {
                "DATABASE_URL": pg.primary.url(DATABASE),
                "DATABASE_REPLICA_URL": replica,
                "REPLICA_MAX_LAG_SECONDS": str(max_lag),
                "READ_YOUR_WRITES_SECONDS": str(RYW_SECONDS),
                "REDIS_URL": "",  # the marks in the database cache: on the primary, shared
                "TASKS_BACKEND": "database",
            }
            tmp = tmp_path_factory.mktemp(f"replica-{name}")
            return stack.enter_context(gunicorn(tmp, server_env, *options))

        yield Setup(
            pair=pg,
            a=server("a", 600, "--workers", "2"),
            b=server("b", 600),
            strict=server("strict", 1),
            tokens=tokens,
        )


def create_order(setup: Setup, notes: str) -> int:
    status, body = setup.call(setup.a, "alice", "POST", "/api/orders/", {"notes": notes})
    assert status == 201, body
    return body["id"]


def on_standby(setup: Setup, order_id: int) -> bool:
    row = setup.pair.standby.execute(
        "SELECT count(*) FROM orders_order WHERE id = %s", [order_id], database=DATABASE
    )
    return row[0] == 1


def test_reads_use_the_replica_writes_the_primary_and_a_token_reads_its_own_writes(setup):
    pg = setup.pair
    pg.pause_replay()
    try:
        order_id = create_order(setup, "fresh")  # written on the primary: the standby is paused
        assert not on_standby(setup, order_id)

        # Another token reads from the replica, which has not replayed the write yet.
        assert setup.call(setup.a, "bob", "GET", f"/api/orders/{order_id}/")[0] == 404
        status, page = setup.call(setup.b, "bob", "GET", "/api/orders/?limit=100")
        assert status == 200 and order_id not in [order["id"] for order in page["results"]]

        # The token that wrote reads from the primary, on the other server too.
        status, body = setup.call(setup.b, "alice", "GET", f"/api/orders/{order_id}/")
        assert status == 200 and body["notes"] == "fresh"
        status, page = setup.call(setup.a, "alice", "GET", "/api/orders/?limit=100")
        assert order_id in [order["id"] for order in page["results"]]

        # A write reads on the primary: bob's PATCH finds the order his GET could not.
        status, body = setup.call(
            setup.a, "bob", "PATCH", f"/api/orders/{order_id}/", {"notes": "patched"}
        )
        assert status == 200 and body["notes"] == "patched", body
        status, body = setup.call(setup.b, "bob", "GET", f"/api/orders/{order_id}/")
        assert status == 200 and body["notes"] == "patched"

        # Once the mark expires, alice's reads go back to the (still paused) replica.
        time.sleep(RYW_SECONDS + 0.5)
        assert setup.call(setup.a, "alice", "GET", f"/api/orders/{order_id}/")[0] == 404
    finally:
        pg.resume_replay()
    pg.wait_caught_up()
    status, body = setup.call(setup.a, "carol", "GET", f"/api/orders/{order_id}/")
    assert status == 200 and body["notes"] == "patched"


def test_a_lagging_replica_is_skipped_and_an_idle_one_is_not(setup):
    pg = setup.pair
    order_id = create_order(setup, "before")
    pg.wait_caught_up()
    time.sleep(2.5)  # nothing written for longer than the strict server's limit: idle, not lag
    statements = []
    for _attempt in range(3):  # WAL the primary writes on its own may be mid-replay once
        status, body = setup.call(setup.strict, "carol", "GET", f"/api/orders/{order_id}/")
        assert status == 200 and body["notes"] == "before"
        statements.append(setup.last_replica_statement("bazaar-strict"))
        if reads_an_order(statements[-1]):  # the order was read there
            break
        time.sleep(1.1)
    assert reads_an_order(statements[-1]), statements

    pg.pause_replay()
    try:
        pg.primary.execute(
            "UPDATE orders_order SET notes = 'lagged' WHERE id = %s", [order_id], database=DATABASE
        )
        time.sleep(2.5)  # the standby is now more than 1 s behind, and its figure is stale
        status, body = setup.call(setup.strict, "carol", "GET", f"/api/orders/{order_id}/")
        assert status == 200 and body["notes"] == "lagged"  # skipped: read from the primary
        assert "pg_last_wal_replay_lsn" in setup.last_replica_statement("bazaar-strict")
        status, body = setup.call(setup.a, "carol", "GET", f"/api/orders/{order_id}/")
        assert status == 200 and body["notes"] == "before"  # A tolerates the lag
    finally:
        pg.resume_replay()
    pg.wait_caught_up()


def test_a_stopped_replica_is_skipped_without_an_error_and_used_again_when_back(setup):
    pg = setup.pair
    servers = (setup.a, setup.b, setup.strict)
    for server in servers:  # every server holds a connection to the standby
        for _ in range(3):
            assert setup.call(server, "carol", "GET", "/api/orders/")[0] == 200
    pg.standby.stop("fast")
    try:
        order_id = create_order(setup, "while the replica is down")
        for server in servers:
            for _ in range(4):
                status, body = setup.call(server, "carol", "GET", f"/api/orders/{order_id}/")
                assert status == 200, body  # from the primary, not a 503
                assert setup.call(server, "carol", "GET", "/api/orders/")[0] == 200
    finally:
        pg.standby.start()
    pg.wait_caught_up()
    time.sleep(5.5)  # a replica found unreachable is tried again after 5 s
    assert setup.call(setup.strict, "carol", "GET", f"/api/orders/{order_id}/")[0] == 200
    assert reads_an_order(setup.last_replica_statement("bazaar-strict"))
    for server in servers:
        assert "Traceback" not in server.log_text()
