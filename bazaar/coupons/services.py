"""Writes of coupons, and the checks an order runs when it takes one (SPEC §12).

Applying a coupon to an order locks the coupon's row (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's IMMEDIATE transactions serialise writers anyway) before counting its uses, inside the
order's transaction: orders racing for a coupon's last use queue on that lock, and the second
counts the first's committed use and is refused. Lock order is always the order first, then the
coupon, so two such writes never deadlock.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from bazaar.api.errors import Conflict
from bazaar.coupons import rules
from bazaar.coupons.models import Coupon
from bazaar.coupons.selectors import coupon_uses
from bazaar.orders.models import Order
from bazaar.orders.pricing import RuleError


@transaction.atomic
def coupon_create(*, data: dict[str, Any]) -> Coupon:
    return Coupon.objects.create(**data)


def coupon_is_held(*, coupon_id: int) -> bool:
    """Whether any order holds the coupon, whatever its status."""
    return Order.objects.filter(coupon_id=coupon_id).exists()


@transaction.atomic
def coupon_update(*, coupon_id: int, data: dict[str, Any]) -> Coupon:
    coupon = Coupon.objects.select_for_update().get(pk=coupon_id)
    if "code" in data and data["code"] != coupon.code and coupon_is_held(coupon_id=coupon_id):
        raise ValidationError(
            {
                "code": [
                    "An order holds this coupon, so its code cannot change (orders show the code "
                    "they were given); create a new coupon instead."
                ]
            }
        )
    for name, value in data.items():
        setattr(coupon, name, value)
    coupon.save()
    return coupon


@transaction.atomic
def coupon_delete(*, coupon_id: int) -> None:
    """A coupon any order holds is never deleted (409): deactivate it instead."""
    coupon = Coupon.objects.select_for_update().get(pk=coupon_id)
    if coupon_is_held(coupon_id=coupon_id):
        raise Conflict(
            f"Coupon {coupon.code} is held by orders and cannot be deleted: deactivate it "
            "instead (is_active false)."
        )
    coupon.delete()


def coupon_lock(*, code: str) -> Coupon:
    """The coupon with this (normalised) code, locked until the transaction ends."""
    coupon = Coupon.objects.select_for_update().filter(code=code).first()
    if coupon is None:
        raise RuleError("coupon_code", f"No coupon with code {code}.")
    return coupon


def coupon_check_uses(*, coupon: Coupon, order_id: int | None, customer_id: int | None) -> None:
    """One more use left for this order (the caller holds the coupon's lock): counted over the
    other orders, all of them for `max_uses`, the customer's for `max_uses_per_customer`."""
    uses = coupon_uses(coupon_id=coupon.pk, exclude_order_id=order_id)
    customer_uses = None
    if customer_id is not None and coupon.max_uses_per_customer is not None:
        customer_uses = coupon_uses(
            coupon_id=coupon.pk, customer_id=customer_id, exclude_order_id=order_id
        )
    rules.check_uses_left(
        code=coupon.code,
        max_uses=coupon.max_uses,
        uses=uses,
        max_uses_per_customer=coupon.max_uses_per_customer,
        customer_uses=customer_uses,
    )


def coupon_check_apply(
    *,
    code: str,
    order_id: int | None,
    customer_id: int | None,
    goods: int,
    now: datetime | None = None,
) -> Coupon:
    """Everything applying a coupon checks (SPEC §12): it exists, is active, now is inside its
    window, uses are left, and the goods reach its minimum. Returns it, locked."""
    coupon = coupon_lock(code=code)
    rules.check_available(
        code=coupon.code,
        is_active=coupon.is_active,
        valid_from=coupon.valid_from,
        valid_to=coupon.valid_to,
        now=now or timezone.now(),
    )
    coupon_check_uses(coupon=coupon, order_id=order_id, customer_id=customer_id)
    rules.check_min_subtotal(code=coupon.code, min_subtotal=coupon.min_subtotal, goods=goods)
    return coupon
