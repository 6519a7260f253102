"""The orders' CSV export (SPEC §15): one row per order, or per item with `rows=items`.

`export_chunks()` is a generator that reads the selection in keyset batches (plain queries by
the list's own ordering, no server-side cursor, so it works behind a transaction-pooling
PgBouncer) and yields the CSV text a batch at a time: memory stays flat however many orders,
and the first bytes (the BOM and the header) leave before the first batch is read.

Each batch is one query for its orders' columns (the keyset page itself, with the customer and
method names joined), one for their items with `rows=items`, and the place names not seen in an
earlier batch. Not the orders' one read path (`selectors.order_rows_related()` +
`serializers.orders_data()`): that reads every item, payment, shipment, refund and image of
every order and shapes the whole API object, and a CSV row uses a tenth of it (a million orders
streamed 4x slower that way, docs/feed-and-export.md). The cells are the API shape's values:
the same stored columns, and the few derived ones (`amount_outstanding`, `is_paid`, item
totals) computed as the shape computes them; a test compares the two for every column.
"""

import csv
import datetime
import functools
import io
import zoneinfo
from collections.abc import Iterable, Iterator
from typing import Any

import jdatetime
from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bazaar.api.functions import UTCTimestampText
from bazaar.db import routing
from bazaar.orders import selectors
from bazaar.orders.filters import ORDERING_FIELDS
from bazaar.orders.models import Order, OrderItem

BOM = "\ufeff"
ORDER_COLUMNS: tuple[str, ...] = (
    "id", "key", "status", "created_at", "created_at_jalali", "updated_at", "customer_id",
    "customer_name", "customer_mobile", "billing_first_name", "billing_last_name",
    "billing_mobile_number", "billing_country", "billing_state", "billing_city",
    "billing_address", "billing_postal_code", "payment_method", "shipping_method",
    "delivery_method", "count", "quantity", "items_subtotal", "items_discount", "coupon_code",
    "coupon_discount", "order_discount", "tax", "shipping_cost", "total", "amount_paid",
    "amount_refunded", "amount_outstanding", "is_paid", "fulfilment_status", "tags", "notes",
)  # fmt: skip
ITEM_COLUMNS: tuple[str, ...] = (
    "order_id", "order_key", "order_status", "created_at", "created_at_jalali", "item_id",
    "product_id", "product_code", "product_title", "options", "unit_price", "unit_discount",
    "quantity", "subtotal", "discount", "total",
)  # fmt: skip
ROW_KINDS = ("orders", "items")
JALALI_FORMAT = "%Y/%m/%d %H:%M"
# A spreadsheet runs a cell beginning with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Ordering fields a LEFT JOIN can make NULL (a guest order has no customer).
NULLABLE_ORDERING = frozenset(
    {"customer__id", "customer__username", "customer__first_name", "customer__last_name"}
)

# The fields a keyset batch may order by: the list's ordering fields (and `pk`).
EXPORT_ORDERING = frozenset({*ORDERING_FIELDS, "pk"})

Row = dict[str, Any]

# The columns a batch reads, by kind (the keyset's ordering fields are added to them); `created`
# and `updated` are the timestamps as the API writes them (`selectors.order_rows()` too).
ORDER_FIELDS: tuple[str, ...] = (
    "id", "key", "status", "customer_id", "customer__first_name", "customer__last_name",
    "customer__mobile_number", "billing_first_name", "billing_last_name",
    "billing_mobile_number", "billing_country_id", "billing_state_id", "billing_city_id",
    "billing_address", "billing_postal_code", "payment_method__name", "shipping_method__name",
    "delivery_method", "item_count", "item_quantity", "items_subtotal", "items_discount",
    "coupon_code", "coupon_discount", "order_discount", "tax", "shipping_cost", "total",
    "amount_paid", "amount_refunded", "fulfilment_status", "tags", "notes",
)  # fmt: skip
ITEM_ORDER_FIELDS: tuple[str, ...] = ("id", "key", "status")
ITEM_FIELDS: tuple[str, ...] = (
    "id", "order_id", "product_id", "product__title", "product_data", "unit_price",
    "unit_discount", "quantity", "options",
)  # fmt: skip
PLACE_KINDS = {"billing_country_id": "countries", "billing_state_id": "states",
               "billing_city_id": "cities"}  # fmt: skip


# --- cells ----------------------------------------------------------------------------------


def cell(value: Any) -> Any:
    """A value as a CSV cell: integers stay integers, booleans are true/false, None is empty,
    and text that a spreadsheet would run as a formula is prefixed with `'`."""
    # The two kinds nearly every cell is, tested first by exact type (a bool is an int too).
    kind = type(value)
    if kind is int:
        return value
    if kind is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def jalali(timestamp: str | datetime.datetime | None) -> str:
    """`1403/09/10 14:05`: the Solar Hijri date and time in the shop's TIME_ZONE."""
    if timestamp is None:
        return ""
    if isinstance(timestamp, datetime.datetime):
        timestamp = timestamp.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Every time zone's offset is whole minutes: the API's `…T10:35:09.771123Z` and its minute
    # give the same answer, and many orders share a minute (a bulk import: all of them).
    return _jalali_minute(timestamp[:16], settings.TIME_ZONE)


@functools.lru_cache(maxsize=4096)
def _jalali_minute(minute: str, zone: str) -> str:
    try:  # `2024-11-30T10:35`, read by position: parse_datetime's regex cost more than the rest
        value = datetime.datetime(
            int(minute[0:4]), int(minute[5:7]), int(minute[8:10]), int(minute[11:13]),
            int(minute[14:16]), tzinfo=datetime.UTC,
        )  # fmt: skip
    except ValueError:
        value = parse_datetime(minute + ":00Z")
        if value is None:
            return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    # The date converted once per day (a million orders span a few hundred days, not minutes).
    return f"{_jalali_date(local.date())} {local.hour:02d}:{local.minute:02d}"


@functools.lru_cache(maxsize=4096)
def _jalali_date(day: datetime.date) -> str:
    return jdatetime.date.fromgregorian(date=day).strftime(JALALI_FORMAT.split(" ")[0])


def order_row(order: Row, places: dict[str, dict[int, str]]) -> list[Any]:
    """An order's cells, in ORDER_COLUMNS order, from a row of ORDER_FIELDS and the names of
    its places (`{kind: {id: name}}`): the values of its API shape (`order_data()`)."""
    customer = order["customer_id"] is not None
    total = order["total"]
    outstanding = total - order["amount_paid"]
    country, state, city = (
        order["billing_country_id"], order["billing_state_id"], order["billing_city_id"]
    )  # fmt: skip
    first_name, last_name = order["customer__first_name"], order["customer__last_name"]
    created = order["created"]
    # cell() only where text is: integers (and None, which csv writes as an empty field) go to
    # the writer as they are, and the timestamps are the database's digits (SPEC §2's format).
    return [
        order["id"],
        cell(order["key"]),
        cell(order["status"]),
        created,
        jalali(created),
        order["updated"],
        order["customer_id"],
        cell(f"{first_name} {last_name}".strip()) if customer else "",
        cell(order["customer__mobile_number"]) if customer else "",
        cell(order["billing_first_name"]),
        cell(order["billing_last_name"]),
        cell(order["billing_mobile_number"]),
        "" if country is None else cell(places["countries"][country]),
        "" if state is None else cell(places["states"][state]),
        "" if city is None else cell(places["cities"][city]),
        cell(order["billing_address"]),
        cell(order["billing_postal_code"]),
        cell(order["payment_method__name"]),
        cell(order["shipping_method__name"]),
        cell(order["delivery_method"]),
        order["item_count"],
        order["item_quantity"],
        order["items_subtotal"],
        order["items_discount"],
        cell(order["coupon_code"]),
        order["coupon_discount"],
        order["order_discount"],
        order["tax"],
        order["shipping_cost"],
        total,
        order["amount_paid"],
        order["amount_refunded"],
        outstanding,
        "true" if total > 0 and outstanding <= 0 else "false",
        cell(order["fulfilment_status"]),
        cell("|".join(order["tags"] or [])),
        cell(order["notes"]),
    ]


def options_text(item: Row) -> str:
    """The chosen options by name, `رنگ: مشکی|اندازه: بزرگ`, as the item's snapshot keeps them
    (ids only when the snapshot has no names)."""
    named = (item["product_data"] or {}).get("options") or []
    if named:
        return "|".join(f"{option['group']}: {option['value']}" for option in named)
    return "|".join(map(str, item["options"] or []))


def item_rows(order: Row, items: list[Row]) -> list[list[Any]]:
    """An order's items (rows of ITEM_FIELDS) as rows of ITEM_COLUMNS (none for an order without
    items); subtotal, discount and total as the item's API shape (`item_data()`) has them."""
    head = [
        cell(order["id"]),
        cell(order["key"]),
        cell(order["status"]),
        cell(order["created"]),
        cell(jalali(order["created"])),
    ]
    rows = []
    for item in items:
        unit_price, unit_discount, quantity = (
            item["unit_price"], item["unit_discount"], item["quantity"]
        )  # fmt: skip
        values = (
            item["id"],
            item["product_id"],
            (item["product_data"] or {}).get("code"),
            item["product__title"],
            options_text(item),
            unit_price,
            unit_discount,
            quantity,
            unit_price * quantity,
            unit_discount * quantity,
            (unit_price - unit_discount) * quantity,
        )
        rows.append([*head, *(cell(value) for value in values)])
    return rows


def columns_of(kind: str) -> tuple[str, ...]:
    return ITEM_COLUMNS if kind == "items" else ORDER_COLUMNS


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """RFC 4180 text (CRLF line ends, fields with commas, quotes or line breaks quoted)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


# --- keyset batches -------------------------------------------------------------------------


def _terms(queryset: QuerySet[Order]) -> list[tuple[str, bool]]:
    """The queryset's ordering as (field, descending), up to and including the id (unique: any
    term after it never decides)."""
    terms = []
    for term in queryset.query.order_by or ("-id",):
        if isinstance(term, OrderBy):  # an expression ordering: F(...).desc()
            name, descending = term.expression.name, term.descending
        else:
            name, descending = term.lstrip("-"), term.startswith("-")
        name = "id" if name == "pk" else name
        terms.append((name, descending))
        if name == "id":
            return terms
    terms.append(("id", True))
    return terms


def _nulls_sort_last_ascending() -> bool:
    """Where the database puts NULL when no NULLS FIRST/LAST is written: PostgreSQL treats it as
    larger than every value, SQLite as smaller. The keyset follows the list's own order."""
    return connection.vendor == "postgresql"


def _after(name: str, descending: bool, value: Any) -> Q:
    """Rows strictly after `value` in this term's order."""
    null_after = (not descending) == _nulls_sort_last_ascending()
    nullable = name in NULLABLE_ORDERING
    if value is None:
        return Q(**{f"{name}__isnull": False}) if not null_after else Q(pk__in=[])
    after = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
    if nullable and null_after:
        after |= Q(**{f"{name}__isnull": True})
    return after


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def keyset_after(terms: list[tuple[str, bool]], values: tuple[Any, ...]) -> Q:
    """The rows after the row whose ordering values are `values`: (a > x) or (a = x and b > y)
    ..., with a plain bound on the first term so that the index scan starts at the cursor."""
    condition = Q(pk__in=[])
    for index, (name, descending) in enumerate(terms):
        prefix = Q()
        for (earlier, _desc), earlier_value in zip(terms[:index], values, strict=False):
            prefix &= _equal(earlier, earlier_value)
        condition |= prefix & _after(name, descending, values[index])
    first, descending = terms[0]
    if values[0] is not None and first not in NULLABLE_ORDERING:
        condition &= Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]})
    return condition


def order_batches(
    queryset: QuerySet[Order], batch_size: int, fields: tuple[str, ...] = ("id",)
) -> Iterator[list[Row]]:
    """The rows (`fields`, and `created`/`updated` as the API writes them) of `queryset`,
    filtered and ordered as the list is, a batch at a time: each batch one query that starts
    after the last row of the one before."""
    terms = _terms(queryset)
    names = [name for name, _descending in terms]
    columns = [*fields, *(name for name in names if name not in fields)]
    timestamps = {
        "created": UTCTimestampText("created_at"),
        "updated": UTCTimestampText("updated_at"),
    }
    after: Q | None = None
    while True:
        page = queryset if after is None else queryset.filter(after)
        rows = list(page.values(*columns, **timestamps)[:batch_size])
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1]
        after = keyset_after(terms, tuple(last[name] for name in names))


class PlaceNames:
    """The names of the billing places the exported orders name, by kind and id, each looked
    up once per export (in one query for a batch's new ones): a few thousand at most."""

    def __init__(self) -> None:
        self.names: dict[str, dict[int, str]] = {kind: {} for kind in PLACE_KINDS.values()}

    def load(self, orders: list[Row]) -> dict[str, dict[int, str]]:
        wanted = {
            kind: {order[column] for order in orders} - self.names[kind].keys()
            for column, kind in PLACE_KINDS.items()
        }
        if any(ids - {None} for ids in wanted.values()):
            for kind, found in selectors.places_by_id(wanted).items():
                self.names[kind].update({pk: place["name"] for pk, place in found.items()})
        return self.names


def items_by_order(orders: list[Row]) -> dict[int, list[Row]]:
    """The items of `orders` (rows of ITEM_FIELDS), by order id, each order's by id."""
    grouped: dict[int, list[Row]] = {}
    items = OrderItem.objects.filter(order_id__in=[order["id"] for order in orders])
    for item in items.order_by("id").values(*ITEM_FIELDS):
        grouped.setdefault(item["order_id"], []).append(item)
    return grouped


def export_chunks(
    queryset: QuerySet[Order],
    *,
    kind: str = "orders",
    request=None,
    batch_size: int = 1000,
    read_alias: str | None = None,
) -> Iterator[str]:
    """The CSV, BOM and header first, then one chunk per batch of orders. `read_alias`: the
    database the request chose to read from (a replica, or None: the primary); the chunks are
    produced after the view has returned, outside the request's routing, so it is set again
    around each batch's queries. (`request` is not needed by the cells: kept for callers.)"""
    yield BOM + csv_text([columns_of(kind)])
    fields = ITEM_ORDER_FIELDS if kind == "items" else ORDER_FIELDS
    batches = order_batches(queryset, batch_size, fields)
    places = PlaceNames()
    while True:
        with routing.reading_from(read_alias):
            orders = next(batches, None)
            if orders is None:
                return
            if kind == "items":
                items = items_by_order(orders)
                rows = [
                    row for order in orders for row in item_rows(order, items.get(order["id"], []))
                ]
            else:
                names = places.load(orders)
                rows = [order_row(order, names) for order in orders]
        yield csv_text(rows)


def export_filename(now: datetime.datetime | None = None) -> str:
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return f"orders-{stamp}.csv"


def ordered_by_id(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """The queryset in its own order by plain fields, ended by the id (the tie-break the list
    uses), for a caller such as the admin whose ordering may be expressions or lack the id."""
    ordering = []
    for term in queryset.query.order_by or ("-created_at",):
        if isinstance(term, OrderBy) and isinstance(term.expression, F):
            term = ("-" if term.descending else "") + term.expression.name
        if isinstance(term, str) and term.lstrip("-") in EXPORT_ORDERING:
            ordering.append(term.replace("pk", "id"))
    if not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
        ordering.append("-id")
    return queryset.order_by(*ordering)
