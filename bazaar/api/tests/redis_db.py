"""A Redis database of this test run's own, for the tests that need a real Redis.

Several suites may run at once on one machine (CI's PostgreSQL stage beside a developer's
`make test`, or two checkouts): a fixed database number that each of them flushes would let one
run empty the other's queue or counters. A run claims a free database number instead (an
expiring key in database 0, so a crashed run's claim lapses) and gives it back at the end."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import redis

SERVER = "redis://127.0.0.1:6379"
NUMBERS = range(1, 12)  # 12-15 are left to the bench (15) and to hand-run experiments
CLAIM_SECONDS = 2 * 60 * 60


@contextmanager
def private_redis_db() -> Iterator[str]:
    """A `redis://…/N` URL that no other run uses until this one gives it back, emptied."""
    claims = redis.Redis.from_url(f"{SERVER}/0")
    for number in NUMBERS:
        claim = f"bazaar-tests:redis-db:{number}"
        if claims.set(claim, os.getpid(), nx=True, ex=CLAIM_SECONDS):
            break
    else:
        raise RuntimeError(f"every Redis database {NUMBERS.start}-{NUMBERS.stop - 1} is claimed")
    url = f"{SERVER}/{number}"
    redis.Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        redis.Redis.from_url(url).flushdb()
        claims.delete(claim)
