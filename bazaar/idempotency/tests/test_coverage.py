"""Every write endpoint takes the key, and the schema says so."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from bazaar.idempotency.views import IdempotentViewMixin

UNSAFE = {"post", "put", "patch", "delete"}


def api_views(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from api_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith(
            ("api/", "^api/")
        ):
            yield prefix + str(entry.pattern), entry.callback


def handles_writes(callback) -> bool:
    cls = getattr(callback, "cls", None)
    if cls is None:
        return False
    actions = getattr(callback, "actions", None)
    if actions is not None:  # a viewset route: the methods it maps
        return bool(UNSAFE & set(actions))
    return any(hasattr(cls, method) for method in UNSAFE)


def test_every_api_view_that_writes_takes_idempotency_keys():
    writers = {route: cb for route, cb in api_views() if handles_writes(cb)}
    assert len(writers) > 20
    missing = [
        route
        for route, callback in writers.items()
        if not issubclass(callback.cls, IdempotentViewMixin) and "auth/token" not in route
    ]
    assert not missing, f"write routes without Idempotency-Key: {missing}"


@pytest.mark.django_db
def test_the_schema_documents_the_headers(admin_client):
    schema = admin_client.get("/api/schema/?format=json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api/") and isinstance(operation, dict) and "responses" in operation
    ]
    assert len(operations) > 80
    for path, method, operation in operations:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "X-Request-ID" in names, (method, path)
        assert all("X-Request-ID" in r["headers"] for r in operation["responses"].values())
        keyed = method in UNSAFE and not path.startswith("/api/auth/token")
        assert ("Idempotency-Key" in names) is keyed, (method, path)
        if keyed:
            assert "422" in operation["responses"], (method, path)
            created = operation["responses"].get("201") or operation["responses"].get("200")
            if created:
                assert "Idempotent-Replayed" in created["headers"]
            assert "Idempotent-Replayed" not in operation["responses"]["409"]["headers"]
