"""The API and the worker behind PgBouncer in transaction mode (SPEC §17).

Debian's `pgbouncer` (installed by .ci/run when missing) is started on a free port in front of
the test database, in transaction mode with round-robin server connections, so that
consecutive transactions of one client land on different server connections: anything that
relied on session state (a SET, a prepared statement, a server-side cursor outside a
transaction, a session advisory lock) would fail or misbehave here. gunicorn (two processes of
two threads, a psycopg pool of two connections each: DB_POOL_SIZE) and `run_worker` are pointed
at it with DATABASE_BEHIND_PGBOUNCER=1.

PostgreSQL only: PgBouncer speaks PostgreSQL's protocol.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult
from knox.models import AuthToken

from bazaar.accounts.models import User
from bazaar.api.tests.live_server import (
    ROOT,
    LiveServer,
    free_port,
    gunicorn,
    pytest_database_url,
    request,
)
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.orders.models import Order

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PgBouncer pools PostgreSQL connections"
    ),
    pytest.mark.skipif(
        not os.path.exists(PGBOUNCER),
        reason="pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)",
    ),
    pytest.mark.django_db(transaction=True),
]

CONFIG = """
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {dir}/users.txt
pool_mode = transaction
server_round_robin = 1
default_pool_size = 3
max_client_conn = 100
logfile = {dir}/pgbouncer.log
pidfile = {dir}/pgbouncer.pid
"""


def as_postgres(*command: str) -> list[str]:
    """PgBouncer refuses to run as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture(scope="module")
def bouncer(django_db_setup) -> Iterator[int]:
    db = connection.settings_dict
    workdir = Path(tempfile.mkdtemp(prefix="bazaar-pgbouncer-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
    port = free_port()
    (workdir / "users.txt").write_text(f'"{db["USER"] or "postgres"}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        CONFIG.format(
            host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, listen=port, dir=workdir
        )
    )
    process = subprocess.Popen(
        as_postgres(PGBOUNCER, str(workdir / "pgbouncer.ini")),
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (workdir / "pgbouncer.log").read_text()
            try:
                psycopg.connect(pytest_database_url(port=port), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, "pgbouncer did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def bouncer_env(port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": pytest_database_url(port=port),
        "DATABASE_BEHIND_PGBOUNCER": "1",
        "DB_POOL_SIZE": "2",
        "TASKS_BACKEND": "database",
        "REDIS_URL": "",  # the cache in the database, through PgBouncer as well
        "COMPACT_TALLIES_ONE_IN": "1",  # every status write enqueues a task for the worker
    }


@pytest.fixture(scope="module")
def server(bouncer, tmp_path_factory) -> Iterator[LiveServer]:
    with gunicorn(
        tmp_path_factory.mktemp("pgbouncer"), bouncer_env(bouncer),
        "--workers", "2", "--threads", "2", "--worker-class", "gthread",
    ) as live:  # fmt: skip
        yield live


def test_the_api_and_the_worker_work_behind_pgbouncer_in_transaction_mode(
    bouncer, server, tmp_path
):
    user = User.objects.create_superuser("bouncer", "bouncer@example.com", None)
    _instance, token = AuthToken.objects.create(user)
    products = [ProductFactory(price=10_000), ProductFactory(price=2_500)]

    def call(method: str, path: str, body=None):
        status, _content_type, raw = request(server.port, method, path, body, token)
        return status, json.loads(raw) if raw else None

    status, order = call(
        "POST", "/api/orders/",
        {"notes": "via pgbouncer",
         "items": [{"product": products[0].pk, "quantity": 2}, {"product": products[1].pk}]},
    )  # fmt: skip
    assert status == 201, order
    assert [item["quantity"] for item in order["items"]] == [2, 1]
    order_id = order["id"]
    for _ in range(6):  # several requests per process: transactions on rotating connections
        status, page = call("GET", "/api/orders/?limit=100")
        assert status == 200 and order_id in [row["id"] for row in page["results"]]
        status, body = call("GET", f"/api/orders/{order_id}/")
        assert status == 200 and body["notes"] == "via pgbouncer"
        status, body = call("GET", f"/api/orders/{order_id}/items/")
        assert status == 200 and body["count"] == 2
    status, body = call("PATCH", f"/api/orders/{order_id}/", {"status": "hold", "notes": "held"})
    assert status == 200 and (body["status"], body["notes"]) == ("hold", "held"), body
    status, body = call("POST", f"/api/orders/{order_id}/items/", {"product": products[1].pk})
    assert status == 201 and len(body["items"]) == 3
    assert Order.objects.get(pk=order_id).item_quantity == 4
    assert body["created_at"].endswith("Z") and body["updated_at"] > body["created_at"]

    queued = DBTaskResult.objects.filter(task_path="bazaar.jobs.tasks.compact_status_tallies")
    assert queued.count() == 2  # the order's creation and its move to hold
    env = {**os.environ, **bouncer_env(bouncer), "BAZAAR_DATA_DIR": str(tmp_path)}
    worker = subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--burst", "--interval", "0.1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert set(queued.values_list("status", flat=True)) == {"SUCCESSFUL"}
    status, page = call("GET", "/api/orders/?status=hold")
    assert status == 200 and page["count"] == 1  # the tallies the worker compacted
    assert "Traceback" not in server.log_text()
