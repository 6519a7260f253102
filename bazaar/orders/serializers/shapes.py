"""The order output shapes. They are built by plain functions (`orders_data` and friends) over
plain rows, because a page of 100 orders with nested items, payments and images is the API's
hottest path, and DRF's generic field machinery (or even model instances) would dominate its
cost. `bazaar.orders.serializers.schema` declares the very same shapes for the OpenAPI schema,
and a test checks that both agree on every key."""

from decimal import Decimal
from typing import Any

import orjson
from django.conf import settings

from bazaar.media.serializers import FileURLs, image_row_data, image_snapshot_data
from bazaar.orders import pricing
from bazaar.orders.selectors import OrderRows, Row
from bazaar.orders.status import NOT_PAYABLE, allowed_next

__all__ = [
    "ITEM_RESPONSE_KEYS",
    "ORDER_RESPONSE_KEYS",
    "PAYMENT_RESPONSE_KEYS",
    "REFUND_RESPONSE_KEYS",
    "SHIPMENT_RESPONSE_KEYS",
    "NestedShapes",
    "coupon_data",
    "customer_data",
    "item_data",
    "order_data",
    "orders_data",
    "payment_data",
    "place_data",
    "product_snapshot_data",
    "refund_data",
    "shipment_data",
]


ORDER_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "key", "status", "customer_data", "payment_method_data", "shipping_method_data",
    "shipping_cost", "notes", "extra", "created_at", "updated_at", "billing_country_data",
    "billing_state_data", "billing_city_data", "billing_address", "billing_postal_code",
    "billing_national_code", "billing_mobile_number", "billing_first_name", "billing_last_name",
    "count", "quantity", "items_subtotal", "items_discount", "subtotal", "total_discount", "total",
    "amount_paid", "amount_outstanding", "is_paid", "is_payable", "items", "payments",
    # SPEC §11
    "billing_email", "delivery_method", "pickup_branch_data", "shipping_first_name",
    "shipping_last_name", "shipping_mobile_number", "shipping_country_data", "shipping_state_data",
    "shipping_city_data", "shipping_address", "shipping_postal_code", "shipping_latitude",
    "shipping_longitude",
    # SPEC §12
    "coupon_code", "coupon_data", "coupon_discount", "order_discount", "tax_rate", "tax",
    "currency", "discounts", "tags", "source",
    # SPEC §13
    "version", "allowed_next_statuses",
    # SPEC §14
    "fulfilment_status", "amount_refunded", "net_paid", "shipments", "refunds",
)  # fmt: skip
ITEM_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "product", "product_title", "product_name", "product_data", "unit_price",
    "unit_discount", "quantity", "notes", "subtotal", "discount", "total", "created_at",
    "updated_at", "options", "quantity_shipped", "quantity_returned",
)  # fmt: skip
PAYMENT_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "payment_method_data", "approved", "amount", "transaction_id", "notes", "created_at",
    "updated_at",
)  # fmt: skip
SHIPMENT_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "status", "shipping_method", "shipping_method_data", "tracking_number", "tracking_url",
    "items", "notes", "shipped_at", "delivered_at", "created_at", "updated_at",
)  # fmt: skip
REFUND_RESPONSE_KEYS: tuple[str, ...] = (
    "id", "payment", "amount", "reason", "items", "actor", "created_at",
)  # fmt: skip


# --- output: plain functions over the rows of selectors.order_rows_related() ---------------------


class NestedShapes:
    """The method, place and branch shapes of one response. Each distinct method is shaped once,
    however many orders and payments show it: a page of 100 orders names the same few methods
    some 300 times, each with an image and four thumbnail URLs."""

    def __init__(self, rows: OrderRows, request) -> None:
        self.rows = rows
        self.request = request
        self.methods: dict[tuple[str, int], dict[str, Any]] = {}
        self.urls = FileURLs(request)

    def method(self, kind: str, row: Row) -> dict[str, Any] | None:
        method_id = row[f"{kind}_id"]
        if method_id is None:
            return None
        shaped = self.methods.get((kind, method_id))
        if shaped is None:
            image_id = row[f"{kind}__image_id"]
            image = None if image_id is None else self.rows.images[image_id]
            shaped = self.methods[kind, method_id] = {
                "id": method_id,
                "name": row[f"{kind}__name"],
                "image": None if image is None else image_row_data(image, self.request, self.urls),
            }
        return shaped


def customer_data(row: Row) -> dict[str, Any] | None:
    if row["customer_id"] is None:
        return None
    first_name, last_name = row["customer__first_name"], row["customer__last_name"]
    return {
        "id": row["customer_id"],
        "username": row["customer__username"],
        "mobile_number": row["customer__mobile_number"],
        "first_name": first_name,
        "last_name": last_name,
        "full_name": f"{first_name} {last_name}".strip(),
    }


def place_data(place_id: int | None, places: dict[int, Row]) -> dict[str, Any] | None:
    """`{id, name, code}` of a country, state or branch, `{id, name}` of a city (the columns
    `selectors.order_rows_related` read), shared by every order of the response that names it."""
    return None if place_id is None else places[place_id]


def product_snapshot_data(
    snapshot: dict[str, Any], request, urls: FileURLs | None = None
) -> dict[str, Any]:
    """An item's stored product snapshot as the API shows it: its image's file path becomes the
    absolute URL (built from this request, as every other image URL is, with no query). A
    snapshot read as its JSON text (`orjson.Fragment`) holds its URL already: the database
    wrote it (`selectors.items_read`)."""
    if isinstance(snapshot, orjson.Fragment):
        return snapshot
    image = snapshot.get("image")
    if not image:
        return snapshot
    return {**snapshot, "image": image_snapshot_data(image, request, urls)}


def item_data(item: Row, request, urls: FileURLs | None = None) -> dict[str, Any]:
    """An item's shape; `urls` memoises its snapshot image's URL across one response."""
    unit_price, unit_discount = item["unit_price"], item["unit_discount"]
    quantity, title = item["quantity"], item["product__title"]
    return {
        "id": item["id"],
        "product": item["product_id"],
        "product_title": title,
        "product_name": title,
        "product_data": product_snapshot_data(item["product_data"], request, urls),
        "unit_price": unit_price,
        "unit_discount": unit_discount,
        "quantity": quantity,
        "notes": item["notes"],
        "subtotal": unit_price * quantity,
        "discount": unit_discount * quantity,
        "total": (unit_price - unit_discount) * quantity,
        "created_at": item["created"],
        "updated_at": item["updated"],
        "options": item["options"],
        "quantity_shipped": item["quantity_shipped"],
        "quantity_returned": item["quantity_returned"],
    }


def _coordinate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def payment_data(payment: Row, shapes: NestedShapes) -> dict[str, Any]:
    return {
        "id": payment["id"],
        "payment_method_data": shapes.method("payment_method", payment),
        "approved": payment["approved"],
        "amount": payment["amount"],
        "transaction_id": payment["transaction_id"],
        "notes": payment["notes"],
        "created_at": payment["created"],
        "updated_at": payment["updated"],
    }


def shipment_data(shipment: Row, shapes: NestedShapes) -> dict[str, Any]:
    """A shipment's shape (SPEC §14), from a row of `selectors.shipment_rows`."""
    return {
        "id": shipment["id"],
        "status": shipment["status"],
        "shipping_method": shipment["shipping_method_id"],
        "shipping_method_data": shapes.method("shipping_method", shipment),
        "tracking_number": shipment["tracking_number"],
        "tracking_url": shipment["tracking_url"],
        "items": shipment["lines"],
        "notes": shipment["notes"],
        "shipped_at": shipment["shipped"],
        "delivered_at": shipment["delivered"],
        "created_at": shipment["created"],
        "updated_at": shipment["updated"],
    }


def refund_data(refund: Row) -> dict[str, Any]:
    """A refund's shape (SPEC §14), from a row of `selectors.refund_rows`."""
    actor = refund["actor_id"]
    return {
        "id": refund["id"],
        "payment": refund["payment_id"],
        "amount": refund["amount"],
        "reason": refund["reason"],
        "items": refund["lines"],
        "actor": None if actor is None else {"id": actor, "username": refund["actor__username"]},
        "created_at": refund["created"],
    }


def order_data(
    order: Row,
    items: list[Row],
    payments: list[Row],
    shapes: NestedShapes,
    shipments: list[Row],
    refunds: list[Row],
) -> dict[str, Any]:
    """The order shape of SPEC §5. Totals come from the order row (kept by the services)."""
    items_subtotal, items_discount = order["items_subtotal"], order["items_discount"]
    coupon, by_staff = order["coupon_discount"], order["order_discount"]
    total = order["total"]
    outstanding = total - order["amount_paid"]
    return {
        "id": order["id"],
        "key": order["key"],
        "status": order["status"],
        "customer_data": customer_data(order),
        "payment_method_data": shapes.method("payment_method", order),
        "shipping_method_data": shapes.method("shipping_method", order),
        "shipping_cost": order["shipping_cost"],
        "notes": order["notes"],
        "extra": order["extra"],
        "created_at": order["created"],
        "updated_at": order["updated"],
        "billing_country_data": place_data(order["billing_country_id"], shapes.rows.countries),
        "billing_state_data": place_data(order["billing_state_id"], shapes.rows.states),
        "billing_city_data": place_data(order["billing_city_id"], shapes.rows.cities),
        "billing_address": order["billing_address"],
        "billing_postal_code": order["billing_postal_code"],
        "billing_national_code": order["billing_national_code"],
        "billing_mobile_number": order["billing_mobile_number"],
        "billing_first_name": order["billing_first_name"],
        "billing_last_name": order["billing_last_name"],
        "count": order["item_count"],
        "quantity": order["item_quantity"],
        "items_subtotal": items_subtotal,
        "items_discount": items_discount,
        "subtotal": items_subtotal,
        "total_discount": items_discount + coupon + by_staff,
        "total": total,
        "amount_paid": order["amount_paid"],
        "amount_outstanding": outstanding,
        "is_paid": total > 0 and outstanding <= 0,
        "is_payable": order["item_count"] > 0
        and outstanding > 0
        and order["status"] not in NOT_PAYABLE,
        "items": [item_data(item, shapes.request, shapes.urls) for item in items],
        "payments": [payment_data(payment, shapes) for payment in payments],
        "billing_email": order["billing_email"],
        "delivery_method": order["delivery_method"],
        "pickup_branch_data": place_data(order["pickup_branch_id"], shapes.rows.branches),
        "shipping_first_name": order["shipping_first_name"],
        "shipping_last_name": order["shipping_last_name"],
        "shipping_mobile_number": order["shipping_mobile_number"],
        "shipping_country_data": place_data(order["shipping_country_id"], shapes.rows.countries),
        "shipping_state_data": place_data(order["shipping_state_id"], shapes.rows.states),
        "shipping_city_data": place_data(order["shipping_city_id"], shapes.rows.cities),
        "shipping_address": order["shipping_address"],
        "shipping_postal_code": order["shipping_postal_code"],
        "shipping_latitude": _coordinate(order["shipping_latitude"]),
        "shipping_longitude": _coordinate(order["shipping_longitude"]),
        "coupon_code": order["coupon_code"],
        "coupon_data": coupon_data(order),
        "coupon_discount": coupon,
        "order_discount": by_staff,
        "tax_rate": pricing.tax_rate_text(order["tax_rate"]),
        "tax": order["tax"],
        "currency": settings.CURRENCY,
        "discounts": pricing.discount_lines(
            items_discount=items_discount,
            coupon_code=order["coupon_code"],
            coupon=coupon,
            order_discount=by_staff,
        ),
        "tags": order["tags"],
        "source": order["source"],
        "version": order["version"],
        "allowed_next_statuses": allowed_next(order["status"]),
        "fulfilment_status": order["fulfilment_status"],
        "amount_refunded": order["amount_refunded"],
        "net_paid": order["amount_paid"] - order["amount_refunded"],
        "shipments": [shipment_data(shipment, shapes) for shipment in shipments],
        "refunds": [refund_data(refund) for refund in refunds],
    }


def coupon_data(row: Row) -> dict[str, Any] | None:
    """The coupon as it was applied: the terms the order keeps, not the coupon's current ones."""
    if row["coupon_id"] is None:
        return None
    return {
        "id": row["coupon_id"],
        "code": row["coupon_code"],
        "kind": row["coupon_kind"],
        "value": row["coupon_value"],
    }


def orders_data(rows: OrderRows, request) -> list[dict[str, Any]]:
    """Every order of `rows`, in their order, shaped."""
    shapes = NestedShapes(rows, request)
    no_rows: list[Row] = []
    return [
        order_data(
            order,
            rows.items.get(order["id"], no_rows),
            rows.payments.get(order["id"], no_rows),
            shapes,
            rows.shipments.get(order["id"], no_rows),
            rows.refunds.get(order["id"], no_rows),
        )
        for order in rows.orders
    ]
