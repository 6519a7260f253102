"""A PostgreSQL primary and its streaming hot standby of our own, for tests and the bench.

Made from Debian's PostgreSQL 15 binaries (PG_BIN, default /usr/lib/postgresql/15/bin): the
primary with `initdb`, the standby with `pg_basebackup -R` from it, each in a directory of a
temporary one, on free loopback ports, run as the unprivileged `postgres` user (PostgreSQL
refuses to run as root; the machine's own server allows no replication connections, this
primary's pg_hba.conf does). `pair()` stops both servers and removes the directory however the
block ends."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing() -> str | None:
    """Why a pair cannot be made here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (apt-get install postgresql-15)"
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        return f"no {OS_USER!r} user to run PostgreSQL as"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != OS_USER:
        return f"must run as root or as {OS_USER!r} to start servers as {OS_USER!r}"
    return None


def as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *command]
    return list(command)


def run(*command: str, timeout: float = 120) -> str:
    done = subprocess.run(
        as_postgres(*command), capture_output=True, text=True, timeout=timeout, cwd="/"
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Server:
    name: str
    data: Path
    port: int
    socket_dir: Path

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5, **kwargs)

    def execute(self, sql: str, params=None, database: str = "postgres"):
        """One statement on its own connection; the first row, if any."""
        with self.connect(database) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchone() if cursor.description else None

    def start(self) -> None:
        log = self.data.parent / f"{self.name}.log"
        run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-t", "60",
            "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                "stop")  # fmt: skip

    def log_text(self) -> str:
        log = self.data.parent / f"{self.name}.log"
        return log.read_text(errors="replace") if log.exists() else ""


@dataclass
class Pair:
    primary: Server
    standby: Server

    def pause_replay(self) -> None:
        self.standby.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.standby.execute("SELECT pg_get_wal_replay_pause_state()")[0] != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.05)

    def resume_replay(self) -> None:
        self.standby.execute("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        (target,) = self.primary.execute("SELECT pg_current_wal_insert_lsn()")
        deadline = time.monotonic() + timeout
        while True:
            (done,) = self.standby.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
            )
            if done:
                return
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.05)


SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
max_connections = {max_connections}
wal_level = replica
max_wal_senders = 4
hot_standby = on
# Replay paused by a test must not make the standby cancel its own queries.
max_standby_streaming_delay = -1
"""
FAST = """
fsync = off
synchronous_commit = off
full_page_writes = off
"""


@contextmanager
def pair(*, fast: bool = True, max_connections: int = 50, extra: str = "") -> Iterator[Pair]:
    """A started primary and a streaming standby of it; stopped and removed afterwards.

    `fast` turns off fsync (tests: nothing here must survive a crash of the machine); the bench
    keeps PostgreSQL's durable defaults so that its figures mean something."""
    reason = missing()
    if reason:
        raise RuntimeError(reason)
    owner = pwd.getpwnam(OS_USER)
    root = Path(tempfile.mkdtemp(prefix="bazaar-pgpair-"))
    os.chown(root, owner.pw_uid, owner.pw_gid)
    sockets = root / "sockets"
    sockets.mkdir()
    os.chown(sockets, owner.pw_uid, owner.pw_gid)
    primary = Server("primary", root / "primary", free_port(), sockets)
    standby = Server("standby", root / "standby", free_port(), sockets)
    started: list[Server] = []
    try:
        run(str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        conf = SETTINGS.format(port=primary.port, sockets=sockets, max_connections=max_connections)
        with (primary.data / "postgresql.conf").open("a") as out:
            out.write(conf + (FAST if fast else "") + extra)
        with (primary.data / "pg_hba.conf").open("a") as out:
            out.write("host replication postgres 127.0.0.1/32 trust\n")
        primary.start()
        started.append(primary)
        run(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        with (standby.data / "postgresql.conf").open("a") as out:
            out.write(f"port = {standby.port}\n")
        standby.start()
        started.append(standby)
        the_pair = Pair(primary, standby)
        deadline = time.monotonic() + 30
        while not primary.execute("SELECT count(*) FROM pg_stat_replication")[0]:
            assert time.monotonic() < deadline, f"no streaming:\n{standby.log_text()[-2000:]}"
            time.sleep(0.1)
        yield the_pair
    finally:
        for server in reversed(started):
            with suppress(Exception):
                server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
