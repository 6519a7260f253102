"""Writes of webhooks and deliveries (SPEC §15).

The outbox: `on_order_events` runs inside the transaction of every order write (the signal of
bazaar.orders.events.EventLog.commit) and inserts one Delivery per (matching subscription, event
type) there, its body frozen as of that moment. A rolled-back write leaves none; a committed one
leaves rows that a worker will send, whether or not the task enqueued on commit survives (the
sweep, `deliveries_sweep`, takes up any due delivery that nobody is sending).

An attempt (`delivery_attempt`) claims its delivery in a short transaction (a row lock taken
with SKIP LOCKED on PostgreSQL, SQLite's IMMEDIATE transactions serialise) by setting
`claimed_until`, then sends outside any transaction (a slow receiver holds no lock and no
connection's transaction), then records the outcome. Two workers given the same delivery never
both send: the second finds it claimed, or no longer due."""

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook as Signer

from bazaar.api.errors import Conflict
from bazaar.api.serializers import iso_utc
from bazaar.orders.documents import order_body
from bazaar.orders.event_shapes import event_data, event_rows
from bazaar.orders.events import WriteCompanion
from bazaar.orders.models import EventType, Order, OrderEvent
from bazaar.webhooks import types
from bazaar.webhooks.models import Delivery, DeliveryStatus, Webhook
from bazaar.webhooks.security import UnsafeURL, check_url

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32
# The wait after each failed attempt: 8 attempts over about 23.6 hours, then `failed`.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=8),
    timedelta(hours=8),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long past its timeout an attempt keeps its claim: a worker that died mid-attempt holds a
# delivery this long before the sweep sends it again.
CLAIM_MARGIN = timedelta(seconds=60)
MAX_ERROR = 1000
USER_AGENT = "Bazaar-Webhooks/1.0"


# --- subscriptions ------------------------------------------------------------------------------


def new_secret() -> str:
    """`whsec_` and base64 of 32 random bytes, as the Standard Webhooks specification writes it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@transaction.atomic
def webhook_create(*, data: dict[str, Any]) -> Webhook:
    return Webhook.objects.create(**data, secret=new_secret())


@transaction.atomic
def webhook_update(*, webhook_id: int, data: dict[str, Any]) -> Webhook:
    webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
    for name, value in data.items():
        setattr(webhook, name, value)
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, webhook_id: int) -> None:
    Webhook.objects.filter(pk=webhook_id).delete()


@transaction.atomic
def webhook_rotate_secret(*, webhook_id: int) -> Webhook:
    """A new secret, in force at once: every attempt from now on, retries of older deliveries
    too, is signed with it."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret"])
    return webhook


# --- the outbox -------------------------------------------------------------------------------


class AbsoluteURLs:
    """Stands in for a request where the order shape builds image URLs: a webhook has no request,
    so URLs are made absolute with WEBHOOK_BASE_URL (the site's public address)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/") + "/"

    def build_absolute_uri(self, url: str) -> str:
        return urljoin(self.base, url)


def order_shape(order_id: int) -> Any:
    """The order as the API shows it, None when there is none: on PostgreSQL the JSON the
    database writes (`orjson.Fragment`, one statement), else a dict (`orders.documents`)."""
    base = settings.WEBHOOK_BASE_URL
    body = order_body(order_id, AbsoluteURLs(base) if base else None)
    return None if body is None else body.data


def message_body(event_type: str, timestamp: str, event: dict | None, order: Any) -> str:
    data: dict[str, Any] = {"event": event, "order": order}
    body = {"type": event_type, "timestamp": timestamp, "data": data}
    return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def active_webhooks() -> list[tuple[int, list[str]]]:
    """Every active subscription's id and patterns: one query on the is_active index, the only
    cost a write pays when nothing subscribes. Read from the database on every write (no
    per-process cache), so a subscription is in force on every worker at once."""
    return list(Webhook.objects.filter(is_active=True).order_by("id").values_list("id", "events"))


# The same, as a part of the order write's own statement on PostgreSQL (one round trip fewer;
# read in the write's snapshot): a JSON array of [id, patterns].
ACTIVE_WEBHOOKS_SQL = (
    "SELECT coalesce(json_agg(json_build_array(id, events) ORDER BY id), '[]')::text "
    "FROM webhooks_webhook WHERE is_active"
)


def _active_webhooks_sql(order: Order, events: list[OrderEvent]) -> tuple[str, list]:
    return ACTIVE_WEBHOOKS_SQL, []


ACTIVE_WEBHOOKS = WriteCompanion("webhooks.active", _active_webhooks_sql)


def planned_messages(
    events: list[OrderEvent], was_paid: bool, is_paid: bool
) -> list[tuple[str, OrderEvent]]:
    """(webhook type, the event it carries), in the order the events happened; `order.paid`
    right after the payment event that made the order paid."""
    planned: list[tuple[str, OrderEvent]] = []
    for event in events:
        kind = types.webhook_type(event.type, event.changes or {})
        if kind is not None:
            planned.append((kind, event))
    if is_paid and not was_paid and events:
        payments = [event for event in events if event.type in types.PAYMENT_EVENTS]
        cause = payments[-1] if payments else events[-1]
        at = len(planned)
        for n, (_kind, event) in enumerate(planned):
            if event is cause:
                at = n + 1
        planned.insert(at, (types.ORDER_PAID, cause))
    return planned


def on_order_events(
    sender: Any, *, order: Order, events: list[OrderEvent], was_paid: bool, **kwargs: Any
) -> None:
    """The receiver of `order_events_recorded`, inside the write's transaction."""
    # A new order was not paid before it existed (the log reads is_paid once the order is built).
    if any(event.type == EventType.ORDER_CREATED for event in events):
        was_paid = False
    planned = planned_messages(events, was_paid, order.is_paid)
    if not planned:
        return  # a staff note: no query at all
    sent = kwargs.get("companions", {}).get(ACTIVE_WEBHOOKS.name)
    webhooks = active_webhooks() if sent is None else [tuple(row) for row in orjson.loads(sent)]
    if not webhooks:
        return
    wanted = [
        (webhook_id, kind, event)
        for kind, event in planned
        for webhook_id, patterns in webhooks
        if types.matches(patterns or [], kind)
    ]
    if not wanted:
        return
    ids = {event.pk for _webhook, _kind, event in wanted}
    shaped = {
        row["id"]: event_data(row) for row in event_rows(OrderEvent.objects.filter(pk__in=ids))
    }
    order_data = order_shape(order.pk)
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            webhook_id=webhook_id,
            order_id=order.pk,
            event_id=event.pk,
            event_type=kind,
            message_id=new_message_id(),
            body=message_body(kind, shaped[event.pk]["at"], shaped[event.pk], order_data),
            next_attempt_at=now,
        )
        for webhook_id, kind, event in wanted
    )
    # Sent once the write commits; one task per (webhook, order) chain would do, since each
    # delivery kicks the next of its chain when it is done, but a task per delivery keeps a lost
    # one from holding up the others.
    enqueue_on_commit([delivery.pk for delivery in deliveries])


def enqueue_on_commit(delivery_ids: list[int]) -> None:
    from bazaar.webhooks.tasks import deliver  # tasks import these services

    def enqueue() -> None:
        for delivery_id in delivery_ids:
            deliver.enqueue(delivery_id)

    transaction.on_commit(enqueue)


def enqueue_at(delivery_id: int, when: datetime) -> None:
    from bazaar.webhooks.tasks import deliver

    transaction.on_commit(lambda: deliver.using(run_after=when).enqueue(delivery_id))


@transaction.atomic
def delivery_ping(*, webhook_id: int) -> Delivery:
    """A `webhook.ping` to one subscription, sent like any event (whatever its patterns)."""
    webhook = Webhook.objects.get(pk=webhook_id)
    now = timezone.now()
    delivery = Delivery.objects.create(
        webhook=webhook,
        event_type=types.PING,
        message_id=new_message_id(),
        body=message_body(types.PING, iso_utc(now) or "", None, None),
        next_attempt_at=now,
    )
    enqueue_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def delivery_retry(*, webhook_id: int, delivery_id: int) -> Delivery:
    """A failed delivery, pending again with a fresh round of attempts (409 otherwise)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id, webhook_id=webhook_id)
    if delivery.status != DeliveryStatus.FAILED:
        raise Conflict(f"Only a failed delivery can be retried; this one is {delivery.status}.")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.claimed_until = None
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until"])
    enqueue_on_commit([delivery.pk])
    return delivery


# --- attempts ---------------------------------------------------------------------------------


@dataclass
class Claim:
    delivery_id: int
    attempt: int
    url: str
    secret: str
    message_id: str
    body: str
    webhook_id: int
    order_id: int | None


def _due(now: datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _older_pending(delivery: Delivery) -> bool:
    """Whether an older delivery of the same order to the same subscription is still pending:
    then this one waits (one order's events reach a subscription in the order they happened)."""
    if delivery.order_id is None:
        return False
    return Delivery.objects.filter(
        webhook_id=delivery.webhook_id,
        order_id=delivery.order_id,
        status=DeliveryStatus.PENDING,
        id__lt=delivery.pk,
    ).exists()


@transaction.atomic
def delivery_claim(*, delivery_id: int, now: datetime | None = None) -> Claim | None:
    """Take a due delivery for one attempt, or None: not due, claimed by another worker, or
    waiting for an older one. An inactive subscription's delivery fails here (a retry sends it
    once the subscription is active again)."""
    now = now or timezone.now()
    delivery = (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("webhook")
        .filter(_due(now), pk=delivery_id)
        .first()
    )
    if delivery is None or _older_pending(delivery):
        return None
    if not delivery.webhook.is_active:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "The webhook is not active."
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
        kick_next(delivery)
        return None
    delivery.attempts += 1
    delivery.claimed_until = (
        now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS) + CLAIM_MARGIN
    )
    delivery.save(update_fields=["attempts", "claimed_until"])
    return Claim(
        delivery_id=delivery.pk,
        attempt=delivery.attempts,
        url=delivery.webhook.url,
        secret=delivery.webhook.secret,
        message_id=delivery.message_id,
        body=delivery.body,
        webhook_id=delivery.webhook_id,
        order_id=delivery.order_id,
    )


@dataclass
class Outcome:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(claim: Claim, moment: datetime) -> dict[str, str]:
    signature = Signer(claim.secret).sign(claim.message_id, moment, claim.body)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": claim.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


def send(claim: Claim) -> Outcome:
    """POST the body, signed now; never raises for the receiver's faults."""
    try:
        check_url(claim.url)  # again now: the host's addresses may have changed since
    except UnsafeURL as exc:
        return Outcome(None, f"Refused: {exc}")
    moment = datetime.now(UTC).replace(microsecond=0)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        # trust_env=False: no proxy from the environment (it would connect where we did not
        # check), redirects not followed (they could lead anywhere, inward too).
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(
                claim.url, content=claim.body.encode(), headers=signed_headers(claim, moment)
            )
    except httpx.TimeoutException:
        return Outcome(None, f"No answer within {timeout:g} s.")
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(code, "")
    if 300 <= code < 400:
        where = response.headers.get("location", "")
        return Outcome(code, f"HTTP {code}: redirects are not followed (to {where})."[:MAX_ERROR])
    return Outcome(code, f"HTTP {code}: {response.text[:200]}"[:MAX_ERROR])


def kick_next(delivery: Delivery | Claim) -> None:
    """Once a delivery is done (delivered or failed), send the next pending one of its order to
    the same subscription, which waited for it."""
    order_id = delivery.order_id
    if order_id is None:
        return
    webhook_id = delivery.webhook_id
    following = (
        Delivery.objects.filter(
            webhook_id=webhook_id, order_id=order_id, status=DeliveryStatus.PENDING
        )
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if following is not None:
        enqueue_on_commit([following])


@transaction.atomic
def delivery_record(*, claim: Claim, outcome: Outcome, now: datetime | None = None) -> str:
    """Keep an attempt's outcome; schedule the next attempt or end the delivery."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_for_update().filter(pk=claim.delivery_id).first()
    if delivery is None or delivery.attempts != claim.attempt:
        return "superseded"  # deleted, or retried from the API meanwhile
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.claimed_until = None
    if outcome.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    delivery.save()
    if delivery.status == DeliveryStatus.PENDING:
        enqueue_at(delivery.pk, delivery.next_attempt_at)
    else:
        kick_next(delivery)
    return delivery.status


def delivery_attempt(*, delivery_id: int) -> str:
    """One attempt at a delivery, if it is due and nobody else is making it: its status after,
    or why none was made ("not due")."""
    claim = delivery_claim(delivery_id=delivery_id)
    if claim is None:
        return "not due"
    return delivery_record(claim=claim, outcome=send(claim))


def due_delivery_ids(*, limit: int = 100, now: datetime | None = None) -> list[int]:
    """Due deliveries nobody is sending, oldest first: what the sweep takes up."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(_due(now)).order_by("id").values_list("id", flat=True)[:limit]
    )


def deliveries_sweep(*, limit: int = 100, stopping: Callable[[], bool] = lambda: False) -> int:
    """Attempt every due delivery (up to `limit`) here and now: those whose task was lost (the
    process died between commit and enqueue, the queue lost it) go out too. Safe beside any
    number of workers doing the same: each attempt is claimed first. `stopping` is asked before
    each attempt, so a worker shutting down ends the sweep after the attempt in flight. Returns
    attempts made."""
    made = 0
    for delivery_id in due_delivery_ids(limit=limit):
        if stopping():
            break
        if delivery_attempt(delivery_id=delivery_id) != "not due":
            made += 1
    return made
