"""Waiting for the feed to catch up, for tests on a shared PostgreSQL server.

The feed returns a row once every transaction older than it has finished, and PostgreSQL's
transaction ids (and so the snapshot's xmin) are cluster-wide: a write transaction open in
another database of the same server (another test run) holds our rows back for as long as it
lasts. That is the design (late, never lost); tests wait for it rather than read too early."""

import time

from django.db import connection
from django.db.models import Max

from bazaar.feed.models import OrderChange
from bazaar.feed.selectors import XMIN_SQL


def settle(timeout: float = 60.0) -> None:
    """Return once every feed row written so far is readable (at once on SQLite)."""
    if connection.vendor != "postgresql":
        return
    top = OrderChange.objects.aggregate(top=Max("xid"))["top"]
    if top is None:
        return
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {XMIN_SQL}")
            if cursor.fetchone()[0] > top:
                return
        if time.monotonic() > deadline:
            raise AssertionError("a transaction older than the feed's rows is still open")
        time.sleep(0.05)
