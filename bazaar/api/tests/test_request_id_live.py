"""The request id in the real server's access log (gunicorn.conf.py) and in its answers."""

import http.client
import time

import pytest
from django.db import connection

from bazaar.api.tests.live_server import gunicorn, pytest_database_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_access_log_line_shows_the_request_id(tmp_path):
    database_url = (
        pytest_database_url()
        if connection.vendor == "postgresql"
        else f"sqlite:///{connection.settings_dict['NAME']}"
    )
    with gunicorn(tmp_path, {"DATABASE_URL": database_url}, "--access-logfile", "-") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/api/orders/", headers={"X-Request-ID": "live-req-1"})
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 401
        assert response.getheader("X-Request-ID") == "live-req-1"
        deadline = time.monotonic() + 10  # gunicorn logs the line once the answer is sent
        while not access_line(server.log_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert access_line(server.log_text()), server.log_text()


def access_line(log: str) -> bool:
    return any(
        '"GET /api/orders/ HTTP/1.1" 401' in line and line.endswith(" live-req-1")
        for line in log.splitlines()
    )
