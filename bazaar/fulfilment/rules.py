"""What an order keeps of its shipments and refunds, recomputed from their rows (SPEC §14).

Called by every write that can change it (shipments, refunds, and the item writes in
`bazaar.orders.services`) while it holds the order's row lock, so the sums read here are final
for the transaction: two racing writes queue on the lock and the second sees the first's rows.
Kept free of `bazaar.orders.services` so that module can call it without an import cycle.
"""

from collections import defaultdict

from django.db.models import Sum
from rest_framework.exceptions import ValidationError

from bazaar.api.errors import Conflict
from bazaar.fulfilment.models import Refund, RefundItem, ShipmentItem, ShipmentStatus
from bazaar.orders.events import EventLog, PendingEvent
from bazaar.orders.models import EventType, FulfilmentStatus, Order, OrderItem, OrderPayment
from bazaar.orders.status import TRANSITIONS, Status

# Quantities that count as shipped (SPEC §14: pending ones do not).
SHIPPED_STATUSES = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)


def allocated_quantities(order_id: int) -> dict[int, int]:
    """Per item, the quantity in the order's shipments that are not cancelled: what limits a new
    shipment and what an item cannot be lowered below."""
    rows = (
        ShipmentItem.objects.filter(shipment__order_id=order_id)
        .exclude(shipment__status=ShipmentStatus.CANCELLED)
        .order_by()
        .values("item_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["item_id"]: int(row["total"]) for row in rows}


def returned_quantities(order_id: int) -> dict[int, int]:
    rows = (
        RefundItem.objects.filter(refund__order_id=order_id)
        .order_by()
        .values("item_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["item_id"]: int(row["total"]) for row in rows}


def payment_refunded(payment_id: int) -> int:
    total = Refund.objects.filter(payment_id=payment_id).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


# --- guards for the item and payment writes (bazaar.orders.services) -----------------------------


def check_item_quantity(item: OrderItem, quantity: int | None) -> None:
    """An item in a shipment that is not cancelled cannot be lowered below (or, `quantity`
    None, removed from) what it holds; nor below what was returned of it (409)."""
    held = allocated_quantities(item.order_id).get(item.pk, 0)
    returned = item.quantity_returned
    floor = max(held, returned)
    if floor and (quantity is None or quantity < floor):
        what = (
            f"{held} of it in shipments that are not cancelled"
            if held >= returned
            else f"{returned} of it returned"
        )
        action = "removed" if quantity is None else f"lowered below {floor}"
        raise Conflict(f"Item {item.pk} cannot be {action}: {what}.")


def check_payment_change(payment: OrderPayment, *, approved: bool, amount: int | None) -> None:
    """A payment with refunds cannot be un-approved, deleted (`amount` None) or lowered below
    what was refunded of it (409)."""
    refunded = payment_refunded(payment.pk)
    if not refunded:
        return
    if amount is None:
        raise Conflict(f"Payment {payment.pk} cannot be deleted: {refunded} of it was refunded.")
    if not approved:
        raise Conflict(
            f"Payment {payment.pk} cannot be un-approved: {refunded} of it was refunded."
        )
    if amount < refunded:
        raise Conflict(
            f"Payment {payment.pk} cannot be lowered below {refunded}: that much was refunded."
        )


# --- what the order keeps ------------------------------------------------------------------------


def fulfilment_status_for(
    items: list[tuple[int, int]], shipped: dict[int, int], delivered: dict[int, int]
) -> str:
    """The order's `fulfilment_status` from its items `(id, quantity)` and, per item id, the
    quantity in shipped-or-delivered and in delivered shipments (the demo loader uses it too)."""
    if not items or not any(shipped.get(item_id) for item_id, _quantity in items):
        return FulfilmentStatus.UNFULFILLED
    if any(shipped.get(item_id, 0) < quantity for item_id, quantity in items):
        return FulfilmentStatus.PARTIALLY_SHIPPED
    if all(delivered.get(item_id, 0) >= quantity for item_id, quantity in items):
        return FulfilmentStatus.DELIVERED
    return FulfilmentStatus.SHIPPED


def sync_fulfilment(order: Order) -> list[str]:
    """Rewrite the items' `quantity_shipped` and the order's `fulfilment_status` from the
    shipment rows; the order's changed fields (unsaved)."""
    shipped: dict[int, int] = defaultdict(int)
    delivered: dict[int, int] = defaultdict(int)
    rows = (
        ShipmentItem.objects.filter(
            shipment__order_id=order.pk, shipment__status__in=SHIPPED_STATUSES
        )
        .order_by()
        .values("item_id", "shipment__status")
        .annotate(total=Sum("quantity"))
    )
    for row in rows:
        shipped[row["item_id"]] += int(row["total"])
        if row["shipment__status"] == ShipmentStatus.DELIVERED:
            delivered[row["item_id"]] += int(row["total"])
    items = list(
        OrderItem.objects.filter(order_id=order.pk).values_list(
            "id", "quantity", "quantity_shipped"
        )
    )
    stale = [
        (item_id, shipped.get(item_id, 0))
        for item_id, _q, kept in items
        if kept != shipped.get(item_id, 0)
    ]
    for item_id, value in stale:  # only the items whose shipped quantity moved: usually one or two
        OrderItem.objects.filter(pk=item_id).update(quantity_shipped=value)
    status = fulfilment_status_for([(i, q) for i, q, _kept in items], shipped, delivered)
    if status == order.fulfilment_status:
        return []
    order.fulfilment_status = status
    return ["fulfilment_status"]


def sync_refunds(order: Order) -> list[str]:
    total = Refund.objects.filter(order_id=order.pk).aggregate(total=Sum("amount"))["total"]
    total = int(total or 0)
    if total == order.amount_refunded:
        return []
    order.amount_refunded = total
    return ["amount_refunded"]


def _move(order: Order, log: EventLog, new: Status) -> bool:
    if new not in TRANSITIONS[Status(order.status)]:
        return False
    log.add(PendingEvent(EventType.STATUS_CHANGED, {"status": [order.status, new.value]}))
    order.status = new.value
    return True


def automatic_moves(order: Order, log: EventLog, *, shipments: bool, refunds: bool) -> list[str]:
    """SPEC §14's automatic status moves, each a `status_changed` event of the write's actor:
    fully shipped → `shipped`; every shipment that is not cancelled delivered → `completed`;
    refunds equal to `amount_paid` (> 0) → `refunded` where §5's table allows it."""
    moved = False
    if shipments:
        fully_shipped = order.item_count > 0 and order.fulfilment_status in (
            FulfilmentStatus.SHIPPED,
            FulfilmentStatus.DELIVERED,
        )
        if order.status == Status.PROCESSING and fully_shipped:
            moved |= _move(order, log, Status.SHIPPED)
        if order.status == Status.SHIPPED:
            live = list(
                order.shipments.exclude(status=ShipmentStatus.CANCELLED).values_list(
                    "status", flat=True
                )
            )
            if live and all(status == ShipmentStatus.DELIVERED for status in live):
                moved |= _move(order, log, Status.COMPLETED)
    if refunds and order.amount_paid > 0 and order.amount_refunded == order.amount_paid:
        moved |= _move(order, log, Status.REFUNDED)
    return ["status"] if moved else []


def fulfilment_status_after_adding(status: str) -> str:
    """The order's `fulfilment_status` once a new item (nothing of it shipped) is added to an
    order that had `status`: what `fulfilment_status_for` gives over its items then, without
    reading them. Something shipped and the new item not: partially shipped; nothing shipped:
    still unfulfilled."""
    if status == FulfilmentStatus.UNFULFILLED:
        return FulfilmentStatus.UNFULFILLED
    return FulfilmentStatus.PARTIALLY_SHIPPED


def refresh_after_item_change(order: Order, log: EventLog, *, added: bool = False) -> list[str]:
    """After an item write: the fulfilment status follows the quantities (an item added to a
    shipped order makes it partially shipped), and removing the last unshipped item may complete
    the shipping. `added`: the write added a new item and changed no other, so the status
    follows from the stored one (`fulfilment_status_after_adding`) and no row is read."""
    if added:
        status = fulfilment_status_after_adding(order.fulfilment_status)
        fields = [] if status == order.fulfilment_status else ["fulfilment_status"]
        order.fulfilment_status = status
    else:
        fields = sync_fulfilment(order)
    fields += automatic_moves(order, log, shipments=True, refunds=False)
    return fields


def positional_error(count: int, index: int, errors: dict) -> ValidationError:
    """`{"items": [{}, {...}]}`: the error on the entry at `index` (SPEC §11's shape)."""
    listed: list[dict] = [{} for _ in range(count)]
    listed[index] = errors
    return ValidationError({"items": listed})
