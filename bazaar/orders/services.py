"""Writes on orders, their items and payments. Every write that depends on an order's totals
locks the order row first (select_for_update), so racing requests queue instead of both passing
a check; every multi-row write is one transaction."""

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from bazaar.orders.models import Order, OrderItem, OrderPayment


def order_totals_from_rows(*, order_id: int) -> dict[str, int]:
    """The stored totals, recomputed from the item and payment rows (one query per relation:
    summing both relations in one join would multiply the sums)."""
    items = OrderItem.objects.filter(order_id=order_id).aggregate(
        item_count=Count("id"),
        item_quantity=Coalesce(Sum("quantity"), 0),
        items_subtotal=Coalesce(Sum(_product("unit_price", "quantity")), 0),
        items_discount=Coalesce(Sum(_product("unit_discount", "quantity")), 0),
    )
    paid = OrderPayment.objects.filter(order_id=order_id).aggregate(
        amount_paid=Coalesce(Sum("amount", filter=Q(approved=True)), 0)
    )
    return {**items, **paid}


def _product(a: str, b: str):
    from django.db.models import F

    return F(a) * F(b)


@transaction.atomic
def order_refresh_totals(*, order: Order) -> Order:
    """Rewrite the order's stored totals from its rows and move its updated_at."""
    for name, value in order_totals_from_rows(order_id=order.pk).items():
        setattr(order, name, int(value))
    order.save(
        update_fields=[
            "item_count",
            "item_quantity",
            "items_subtotal",
            "items_discount",
            "amount_paid",
        ]
    )
    return order
