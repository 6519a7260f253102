"""A real server pointed at a PostgreSQL port where nothing listens: /readyz and the API answer
503 with a clear message, never a stack trace."""

import json

import pytest

from bazaar.api.tests.live_server import LiveServer, free_port, gunicorn, request


@pytest.fixture
def server_without_database(tmp_path):
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nothing",
        "DB_CONNECT_TIMEOUT": "1",
    }
    with gunicorn(tmp_path, env, "--workers", "1") as server:
        yield server


def test_readyz_and_api_are_503_when_the_database_is_unreachable(
    server_without_database: LiveServer,
):
    port = server_without_database.port
    assert request(port, "GET", "/healthz")[0] == 200
    status, _content_type, body = request(port, "GET", "/readyz")
    assert status == 503
    assert json.loads(body)["database"] == "unreachable"
    status, content_type, body = request(port, "GET", "/api/roles/", token="abcdefabcdefabcdef")
    assert status == 503 and content_type.startswith("application/json")
    assert "database" in json.loads(body)["detail"]
    assert b"Traceback" not in body
