"""Claiming an idempotency key for a request and storing its response, inside the transaction
that the view opens for a keyed request (see `views.IdempotentViewMixin`)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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


def _answer_values(response: HttpResponseBase) -> dict[str, Any]:
    return {
        "status_code": response.status_code,
        "content_type": response.get("Content-Type", ""),
        "location": response.get("Location", ""),
        "etag": response.get("ETag", ""),
        "body": response.content,
    }


STORE_WITH_ANSWER_PG = """WITH answer AS MATERIALIZED ({answer}),
stored AS (
    INSERT INTO idempotency_storedresponse (user_id, key, method, path, body_hash, status_code,
                                            content_type, location, etag, body, created_at)
    SELECT %(store_user_id)s, %(store_key)s, %(store_method)s, %(store_path)s,
           %(store_body_hash)s, %(store_status_code)s, %(store_content_type)s,
           %(store_location)s, {etag}, convert_to({body}, 'UTF8'), %(store_created_at)s
    FROM answer
    RETURNING etag)
SELECT answer.*, (SELECT etag FROM stored) FROM answer"""


@dataclass
class AnswerStore:
    """A claimed request's answer, stored by the very statement that reads it (PostgreSQL): a
    write whose answer is one row of text (an order's document) sends one statement fewer.

    The view knows the answer's status and content type before it reads the body; the statement
    stores those with the body and the ETag it computes. `response_store` then keeps that row
    when the rendered response is exactly what was stored, and writes the response over it
    otherwise (another renderer, a header changed after the read): the stored answer is always
    the response sent. An answer of 4xx/5xx takes the row back with the handler's savepoint."""

    claim: Claim
    status_code: int
    content_type: str
    location: str = ""
    written: dict[str, Any] | None = None  # what the statement stored, once it ran

    def sql(self, answer: str, *, body: str, etag: str) -> str:
        """`answer` (a statement with named parameters, giving at most one row) that also
        stores the row's `body` column (text) and the ETag that the expression `etag` (over
        the row's columns) computes; its rows gain a last column, the stored ETag."""
        return STORE_WITH_ANSWER_PG.format(answer=answer, body=body, etag=etag)

    def params(self) -> dict[str, Any]:
        claim = self.claim
        return {
            "store_user_id": claim.user_id,
            "store_key": claim.key,
            "store_method": claim.method,
            "store_path": claim.path,
            "store_body_hash": claim.body_hash,
            "store_status_code": self.status_code,
            "store_content_type": self.content_type,
            "store_location": self.location,
            "store_created_at": timezone.now(),
        }

    def stored(self, *, etag: str, body: str) -> None:
        """The statement ran and stored `etag` and `body` (its text, as UTF-8)."""
        self.written = {
            "status_code": self.status_code,
            "content_type": self.content_type,
            "location": self.location,
            "etag": etag,
            "body": body.encode(),
        }


def response_store(
    *, claim: Claim, response: HttpResponseBase, stored: AnswerStore | None = None
) -> None:
    """Store a claimed request's (rendered) response, in the transaction of its write.

    `stored`: the answer's own statement stored it already (`AnswerStore`); kept when it is the
    response, written over otherwise."""
    after_key_stored()
    values = _answer_values(response)
    written = stored.written if stored is not None else None
    if written is None:
        StoredResponse.objects.create(
            user_id=claim.user_id,
            key=claim.key,
            method=claim.method,
            path=claim.path,
            body_hash=claim.body_hash,
            **values,
        )
    elif written != values:
        StoredResponse.objects.filter(user_id=claim.user_id, key=claim.key).update(**values)


def response_forget(*, claim: Claim) -> None:
    """Take back the answer the claim's reading statement stored (`AnswerStore`), for a
    response that is not to be kept."""
    StoredResponse.objects.filter(user_id=claim.user_id, key=claim.key).delete()


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
