"""Reads of orders. One read path: every endpoint that answers with orders goes through
`order_queryset_for_api()`, so the list, the detail and the write endpoints cost the same fixed
number of queries however many items, payments and images an order has."""

from django.db.models import Prefetch, QuerySet

from bazaar.media.selectors import thumbnails_prefetch
from bazaar.orders.models import Order, OrderItem, OrderPayment


def order_items_queryset() -> QuerySet[OrderItem]:
    return OrderItem.objects.select_related("product").order_by("id")


def order_payments_queryset() -> QuerySet[OrderPayment]:
    return OrderPayment.objects.select_related("payment_method__image").order_by("id")


def order_queryset_for_api() -> QuerySet[Order]:
    """Orders with everything their API shape shows, in a fixed number of queries."""
    return Order.objects.select_related(
        "customer",
        "payment_method__image",
        "shipping_method__image",
        "billing_country",
        "billing_state",
        "billing_city",
        "pickup_branch",
        "shipping_country",
        "shipping_state",
        "shipping_city",
    ).prefetch_related(
        Prefetch("items", queryset=order_items_queryset()),
        Prefetch("payments", queryset=order_payments_queryset()),
        thumbnails_prefetch("payment_method__image__thumbnails"),
        thumbnails_prefetch("shipping_method__image__thumbnails"),
        thumbnails_prefetch("payments__payment_method__image__thumbnails"),
    )


def order_get_for_api(*, order_id: int) -> Order:
    return order_queryset_for_api().get(pk=order_id)
