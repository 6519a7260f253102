"""Nothing a request needs lives in one process (SPEC §17): two production servers (gunicorn on
two ports) on one database, with the shared state in the database cache (the default) or in
Redis (REDIS_URL), and a worker started on its own.

- a token made by logging in on A works on B, and once revoked on A it is refused by B;
- a token's request budget (THROTTLE_TOKEN_RATE) spent partly on A and partly on B runs out on
  both at the same count, and so do password guesses (THROTTLE_LOGIN_RATE);
- a task enqueued by a write on A is run by a worker process that is neither A nor B;
- an Idempotency-Key used on A is replayed by B, and the same keyed request sent to both at once
  makes one order.
"""

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
import redis
from django.db import connection
from django_tasks_db.models import DBTaskResult
from knox.models import AuthToken

from bazaar.accounts.models import User
from bazaar.api.tests.live_server import ROOT, LiveServer, gunicorn, pytest_database_url, request
from bazaar.orders.models import Order

pytestmark = [pytest.mark.django_db(transaction=True)]

TOKEN_BUDGET = 6
LOGIN_BUDGET = 3


def database_url() -> str:
    if connection.vendor == "postgresql":
        return pytest_database_url()
    return f"sqlite:///{connection.settings_dict['NAME']}"


@dataclass
class Instances:
    a: LiveServer
    b: LiveServer
    env: dict[str, str]


def start_instances(tmp_path_factory, redis_url: str = "") -> Iterator[Instances]:
    """Two servers sharing the test database, and the Redis database `redis_url` when given
    (else their shared state is in the database cache)."""
    env = {
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "TASKS_BACKEND": "database",
        "THROTTLE_TOKEN_RATE": f"{TOKEN_BUDGET}/hour",
        "THROTTLE_LOGIN_RATE": f"{LOGIN_BUDGET}/hour",
        "COMPACT_TALLIES_ONE_IN": "1",  # every status write enqueues a task
    }
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(gunicorn(tmp_path_factory.mktemp(f"instance-{name}"), env))
            for name in "ab"
        )
        yield Instances(a, b, env)


@pytest.fixture(scope="module")
def instances(django_db_setup, tmp_path_factory) -> Iterator[Instances]:
    """The default: shared state in the database cache."""
    yield from start_instances(tmp_path_factory)


@pytest.fixture(scope="module", params=["database cache", "redis"])
def either_cache(request, instances, tmp_path_factory, redis_url) -> Iterator[Instances]:
    """The tests of shared counters run with Redis (REDIS_URL) as well."""
    if request.param == "database cache":
        yield instances
    else:
        yield from start_instances(tmp_path_factory, redis_url)


def login(server: LiveServer, username: str, password: str) -> tuple[int, dict]:
    status, _content_type, raw = request(
        server.port, "POST", "/api/auth/token/", {"username": username, "password": password}
    )
    return status, json.loads(raw)


def test_a_login_on_one_instance_works_on_the_other_until_revoked(instances):
    forget_login_attempts(instances)
    User.objects.create_superuser("shared", "shared@example.com", "a-long-passphrase-1")
    status, body = login(instances.a, "shared", "a-long-passphrase-1")
    assert status == 200, body
    token = body["token"]
    status, _content_type, raw = request(instances.b.port, "GET", "/api/auth/me/", token=token)
    assert status == 200 and json.loads(raw)["username"] == "shared"
    assert request(instances.a.port, "DELETE", "/api/auth/token/", token=token)[0] == 204
    assert request(instances.b.port, "GET", "/api/auth/me/", token=token)[0] == 401


def test_the_request_budget_of_a_token_is_shared_by_the_instances(either_cache):
    instances = either_cache
    forget_login_attempts(instances)
    token = AuthToken.objects.create(User.objects.create_superuser("budget", None, None))[1]
    servers = [instances.a, instances.b] * (TOKEN_BUDGET // 2)
    statuses = [request(server.port, "GET", "/api/orders/", token=token)[0] for server in servers]
    assert statuses == [200] * TOKEN_BUDGET  # half the budget spent on each
    assert request(instances.a.port, "GET", "/api/orders/", token=token)[0] == 429
    assert request(instances.b.port, "GET", "/api/orders/", token=token)[0] == 429


def forget_login_attempts(instances: Instances) -> None:
    """The login budget is per client address, and every test logs in from 127.0.0.1."""
    if instances.env["REDIS_URL"]:
        redis.Redis.from_url(instances.env["REDIS_URL"]).flushdb()
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bazaar_cache")


def test_password_guesses_are_counted_across_instances(either_cache):
    instances = either_cache
    forget_login_attempts(instances)
    User.objects.create_superuser("guessed", "guessed@example.com", "a-long-passphrase-3")
    servers = [instances.a, instances.b, instances.a]
    assert [login(server, "guessed", "wrong")[0] for server in servers] == [400] * LOGIN_BUDGET
    # The budget is spent: even the right password waits, on either instance.
    assert login(instances.b, "guessed", "a-long-passphrase-3")[0] == 429
    assert login(instances.a, "guessed", "a-long-passphrase-3")[0] == 429


def test_a_task_enqueued_by_one_instance_is_run_by_a_separate_worker(instances, tmp_path):
    user = User.objects.create_superuser("worker", "worker@example.com", None)
    token = AuthToken.objects.create(user)[1]
    status, _content_type, raw = request(instances.a.port, "POST", "/api/orders/", {}, token)
    assert status == 201, raw
    queued = DBTaskResult.objects.filter(task_path="bazaar.jobs.tasks.compact_status_tallies")
    assert queued.count() == 1 and queued.get().status == "READY"
    env = {**os.environ, **instances.env, "BAZAAR_DATA_DIR": str(tmp_path)}
    worker = subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--burst", "--interval", "0.1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert queued.get().status == "SUCCESSFUL"
    pids = {instances.a.process.pid, instances.b.process.pid}
    assert not set(queued.get().worker_ids) & {str(pid) for pid in pids}


def keyed_post(port: int, token: str, key: str, body: dict) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            "/api/orders/",
            body=json.dumps(body).encode(),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_an_idempotency_key_used_on_one_instance_is_replayed_by_the_other(instances):
    token = AuthToken.objects.create(User.objects.create_superuser("keyed", None, None))[1]
    body = {"notes": "two instances"}
    first = keyed_post(instances.a.port, token, "shared-key-1", body)
    again = keyed_post(instances.b.port, token, "shared-key-1", body)
    assert first[0] == again[0] == 201
    assert again[1].get("Idempotent-Replayed") == "true"
    assert again[2] == first[2]
    assert Order.objects.filter(notes="two instances").count() == 1


def test_the_same_keyed_request_on_both_instances_at_once_makes_one_order(instances):
    token = AuthToken.objects.create(User.objects.create_superuser("racer", None, None))[1]
    body = {"notes": "raced on two instances"}
    # As many as the token's request budget (the instances' THROTTLE_TOKEN_RATE) allows.
    ports = [instances.a.port, instances.b.port] * (TOKEN_BUDGET // 2)
    with ThreadPoolExecutor(len(ports)) as pool:
        answers = list(pool.map(lambda port: keyed_post(port, token, "raced-key", body), ports))
    statuses = sorted(status for status, _headers, _body in answers)
    # One ran; the others were replayed (201) or found it still running (409), never a 2nd run.
    assert set(statuses) <= {201, 409} and 201 in statuses, statuses
    assert Order.objects.filter(notes="raced on two instances").count() == 1
