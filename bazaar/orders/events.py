"""Order events (SPEC §13): what a write changed, worked out from the order's (or the item's, the
payment's) state before and after it, and recorded in the write's own transaction.

A service collects its events in an `EventLog` while it holds the order's row lock and calls
`EventLog.commit()` last: when the log holds anything, the order's `version` moves on and its
`updated_at` with it, the events are inserted, and `order_events_recorded` tells the integrations
(webhooks) in the same transaction. A write that changed nothing commits nothing and moves
nothing; a refused one raises before `commit()` and leaves no event behind.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection
from django.dispatch import Signal
from django.utils import timezone

from bazaar.accounts.models import User
from bazaar.api.models import Timestamped
from bazaar.api.request_id import current_request_id
from bazaar.db.statements import insert_sql, update_sql
from bazaar.orders import pricing
from bazaar.orders.models import EventType, Order, OrderEvent, OrderItem, OrderPayment

# Sent inside the transaction of the change, after its events are inserted, with `order` (as the
# write left it, version moved), `events` (the OrderEvent rows, ids set), `was_paid` (the
# order's is_paid before the write) and `companions` (what each `WriteCompanion` gave, by name:
# empty where the write went statement by statement).
order_events_recorded = Signal()


@dataclass(frozen=True)
class WriteCompanion:
    """Another domain's part of every order write that records events, sent on PostgreSQL in
    the write's own statement (the order's UPDATE and the events' INSERT as data-modifying
    CTEs), so that an order write is one round trip instead of one per domain.

    `sql(order, events)` (the events unsaved) gives SQL and its parameters, or None when the
    write needs nothing of it: with `writes`, a data-modifying statement run as
    a CTE (its value is True); otherwise an expression (a scalar subquery) whose value, read in
    the same snapshot as the write, reaches the receivers of `order_events_recorded` as
    `companions[name]`. A receiver finds no entry where the write went statement by statement
    (SQLite), and does its part itself."""

    name: str
    sql: Callable[[Order, list[OrderEvent]], tuple[str, Sequence[Any]] | None]
    writes: bool = False


write_companions: dict[str, WriteCompanion] = {}


def register_write_companion(companion: WriteCompanion) -> None:
    write_companions[companion.name] = companion


Changes = dict[str, list[Any]]


def _coordinate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _attribute(name: str) -> Callable[[Any], Any]:
    return lambda row: getattr(row, name)


# The fields a client sets, by their API names, each read as the JSON `changes` carry it: ids for
# relations, integers for money, the API's text for a tax rate. Derived fields (totals, the
# coupon's frozen terms, the tax) are not changes of their own: they follow from these.
ORDER_FIELDS: dict[str, Callable[[Order], Any]] = {
    "status": _attribute("status"),
    "customer": _attribute("customer_id"),
    "payment_method": _attribute("payment_method_id"),
    "shipping_method": _attribute("shipping_method_id"),
    "shipping_cost": _attribute("shipping_cost"),
    "notes": _attribute("notes"),
    "extra": _attribute("extra"),
    "billing_country": _attribute("billing_country_id"),
    "billing_state": _attribute("billing_state_id"),
    "billing_city": _attribute("billing_city_id"),
    "billing_address": _attribute("billing_address"),
    "billing_postal_code": _attribute("billing_postal_code"),
    "billing_national_code": _attribute("billing_national_code"),
    "billing_mobile_number": _attribute("billing_mobile_number"),
    "billing_first_name": _attribute("billing_first_name"),
    "billing_last_name": _attribute("billing_last_name"),
    "billing_email": _attribute("billing_email"),
    "delivery_method": _attribute("delivery_method"),
    "pickup_branch": _attribute("pickup_branch_id"),
    "shipping_first_name": _attribute("shipping_first_name"),
    "shipping_last_name": _attribute("shipping_last_name"),
    "shipping_mobile_number": _attribute("shipping_mobile_number"),
    "shipping_country": _attribute("shipping_country_id"),
    "shipping_state": _attribute("shipping_state_id"),
    "shipping_city": _attribute("shipping_city_id"),
    "shipping_address": _attribute("shipping_address"),
    "shipping_postal_code": _attribute("shipping_postal_code"),
    "shipping_latitude": lambda order: _coordinate(order.shipping_latitude),
    "shipping_longitude": lambda order: _coordinate(order.shipping_longitude),
    "coupon_code": _attribute("coupon_code"),
    "coupon_discount": _attribute("coupon_discount"),
    "order_discount": _attribute("order_discount"),
    "tax_rate": lambda order: pricing.tax_rate_text(Decimal(order.tax_rate or 0)),
    "tags": lambda order: list(order.tags or []),
    "source": _attribute("source"),
}
# Carried by coupon_applied / coupon_removed rather than order_updated.
COUPON_FIELDS = ("coupon_code", "coupon_discount")

ITEM_FIELDS: dict[str, Callable[[OrderItem], Any]] = {
    "product": _attribute("product_id"),
    "options": lambda item: list(item.options or []),
    "unit_price": _attribute("unit_price"),
    "unit_discount": _attribute("unit_discount"),
    "quantity": _attribute("quantity"),
    "notes": _attribute("notes"),
}
PAYMENT_FIELDS: dict[str, Callable[[OrderPayment], Any]] = {
    "payment_method": _attribute("payment_method_id"),
    "amount": _attribute("amount"),
    "approved": _attribute("approved"),
    "transaction_id": _attribute("transaction_id"),
    "notes": _attribute("notes"),
}


def state(row: Any, fields: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    return {name: read(row) for name, read in fields.items()}


def order_state(order: Order) -> dict[str, Any]:
    return state(order, ORDER_FIELDS)


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """`{field: [old, new]}` for the fields whose value changed."""
    return {name: [before[name], value] for name, value in after.items() if before[name] != value}


def apply(
    row: Any, data: dict[str, Any], fields: dict[str, Callable[[Any], Any]]
) -> tuple[dict[str, Any], Changes]:
    """Set `data` on `row` (unsaved): its state before, and what that changed."""
    before = state(row, fields)
    for name, value in data.items():
        setattr(row, name, value)
    return before, diff(before, state(row, fields))


def _is_set(value: Any) -> bool:
    return value not in (None, "", [], {})


def created(after: dict[str, Any], *, always: Iterable[str] = ()) -> Changes:
    """The fields set at creation, as `[null, value]` (those in `always` even when empty)."""
    keep = set(always)
    return {name: [None, value] for name, value in after.items() if name in keep or _is_set(value)}


def removed(before: dict[str, Any]) -> Changes:
    return {name: [value, None] for name, value in before.items() if _is_set(value)}


@dataclass
class PendingEvent:
    type: str
    changes: Changes
    item_id: int | None = None
    payment_id: int | None = None
    shipment_id: int | None = None
    refund_id: int | None = None
    note: str = ""


def order_change_events(changes: Changes) -> list[PendingEvent]:
    """One event per kind of change (SPEC §13): the status on its own, the coupon on its own, the
    order's other fields together."""
    events: list[PendingEvent] = []
    if "status" in changes:
        events.append(PendingEvent(EventType.STATUS_CHANGED, {"status": changes["status"]}))
    if "coupon_code" in changes:
        coupon = {name: changes[name] for name in COUPON_FIELDS if name in changes}
        kind = (
            EventType.COUPON_REMOVED
            if coupon["coupon_code"][1] is None
            else (EventType.COUPON_APPLIED)
        )
        events.append(PendingEvent(kind, coupon))
    rest = {
        name: value
        for name, value in changes.items()
        if name != "status" and name not in COUPON_FIELDS
    }
    if rest:
        events.append(PendingEvent(EventType.ORDER_UPDATED, rest))
    return events


@dataclass
class EventLog:
    """The events of one write on one order, committed together with it."""

    order: Order
    actor: User | None = None
    request_id: str | None = None
    events: list[PendingEvent] = field(default_factory=list)
    new_rows: list[Timestamped] = field(default_factory=list)
    was_paid: bool = False
    # Set by the service that takes the order's lock: the order's state then, for `order_changes`.
    before: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.was_paid = self.order.is_paid
        self.before = order_state(self.order)

    def add(self, event: PendingEvent) -> None:
        self.events.append(event)

    def add_new_row(self, row: Timestamped, new_id: int | None) -> None:
        """A new row of the write (an item, a payment), which its events name. With `new_id`
        (drawn from its table's sequence with the order's lock: `services._lock_order`) it
        is inserted by `commit()`, in the statement of the order's update and the events, on
        PostgreSQL; without, it is saved now. Either way `row.pk` is set on return."""
        if new_id is None:
            row.save()
            return
        row.pk = new_id
        self.new_rows.append(row)

    def order_changes(self) -> Changes:
        """What the write changed in the order's own fields, so far."""
        assert self.before is not None
        return diff(self.before, order_state(self.order))

    def add_order_changes(self) -> None:
        for event in order_change_events(self.order_changes()):
            self.add(event)

    def commit(
        self, *, save_fields: Iterable[str] | None = (), bump: bool = True
    ) -> list[OrderEvent]:
        """Move the order's version on and insert the events, if there are any.

        `save_fields`: the order's fields the write changed and has not saved yet, saved with the
        version (so one UPDATE does both); None saves the whole row. `bump=False` for a new
        order: it was saved at version 1 and stays there."""
        if not self.events:
            assert not self.new_rows, "a new row is always an event"
            return []
        order = self.order
        fields: list[str] | None = []
        if bump:
            order.version += 1
            order.updated_at = timezone.now()
            fields = None if save_fields is None else [*save_fields, "version", "updated_at"]
        request_id = self.request_id or current_request_id() or ""
        rows = [
            OrderEvent(
                order=order,
                type=event.type,
                actor=self.actor if _is_user(self.actor) else None,
                at=order.updated_at,
                request_id=request_id,
                changes=event.changes,
                item_id=event.item_id,
                payment_id=event.payment_id,
                shipment_id=event.shipment_id,
                refund_id=event.refund_id,
                note=event.note,
            )
            for event in self.events
        ]
        if connection.vendor == "postgresql":
            companions = _write_together(order, fields, rows, bump=bump, new_rows=self.new_rows)
            self.new_rows = []
        else:
            if bump:
                order.save(update_fields=fields)  # moves updated_at on again: the events' time
                for row in rows:
                    row.at = order.updated_at
            OrderEvent.objects.bulk_create(rows)
            companions = {}
        order_events_recorded.send(
            sender=OrderEvent,
            order=order,
            events=rows,
            was_paid=self.was_paid,
            companions=companions,
        )
        self.events = []
        return rows


def _write_together(
    order: Order,
    fields: list[str] | None,
    rows: list[OrderEvent],
    *,
    bump: bool,
    new_rows: list[Timestamped],
) -> dict[str, Any]:
    """PostgreSQL: the write's new rows' INSERTs (ids set: `add_new_row`), the order's UPDATE
    (when `bump`), its events' INSERT and every companion's part in one statement; sets the
    events' ids and returns the companions' values. A new row's foreign keys are checked at
    commit (Django's constraints are deferred), as the events' are.

    The UPDATE is `Order.save(update_fields=fields)`'s own (`prepare_save`, then the same SQL;
    `fields` None: every column), checked to have found its row as save() checks it."""
    alias = connection.alias
    parts: list[str] = []
    params: list[Any] = []
    for n, row in enumerate(new_rows):
        row.prepare_save(None)  # what its save() would have done (Timestamped)
        sql, values = insert_sql(type(row), [row], using=alias, with_pk=True)
        parts.append(f"new_{n} AS ({sql})")
        params += values
    if bump:
        names = order.prepare_save(fields)  # the money and updated_at, as Order.save() does
        for row in rows:
            row.at = order.updated_at
        if names is None:
            names = [
                f.name for f in order._meta.concrete_fields if not (f.primary_key or f.generated)
            ]
        sql, values = update_sql(order, names, using=alias)
        parts.append(f"updated AS ({sql} RETURNING 1)")
        params += values
    sql, values = insert_sql(OrderEvent, rows, using=alias)
    parts.append(f"inserted AS ({sql} RETURNING id)")
    params += values
    selected = ["(SELECT array_agg(id ORDER BY id) FROM inserted)"]
    selected.append("(SELECT count(*) FROM updated)" if bump else "1")
    sent, selected_params = [], []
    for n, companion in enumerate(write_companions.values()):
        part = companion.sql(order, rows)
        if part is None:
            continue
        sql, values = part
        if companion.writes:
            parts.append(f"companion_{n} AS ({sql})")
            params += values
        else:
            selected.append(f"({sql})")
            selected_params += values
        sent.append(companion)
    statement = f"WITH {', '.join(parts)} SELECT {', '.join(selected)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *selected_params])
        ids, updated, *values = cursor.fetchone()
    if not updated:  # as save(update_fields=…) refuses it
        raise DatabaseError("Save with update_fields did not affect any rows.")
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
    for row in [*rows, *new_rows]:
        row._state.adding = False
        row._state.db = alias
    got = iter(values)
    return {c.name: True if c.writes else next(got) for c in sent}


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.pk is not None


def note_add(*, order: Order, note: str, actor: User | None, request_id: str | None) -> OrderEvent:
    """A staff note: an event, not a change to the order (its version and updated_at stay)."""
    event = OrderEvent.objects.create(
        order=order,
        type=EventType.NOTE_ADDED,
        actor=actor if _is_user(actor) else None,
        request_id=request_id or current_request_id() or "",
        note=note,
    )
    order_events_recorded.send(
        sender=OrderEvent, order=order, events=[event], was_paid=order.is_paid
    )
    return event
