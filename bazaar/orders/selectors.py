"""Reads of orders. One read path: the list answers with orders loaded by `order_rows()` +
`order_rows_related()` and shaped by `serializers.orders_data()`, so it costs the same fixed
number of queries however many orders, items, payments and images a page holds. One order (the
detail, every write's answer) is the same shape, written by PostgreSQL in one statement
(`documents.order_body`; these rows and shapes elsewhere).

Rows are plain dicts read by SQL built once per process (`bazaar.api.rows.RowQuery`), not model
instances or `QuerySet.values()`: a page of 100 orders holds some 1,700 rows and nested objects,
and building a model instance for each cost more than the database did; compiling the ORM's SQL
and converting every value through it still did (docs/performance.md). The customer and method
columns come from joins in the page query itself; places, branches and images are few and
looked up by id, so each distinct one is loaded (and shaped) once per response.
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, connections, router
from django.db.models import Model, Q, QuerySet

from bazaar.api.rows import Read, Row, RowQuery, ids_match, ids_param, in_order, read_together
from bazaar.db.prepared import prepared_cursor
from bazaar.fulfilment.models import Refund, Shipment
from bazaar.geo.models import City, Country, State
from bazaar.media.models import Image
from bazaar.media.sql import file_url_sql
from bazaar.methods.models import Branch
from bazaar.orders.models import Order, OrderItem, OrderPayment, OrderStatusDelta
from bazaar.orders.status import Status

if TYPE_CHECKING:
    from bazaar.orders.filters import SearchParts

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


def snapshot_sql(prefix_param: str, alias: str) -> str:
    """An item's product snapshot (the jsonb column of `alias`) as the API shows it: its
    image's file path made the URL under the prefix `prefix_param`, as
    `serializers.product_snapshot_data` makes it in Python."""
    data = f"{alias}.product_data"
    url = file_url_sql(prefix_param, f"({data}->'image'->>'f')")
    return (
        f"(CASE WHEN coalesce({data}->'image'->>'f', '') = '' THEN {data} "
        f"ELSE jsonb_set({data}, '{{image,f}}', to_jsonb({url})) END)"
    )


TIMESTAMPS = (("created", "created_at"), ("updated", "updated_at"))
# Each kind of row the order shape nests, read by SQL built once (bazaar/api/rows.py). The JSON
# the API shows as stored passes through as its text on PostgreSQL.
ORDERS = RowQuery(Order, "o", ORDER_ROW, TIMESTAMPS, raw_json=("extra", "tags"))
ITEMS = RowQuery(OrderItem, "i", ITEM_ROW, TIMESTAMPS, raw_json=("options",))
# The same rows with the snapshot's image URL written by PostgreSQL (the one parameter: the
# prefix of image URLs), so the snapshot passes through as its text too.
ITEMS_WITH_URLS = RowQuery(
    OrderItem,
    "i",
    ITEM_ROW,
    TIMESTAMPS,
    raw_json=("options", "product_data"),
    pg_columns=(("product_data", snapshot_sql("%s", "i")),),
)
PAYMENTS = RowQuery(OrderPayment, "y", PAYMENT_ROW, TIMESTAMPS)
SHIPMENTS = RowQuery(
    Shipment,
    "s",
    SHIPMENT_ROW,
    (*TIMESTAMPS, ("shipped", "shipped_at"), ("delivered", "delivered_at")),
    order_by=("id", "items__id"),
)
REFUNDS = RowQuery(
    Refund, "r", REFUND_ROW, (("created", "created_at"),), order_by=("id", "items__id")
)
IMAGES = RowQuery(
    Image,
    "m",
    (
        "id", "name", "file", "size", "width", "height", "mode",
        "thumbnails__id", "thumbnails__file", "thumbnails__size",
    ),
    order_by=("id", "thumbnails__size", "thumbnails__id"),
)  # fmt: skip


def _ids_of(queryset: QuerySet) -> list[int]:
    """The primary keys of `queryset` (a page of it, when sliced), in its order."""
    return list(queryset.values_list("pk", flat=True))


def order_rows(queryset: QuerySet[Order]) -> list[Row]:
    """The rows of `queryset` with the columns of their customer and methods, in its order.

    Two statements: the ids, by the queryset's own filters, order and slice, then the joined
    rows of those ids only. Joined directly, a page at offset 500,000 joined every skipped row
    (2.8 s at a million orders; see docs/performance-explain.md)."""
    return order_rows_by_ids(_ids_of(queryset))


def order_rows_by_ids(ids: Sequence[int]) -> list[Row]:
    """The rows of these orders, in the order of `ids`."""
    return ORDERS.rows_in_order(ids)


def items_read(match: str, ids: Sequence[int], image_prefix: str | None) -> Read:
    """The read of the items whose `match` column is in `ids`. `image_prefix`: the absolute
    prefix of image URLs (`media.serializers.url_prefix`), when the storage has one: on
    PostgreSQL the database then writes the snapshots' image URLs."""
    vendor = connections[router.db_for_read(OrderItem)].vendor
    if image_prefix is not None and vendor == "postgresql":
        return ITEMS_WITH_URLS.read(match, ids, (image_prefix,))
    return ITEMS.read(match, ids)


def item_rows(queryset: QuerySet[OrderItem], image_prefix: str | None = None) -> list[Row]:
    ids = _ids_of(queryset)
    return in_order(read_together([items_read("id", ids, image_prefix)])[0], ids)


def payment_rows(queryset: QuerySet[OrderPayment]) -> list[Row]:
    return PAYMENTS.rows_in_order(_ids_of(queryset))


def _with_children(rows: Iterable[Row], fields: dict[str, str], key: str) -> list[Row]:
    """Fold rows of one parent per (parent, child) pair (a LEFT JOIN, ordered by the parent's
    id) into one row per parent with `key`: a list of its children, `{name: value}` by
    `fields` ({"items__item_id": "item", ...}; the first is the child's id, None for a parent
    without any)."""
    folded: list[Row] = []
    first = next(iter(fields))
    for row in rows:
        child = {name: row.pop(column) for column, name in fields.items()}
        if not folded or folded[-1]["id"] != row["id"]:
            row[key] = []
            folded.append(row)
        if child[fields[first]] is not None:
            folded[-1][key].append(child)
    return folded


LINE_FIELDS = {"items__item_id": "item", "items__quantity": "quantity"}
THUMBNAIL_FIELDS = {"thumbnails__id": "id", "thumbnails__file": "file", "thumbnails__size": "size"}


def shipment_rows(queryset: QuerySet[Shipment]) -> list[Row]:
    """Shipments with their lines (`lines`), in the queryset's order."""
    ids = _ids_of(queryset)
    return in_order(_with_children(SHIPMENTS.rows("id", ids), LINE_FIELDS, "lines"), ids)


def refund_rows(queryset: QuerySet[Refund]) -> list[Row]:
    """Refunds with their lines (`lines`) and actor, in the queryset's order."""
    ids = _ids_of(queryset)
    return in_order(_with_children(REFUNDS.rows("id", ids), LINE_FIELDS, "lines"), ids)


@dataclass
class OrderRows:
    """Orders with the rows their API shape nests: items and payments by order id; every image
    the methods show, and every country, state, city and branch the orders name, by id."""

    orders: list[Row]
    items: dict[int, list[Row]] = field(default_factory=dict)
    payments: dict[int, list[Row]] = field(default_factory=dict)
    shipments: dict[int, list[Row]] = field(default_factory=dict)
    refunds: dict[int, list[Row]] = field(default_factory=dict)
    images: dict[int, Row] = field(default_factory=dict)
    countries: dict[int, Row] = field(default_factory=dict)
    states: dict[int, Row] = field(default_factory=dict)
    cities: dict[int, Row] = field(default_factory=dict)
    branches: dict[int, Row] = field(default_factory=dict)


def _by_order(rows: Iterable[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["order_id"]].append(row)
    return grouped


def images_by_id(image_ids: set[int | None]) -> dict[int, Row]:
    """The images of `image_ids` with their thumbnails (`thumbnails`: `{id, file, size}`,
    smallest box first), in one query, none when there are none; shaped by
    `bazaar.media.serializers.image_row_data`."""
    image_ids.discard(None)
    if not image_ids:
        return {}
    rows = IMAGES.rows("id", sorted(image_ids))
    return {image["id"]: image for image in _with_children(rows, THUMBNAIL_FIELDS, "thumbnails")}


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
    return read_together([places_read(wanted)])[0]


def places_read(wanted: dict[str, set[int | None]]) -> Read:
    """The read of `places_by_id(wanted)`, to send with others."""
    parts, params = [], []
    alias = router.db_for_read(Country)
    vendor = connections[alias].vendor
    for kind, ids in wanted.items():
        ids.discard(None)
        if ids:
            model, columns = PLACES[kind]
            code = "code" if "code" in columns else "''"
            parts.append(
                f"SELECT '{kind}', id, name, {code} "  # noqa: S608 (names from PLACES)
                f'FROM "{model._meta.db_table}" WHERE {ids_match(vendor, "id")}'
            )
            params.append(ids_param(vendor, sorted(ids)))

    def load(fetched: list[tuple]) -> dict[str, dict[int, Row]]:
        found: dict[str, dict[int, Row]] = {kind: {} for kind in wanted}
        for kind, place_id, name, code in fetched:
            place = {"id": place_id, "name": name}
            if "code" in PLACES[kind][1]:
                place["code"] = code
            found[kind][place_id] = place
        return found

    return Read(alias, " UNION ALL ".join(parts) if parts else None, params, load)


def _ids(orders: list[Row], *columns: str) -> set[int | None]:
    return {order[column] for order in orders for column in columns}


def order_rows_related(orders: Iterable[Row], image_prefix: str | None = None) -> OrderRows:
    """Load what `orders` (rows of `order_rows()`) nest: one query per kind of nested row that
    occurs (places, items, payments, shipments, refunds, images with thumbnails), whatever the
    number of orders. `image_prefix`: as `items_read`'s."""
    loaded = OrderRows(list(orders))
    if not loaded.orders:
        return loaded
    rows = loaded.orders
    ids = [order["id"] for order in rows]
    # Five statements that need only the page's orders, sent in one round trip.
    places, items, payments, shipments, refunds = read_together(
        [
            places_read(
                {
                    "countries": _ids(rows, "billing_country_id", "shipping_country_id"),
                    "states": _ids(rows, "billing_state_id", "shipping_state_id"),
                    "cities": _ids(rows, "billing_city_id", "shipping_city_id"),
                    "branches": _ids(rows, "pickup_branch_id"),
                }
            ),
            items_read("order_id", ids, image_prefix),
            PAYMENTS.read("order_id", ids),
            SHIPMENTS.read("order_id", ids),
            REFUNDS.read("order_id", ids),
        ]
    )
    loaded.countries, loaded.states = places["countries"], places["states"]
    loaded.cities, loaded.branches = places["cities"], places["branches"]
    loaded.items = _by_order(items)
    loaded.payments = _by_order(payments)
    shipments = _with_children(shipments, LINE_FIELDS, "lines")
    loaded.shipments = _by_order(shipments)
    loaded.refunds = _by_order(_with_children(refunds, LINE_FIELDS, "lines"))
    loaded.images = images_by_id(
        {order["payment_method__image_id"] for order in loaded.orders}
        | {order["shipping_method__image_id"] for order in loaded.orders}
        | {payment["payment_method__image_id"] for payment in payments}
        | {shipment["shipping_method__image_id"] for shipment in shipments}
    )
    return loaded


def order_get_rows(*, order_id: int) -> OrderRows:
    """One order by id (deleted ones included), or no order at all."""
    return order_rows_related(order_rows_by_ids([order_id]))


TALLIES_SQL = (
    f"SELECT status, sum(delta)::bigint FROM {OrderStatusDelta._meta.db_table} "  # noqa: S608 (a table)
    "GROUP BY status"
)


def order_count_by_status(statuses: Collection[str]) -> int | None:
    """The exact number of orders whose status is one of `statuses`, read from the tallies the
    database keeps (`OrderStatusDelta`), or None where it keeps none (SQLite: count the rows).

    A read never writes: the tally rows are folded back by `jobs.tasks.compact_status_tallies`,
    which the writes that add them enqueue now and then."""
    if connection.vendor != "postgresql":
        return None
    tallies = connections[router.db_for_read(OrderStatusDelta)]
    # Fixed text, prepared once per connection: every list asks, and compiling the ORM's
    # GROUP BY cost more than summing the few rows a compacted table holds.
    with prepared_cursor(tallies) as cursor:
        cursor.execute(TALLIES_SQL, ())
        return sum(total for status, total in cursor.fetchall() if status in statuses)


def _contains_pattern(text: str) -> str:
    """`LIKE` pattern for "contains `text`" (PostgreSQL's default escape character)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _live_order_ids_sql(condition: Q, *also: str) -> tuple[str, tuple]:
    """The ids (and the columns `also`) of the live (not deleted) orders matching `condition`,
    as SQL and parameters."""
    queryset = Order.objects.filter(condition).exclude(status=Status.DELETED).values("id", *also)
    return queryset.order_by().query.sql_with_params()


# Shorter spellings have no trigram: their words cannot be looked up by index.
MIN_POSTINGS_SPELLING = 3


def postings_answer(spellings: Sequence[str]) -> bool:
    """Whether the search postings (migration 0015) hold exactly the orders whose own text or
    customer's text contains one of `spellings`: on PostgreSQL, for spellings long enough for a
    trigram and without a space (a term without a space is inside a text exactly when it is
    inside one of its words)."""
    return connection.vendor == "postgresql" and all(
        len(spelling) >= MIN_POSTINGS_SPELLING and " " not in spelling for spelling in spellings
    )


def _words_sql(spellings: Sequence[str]) -> tuple[str, list[str]]:
    """The ids of the dictionary's words that contain a spelling (its trigram index)."""
    words = " OR ".join(["word LIKE %s"] * len(spellings))
    sql = f"SELECT id FROM orders_search_word WHERE {words}"  # noqa: S608 (placeholders)
    return sql, [_contains_pattern(spelling) for spelling in spellings]


def postings_sql(spellings: Sequence[str]) -> tuple[str, list[str]]:
    """The ids of the orders whose words contain a spelling, from an index alone (the postings'
    primary key), as SQL and parameters. Deleted orders have no postings."""
    words, params = _words_sql(spellings)
    return f"SELECT order_id FROM orders_search_posting WHERE word_id IN ({words})", params  # noqa: S608


def term_order_ids_sql(parts: "SearchParts", *, live: bool = False) -> tuple[str, list]:
    """The ids of the orders one term matches: its postings, with the live orders it matches
    otherwise (id, key prefix, places, coupon, tracking number: few) and, unless `live`, the
    deleted orders it matches (`parts.deleted`, when the list may show them). UNION drops the
    orders several hold."""
    postings, params = postings_sql(parts.spellings)
    others, others_params = _live_order_ids_sql(parts.others)
    sql, params = f"({postings}) UNION ({others})", [*params, *others_params]
    if parts.deleted is not None and not live:
        deleted = Order.objects.filter(parts.deleted).values("id").order_by()
        deleted_sql, deleted_params = deleted.query.sql_with_params()
        sql, params = f"{sql} UNION ({deleted_sql})", [*params, *deleted_params]
    return sql, params


@dataclass(frozen=True)
class TermMatches:
    """What `order_term_matches` read of one term: `count`, the exact number of live orders it
    matches; `orders`, the planner's estimate of all orders; `page`, the ids of the page asked
    for in the list's default order (newest first), when one was asked for."""

    count: int
    orders: float
    page: list[int] | None = None


# A term's words, and the live orders it matches otherwise (few: id, key prefix, places, coupon,
# tracking number), each read once.
_TERM_CTES = "WITH words AS MATERIALIZED ({words}), others AS MATERIALIZED ({others}), "
# A term inside one word only (a first name, a last name) is counted without removing
# duplicates: a word has one posting per order, so its orders are its postings, plus those
# matched otherwise that have none (each looked up in the postings' primary key). Several words'
# postings must drop the orders two words share: a hashed union (7.5 ms against 1.5 ms for the
# 20,928 orders of the most common first name at a million), materialised once for the count
# and the page.
_TERM_MATCHES = (
    "one AS (SELECT CASE WHEN count(*) = 1 THEN min(id) END AS id FROM words), "
    "matched AS MATERIALIZED ("
    "SELECT created_at, order_id FROM orders_search_posting WHERE word_id IN "
    "(SELECT id FROM words) UNION SELECT created_at, id FROM others) "
    "SELECT CASE WHEN (SELECT id FROM one) IS NOT NULL THEN "
    "(SELECT count(*) FROM orders_search_posting WHERE word_id = (SELECT id FROM one)) + "
    "(SELECT count(*) FROM others o WHERE NOT EXISTS (SELECT 1 FROM orders_search_posting p "
    "WHERE p.word_id = (SELECT id FROM one) AND p.created_at = o.created_at "
    "AND p.order_id = o.id)) "
    "ELSE (SELECT count(*) FROM matched) END, "
    "(SELECT reltuples FROM pg_class WHERE oid = 'orders_order'::regclass), "
    # The page: one word's newest postings, read backwards from the primary key (window entries,
    # however common the word), with the others; several words' from their union.
    "CASE WHEN %s = 0 THEN NULL WHEN (SELECT id FROM one) IS NOT NULL THEN ARRAY("
    "SELECT order_id FROM ((SELECT created_at, order_id FROM orders_search_posting "
    "WHERE word_id = (SELECT id FROM one) ORDER BY created_at DESC, order_id DESC LIMIT %s) "
    "UNION SELECT created_at, id FROM others) AS page "
    "ORDER BY created_at DESC, order_id DESC OFFSET %s LIMIT %s) "
    "ELSE ARRAY(SELECT order_id FROM matched ORDER BY created_at DESC, order_id DESC "
    "OFFSET %s LIMIT %s) END"
)


def order_term_matches(parts: "SearchParts", *, page: tuple[int, int] | None = None) -> TermMatches:
    """The exact number of live orders one term matches, the planner's estimate of all orders
    and, when `page` (offset, limit) is given, the ids of that page of the matches in the list's
    default order: one statement, one round trip.

    The postings carry their order's sort key (migration 0019), so a page is read from them
    without visiting an order that is not on it."""
    words, params = _words_sql(parts.spellings)
    others_sql, others_params = _live_order_ids_sql(parts.others, "created_at")
    offset, limit = page or (0, 0)
    window = offset + limit
    sql = _TERM_CTES.format(words=words, others=others_sql) + _TERM_MATCHES
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *others_params, limit, window, offset, limit, offset, limit])
        count, orders, ids = cursor.fetchone()
    return TermMatches(count=count, orders=float(orders), page=ids if page else None)


# The window of a read of every match (the export): its matches are always read by id.
EVERY_MATCH = 2**62


def matches_read_by_id(matches: int, orders: float, window: int) -> bool:
    """Whether a page of a term's matches is read from their ids (a join: one primary-key
    lookup per match) rather than by walking the orders in the page's order until `window`
    (offset + limit) matches are found (an index scan that visits `window × orders / matches`
    rows). The cheaper one: a rare term's ids, a common term's walk.

    PostgreSQL cannot choose itself: it estimates a term's matches from statistics, not the
    exact count, and chose the join for a first name matching 21,000 orders at a million (1.2 s
    against 9 ms for the walk, docs/performance-analysis.md)."""
    return matches * matches < window * max(orders, 1.0)


def order_search_count(search: Sequence["SearchParts"]) -> int | None:
    """The exact number of live orders that every term of a search matches, or None where the
    search postings cannot answer (SQLite; a spelling too short for a trigram, or holding a
    space) and the paginator counts the rows.

    Why not count the filtered rows: a common first name matches ~2 % of a million orders, and
    each match had to be rechecked in its row (a trigram match may be a false positive), some
    20,000 rows on as many pages, 160-320 ms (docs/performance-analysis.md). One term's count
    was read when its search was built (`order_term_matches`); several terms' is their
    intersection."""
    if not search or not all(parts.by_postings for parts in search):
        return None
    if len(search) == 1 and search[0].matches is not None:
        return search[0].matches
    terms = [term_order_ids_sql(parts, live=True) for parts in search]
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
