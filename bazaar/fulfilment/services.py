"""Writes on shipments and refunds (SPEC §14), with the same pattern as every order write
(bazaar.orders.services): lock the order row (and check `If-Match`) first, check every limit
against the rows under that lock, write, rewrite what the order keeps of them, record the
events and bump the version in one `EventLog.commit()`. A refused write raises before anything
is committed, so racing requests for the last quantity or amount are served one after the other
and exactly as many succeed as fit.
"""

from typing import Any

from django.utils import timezone
from rest_framework.exceptions import ValidationError

from bazaar.accounts.models import User
from bazaar.api.errors import Conflict
from bazaar.db.transactions import write_atomic
from bazaar.fulfilment import rules
from bazaar.fulfilment.models import Refund, RefundItem, Shipment, ShipmentItem, ShipmentStatus
from bazaar.jobs.tasks import after_status_write
from bazaar.methods.models import ShippingMethod
from bazaar.orders import events
from bazaar.orders.events import EventLog, PendingEvent
from bazaar.orders.models import EventType, Order, OrderItem, OrderPayment
from bazaar.orders.services import _lock_order
from bazaar.orders.status import Status

# SPEC §14: pending → shipped → delivered; pending or shipped → cancelled; staying put allowed.
SHIPMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ShipmentStatus.PENDING: (ShipmentStatus.SHIPPED, ShipmentStatus.CANCELLED),
    ShipmentStatus.SHIPPED: (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED),
    ShipmentStatus.DELIVERED: (),
    ShipmentStatus.CANCELLED: (),
}
# A shipment is made only while the order is being shipped (SPEC §14); it can still be moved on
# (delivered, cancelled, tracked) once the order is completed.
SHIPPABLE = (Status.PROCESSING, Status.SHIPPED)
SHIPMENT_EDITABLE = (Status.PROCESSING, Status.SHIPPED, Status.COMPLETED)
CREATABLE_SHIPMENT = (ShipmentStatus.PENDING, ShipmentStatus.SHIPPED)


Lines = list[tuple[OrderItem, int]]


def _lines_data(lines: Lines) -> list[dict[str, int]]:
    return [{"item": item.pk, "quantity": quantity} for item, quantity in lines]


def shipment_state(shipment: Shipment) -> dict[str, Any]:
    """A shipment's fields as its events carry them (API names, ids for relations)."""
    return {
        "status": shipment.status,
        "shipping_method": shipment.shipping_method_id,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "notes": shipment.notes,
    }


def _check_lines(
    order: Order, wanted: list[dict[str, Any]], left: dict[int, int], verb: str
) -> Lines:
    """The order's items and quantities of `wanted` ([{item: id, quantity}]), each within what is
    left of it (400 on the entry, naming the item and what is left)."""
    items = {item.pk: item for item in OrderItem.objects.filter(order_id=order.pk)}
    lines: Lines = []
    seen: set[int] = set()
    for index, line in enumerate(wanted):
        item_id, quantity = line["item"], line["quantity"]
        item = items.get(item_id)
        if item is None:
            raise rules.positional_error(
                len(wanted),
                index,
                {"item": [f"Item {item_id} is not an item of order {order.pk}."]},
            )
        if item_id in seen:
            raise rules.positional_error(
                len(wanted), index, {"item": [f"Item {item_id} is listed more than once."]}
            )
        seen.add(item_id)
        available = left.get(item_id, 0)
        if quantity > available:
            raise rules.positional_error(
                len(wanted),
                index,
                {"quantity": [f"Item {item_id} has {available} left to {verb}; {quantity} asked."]},
            )
        lines.append((item, quantity))
    return lines


def _commit(order: Order, log: EventLog, fields: list[str], status_before: str) -> None:
    log.commit(save_fields=fields)
    if order.status != status_before:
        after_status_write()  # the move added two status tally rows


# --- shipments -----------------------------------------------------------------------------------


@write_atomic
def shipment_create(
    *,
    order_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> Shipment:
    """A shipment of `data["items"]` ([{item: id, quantity}]; omitted: every quantity not yet in a
    shipment). 409 unless the order is processing or shipped; 400 past what is left."""
    order = _lock_order(order_id, if_match)
    if order.status not in SHIPPABLE:
        raise Conflict(
            f"Shipments are made only while the order is processing or shipped; it is "
            f"'{order.status}'."
        )
    log = EventLog(order, actor=actor, request_id=request_id)
    status_before = order.status
    allocated = rules.allocated_quantities(order.pk)
    left = {
        item.pk: item.quantity - allocated.get(item.pk, 0)
        for item in OrderItem.objects.filter(order_id=order.pk)
    }
    wanted = data.get("items")
    if wanted is None:
        wanted = [{"item": item_id, "quantity": q} for item_id, q in sorted(left.items()) if q > 0]
        if not wanted:
            raise ValidationError(
                {"items": ["Every quantity of this order is already in a shipment."]}
            )
    lines = _check_lines(order, wanted, left, "ship")
    status = data.get("status", ShipmentStatus.PENDING)
    if status not in CREATABLE_SHIPMENT:
        raise ValidationError({"status": ["A shipment is created as pending or shipped."]})
    method: ShippingMethod | None = data.get("shipping_method", order.shipping_method)
    tracking_number = data.get("tracking_number") or None
    tracking_url = data.get("tracking_url") or None
    if tracking_url is None and method is not None:
        tracking_url = method.tracking_url(tracking_number)
    now = timezone.now()
    shipment = Shipment.objects.create(
        order=order,
        status=status,
        shipping_method=method,
        tracking_number=tracking_number,
        tracking_url=tracking_url,
        notes=data.get("notes") or "",
        shipped_at=now if status == ShipmentStatus.SHIPPED else None,
    )
    ShipmentItem.objects.bulk_create(
        ShipmentItem(shipment=shipment, item=item, quantity=quantity) for item, quantity in lines
    )
    changes = events.created(shipment_state(shipment), always=["status"])
    changes["items"] = [[], _lines_data(lines)]
    log.add(PendingEvent(EventType.SHIPMENT_CREATED, changes, shipment_id=shipment.pk))
    fields = rules.sync_fulfilment(order)
    fields += rules.automatic_moves(order, log, shipments=True, refunds=False)
    _commit(order, log, fields, status_before)
    return shipment


def _check_shipment_move(current: str, new: str) -> None:
    if current == new or new in SHIPMENT_TRANSITIONS[current]:
        return
    allowed = ", ".join(SHIPMENT_TRANSITIONS[current]) or "none"
    raise ValidationError(
        {
            "status": [
                f"Cannot change a shipment's status from '{current}' to '{new}'. "
                f"Allowed next statuses: {allowed}."
            ]
        }
    )


@write_atomic
def shipment_update(
    *,
    order_id: int,
    shipment_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> Shipment:
    """Move a shipment on (the server sets shipped_at / delivered_at) or change its carrier,
    tracking or notes. Its items are fixed: cancel it and make another."""
    order = _lock_order(order_id, if_match)
    shipment = Shipment.objects.get(pk=shipment_id, order_id=order.pk)
    if "items" in data:
        given = sorted((line["item"], line["quantity"]) for line in data["items"])
        held = sorted(shipment.items.values_list("item_id", "quantity"))
        if given != held:
            raise ValidationError(
                {"items": ["A shipment's items cannot change; cancel it and make another."]}
            )
    log = EventLog(order, actor=actor, request_id=request_id)
    status_before = order.status
    before = shipment_state(shipment)
    new_status = data.get("status", shipment.status)
    _check_shipment_move(shipment.status, new_status)
    for name in ("shipping_method", "tracking_number", "tracking_url", "notes"):
        if name in data:
            value = data[name]
            setattr(shipment, name, value if value or name == "shipping_method" else None)
    if shipment.notes is None:
        shipment.notes = ""
    moved_tracking = (
        shipment.tracking_number != before["tracking_number"]
        or shipment.shipping_method_id != before["shipping_method"]
    )
    if moved_tracking and "tracking_url" not in data:
        method = shipment.shipping_method
        shipment.tracking_url = method.tracking_url(shipment.tracking_number) if method else None
    shipment.status = new_status
    changes = events.diff(before, shipment_state(shipment))
    if not changes:
        return shipment  # nothing changed: nothing saved, recorded or moved
    if order.status not in SHIPMENT_EDITABLE:
        raise Conflict(f"Shipments cannot be changed while the order is '{order.status}'.")
    now = timezone.now()
    if new_status != before["status"]:
        if new_status == ShipmentStatus.SHIPPED:
            shipment.shipped_at = now
        elif new_status == ShipmentStatus.DELIVERED:
            shipment.delivered_at = now
    shipment.save()
    kind = (
        EventType.SHIPMENT_CANCELLED
        if new_status == ShipmentStatus.CANCELLED and "status" in changes
        else EventType.SHIPMENT_UPDATED
    )
    log.add(PendingEvent(kind, changes, shipment_id=shipment.pk))
    fields = rules.sync_fulfilment(order)
    fields += rules.automatic_moves(order, log, shipments=True, refunds=False)
    _commit(order, log, fields, status_before)
    return shipment


@write_atomic
def shipment_delete(
    *,
    order_id: int,
    shipment_id: int,
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> None:
    """Only a pending shipment can be deleted (409 otherwise: cancel it instead). Recorded as a
    `shipment_cancelled` event whose changes end in null (SPEC §14 has no removal event)."""
    order = _lock_order(order_id, if_match)
    shipment = Shipment.objects.filter(pk=shipment_id, order_id=order.pk).first()
    if shipment is None:
        return
    if shipment.status != ShipmentStatus.PENDING:
        raise Conflict(
            f"Only a pending shipment can be deleted; shipment {shipment.pk} is "
            f"'{shipment.status}' (cancel it instead)."
        )
    log = EventLog(order, actor=actor, request_id=request_id)
    status_before = order.status
    changes = events.removed(shipment_state(shipment))
    lines = list(shipment.items.order_by("id").values("item_id", "quantity"))
    changes["items"] = [[{"item": x["item_id"], "quantity": x["quantity"]} for x in lines], None]
    shipment.delete()
    log.add(PendingEvent(EventType.SHIPMENT_CANCELLED, changes, shipment_id=shipment_id))
    fields = rules.sync_fulfilment(order)  # a pending one shipped nothing: normally unchanged
    fields += rules.automatic_moves(order, log, shipments=True, refunds=False)
    _commit(order, log, fields, status_before)


# --- refunds -------------------------------------------------------------------------------------


@write_atomic
def refund_create(
    *,
    order_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> Refund:
    """Money sent back on an approved payment of this order, with the returned quantities.
    Never more than the payment's amount over all its refunds (400 stating what is left)."""
    order = _lock_order(order_id, if_match)
    if order.status == Status.DELETED:
        raise Conflict(f"Refunds cannot be made while the order is '{order.status}'.")
    log = EventLog(order, actor=actor, request_id=request_id)
    status_before = order.status
    payment_id = data["payment"]
    payment = OrderPayment.objects.filter(pk=payment_id, order_id=order.pk).first()
    if payment is None:
        raise ValidationError(
            {"payment": [f"Payment {payment_id} is not a payment of order {order.pk}."]}
        )
    if not payment.approved:
        raise ValidationError(
            {
                "payment": [
                    f"Payment {payment.pk} is not approved: only approved payments are refunded."
                ]
            }
        )
    lines: Lines = []
    returned: dict[int, int] = {}
    if data.get("items"):
        returned = rules.returned_quantities(order.pk)
        left = {
            item.pk: item.quantity - returned.get(item.pk, 0)
            for item in OrderItem.objects.filter(order_id=order.pk)
        }
        lines = _check_lines(order, data["items"], left, "return")
    amount = data.get("amount")
    if amount is None:
        if not lines:
            raise ValidationError({"amount": ["Give the amount, the returned items, or both."]})
        amount = sum((item.unit_price - item.unit_discount) * q for item, q in lines)
        if amount <= 0:
            raise ValidationError(
                {"amount": ["The returned items cost nothing: give the amount refunded."]}
            )
    refunded = rules.payment_refunded(payment.pk)
    left_on_payment = payment.amount - refunded
    if amount > left_on_payment:
        raise ValidationError(
            {
                "amount": [
                    f"Payment {payment.pk} has {left_on_payment} left to refund (of "
                    f"{payment.amount}, {refunded} refunded); {amount} asked."
                ]
            }
        )
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        reason=data.get("reason") or "",
        actor=actor if events._is_user(actor) else None,
    )
    RefundItem.objects.bulk_create(
        RefundItem(refund=refund, item=item, quantity=quantity) for item, quantity in lines
    )
    for item, quantity in lines:
        OrderItem.objects.filter(pk=item.pk).update(
            quantity_returned=item.quantity_returned + quantity
        )
    changes: events.Changes = {
        "payment": [None, payment.pk],
        "amount": [None, amount],
    }
    if refund.reason:
        changes["reason"] = [None, refund.reason]
    if lines:
        changes["items"] = [[], _lines_data(lines)]
    log.add(PendingEvent(EventType.REFUND_CREATED, changes, refund_id=refund.pk))
    fields = rules.sync_refunds(order)
    fields += rules.automatic_moves(order, log, shipments=False, refunds=True)
    _commit(order, log, fields, status_before)
    return refund
