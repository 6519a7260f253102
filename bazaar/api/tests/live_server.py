"""The real production server for tests that need one: gunicorn in a subprocess on a free
loopback port, plain HTTP requests to it, and the test database as a DATABASE_URL."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_database_url(port: int | None = None) -> str:
    """pytest-django's test database (not the developer's) as a DATABASE_URL; `port` reaches it
    through something else listening there (a proxy)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = "127.0.0.1" if port is not None else db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{port or db['PORT'] or 5432}/{db['NAME']}"


def request(
    port: int, method: str, path: str, body=None, token: str | None = None, timeout: float = 60
) -> tuple[int, str, bytes]:
    """One request on its own connection -> (status, Content-Type, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self) -> set[int]:
        """The master and its workers: a worker that died and was replaced has a new PID."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.add(int(stat.parent.name))
        return {self.process.pid, *children}


@contextmanager
def gunicorn(
    tmp: Path,
    env: dict[str, str],
    *options: str,
    ready: Callable[[LiveServer], bool] = lambda server: True,
) -> Iterator[LiveServer]:
    """`gunicorn bazaar.wsgi:application *options` with production settings (DEBUG off, rate
    limits lifted, data under `tmp`) and `env` on top; yields once /healthz answers 200 and
    `ready(server)` holds, and stops the server afterwards."""
    port = free_port()
    full_env = {
        **os.environ,
        "BAZAAR_DATA_DIR": str(tmp),
        "THROTTLE_TOKEN_RATE": "1000000/min",
        "THROTTLE_ANON_RATE": "1000000/min",
        "DEBUG": "false",
        "SECRET_KEY": "live-server-tests-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        **env,
    }
    log = tmp / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "bazaar.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2", "--log-level", "warning",
             *options],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = LiveServer(port=port, process=process, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{server.log_text()}"
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{server.log_text()}"
            try:
                if request(port, "GET", "/healthz")[0] == 200 and ready(server):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
