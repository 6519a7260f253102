"""Writes on orders, their items and payments.

Every write that touches an order's rows locks the order row first (`_lock_order`, a
SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway),
so racing requests queue instead of both passing a check, and the stored totals are rewritten
in the same transaction. A refused write raises before anything is committed.

Every write takes the acting user (`actor`, None for the system) and the request id (default: the
request being handled), and records its events (bazaar.orders.events) in its transaction; a write
on an existing order takes `if_match` (the client's `If-Match`), compared under the lock.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound, ValidationError

from bazaar.accounts.models import User
from bazaar.api.errors import Conflict
from bazaar.api.limits import MAX_ITEMS_PER_ORDER
from bazaar.api.relations import missing_row_message
from bazaar.catalog.models import Product, ProductOptionValue
from bazaar.catalog.selectors import products_for_items
from bazaar.coupons.models import Coupon
from bazaar.coupons.services import coupon_check_apply, coupon_check_uses
from bazaar.customers.models import Customer
from bazaar.customers.services import customer_create
from bazaar.db.statements import RowsTogether
from bazaar.db.transactions import write_atomic
from bazaar.fulfilment import rules as fulfilment_rules
from bazaar.jobs.tasks import after_status_write
from bazaar.media.serializers import image_snapshot
from bazaar.orders import events, rules
from bazaar.orders.events import EventLog, PendingEvent
from bazaar.orders.models import (
    EventType,
    Order,
    OrderEvent,
    OrderItem,
    OrderPayment,
    OrderStatusDelta,
)
from bazaar.orders.pricing import RuleError, check_order_discount, coupon_discount, goods_of
from bazaar.orders.status import (
    ITEMS_LOCKED,
    NOT_COUNTING,
    Status,
    StatusError,
    check_initial_status,
    check_transition,
)
from bazaar.orders.versions import check_if_match

# --- totals -----------------------------------------------------------------------------------


def _item_totals(order_id: int) -> dict[str, int]:
    totals = OrderItem.objects.filter(order_id=order_id).aggregate(
        item_count=Count("id"),
        item_quantity=Coalesce(Sum("quantity"), 0),
        items_subtotal=Coalesce(Sum(F("unit_price") * F("quantity")), 0),
        items_discount=Coalesce(Sum(F("unit_discount") * F("quantity")), 0),
    )
    return {name: int(value) for name, value in totals.items()}


def _payment_totals(order_id: int) -> dict[str, int]:
    totals = OrderPayment.objects.filter(order_id=order_id).aggregate(
        amount_paid=Coalesce(Sum("amount", filter=Q(approved=True)), 0)
    )
    return {"amount_paid": int(totals["amount_paid"])}


ITEM_TOTAL_FIELDS = ["item_count", "item_quantity", "items_subtotal", "items_discount"]
TOTAL_FIELDS = [*ITEM_TOTAL_FIELDS, "amount_paid"]


def _set_totals(order: Order, *, items: bool = True, payments: bool = True) -> list[str]:
    """Set the order's stored totals from its rows (its items', its payments' or both), unsaved;
    the names of the fields set."""
    totals = {
        **(_item_totals(order.pk) if items else {}),
        **(_payment_totals(order.pk) if payments else {}),
    }
    for name, value in totals.items():
        setattr(order, name, value)
    order.refresh_money()  # the money follows the goods (Order.save does it again, harmlessly)
    return list(totals)


@transaction.atomic(savepoint=False)  # all or nothing with the caller's write, not on its own
def order_refresh_totals(*, order: Order, items: bool = True, payments: bool = True) -> Order:
    """Rewrite the order's stored totals from its rows. The caller holds the order's row lock."""
    order.save(update_fields=_set_totals(order, items=items, payments=payments))
    return order


def _order_to_lock(new_row_of: type[models.Model] | None) -> QuerySet[Order]:
    locked = Order.objects.select_for_update()
    if new_row_of is not None and connection.vendor == "postgresql":
        sequence = "nextval(pg_get_serial_sequence(%s, %s))"
        table, column = new_row_of._meta.db_table, new_row_of._meta.pk.column
        locked = locked.annotate(new_row_id=RawSQL(sequence, [table, column]))  # noqa: S611
    return locked


def _lock_order(
    order_id: int, if_match: str | None = None, *, new_row_of: type[models.Model] | None = None
) -> Order:
    """The order, locked for the write; a 404 when there is none (the lock is the existence
    check: a view that writes to an order's rows does not look for it first).

    `new_row_of`: the write adds a row of that model (an item, a payment). On PostgreSQL its id
    is drawn from the table's sequence in the same statement (`order.new_row_id`), so that the
    row can be inserted with the order's update and its events, which name it, in one statement
    (`EventLog.add_new_row`); elsewhere `new_row_id` is None and the row is saved at once."""
    try:
        [order] = _order_lock(new_row_of).read(order_id)
    except OverflowError:
        order = None
    if order is None:
        raise NotFound()
    order.new_row_id = getattr(order, "new_row_id", None)  # annotated only on PostgreSQL
    check_if_match(order_id=order.pk, version=order.version, if_match=if_match)
    return order


# Values no id is, standing for the ids in the statements compiled once (RowsTogether).
_ORDER_SLOT, _PRODUCT_SLOT = -2_000_000_001, -2_000_000_002
_ORDER_LOCKS: dict[type[models.Model] | None, RowsTogether] = {}


def _order_lock(new_row_of: type[models.Model] | None) -> RowsTogether:
    """The statement that locks an order (drawing the id of a new row of `new_row_of`)."""
    lock = _ORDER_LOCKS.get(new_row_of)
    if lock is None:
        lock = _ORDER_LOCKS[new_row_of] = RowsTogether(
            lambda order_id: (_order_to_lock(new_row_of).filter(pk=order_id).order_by(),),
            slots=(_ORDER_SLOT,),
        )
    return lock


# The order locked with a new item's id drawn, and the item's product.
_ORDER_AND_PRODUCT = RowsTogether(
    lambda order_id, product_id: (
        _order_to_lock(OrderItem).filter(pk=order_id).order_by(),
        products_for_items().filter(pk=product_id).order_by(),
    ),
    slots=(_ORDER_SLOT, _PRODUCT_SLOT),
)


def _lock_order_with_product(order_id: int, product_id: int) -> tuple[Order, Product | None]:
    """The order locked (a 404 when there is none) with its new item's id drawn as
    `_lock_order` draws it, and the product `product_id` (None if none), in one statement on
    PostgreSQL. `If-Match` is the caller's to check, after what it checks of the product: a
    refused body is a 400 before a stale version's 412."""
    try:
        order, product = _ORDER_AND_PRODUCT.read(order_id, product_id)
    except OverflowError:
        order = product = None
    if order is None:
        raise NotFound()
    order.new_row_id = getattr(order, "new_row_id", None)  # annotated only on PostgreSQL
    return order, product


def _check_order_amount(order: Order) -> None:
    with rule_errors():
        rules.check_order_amount(order.items_subtotal, order.shipping_cost)


# --- orders -----------------------------------------------------------------------------------


@write_atomic
def order_create(
    *,
    data: dict[str, Any],
    items: list[dict[str, Any]] | None = None,
    payments: list[dict[str, Any]] | None = None,
    actor: User | None = None,
    request_id: str | None = None,
) -> Order:
    """Make an order, with its items and payments when given inline (SPEC §11), all or nothing.

    `data["customer"]` may be a dict (an inline customer): it is matched by mobile number or
    created, inside this transaction, so a refused order leaves no new customer behind."""
    status = data.get("status", Status.NEW)
    try:
        check_initial_status(status)
    except StatusError as exc:
        raise ValidationError({"status": [str(exc)]}) from None
    if isinstance(data.get("customer"), dict):
        data = {**data, "customer": customer_match_or_create(**data["customer"])}
    data, money = _split_money(data)
    order = Order(**data)
    if order.extra is None:
        order.extra = {}
    _check_order_amount(order)
    order.save()
    after_status_write()  # the insert added a status tally row
    made_items: list[OrderItem] = []
    made_payments: list[OrderPayment] = []
    if items:
        made_items = OrderItem.objects.bulk_create(
            [_new_item(order, item) for item in items], batch_size=500
        )
    if payments:
        made_payments = OrderPayment.objects.bulk_create(
            [OrderPayment(order=order, **p) for p in payments]
        )
    if items or payments:
        order_refresh_totals(order=order)
        _check_order_amount(order)
    if money:
        # After the inline items: the coupon's minimum and the order discount's maximum are
        # judged on the goods they make (SPEC §12).
        order_money_apply(order=order, data=money)
        order.save()
    if payments:
        _check_inline_payments(order, payments)
    changes = events.created(events.order_state(order), always=["status"])
    if items:
        changes["items"] = [[], [item.pk for item in made_items]]
    if payments:
        changes["payments"] = [[], [payment.pk for payment in made_payments]]
    log = EventLog(order, actor=actor, request_id=request_id)
    log.add(PendingEvent(EventType.ORDER_CREATED, changes))
    log.commit(bump=False)
    return order


def customer_match_or_create(
    *, mobile_number: str, first_name: str = "", last_name: str = "", email: str = ""
) -> Customer:
    """The customer with this (normalised) mobile number, unchanged; or a new one."""
    existing = User.objects.filter(mobile_number=mobile_number).first()
    if existing is not None:
        if existing.is_staff or existing.is_superuser:
            raise ValidationError(
                {"customer": {"mobile_number": ["This mobile number belongs to a staff member."]}}
            )
        return Customer.objects.get(pk=existing.pk)
    if User.objects.filter(username=mobile_number).exists():
        raise ValidationError(
            {"customer": {"mobile_number": ["A user already has this number as username."]}}
        )
    return customer_create(
        mobile_number=mobile_number, first_name=first_name, last_name=last_name, email=email
    )


def _check_inline_payments(order: Order, payments: list[dict[str, Any]]) -> None:
    """Approved inline payments must fit the total the inline items make; the error points at
    the first payment that does not."""
    paid = 0
    for index, payment in enumerate(payments):
        if not payment.get("approved"):
            continue
        paid += payment["amount"]
        try:
            rules.check_approval(payment["amount"], paid_with_it=paid, total=order.total)
        except rules.OrderRuleError as exc:
            errors: list[dict] = [{} for _ in payments]
            errors[index] = {exc.field: exc.messages}
            raise ValidationError({"payments": errors}) from None


@write_atomic
def order_update(
    *,
    order_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> Order:
    """Change an order's fields. An inline `customer` (a dict) is matched or created as on
    create, in this transaction: a refused update leaves no new customer behind. A write that
    changes nothing saves nothing."""
    order = _lock_order(order_id, if_match)
    log = EventLog(order, actor=actor, request_id=request_id)
    previous_status, previous_customer_id = order.status, order.customer_id
    data, money = _split_money(data)
    if "status" in data:
        try:
            check_transition(order.status, data["status"])
        except StatusError as exc:
            raise ValidationError({"status": [str(exc)]}) from None
    status_before = order.status
    if isinstance(data.get("customer"), dict):
        data = {**data, "customer": customer_match_or_create(**data["customer"])}
    for name, value in data.items():
        setattr(order, name, value)
    order_money_apply(
        order=order,
        data=money,
        previous_status=previous_status,
        previous_customer_id=previous_customer_id,
    )
    _check_order_amount(order)
    log.add_order_changes()
    log.commit(save_fields=None)
    if order.status != status_before:
        after_status_write()  # the move added two status tally rows
    return order


# --- coupon, order discount and tax (SPEC §12) ----------------------------------------------------

# The order fields whose writes go through order_money_apply.
MONEY_INPUTS = ("coupon_code", "order_discount", "tax_rate")


def _split_money(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    rest = {name: value for name, value in data.items() if name not in MONEY_INPUTS}
    return rest, {name: data[name] for name in MONEY_INPUTS if name in data}


@contextmanager
def rule_errors() -> Iterator[None]:
    """A rule's refusal (pricing.RuleError, rules.OrderRuleError) as the API's 400 on the field it
    names; a refusal by the order's state (rules.OrderConflictError) as its 409."""
    try:
        yield
    except rules.OrderConflictError as exc:
        raise Conflict(exc.message) from None
    except RuleError as exc:
        raise ValidationError({exc.field: getattr(exc, "messages", [exc.message])}) from None


def _starts_counting(order: Order, previous_status: str | None, previous_customer_id) -> bool:
    """Whether this write makes the order count as a use again, or count for someone else."""
    if previous_status is None or order.status in NOT_COUNTING:
        return False
    return previous_status in NOT_COUNTING or order.customer_id != previous_customer_id


def _check_money_unlocked(order: Order, data: dict[str, Any]) -> None:
    if order.status not in ITEMS_LOCKED:
        return
    changed = [
        name
        for name, value in data.items()
        if (value or None) != (getattr(order, name) or None)
        or (name == "coupon_code" and value and order.coupon_id is None)
    ]
    if changed:
        raise Conflict(
            f"{', '.join(changed)} cannot change while the order is '{order.status}' (its goods "
            "are settled, as its items are)."
        )


def order_coupon_freeze(*, order: Order, coupon: Coupon | None) -> None:
    """Hold `coupon` with the terms it has now (None: hold none)."""
    order.coupon = coupon
    order.coupon_code = coupon.code if coupon else None
    order.coupon_kind = coupon.kind if coupon else None
    order.coupon_value = coupon.value if coupon else None
    order.coupon_max_discount = coupon.max_discount if coupon else None
    order.coupon_min_subtotal = coupon.min_subtotal if coupon else 0


def order_money_apply(
    *,
    order: Order,
    data: dict[str, Any],
    previous_status: str | None = None,
    previous_customer_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Apply `coupon_code`, `order_discount` and `tax_rate` of `data` to `order` (its row locked
    by the caller, its other fields already set), checking every rule of SPEC §12, and refresh
    its money; the caller saves it. `previous_*` are the order's status and customer before this
    write (None when it is being created): a move back to a counting status, or to another
    customer, checks the coupon's use limits again.

    Raises ValidationError on the field whose rule refused, before anything is written; a change
    of them while the order's goods are settled (items locked) is a 409, as item changes are."""
    if previous_status is not None:
        _check_money_unlocked(order, data)
    with rule_errors():
        if "tax_rate" in data:
            order.tax_rate = data["tax_rate"]
        goods = goods_of(order.items_subtotal, order.items_discount)
        applied = False
        if "coupon_code" in data:
            code = data["coupon_code"] or None
            if code is None:
                order_coupon_freeze(order=order, coupon=None)
            elif order.coupon_id is None or code != order.coupon_code:
                coupon = coupon_check_apply(
                    code=code,
                    order_id=order.pk,
                    customer_id=order.customer_id,
                    goods=goods,
                    now=now,
                )
                order_coupon_freeze(order=order, coupon=coupon)
                applied = True
        if (
            order.coupon_id is not None
            and not applied
            and _starts_counting(order, previous_status, previous_customer_id)
        ):
            coupon = Coupon.objects.select_for_update().get(pk=order.coupon_id)
            try:
                coupon_check_uses(coupon=coupon, order_id=order.pk, customer_id=order.customer_id)
            except RuleError as exc:
                raise RuleError(
                    exc.field, f"{exc.message} Remove the coupon (coupon_code null) first."
                ) from None
        if "order_discount" in data:
            check_order_discount(
                data["order_discount"],
                goods=goods,
                coupon=coupon_discount(order.coupon_terms, goods),
            )
            order.order_discount = data["order_discount"]
        order.refresh_money()


@write_atomic
def order_soft_delete(
    *,
    order_id: int,
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> Order:
    """DELETE /api/orders/{id}/ moves the order to `deleted` through the status rules."""
    return order_update(
        order_id=order_id,
        data={"status": Status.DELETED},
        actor=actor,
        request_id=request_id,
        if_match=if_match,
    )


@write_atomic
def order_note_add(
    *, order_id: int, note: str, actor: User | None = None, request_id: str | None = None
) -> OrderEvent:
    """A staff note on the order's history (SPEC §13). It takes the order's lock so that it
    lands after the writes already running, but changes neither version nor updated_at."""
    order = _lock_order(order_id)
    return events.note_add(order=order, note=note, actor=actor, request_id=request_id)


# --- items ------------------------------------------------------------------------------------


def product_snapshot(
    product: Product, *, image: dict[str, Any] | None, options: list[ProductOptionValue]
) -> dict[str, Any]:
    """What an item remembers of its product: it never changes after the item is made."""
    snapshot: dict[str, Any] = {
        "id": product.pk,
        "code": product.code,
        "slug": product.slug,
        "title": product.title,
        "image": image,
    }
    if options:
        snapshot["options"] = [
            {"group": value.group.name, "value": value.name, "price_delta": value.price_delta}
            for value in options
        ]
    return snapshot


def product_image_snapshot(product: Product) -> dict[str, Any] | None:
    """The product's image as the snapshot keeps it: the image structure without thumbnails, as
    source 001 shows it (thumbnail files are derived data a snapshot need not pin), with the
    file's path where the API shows its URL (`media.serializers.image_snapshot`)."""
    if product.image_id is None:
        return None
    return image_snapshot(product.image)  # read with the product where it was selected with it


def _new_item(order: Order, data: dict[str, Any]) -> OrderItem:
    fields = dict(data)
    product: Product = fields.pop("product")
    chosen: list[ProductOptionValue] = fields.pop("options", [])
    return OrderItem(
        order=order,
        product=product,
        options=[value.pk for value in chosen],
        product_data=product_snapshot(
            product, image=product_image_snapshot(product), options=chosen
        ),
        **fields,
    )


def _lock_for_items(
    order_id: int, if_match: str | None, *, new_row_of: type[models.Model] | None = None
) -> Order:
    order = _lock_order(order_id, if_match, new_row_of=new_row_of)
    with rule_errors():
        rules.check_items_unlocked(order.status)
    return order


def _lock_for_new_item(
    order_id: int, if_match: str | None, data: dict[str, Any]
) -> tuple[Order, dict[str, Any]]:
    """The order locked with the item's product read, and the item's values with its product:
    refused in the order the API refuses them, a missing order (404), the body (400), a stale
    version (412), the order's state (409)."""
    product_id: int = data["product"]
    order, product = _lock_order_with_product(order_id, product_id)
    if product is None:
        raise ValidationError({"product": [missing_row_message(Product, product_id)]})
    with rule_errors():
        data = rules.new_item_terms(product, data)
    check_if_match(order_id=order.pk, version=order.version, if_match=if_match)
    with rule_errors():
        rules.check_items_unlocked(order.status)
    return order, data


@write_atomic
def item_add(
    *,
    order_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> OrderItem:
    """A new item from `data`: checked values with the product as a row (`new_item_terms`
    applied, as the item serializer and the admin's form do), or with the product by id
    alone (the API: the product is then read with the order's lock, one statement fewer, and
    checked here as the serializer would have)."""
    if isinstance(data["product"], Product):
        order = _lock_for_items(order_id, if_match, new_row_of=OrderItem)
    else:
        order, data = _lock_for_new_item(order_id, if_match, data)
    log = EventLog(order, actor=actor, request_id=request_id)
    if order.item_count >= MAX_ITEMS_PER_ORDER:  # stored totals are exact under the lock
        raise ValidationError(
            {"non_field_errors": [f"An order holds at most {MAX_ITEMS_PER_ORDER} items."]}
        )
    item = _new_item(order, data)
    log.add_new_row(item, order.new_row_id)
    log.add(
        PendingEvent(
            EventType.ITEM_ADDED,
            events.created(events.state(item, events.ITEM_FIELDS), always=["quantity"]),
            item_id=item.pk,
        )
    )
    _commit_item_change(order, log, added=item)
    return item


@write_atomic
def item_update(
    *,
    order_id: int,
    item_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> OrderItem:
    order = _lock_for_items(order_id, if_match)
    log = EventLog(order, actor=actor, request_id=request_id)
    item = OrderItem.objects.filter(pk=item_id, order_id=order.pk).first()
    if item is None:  # removed by a write that held the lock before this one
        raise NotFound(gettext("Item %(id)s is not in this order.") % {"id": item_id})
    data.pop("product", None)
    before, changes = events.apply(item, data, events.ITEM_FIELDS)
    if not changes:
        return item  # nothing changed: nothing saved, recorded or moved
    if item.quantity < before["quantity"]:  # SPEC §14: not below what shipments hold (409)
        fulfilment_rules.check_item_quantity(item, item.quantity)
    item.save()
    log.add(PendingEvent(EventType.ITEM_UPDATED, changes, item_id=item.pk))
    _commit_item_change(order, log)
    return item


@write_atomic
def item_delete(
    *,
    order_id: int,
    item_id: int,
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> None:
    order = _lock_for_items(order_id, if_match)
    log = EventLog(order, actor=actor, request_id=request_id)
    item = OrderItem.objects.filter(pk=item_id, order_id=order.pk).first()
    if item is None:
        return
    before = events.state(item, events.ITEM_FIELDS)
    fulfilment_rules.check_item_quantity(item, None)  # SPEC §14: not while shipped (409)
    item.delete()
    log.add(PendingEvent(EventType.ITEM_REMOVED, events.removed(before), item_id=item_id))
    _commit_item_change(order, log)


def _add_to_totals(order: Order, item: OrderItem) -> list[str]:
    """The order's item totals with a new item counted in, unsaved: exact, since the stored
    totals are the rows' sums under the order's lock (as `_set_totals` would read them)."""
    quantity = item.quantity
    order.item_count += 1
    order.item_quantity += quantity
    order.items_subtotal += item.unit_price * quantity
    order.items_discount += item.unit_discount * quantity
    order.refresh_money()
    return list(ITEM_TOTAL_FIELDS)


def _add_payment_to_totals(order: Order, payment: OrderPayment) -> list[str]:
    """`amount_paid` with a new payment counted in (approved ones count), unsaved: exact under
    the order's lock, as `_add_to_totals` is for an item."""
    if payment.approved:
        order.amount_paid += payment.amount
    order.refresh_money()
    return ["amount_paid"]


def _commit_item_change(order: Order, log: EventLog, *, added: OrderItem | None = None) -> None:
    """The order's totals after an item write (`added`: the new item, counted in rather than
    summed again), checked, and saved with the new version in one UPDATE (the coupon's
    discount and the tax follow the goods: Order.save)."""
    fields = _set_totals(order, payments=False) if added is None else _add_to_totals(order, added)
    _check_order_amount(order)
    status_before = order.status
    fields += fulfilment_rules.refresh_after_item_change(order, log, added=added is not None)
    log.commit(save_fields=fields)
    if order.status != status_before:
        after_status_write()


# --- payments ---------------------------------------------------------------------------------


def _lock_for_payments(
    order_id: int, if_match: str | None, *, new_row_of: type[models.Model] | None = None
) -> Order:
    order = _lock_order(order_id, if_match, new_row_of=new_row_of)
    with rule_errors():
        rules.check_payments_unlocked(order.status)
    return order


def _check_approval(order: Order, payment: OrderPayment) -> None:
    """After the write, inside the lock: approved payments must not exceed the total (SPEC §7)."""
    with rule_errors():
        rules.check_approval(payment.amount, paid_with_it=order.amount_paid, total=order.total)


@write_atomic
def payment_add(
    *,
    order_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> OrderPayment:
    order = _lock_for_payments(order_id, if_match, new_row_of=OrderPayment)
    log = EventLog(order, actor=actor, request_id=request_id)
    payment = OrderPayment(order=order, **data)
    log.add_new_row(payment, order.new_row_id)
    fields = _add_payment_to_totals(order, payment)
    if payment.approved:
        _check_approval(order, payment)
    log.add(
        PendingEvent(
            EventType.PAYMENT_ADDED,
            events.created(
                events.state(payment, events.PAYMENT_FIELDS), always=["amount", "approved"]
            ),
            payment_id=payment.pk,
        )
    )
    log.commit(save_fields=fields)
    return payment


@write_atomic
def payment_update(
    *,
    order_id: int,
    payment_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> OrderPayment:
    order = _lock_for_payments(order_id, if_match)
    log = EventLog(order, actor=actor, request_id=request_id)
    payment = OrderPayment.objects.filter(pk=payment_id, order_id=order.pk).first()
    if payment is None:  # removed by a write that held the lock before this one
        raise NotFound(gettext("Payment %(id)s is not in this order.") % {"id": payment_id})
    was_counted = payment.amount if payment.approved else 0
    before, changes = events.apply(payment, data, events.PAYMENT_FIELDS)
    if not changes:
        return payment  # nothing changed: nothing saved, recorded or moved
    if before["approved"]:  # SPEC §14: not below its refunds (409)
        fulfilment_rules.check_payment_change(
            payment, approved=payment.approved, amount=payment.amount
        )
    payment.save()
    fields = _set_totals(order, items=False)
    if payment.approved and payment.amount > was_counted:
        _check_approval(order, payment)
    log.add(PendingEvent(EventType.PAYMENT_UPDATED, changes, payment_id=payment.pk))
    log.commit(save_fields=fields)
    return payment


@write_atomic
def payment_delete(
    *,
    order_id: int,
    payment_id: int,
    actor: User | None = None,
    request_id: str | None = None,
    if_match: str | None = None,
) -> None:
    order = _lock_for_payments(order_id, if_match)
    log = EventLog(order, actor=actor, request_id=request_id)
    payment = OrderPayment.objects.filter(pk=payment_id, order_id=order.pk).first()
    if payment is None:
        return
    before = events.state(payment, events.PAYMENT_FIELDS)
    fulfilment_rules.check_payment_change(payment, approved=payment.approved, amount=None)
    payment.delete()
    fields = _set_totals(order, items=False)
    log.add(PendingEvent(EventType.PAYMENT_REMOVED, events.removed(before), payment_id=payment_id))
    log.commit(save_fields=fields)


# --- status tallies ----------------------------------------------------------------------------


@transaction.atomic
def order_status_deltas_compact() -> bool:
    """Fold the tally rows the triggers wrote into one row per status (PostgreSQL only).

    The sums never change: the rows deleted are exactly the rows re-added as sums, and a row a
    concurrent write adds meanwhile is left for the next time. One compaction runs at a time (an
    advisory lock; the others return False at once), so two never wait on each other's rows."""
    if connection.vendor != "postgresql":
        return False
    table = OrderStatusDelta._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [table])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(f"DELETE FROM {table} RETURNING status, delta")  # noqa: S608 (a model's table)
        sums: Counter[str] = Counter()
        for status, delta in cursor.fetchall():
            sums[status] += delta
    OrderStatusDelta.objects.bulk_create(
        OrderStatusDelta(status=status, delta=delta) for status, delta in sums.items() if delta
    )
    return True
