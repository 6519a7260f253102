"""The routing pieces without a replica: what the settings build from the environment, where the
router sends each query, and that with no replica configured nothing of it runs. The behaviour
against a real standby is in test_replicas.py."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import MiddlewareNotUsed
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from bazaar.api.tests.live_server import ROOT
from bazaar.db import routing
from bazaar.db.middleware import (
    ReplicaRoutingMiddleware,
    may_read_from_replica,
    reads_from_replica,
    view_choice,
    wrote_key,
)
from bazaar.orders.models import Order
from bazaar.orders.views import OrderViewSet

PRIMARY = "postgres://app@db.example.com:5432/shop"
REPLICAS = "postgres://app@r1.example.com:5432/shop, postgres://app@r2.example.com/shop"


def settings_with(**env: str) -> dict:
    """The database settings a process started with `env` would have."""
    script = (
        "import json, django\n"
        "from django.conf import settings\n"
        "django.setup()\n"
        "print(json.dumps({'DATABASES': settings.DATABASES,\n"
        "  'ROUTERS': getattr(settings, 'DATABASE_ROUTERS', []),\n"
        "  'MAX_LAG': settings.REPLICA_MAX_LAG_SECONDS,\n"
        "  'RYW': settings.READ_YOUR_WRITES_SECONDS}, default=str))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "DB_"))}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "bazaar.settings", **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_replicas_there_is_one_database_and_no_router():
    found = settings_with(DATABASE_URL=PRIMARY)
    assert list(found["DATABASES"]) == ["default"] and found["ROUTERS"] == []
    assert found["DATABASES"]["default"]["CONN_MAX_AGE"] == 60  # persistent, not pooled
    assert "pool" not in found["DATABASES"]["default"]["OPTIONS"]
    assert found["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_replica_urls_become_aliases_that_tests_never_create():
    found = settings_with(DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL=REPLICAS)
    databases = found["DATABASES"]
    assert list(databases) == ["default", "replica1", "replica2"]
    assert [databases[a]["HOST"] for a in databases] == [
        "db.example.com", "r1.example.com", "r2.example.com"
    ]  # fmt: skip
    assert databases["replica2"]["TEST"]["MIRROR"] == "default"
    assert databases["replica1"]["OPTIONS"]["connect_timeout"] == 3
    assert found["ROUTERS"] == ["bazaar.db.routing.ReplicaRouter"]
    assert (found["MAX_LAG"], found["RYW"]) == (5.0, 6.0)  # marks outlast the allowed lag
    found = settings_with(
        DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL=REPLICAS, REPLICA_MAX_LAG_SECONDS="2.5"
    )
    assert (found["MAX_LAG"], found["RYW"]) == (2.5, 3.5)


def test_a_replica_must_be_postgresql():
    script = "import django; django.setup()"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bazaar.settings",
             "DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URL": "sqlite:////tmp/replica.db"},
    )  # fmt: skip
    assert done.returncode != 0 and "DATABASE_REPLICA_URL takes postgres://" in done.stderr


def test_pool_and_pgbouncer_settings():
    found = settings_with(
        DATABASE_URL=PRIMARY,
        DATABASE_REPLICA_URL=REPLICAS,
        DB_POOL_SIZE="4",
        DATABASE_BEHIND_PGBOUNCER="true",
    )
    for alias, db in found["DATABASES"].items():
        assert db["CONN_MAX_AGE"] == 0, alias  # Django's pool refuses persistent connections
        assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 6}
        assert db["CONN_HEALTH_CHECKS"] is True  # the pool checks a connection before lending it
        assert db["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_without_replicas_the_middleware_removes_itself():
    assert routing.replica_aliases() == []
    with pytest.raises(MiddlewareNotUsed):
        ReplicaRoutingMiddleware(lambda request: None)
    assert not getattr(settings, "DATABASE_ROUTERS", [])


def test_the_router_sends_reads_to_the_chosen_replica_and_the_rest_to_the_primary():
    router = routing.ReplicaRouter()
    cache_model = DatabaseCache("bazaar_cache", {}).cache_model_class
    assert router.db_for_read(Order) == "default"  # no replica chosen for this request
    with routing.reading_from("replica1"):
        assert router.db_for_read(Order) == "replica1"
        assert router.db_for_write(Order) == "default"
        assert router.db_for_read(cache_model) == "default"  # marks and throttle counters
        with routing.primary():
            assert router.db_for_read(Order) == "default"
        assert routing.current_read_alias() == "replica1"
    assert routing.current_read_alias() is None
    assert router.allow_migrate("default", "orders") and not router.allow_migrate("replica1", "x")


def test_reads_inside_a_transaction_on_the_primary_stay_on_the_primary(db):
    assert transaction.get_connection().in_atomic_block  # the `db` fixture's transaction
    with routing.reading_from("replica1"):
        assert routing.ReplicaRouter().db_for_read(Order) == "default"


def test_the_read_your_writes_mark_is_keyed_by_a_hash_of_the_credentials():
    factory = RequestFactory()
    first = wrote_key(factory.get("/", HTTP_AUTHORIZATION="Token abc"))
    assert first == wrote_key(factory.post("/", HTTP_AUTHORIZATION="Token abc"))
    assert first != wrote_key(factory.get("/", HTTP_AUTHORIZATION="Token abd"))
    assert "abc" not in first
    assert wrote_key(factory.get("/")) is None


def test_only_reads_of_the_api_may_use_a_replica():
    orders = OrderViewSet.as_view({"get": "list", "post": "create"})
    assert may_read_from_replica("GET", "/api/orders/", orders)
    assert may_read_from_replica("HEAD", "/api/orders/1/", orders)
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert not may_read_from_replica(method, "/api/orders/", orders), method
    assert not may_read_from_replica("GET", "/admin/orders/order/", lambda request: None)
    assert not may_read_from_replica("GET", "/readyz", lambda request: None)


def test_views_choose_with_replica_reads():
    assert view_choice(OrderViewSet.as_view({"get": "list"})) is None  # by method and path

    @reads_from_replica
    def export(request):
        return None

    assert view_choice(export) is True
    assert may_read_from_replica("POST", "/api/orders/export/", export)

    class Fresh(OrderViewSet):
        replica_reads = False

    assert view_choice(Fresh.as_view({"get": "list"})) is False
    assert not may_read_from_replica("GET", "/api/fresh/", Fresh.as_view({"get": "list"}))


def test_the_middleware_marks_writes_and_keeps_the_writers_reads_on_the_primary(db, monkeypatch):
    """The middleware's decisions with a replica alias pretended (no router is installed in
    the suite, so every query still runs on the test database)."""
    monkeypatch.setattr(routing, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(routing, "choose_replica", lambda: "replica1")
    seen: list[str | None] = []

    def plain(request):
        return None

    @reads_from_replica
    def export(request):
        return None

    def run(method: str, view, status: int, token: str) -> None:
        def get_response(request):
            middleware.process_view(request, view, (), {})
            seen.append(routing.current_read_alias())
            return HttpResponse(status=status)

        middleware = ReplicaRoutingMiddleware(get_response)
        request = getattr(RequestFactory(), method.lower())(
            "/api/orders/", HTTP_AUTHORIZATION=f"Token {token}"
        )
        middleware(request)
        assert routing.current_read_alias() is None  # reset once the response is made

    def marked(token: str) -> bool:
        return cache.get(wrote_key(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}")))

    run("GET", plain, 200, "reader")
    assert seen.pop() == "replica1" and not marked("reader")
    run("POST", plain, 400, "refused")  # a refused write changed nothing
    assert seen.pop() is None and not marked("refused")
    run("POST", export, 200, "exporter")  # a read-only POST reads from a replica, writes nothing
    assert seen.pop() == "replica1" and not marked("exporter")
    run("PATCH", plain, 200, "writer")
    assert seen.pop() is None and marked("writer")
    run("GET", plain, 200, "writer")  # its next read: the primary
    assert seen.pop() is None
    run("GET", plain, 200, "reader")
    assert seen.pop() == "replica1"
