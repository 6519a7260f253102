"""Reads of coupons and of their uses (SPEC §12)."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from bazaar.coupons.models import Coupon
from bazaar.orders.models import Order
from bazaar.orders.status import NOT_COUNTING


def counting_orders(*, coupon_id: int) -> QuerySet[Order]:
    """The orders that count as uses of a coupon: holding it, not cancelled, failed or deleted.
    Answered by the orders' (coupon, created_at, id) index."""
    return Order.objects.filter(coupon_id=coupon_id).exclude(status__in=NOT_COUNTING)


def coupon_uses(
    *, coupon_id: int, customer_id: int | None = None, exclude_order_id: int | None = None
) -> int:
    """How many orders use the coupon (only `customer_id`'s when given), leaving one order out
    (the one being checked: whether *it* may count is the question)."""
    orders = counting_orders(coupon_id=coupon_id)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    return orders.count()


def coupon_queryset() -> QuerySet[Coupon]:
    """Coupons with their live `uses` (one correlated count per coupon of the page)."""
    uses = (
        Order.objects.filter(coupon_id=OuterRef("pk"))
        .exclude(status__in=NOT_COUNTING)
        .order_by()
        .values("coupon_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coupon.objects.annotate(
        uses=Coalesce(Subquery(uses, output_field=IntegerField()), Value(0))
    )
