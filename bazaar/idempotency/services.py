"""Claiming an idempotency key for a request and storing its response, inside the transaction
that the view opens for a keyed request (see `views.IdempotentViewMixin`)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.http import HttpResponseBase
from django.utils import timezone

from bazaar.idempotency.errors import KeyInFlight, KeyReused, Replay
from bazaar.idempotency.keys import lock_id
from bazaar.idempotency.models import StoredResponse
from bazaar.idempotency.tasks import after_key_stored

KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Claim:
    """A request that holds its key: it runs, and its response is stored under the key."""

    user_id: int
    key: str
    method: str
    path: str
    body_hash: str


def expired_before() -> datetime:
    return timezone.now() - KEEP_FOR


CLAIM_PG = (
    "SELECT locked, s.* FROM pg_try_advisory_xact_lock(%s) AS locked "
    "LEFT JOIN idempotency_storedresponse s ON locked AND s.user_id = %s AND s.key = %s"
)


def _claim_pg(*, user_id: int, key: str) -> tuple[bool, StoredResponse | None]:
    """PostgreSQL, one statement: a transaction-level advisory lock on (user, key), refused at
    once while another transaction holds it and released by its commit or rollback (also behind
    a transaction-pooling PgBouncer), and the key's stored answer, read only when the lock was
    taken.

    The statement's snapshot is taken before the lock: a first request that commits in between
    (between this statement's start and its lock) is not seen, and this one runs. It cannot
    commit: its stored answer breaks the unique (user, key) constraint, the whole transaction is
    rolled back and the answer is a 409 that a retry turns into the replay. Two statements (lock,
    then look) would close that window of microseconds at the price of a round trip on every
    keyed write."""
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_PG, [lock_id(user_id, key), user_id, key])
        locked, *values = cursor.fetchone()
        row = dict(zip((column.name for column in cursor.description[1:]), values, strict=True))
    if row["id"] is None:
        return bool(locked), None
    # In the model's field order, as from_db reads a full row (the table's own order may differ).
    names = [field.attname for field in StoredResponse._meta.concrete_fields]
    return True, StoredResponse.from_db(connection.alias, names, [row[n] for n in names])


def _claim(*, user_id: int, key: str) -> tuple[bool, StoredResponse | None]:
    """(whether this request holds the key, the key's stored answer). SQLite needs no lock:
    IMMEDIATE transactions serialise every writer, so a second request waits for the first to
    commit and then finds its stored response."""
    if connection.vendor == "postgresql":
        return _claim_pg(user_id=user_id, key=key)
    return True, StoredResponse.objects.filter(user_id=user_id, key=key).first()


def key_claim(*, user_id: int, key: str, method: str, path: str, body_hash: str) -> Claim:
    """Take `key` for this request, in the caller's transaction.

    Raises KeyInFlight (409) while another request holds the key, Replay when this very request
    was answered already, KeyReused (422) when the key was used for another request. An answer
    older than KEEP_FOR is forgotten: the key is free again.
    """
    assert connection.in_atomic_block, "claim and store must share the request's transaction"
    locked, stored = _claim(user_id=user_id, key=key)
    if not locked:
        raise KeyInFlight()
    if stored is not None:
        if stored.created_at < expired_before():
            stored.delete()
        elif (stored.method, stored.path, stored.body_hash) == (method, path, body_hash):
            raise Replay(stored)
        else:
            raise KeyReused(stored)
    return Claim(user_id=user_id, key=key, method=method, path=path, body_hash=body_hash)


def response_store(*, claim: Claim, response: HttpResponseBase) -> StoredResponse:
    """Store a claimed request's (rendered) response, in the transaction of its write."""
    after_key_stored()
    return StoredResponse.objects.create(
        user_id=claim.user_id,
        key=claim.key,
        method=claim.method,
        path=claim.path,
        body_hash=claim.body_hash,
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        location=response.get("Location", ""),
        etag=response.get("ETag", ""),
        body=response.content,
    )


def keys_purge(*, batch_size: int = 1000) -> int:
    """Delete every expired answer, `batch_size` rows per transaction (short locks, bounded
    WAL per step); returns how many were deleted. For `manage.py purge_idempotency_keys` and
    the task the stored answers enqueue now and then (`tasks.purge_expired_keys`)."""
    cutoff = expired_before()
    deleted = 0
    while True:
        with transaction.atomic():
            expired = StoredResponse.objects.filter(created_at__lt=cutoff).order_by()
            if connection.features.has_select_for_update_skip_locked:
                # Two purges at once (two workers) skip each other's rows instead of waiting.
                expired = expired.select_for_update(skip_locked=True)
            ids = list(expired.values_list("pk", flat=True)[:batch_size])
            if not ids:
                return deleted
            deleted += StoredResponse.objects.filter(pk__in=ids).delete()[0]
