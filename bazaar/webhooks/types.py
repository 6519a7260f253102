"""Webhook event types (SPEC §15), the order events (§13) each one comes from, and the patterns a
subscription names them by."""

from bazaar.orders.models import EventType
from bazaar.orders.status import Status

ORDER_CREATED = "order.created"
ORDER_UPDATED = "order.updated"
ORDER_STATUS_CHANGED = "order.status_changed"
ORDER_PAID = "order.paid"
ORDER_DELETED = "order.deleted"
PING = "webhook.ping"

WEBHOOK_TYPES: tuple[str, ...] = (
    ORDER_CREATED, ORDER_UPDATED, ORDER_STATUS_CHANGED, ORDER_PAID, ORDER_DELETED,
    "item.added", "item.updated", "item.removed",
    "payment.added", "payment.updated", "payment.removed",
    "shipment.created", "shipment.updated", "shipment.cancelled",
    "refund.created",
)  # fmt: skip
PREFIXES: tuple[str, ...] = tuple(dict.fromkeys(name.split(".")[0] for name in WEBHOOK_TYPES))
PATTERNS: tuple[str, ...] = ("*", *(f"{prefix}.*" for prefix in PREFIXES), *WEBHOOK_TYPES)

# The order event -> the webhook type it sends; status_changed is worked out per event
# (a move to `deleted` is `order.deleted`), note_added sends nothing (a staff note is no change).
EVENT_TYPES: dict[str, str] = {
    EventType.ORDER_CREATED: ORDER_CREATED,
    EventType.ORDER_UPDATED: ORDER_UPDATED,
    EventType.COUPON_APPLIED: ORDER_UPDATED,
    EventType.COUPON_REMOVED: ORDER_UPDATED,
    EventType.ITEM_ADDED: "item.added",
    EventType.ITEM_UPDATED: "item.updated",
    EventType.ITEM_REMOVED: "item.removed",
    EventType.PAYMENT_ADDED: "payment.added",
    EventType.PAYMENT_UPDATED: "payment.updated",
    EventType.PAYMENT_REMOVED: "payment.removed",
    EventType.SHIPMENT_CREATED: "shipment.created",
    EventType.SHIPMENT_UPDATED: "shipment.updated",
    EventType.SHIPMENT_CANCELLED: "shipment.cancelled",
    EventType.REFUND_CREATED: "refund.created",
}
PAYMENT_EVENTS = {EventType.PAYMENT_ADDED, EventType.PAYMENT_UPDATED, EventType.PAYMENT_REMOVED}


def webhook_type(event_type: str, changes: dict) -> str | None:
    """The webhook type an order event sends, or None (a staff note)."""
    if event_type == EventType.STATUS_CHANGED:
        new = (changes.get("status") or [None, None])[1]
        return ORDER_DELETED if new == Status.DELETED else ORDER_STATUS_CHANGED
    return EVENT_TYPES.get(event_type)


def pattern_matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def matches(patterns: list[str], event_type: str) -> bool:
    return any(pattern_matches(pattern, event_type) for pattern in patterns)
