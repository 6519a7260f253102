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


def _try_lock(*, user_id: int, key: str) -> bool:
    """PostgreSQL: a transaction-level advisory lock on (user, key), refused at once while another
    transaction holds it, and released by its commit or rollback (also behind a transaction-
    pooling PgBouncer). SQLite needs none: IMMEDIATE transactions serialise every writer, so a
    second request waits for the first to commit and then finds its stored response."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id(user_id, key)])
        return bool(cursor.fetchone()[0])


def key_claim(*, user_id: int, key: str, method: str, path: str, body_hash: str) -> Claim:
    """Take `key` for this request, in the caller's transaction.

    Raises KeyInFlight (409) while another request holds the key, Replay when this very request
    was answered already, KeyReused (422) when the key was used for another request. An answer
    older than KEEP_FOR is forgotten: the key is free again.
    """
    assert connection.in_atomic_block, "claim and store must share the request's transaction"
    if not _try_lock(user_id=user_id, key=key):
        raise KeyInFlight()
    stored = StoredResponse.objects.filter(user_id=user_id, key=key).first()
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
