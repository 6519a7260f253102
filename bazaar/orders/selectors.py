"""Reads of orders. One read path: the list, the detail and every write endpoint answer with
orders loaded by `order_rows()` + `order_rows_related()` and shaped by
`serializers.orders_data()`, so they cost the same fixed number of queries however many orders,
items, payments and images a response holds.

Rows are plain dicts (`QuerySet.values()`), not model instances: a page of 100 orders holds
some 1,700 rows and nested objects, and building a model instance for each of them cost more
than the database did (see docs/performance.md). The customer and method columns come from joins
in the page query itself; places, branches and images are few and looked up by id, so each
distinct one is loaded (and shaped) once per response.
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import CharField, F, Model, Q, QuerySet, Sum, Value

from bazaar.api.functions import UTCTimestampText
from bazaar.fulfilment.models import Refund, Shipment
from bazaar.geo.models import City, Country, State
from bazaar.media.models import Image
from bazaar.media.selectors import image_queryset
from bazaar.methods.models import Branch
from bazaar.orders.models import Order, OrderItem, OrderPayment, OrderStatusDelta
from bazaar.orders.status import Status

if TYPE_CHECKING:
    from bazaar.orders.filters import SearchParts

Row = dict[str, Any]

ORDER_ROW: tuple[str, ...] = (
    "id", "key", "status", "shipping_cost", "notes", "extra",
    "billing_address", "billing_postal_code", "billing_national_code", "billing_mobile_number",
    "billing_first_name", "billing_last_name", "billing_email", "delivery_method",
    "item_count", "item_quantity", "items_subtotal", "items_discount", "amount_paid",
    "shipping_first_name", "shipping_last_name", "shipping_mobile_number", "shipping_address",
    "shipping_postal_code", "shipping_latitude", "shipping_longitude",
    "billing_country_id", "billing_state_id", "billing_city_id", "pickup_branch_id",
    "shipping_country_id", "shipping_state_id", "shipping_city_id",
    # SPEC §12: the coupon as applied (kept in the order row, so no join), money and labels.
    "coupon_id", "coupon_code", "coupon_kind", "coupon_value", "coupon_discount",
    "order_discount", "tax_rate", "tax", "total", "tags", "source",
    # SPEC §13
    "version",
    # SPEC §14
    "fulfilment_status", "amount_refunded",
    # Three joins, no more: PostgreSQL's planning time grows steeply with the number of joined
    # tables (0.4 ms with these three, 50-100 ms with the places and the branch joined too, for
    # a page that executes in 1 ms), so places and branches are looked up by id instead.
    "customer_id", "customer__username", "customer__mobile_number", "customer__first_name",
    "customer__last_name",
    "payment_method_id", "payment_method__name", "payment_method__image_id",
    "shipping_method_id", "shipping_method__name", "shipping_method__image_id",
)  # fmt: skip
ITEM_ROW: tuple[str, ...] = (
    "id", "order_id", "product_id", "product__title", "product_data", "unit_price",
    "unit_discount", "quantity", "notes", "options", "quantity_shipped", "quantity_returned",
)  # fmt: skip
PAYMENT_ROW: tuple[str, ...] = (
    "id", "order_id", "payment_method_id", "payment_method__name", "payment_method__image_id",
    "approved", "amount", "transaction_id", "notes",
)  # fmt: skip
# SPEC §14. One row per (shipment, item line), the shipment's columns repeated: a shipment and
# its lines (and a refund and its lines) are read in one query (a LEFT JOIN), not two.
SHIPMENT_ROW: tuple[str, ...] = (
    "id", "order_id", "status", "shipping_method_id", "shipping_method__name",
    "shipping_method__image_id", "tracking_number", "tracking_url", "notes",
    "items__item_id", "items__quantity",
)  # fmt: skip
REFUND_ROW: tuple[str, ...] = (
    "id", "order_id", "payment_id", "amount", "reason", "actor_id", "actor__username",
    "items__item_id", "items__quantity",
)  # fmt: skip


def order_queryset() -> QuerySet[Order]:
    """What the order filters, search and ordering run over (no joins: counting stays cheap)."""
    return Order.objects.all()


def _timestamps() -> dict[str, UTCTimestampText]:
    """`created` and `updated`: the row's timestamps, already written as the API writes them."""
    return {"created": UTCTimestampText("created_at"), "updated": UTCTimestampText("updated_at")}


def order_rows(queryset: QuerySet[Order]) -> QuerySet[Order, Row]:
    """The rows of `queryset` with the columns of their customer and methods.

    A sliced queryset (a page) is read in two steps in one query: the page's ids by the
    queryset's own filters and order, then the joins for those ids only. Joined directly, a
    page at offset 500,000 joined every skipped row (2.8 s at a million orders; see
    docs/performance-explain.md)."""
    if queryset.query.is_sliced:
        ordering = queryset.query.order_by or Order._meta.ordering
        queryset = Order.objects.filter(pk__in=queryset.values("pk")).order_by(*ordering)
    return queryset.values(*ORDER_ROW, **_timestamps())


def _by_id(queryset: QuerySet) -> QuerySet:
    """Rows by id; a page (a sliced queryset) keeps the order it was sliced in."""
    return queryset if queryset.query.is_sliced else queryset.order_by("id")


def item_rows(queryset: QuerySet[OrderItem]) -> QuerySet[OrderItem, Row]:
    return _by_id(queryset).values(*ITEM_ROW, **_timestamps())


def payment_rows(queryset: QuerySet[OrderPayment]) -> QuerySet[OrderPayment, Row]:
    return _by_id(queryset).values(*PAYMENT_ROW, **_timestamps())


def _with_lines(rows: Iterable[Row]) -> list[Row]:
    """Fold the rows of SHIPMENT_ROW / REFUND_ROW (one per line, ordered by id) into one row per
    shipment or refund with `lines: [{item, quantity}]`."""
    folded: list[Row] = []
    for row in rows:
        item_id, quantity = row.pop("items__item_id"), row.pop("items__quantity")
        if not folded or folded[-1]["id"] != row["id"]:
            row["lines"] = []
            folded.append(row)
        if item_id is not None:
            folded[-1]["lines"].append({"item": item_id, "quantity": quantity})
    return folded


def shipment_rows(queryset: QuerySet[Shipment]) -> list[Row]:
    """Shipments with their lines, in one query; a page (sliced) is read by its ids first."""
    if queryset.query.is_sliced:
        queryset = Shipment.objects.filter(pk__in=list(queryset.values_list("pk", flat=True)))
    return _with_lines(
        queryset.order_by("id", "items__id").values(
            *SHIPMENT_ROW,
            **_timestamps(),
            shipped=UTCTimestampText("shipped_at"),
            delivered=UTCTimestampText("delivered_at"),
        )
    )


def refund_rows(queryset: QuerySet[Refund]) -> list[Row]:
    """Refunds with their lines and actor, in one query."""
    if queryset.query.is_sliced:
        queryset = Refund.objects.filter(pk__in=list(queryset.values_list("pk", flat=True)))
    return _with_lines(
        queryset.order_by("id", "items__id").values(
            *REFUND_ROW, created=UTCTimestampText("created_at")
        )
    )


@dataclass
class OrderRows:
    """Orders with the rows their API shape nests: items and payments by order id; every image
    the methods show, and every country, state, city and branch the orders name, by id."""

    orders: list[Row]
    items: dict[int, list[Row]] = field(default_factory=dict)
    payments: dict[int, list[Row]] = field(default_factory=dict)
    shipments: dict[int, list[Row]] = field(default_factory=dict)
    refunds: dict[int, list[Row]] = field(default_factory=dict)
    images: dict[int, Image] = field(default_factory=dict)
    countries: dict[int, Row] = field(default_factory=dict)
    states: dict[int, Row] = field(default_factory=dict)
    cities: dict[int, Row] = field(default_factory=dict)
    branches: dict[int, Row] = field(default_factory=dict)


def _by_order(rows: Iterable[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["order_id"]].append(row)
    return grouped


def images_by_id(image_ids: set[int | None]) -> dict[int, Image]:
    """The images (with thumbnails) of `image_ids`, in two queries, none when there are none."""
    image_ids.discard(None)
    if not image_ids:
        return {}
    return {image.pk: image for image in image_queryset().filter(pk__in=image_ids)}


# The reference rows an order names, by kind: (model, columns besides "id").
PLACES: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "countries": (Country, ("name", "code")),
    "states": (State, ("name", "code")),
    "cities": (City, ("name",)),
    "branches": (Branch, ("name", "code")),
}


def places_by_id(wanted: dict[str, set[int | None]]) -> dict[str, dict[int, Row]]:
    """`{kind: {id: {"id", *columns}}}` for the ids of each kind of `PLACES`, in one query
    (a UNION ALL: one round trip instead of four on every order read), none for no ids."""
    parts = []
    for kind, ids in wanted.items():
        ids.discard(None)
        if ids:
            model, columns = PLACES[kind]
            code = F("code") if "code" in columns else Value("", output_field=CharField())
            parts.append(
                model.objects.filter(pk__in=ids)
                .order_by()
                .values_list(Value(kind, output_field=CharField()), "id", "name", code)
            )
    found: dict[str, dict[int, Row]] = {kind: {} for kind in wanted}
    if not parts:
        return found
    for kind, place_id, name, code in parts[0].union(*parts[1:], all=True):
        place = {"id": place_id, "name": name}
        if "code" in PLACES[kind][1]:
            place["code"] = code
        found[kind][place_id] = place
    return found


def _ids(orders: list[Row], *columns: str) -> set[int | None]:
    return {order[column] for order in orders for column in columns}


def order_rows_related(orders: Iterable[Row]) -> OrderRows:
    """Load what `orders` (rows of `order_rows()`) nest: one query per kind of nested row that
    occurs (places, items, payments, shipments, refunds, images and thumbnails), whatever the
    number of orders."""
    loaded = OrderRows(list(orders))
    if not loaded.orders:
        return loaded
    rows = loaded.orders
    places = places_by_id(
        {
            "countries": _ids(rows, "billing_country_id", "shipping_country_id"),
            "states": _ids(rows, "billing_state_id", "shipping_state_id"),
            "cities": _ids(rows, "billing_city_id", "shipping_city_id"),
            "branches": _ids(rows, "pickup_branch_id"),
        }
    )
    loaded.countries, loaded.states = places["countries"], places["states"]
    loaded.cities, loaded.branches = places["cities"], places["branches"]
    ids = [order["id"] for order in rows]
    loaded.items = _by_order(item_rows(OrderItem.objects.filter(order_id__in=ids)))
    payments = list(payment_rows(OrderPayment.objects.filter(order_id__in=ids)))
    loaded.payments = _by_order(payments)
    shipments = shipment_rows(Shipment.objects.filter(order_id__in=ids))
    loaded.shipments = _by_order(shipments)
    loaded.refunds = _by_order(refund_rows(Refund.objects.filter(order_id__in=ids)))
    loaded.images = images_by_id(
        {order["payment_method__image_id"] for order in loaded.orders}
        | {order["shipping_method__image_id"] for order in loaded.orders}
        | {payment["payment_method__image_id"] for payment in payments}
        | {shipment["shipping_method__image_id"] for shipment in shipments}
    )
    return loaded


def order_get_rows(*, order_id: int) -> OrderRows:
    """One order by id (deleted ones included), or no order at all."""
    return order_rows_related(order_rows(order_queryset().filter(pk=order_id)))


def order_count_by_status(statuses: Collection[str]) -> int | None:
    """The exact number of orders whose status is one of `statuses`, read from the tallies the
    database keeps (`OrderStatusDelta`), or None where it keeps none (SQLite: count the rows).

    A read never writes: the tally rows are folded back by `jobs.tasks.compact_status_tallies`,
    which the writes that add them enqueue now and then."""
    if connection.vendor != "postgresql":
        return None
    tallies = OrderStatusDelta.objects.order_by().values("status").annotate(total=Sum("delta"))
    return sum(tally["total"] for tally in tallies if tally["status"] in statuses)


def _contains_pattern(text: str) -> str:
    """`LIKE` pattern for "contains `text`" (PostgreSQL's default escape character)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _live_order_ids_sql(condition: Q) -> tuple[str, tuple]:
    """The ids of the live (not deleted) orders matching `condition`, as SQL and parameters."""
    queryset = Order.objects.filter(condition).exclude(status=Status.DELETED).values("id")
    return queryset.order_by().query.sql_with_params()


def _term_order_ids_sql(parts: "SearchParts") -> tuple[str, list]:
    # The postings of the words that contain a spelling (an index-only scan of their primary
    # key) hold the orders the term matches by their own text or their customer's; the others
    # (id, key prefix, places, coupon, tracking number) are few. UNION drops the orders both
    # hold.
    words = " OR ".join(["word LIKE %s"] * len(parts.spellings))
    word_ids = f"SELECT id FROM orders_search_word WHERE {words}"  # noqa: S608 (placeholders)
    postings = f"SELECT order_id FROM orders_search_posting WHERE word_id IN ({word_ids})"  # noqa: S608
    others, others_params = _live_order_ids_sql(parts.others)
    params = [_contains_pattern(spelling) for spelling in parts.spellings]
    return f"({postings}) UNION ({others})", [*params, *others_params]


# Shorter spellings have no trigram: their words cannot be looked up by index.
MIN_POSTINGS_SPELLING = 3


def order_search_count(search: Sequence["SearchParts"]) -> int | None:
    """The exact number of live orders that every term of a search matches, or None where the
    search postings cannot answer (SQLite; a spelling too short for a trigram, or holding a
    space, which the words never do) and the paginator counts the rows.

    Why not count the filtered rows: a common first name matches ~2 % of a million orders, and
    each match had to be rechecked in its row (a trigram match may be a false positive), some
    20,000 rows on as many pages, 160-320 ms (docs/performance-analysis.md). The postings
    (migration 0015) answer the order's own text from an index alone; the same orders, exactly:
    a term without a space is inside an order's text exactly when it is inside one of its
    words."""
    if connection.vendor != "postgresql" or not search:
        return None
    for parts in search:
        for spelling in parts.spellings:
            if len(spelling) < MIN_POSTINGS_SPELLING or " " in spelling:
                return None
    terms = [_term_order_ids_sql(parts) for parts in search]
    sql = " INTERSECT ".join(f"({term_sql})" for term_sql, _params in terms)
    params = [param for _sql, term_params in terms for param in term_params]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) AS matches", params)  # noqa: S608
        return cursor.fetchone()[0]


# A list with no other parameter than these is counted from the status tallies.
STATUS_ONLY_PARAMETERS = frozenset({"limit", "offset", "ordering", "status", "status_in"})
# ... and one with no other than these, from the search postings.
SEARCH_ONLY_PARAMETERS = frozenset({"limit", "offset", "ordering", "search"})


def order_list_count(
    *,
    parameters: Collection[str],
    statuses: Callable[[], Collection[str]],
    search: Sequence["SearchParts"] = (),
) -> int | None:
    """The one place that decides how the order list is counted: exactly, from the status
    tallies, when the list filters by status alone (the default page included), or from the
    search postings when it only searches (`search`: the parts of its terms, as the filter
    matched them); else None, and the paginator counts the filtered rows. `statuses` gives the
    statuses the list is filtered to (asked only when the tallies can answer)."""
    if set(parameters) <= STATUS_ONLY_PARAMETERS:
        return order_count_by_status(statuses())
    if set(parameters) <= SEARCH_ONLY_PARAMETERS:
        return order_search_count(search)
    return None
