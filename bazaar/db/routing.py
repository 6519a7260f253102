"""Read routing between the primary and the read replicas (DATABASE_REPLICA_URL).

Reads go to a replica only inside `reading_from(alias)`, which `ReplicaRoutingMiddleware` opens
around a read-only request; everything else (writes, the reads of a request that writes, the
admin, the worker, management commands) uses "default", the primary. The router is installed
only when replicas are configured (settings.DATABASE_ROUTERS).

Replica health is a local observation, so it is cached per process: each replica's lag is
measured at most once a second (REPLICA_CHECK_SECONDS) by the request that finds the figure
stale, and a replica that could not be reached is left alone for REPLICA_RETRY_SECONDS before it
is tried again, so that a dead replica costs one connection attempt per process per retry
period, not one per request.
"""

import logging
import math
import random
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from contextvars import ContextVar, Token
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica"
REPLICA_CHECK_SECONDS = 1.0
REPLICA_RETRY_SECONDS = 5.0
# Models that never read from a replica, by app label: the database cache (throttle counters and
# the read-your-writes marks, which must see the write made a moment ago on the primary).
PRIMARY_ONLY_APPS = frozenset({"django_cache"})

# The alias the current request reads from; None means the primary. A ContextVar, so that
# threads (gunicorn's gthread workers) and async tasks each have their own.
_read_alias: ContextVar[str | None] = ContextVar("bazaar_read_alias", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def current_read_alias() -> str | None:
    """The replica this request reads from, or None (the primary)."""
    return _read_alias.get()


def start_reading_from(alias: str | None) -> Token:
    """Reads go to `alias` until `stop_reading_from(token)` (for a middleware's two halves)."""
    return _read_alias.set(alias)


def stop_reading_from(token: Token) -> None:
    _read_alias.reset(token)


@contextmanager
def reading_from(alias: str | None) -> Iterator[None]:
    """Reads inside the block go to `alias` (None: the primary)."""
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


def primary() -> AbstractContextManager[None]:
    """Reads inside the block go to the primary, whatever the request chose."""
    return reading_from(None)


class ReplicaRouter:
    """Reads to the request's replica when one was chosen, everything else to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        alias = _read_alias.get()
        if alias is None or model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            # Reads inside a transaction on the primary belong to that transaction.
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # every alias holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS  # replicas follow the primary's schema by replication


# --- health --------------------------------------------------------------------------------------

# Lag in seconds, measured on the replica itself. A replica that has replayed everything it
# received is 0 behind however long ago the last transaction was (an idle primary is not lag);
# one that is still replaying, or whose WAL receiver is not running (it cannot know what it
# missed), is as far behind as its last replayed commit is old. `pg_stat_wal_receiver` is read
# only for whether it has a row: its other columns are hidden from unprivileged roles.
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
       AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())
END
"""


def lag_seconds(alias: str) -> float:
    """How far `alias` is behind the primary (inf when it cannot tell); raises DatabaseError
    when the replica cannot be reached."""
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        (lag,) = cursor.fetchone()
    return math.inf if lag is None else max(0.0, float(lag))


@dataclass
class Health:
    usable: bool
    lag: float
    checked_at: float

    def stale(self, now: float) -> bool:
        ttl = REPLICA_CHECK_SECONDS if self.usable else REPLICA_RETRY_SECONDS
        return now - self.checked_at >= ttl


_health: dict[str, Health] = {}
_health_lock = threading.Lock()


def mark_unusable(alias: str, reason: object) -> None:
    logger.warning("replica %s skipped: %s", alias, reason)
    with _health_lock:
        _health[alias] = Health(usable=False, lag=math.inf, checked_at=time.monotonic())
    with suppress(DatabaseError):
        connections[alias].close()


def replica_usable(alias: str) -> bool:
    """Is `alias` reachable and no more than REPLICA_MAX_LAG_SECONDS behind (cached)?"""
    now = time.monotonic()
    health = _health.get(alias)
    if health is None or health.stale(now):
        try:
            lag = lag_seconds(alias)
        except DatabaseError as exc:
            mark_unusable(alias, exc)
            return False
        health = Health(usable=lag <= settings.REPLICA_MAX_LAG_SECONDS, lag=lag, checked_at=now)
        if not health.usable:
            logger.warning("replica %s skipped: %.1f s behind", alias, lag)
        with _health_lock:
            _health[alias] = health
    return health.usable


def connected(alias: str) -> bool:
    """Make sure `alias` has a working connection now, so that a replica that went away since
    its last check is skipped before the request starts instead of failing it halfway."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as exc:
        mark_unusable(alias, exc)
        return False
    return True


def choose_replica() -> str | None:
    """A usable replica for this request's reads (at random among several), or None."""
    candidates = replica_aliases()
    random.shuffle(candidates)
    for alias in candidates:
        if replica_usable(alias) and connected(alias):
            return alias
    return None
