"""The orders' CSV export (SPEC §15): one row per order, or per item with `rows=items`.

Pure functions turn an order's API shape (the one read path: `selectors.order_rows()` +
`order_rows_related()` + `serializers.orders_data()`) into CSV cells, and `export_chunks()` is a
generator that reads the selection in keyset batches (plain queries by the list's own ordering,
no server-side cursor, so it works behind a transaction-pooling PgBouncer) and yields the CSV
text a batch at a time: memory stays flat however many orders, and the first bytes (the BOM and
the header) leave before the first batch is read.
"""

import csv
import datetime
import functools
import io
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jdatetime
from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bazaar.db import routing
from bazaar.orders import selectors
from bazaar.orders.filters import ORDERING_FIELDS
from bazaar.orders.models import Order
from bazaar.orders.serializers import orders_data

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

Shape = dict[str, Any]


# --- cells ----------------------------------------------------------------------------------


def cell(value: Any) -> Any:
    """A value as a CSV cell: integers stay integers, booleans are true/false, None is empty,
    and text that a spreadsheet would run as a formula is prefixed with `'`."""
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
    value = parse_datetime(minute + ":00Z")
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None)).strftime(
        JALALI_FORMAT
    )


def _name(data: dict[str, Any] | None, key: str = "name") -> str | None:
    return None if data is None else data.get(key)


def order_row(order: Shape) -> list[Any]:
    """An order's cells, in ORDER_COLUMNS order."""
    customer = order["customer_data"]
    values = {
        "id": order["id"],
        "key": order["key"],
        "status": order["status"],
        "created_at": order["created_at"],
        "created_at_jalali": jalali(order["created_at"]),
        "updated_at": order["updated_at"],
        "customer_id": None if customer is None else customer["id"],
        "customer_name": None if customer is None else customer["full_name"],
        "customer_mobile": None if customer is None else customer["mobile_number"],
        "billing_first_name": order["billing_first_name"],
        "billing_last_name": order["billing_last_name"],
        "billing_mobile_number": order["billing_mobile_number"],
        "billing_country": _name(order["billing_country_data"]),
        "billing_state": _name(order["billing_state_data"]),
        "billing_city": _name(order["billing_city_data"]),
        "billing_address": order["billing_address"],
        "billing_postal_code": order["billing_postal_code"],
        "payment_method": _name(order["payment_method_data"]),
        "shipping_method": _name(order["shipping_method_data"]),
        "delivery_method": order["delivery_method"],
        "count": order["count"],
        "quantity": order["quantity"],
        "items_subtotal": order["items_subtotal"],
        "items_discount": order["items_discount"],
        "coupon_code": order["coupon_code"],
        "coupon_discount": order["coupon_discount"],
        "order_discount": order["order_discount"],
        "tax": order["tax"],
        "shipping_cost": order["shipping_cost"],
        "total": order["total"],
        "amount_paid": order["amount_paid"],
        "amount_refunded": order["amount_refunded"],
        "amount_outstanding": order["amount_outstanding"],
        "is_paid": order["is_paid"],
        "fulfilment_status": order["fulfilment_status"],
        "tags": "|".join(order["tags"] or []),
        "notes": order["notes"],
    }
    return [cell(values[column]) for column in ORDER_COLUMNS]


def options_text(item: Shape) -> str:
    """The chosen options by name, `رنگ: مشکی|اندازه: بزرگ`, as the item's snapshot keeps them
    (ids only when the snapshot has no names)."""
    named = (item["product_data"] or {}).get("options") or []
    if named:
        return "|".join(f"{option['group']}: {option['value']}" for option in named)
    return "|".join(map(str, item["options"] or []))


def item_rows(order: Shape) -> list[list[Any]]:
    """An order's items as rows of ITEM_COLUMNS (none for an order without items)."""
    head = [
        order["id"],
        order["key"],
        order["status"],
        order["created_at"],
        jalali(order["created_at"]),
    ]
    return [
        [
            *(cell(value) for value in head),
            cell(item["id"]),
            cell(item["product"]),
            cell((item["product_data"] or {}).get("code")),
            cell(item["product_title"]),
            cell(options_text(item)),
            cell(item["unit_price"]),
            cell(item["unit_discount"]),
            cell(item["quantity"]),
            cell(item["subtotal"]),
            cell(item["discount"]),
            cell(item["total"]),
        ]
        for item in order["items"]
    ]


def columns_of(kind: str) -> tuple[str, ...]:
    return ITEM_COLUMNS if kind == "items" else ORDER_COLUMNS


def rows_of(kind: str) -> Callable[[Shape], list[list[Any]]]:
    return item_rows if kind == "items" else lambda order: [order_row(order)]


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


def order_batches(queryset: QuerySet[Order], batch_size: int) -> Iterator[list[int]]:
    """The ids of `queryset` (filtered and ordered as the list is), a batch at a time, each
    batch one query that starts after the last row of the one before."""
    terms = _terms(queryset)
    names = [name for name, _descending in terms]
    after: Q | None = None
    while True:
        page = queryset if after is None else queryset.filter(after)
        rows = list(page.values_list(*names)[:batch_size])
        if not rows:
            return
        yield [row[names.index("id")] for row in rows]
        if len(rows) < batch_size:
            return
        after = keyset_after(terms, rows[-1])


def order_shapes(ids: list[int], request) -> list[Shape]:
    """The orders of `ids`, in that order, through the one read path."""
    loaded = selectors.order_rows_related(
        selectors.order_rows(Order.objects.filter(pk__in=ids).order_by())
    )
    by_id = {order["id"]: order for order in orders_data(loaded, request)}
    return [by_id[order_id] for order_id in ids if order_id in by_id]


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
    around each batch's queries."""
    yield BOM + csv_text([columns_of(kind)])
    to_rows = rows_of(kind)
    batches = order_batches(queryset, batch_size)
    while True:
        with routing.reading_from(read_alias):
            ids = next(batches, None)
            if ids is None:
                return
            shapes = order_shapes(ids, request)
        yield csv_text(row for order in shapes for row in to_rows(order))


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
