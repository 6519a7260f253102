"""A real server pointed at a PostgreSQL port where nothing listens: /readyz and the API answer
503 with a clear message, never a stack trace."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def server_without_database(tmp_path):
    port, dead_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_port}/nothing",
        "BAZAAR_DATA_DIR": str(tmp_path),
        "DB_CONNECT_TIMEOUT": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bazaar.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if _get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_readyz_and_api_are_503_when_the_database_is_unreachable(server_without_database):
    assert _get(f"{server_without_database}/healthz")[0] == 200
    status, body = _get(f"{server_without_database}/readyz")
    assert status == 503
    assert b'"database": "unreachable"' in body or b'"database":"unreachable"' in body
    status, body = _get(
        f"{server_without_database}/api/roles/", {"Authorization": "Token abcdefabcdefabcdef"}
    )
    assert status == 503
    assert b"database" in body and b"Traceback" not in body
