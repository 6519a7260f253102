# ruff: noqa: S608 -- every statement here is fixed text written by this module; values are
# parameters.
"""Order documents built by PostgreSQL: the order shape of SPEC §5 (and §11-§14), every key of
`serializers.shapes.order_data`, written as JSON text by the database in one statement, which
the renderer passes through (`orjson.Fragment`). `order_body` serves one order this way (the
retrieve and every write's answer: one statement instead of five to seven reads); a page of
orders is still shaped in Python, which was faster for 100 (see `order_body`).

The statement takes any number of ids and keeps their order: the orders by id; their items,
payments, shipments and refunds as correlated aggregates over their indexed foreign keys; the
methods, images and places of the whole response shaped once each, in CTEs. Its text is fixed,
so it is prepared once per connection (`bazaar.db.prepared`).

What Python computes in `shapes` is written here in SQL from the same sources: the next
statuses from `status.TRANSITIONS`, "not payable" from `status.NOT_PAYABLE`, image URLs as
`FileURLs` builds them (the storage's absolute base + `filepath_to_uri(path)`), the human-
readable size as `media.services.human_readable_size` rounds it (half to even, on the exact
value). `tests/test_documents.py` checks, on PostgreSQL, that both give the same JSON, key order
included, for orders holding every kind of nested row, and that the two rules agree on any
input. JSON columns (`extra`, `tags`, `options`, `product_data`) are PostgreSQL's own text of
the stored `jsonb`: the same values as the Python shapes give.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from django.conf import settings
from django.db import connections, router

from bazaar.api.functions import utc_timestamp_sql
from bazaar.api.rows import BIGINT_MAX
from bazaar.db.prepared import prepared_cursor
from bazaar.idempotency.models import StoredResponse
from bazaar.idempotency.services import AnswerStore
from bazaar.media.models import Image, Thumbnail
from bazaar.media.serializers import url_prefix
from bazaar.media.sql import file_url_sql
from bazaar.orders.models import Order
from bazaar.orders.selectors import order_rows_by_ids, order_rows_related, snapshot_sql
from bazaar.orders.serializers.shapes import ORDER_RESPONSE_KEYS, orders_data
from bazaar.orders.status import NOT_PAYABLE, Status, allowed_next
from bazaar.orders.versions import order_etag_sql

__all__ = ["OrderBody", "OrderDocument", "order_body", "order_documents"]


def _ts(column: str) -> str:
    return utc_timestamp_sql("postgresql", column)


def _text(value: str) -> str:
    """A SQL string literal of a value from this module's own tables (statuses, units)."""
    return "'" + value.replace("'", "''") + "'"


def _human_size(column: str) -> str:
    """`human_readable_size(size)`: in units of 1024, two decimals rounded half to even on the
    exact quotient (what Python's `f"{size / 1024 ** k:.2f}"` does: the division is exact)."""
    steps = [(1, "B"), (1024, "KB"), (1024**2, "MB"), (1024**3, "GB")]
    divisor = "CASE " + " ".join(
        f"WHEN {column} < {step * 1024} THEN {step}::bigint" for step, _ in steps[:-1]
    )
    divisor += f" ELSE {steps[-1][0]}::bigint END"
    unit = "CASE " + " ".join(f"WHEN {column} < {step * 1024} THEN '{u}'" for step, u in steps[:-1])
    unit += f" ELSE '{steps[-1][1]}' END"
    return f"""(SELECT (q / 100)::text || '.' || lpad((q %% 100)::text, 2, '0') || ' ' || u
        FROM (SELECT n / d + CASE WHEN 2 * (n %% d) > d OR (2 * (n %% d) = d AND (n / d) %% 2 = 1)
                              THEN 1 ELSE 0 END AS q, u
              FROM (SELECT {column} * 100 AS n, {divisor} AS d, {unit} AS u) parts) rounded)"""


def _allowed_next_sql(column: str) -> str:
    cases = " ".join(
        f"WHEN {_text(status.value)} THEN "
        + (
            "ARRAY[" + ", ".join(_text(s) for s in allowed_next(status.value)) + "]::text[]"
            if allowed_next(status.value)
            else "'{}'::text[]"
        )
        for status in Status
    )
    return f"array_to_json(CASE {column} {cases} END)"


def _json_list(select: str, order_by: str) -> str:
    """A JSON array of the rows `select` gives (one `doc` column each), `[]` for none."""
    return (
        f"coalesce((SELECT array_to_json(array_agg(doc ORDER BY {order_by})) FROM ({select}) "
        f"listed), '[]'::json)"
    )


def _object(columns: str, source: str = "") -> str:
    """One JSON object of `columns` (`expr AS key, …`, in key order), of one row of `source`."""
    return f"(SELECT row_to_json(doc) FROM (SELECT {columns} {source}) doc)"


def _rows(columns: str, source: str, alias: str, where: str) -> str:
    """A JSON array of one object of `columns` per row of `source` that `where` picks, in the
    order of `alias`.id (the order they were written)."""
    return _json_list(
        f"SELECT {_object(columns)} AS doc, {alias}.id FROM {source} WHERE {where}", "id"
    )


def _lines(table: str, parent: str, parent_id: str) -> str:
    """A shipment's or refund's lines, `[{item, quantity}]`."""
    return _rows(
        "l.item_id AS item, l.quantity AS quantity", f"{table} l", "l", f"l.{parent} = {parent_id}"
    )


@cache
def documents_sql() -> str:
    thumbnail_url = file_url_sql("%(thumbnails)s", "t.file")
    thumbnail = _object(f"t.id AS id, {thumbnail_url} AS f, t.size AS size")
    thumbnails = _json_list(
        f"SELECT {thumbnail} AS doc, t.size, t.id FROM media_thumbnail t WHERE t.image_id = im.id",
        "size, id",
    )
    image_columns = (
        f"im.id AS id, 'image' AS type, im.name AS name, im.size AS size, "
        f"{_human_size('im.size')} AS human_readable_size, "
        f"{file_url_sql('%(images)s', 'im.file')} AS f, im.width AS width, im.height AS height, "
        f"im.mode AS mode, {thumbnails} AS thumbnails"
    )
    image = f"""
        SELECT im.id, {_object(image_columns)} AS doc FROM media_image im
        WHERE im.id IN (SELECT image_id FROM payment_methods UNION SELECT image_id FROM
                        shipping_methods)"""
    not_payable = ", ".join(_text(s.value) for s in sorted(NOT_PAYABLE))

    def method(kind: str, column: str) -> str:
        return f"(SELECT doc FROM {kind}_json WHERE id = {column})"

    def place(table: str, column: str) -> str:
        return f"(SELECT doc FROM {table}_json WHERE id = {column})"

    item_columns = f"""i.id AS id, i.product_id AS product, p.title AS product_title,
        p.title AS product_name, {snapshot_sql("%(images)s", "i")} AS product_data,
        i.unit_price AS unit_price, i.unit_discount AS unit_discount, i.quantity AS quantity,
        i.notes AS notes, i.unit_price * i.quantity AS subtotal,
        i.unit_discount * i.quantity AS discount,
        (i.unit_price - i.unit_discount) * i.quantity AS total,
        {_ts("i.created_at")} AS created_at, {_ts("i.updated_at")} AS updated_at,
        i.options AS options, i.quantity_shipped AS quantity_shipped,
        i.quantity_returned AS quantity_returned"""
    items = _rows(
        item_columns,
        "orders_orderitem i LEFT JOIN catalog_product p ON p.id = i.product_id",
        "i",
        "i.order_id = o.id",
    )
    payment_columns = f"""y.id AS id,
        {method("payment", "y.payment_method_id")} AS payment_method_data,
        y.approved AS approved, y.amount AS amount, y.transaction_id AS transaction_id,
        y.notes AS notes, {_ts("y.created_at")} AS created_at,
        {_ts("y.updated_at")} AS updated_at"""
    payments = _rows(payment_columns, "orders_orderpayment y", "y", "y.order_id = o.id")
    shipment_columns = f"""s.id AS id, s.status AS status,
        s.shipping_method_id AS shipping_method,
        {method("shipping", "s.shipping_method_id")} AS shipping_method_data,
        s.tracking_number AS tracking_number, s.tracking_url AS tracking_url,
        {_lines("fulfilment_shipmentitem", "shipment_id", "s.id")} AS items,
        s.notes AS notes, {_ts("s.shipped_at")} AS shipped_at,
        {_ts("s.delivered_at")} AS delivered_at, {_ts("s.created_at")} AS created_at,
        {_ts("s.updated_at")} AS updated_at"""
    shipments = _rows(shipment_columns, "fulfilment_shipment s", "s", "s.order_id = o.id")
    actor = _object(
        "u.id AS id, u.username AS username", "FROM accounts_user u WHERE u.id = r.actor_id"
    )
    refund_columns = f"""r.id AS id, r.payment_id AS payment, r.amount AS amount,
        r.reason AS reason, {_lines("fulfilment_refunditem", "refund_id", "r.id")} AS items,
        {actor} AS actor, {_ts("r.created_at")} AS created_at"""
    refunds = _rows(refund_columns, "fulfilment_refund r", "r", "r.order_id = o.id")
    discounts = _json_list(
        """SELECT 1 AS n, (SELECT row_to_json(line) FROM (SELECT 'items' AS type,
                o.items_discount AS amount) line) AS doc WHERE o.items_discount <> 0
           UNION ALL SELECT 2, (SELECT row_to_json(line) FROM (SELECT 'coupon' AS type,
                o.coupon_code AS code, o.coupon_discount AS amount) line)
             WHERE o.coupon_discount <> 0
           UNION ALL SELECT 3, (SELECT row_to_json(line) FROM (SELECT 'order' AS type,
                o.order_discount AS amount) line) WHERE o.order_discount <> 0""",
        "n",
    )
    customer = """(SELECT row_to_json(c) FROM (SELECT u.id AS id, u.username AS username,
        u.mobile_number AS mobile_number, u.first_name AS first_name, u.last_name AS last_name,
        btrim(u.first_name || ' ' || u.last_name) AS full_name
        FROM accounts_user u WHERE u.id = o.customer_id) c)"""
    coupon = """CASE WHEN o.coupon_id IS NULL THEN NULL ELSE (SELECT row_to_json(k) FROM
        (SELECT o.coupon_id AS id, o.coupon_code AS code, o.coupon_kind AS kind,
                o.coupon_value AS value) k) END"""
    columns = {
        "id": "o.id",
        "key": "o.key",
        "status": "o.status",
        "customer_data": customer,
        "payment_method_data": method("payment", "o.payment_method_id"),
        "shipping_method_data": method("shipping", "o.shipping_method_id"),
        "shipping_cost": "o.shipping_cost",
        "notes": "o.notes",
        "extra": "o.extra",
        "created_at": _ts("o.created_at"),
        "updated_at": _ts("o.updated_at"),
        "billing_country_data": place("country", "o.billing_country_id"),
        "billing_state_data": place("state", "o.billing_state_id"),
        "billing_city_data": place("city", "o.billing_city_id"),
        "billing_address": "o.billing_address",
        "billing_postal_code": "o.billing_postal_code",
        "billing_national_code": "o.billing_national_code",
        "billing_mobile_number": "o.billing_mobile_number",
        "billing_first_name": "o.billing_first_name",
        "billing_last_name": "o.billing_last_name",
        "count": "o.item_count",
        "quantity": "o.item_quantity",
        "items_subtotal": "o.items_subtotal",
        "items_discount": "o.items_discount",
        "subtotal": "o.items_subtotal",
        "total_discount": "o.items_discount + o.coupon_discount + o.order_discount",
        "total": "o.total",
        "amount_paid": "o.amount_paid",
        "amount_outstanding": "o.total - o.amount_paid",
        "is_paid": "(o.total > 0 AND o.total - o.amount_paid <= 0)",
        "is_payable": f"(o.item_count > 0 AND o.total - o.amount_paid > 0 "
        f"AND o.status NOT IN ({not_payable}))",
        "items": items,
        "payments": payments,
        "billing_email": "o.billing_email",
        "delivery_method": "o.delivery_method",
        "pickup_branch_data": place("branch", "o.pickup_branch_id"),
        "shipping_first_name": "o.shipping_first_name",
        "shipping_last_name": "o.shipping_last_name",
        "shipping_mobile_number": "o.shipping_mobile_number",
        "shipping_country_data": place("country", "o.shipping_country_id"),
        "shipping_state_data": place("state", "o.shipping_state_id"),
        "shipping_city_data": place("city", "o.shipping_city_id"),
        "shipping_address": "o.shipping_address",
        "shipping_postal_code": "o.shipping_postal_code",
        "shipping_latitude": "o.shipping_latitude::float8",
        "shipping_longitude": "o.shipping_longitude::float8",
        "coupon_code": "o.coupon_code",
        "coupon_data": coupon,
        "coupon_discount": "o.coupon_discount",
        "order_discount": "o.order_discount",
        "tax_rate": "round(o.tax_rate, 2)::text",
        "tax": "o.tax",
        "currency": "%(currency)s::text",
        "discounts": discounts,
        "tags": "o.tags",
        "source": "o.source",
        "version": "o.version",
        "allowed_next_statuses": _allowed_next_sql("o.status"),
        "fulfilment_status": "o.fulfilment_status",
        "amount_refunded": "o.amount_refunded",
        "net_paid": "o.amount_paid - o.amount_refunded",
        "shipments": shipments,
        "refunds": refunds,
    }
    assert tuple(columns) == ORDER_RESPONSE_KEYS, "the document's keys are the shape's keys"
    fields = ",\n".join(f'{sql} AS "{key}"' for key, sql in columns.items())

    def places(table: str, name: str, code: bool, *columns: str) -> str:
        ids = " UNION ".join(
            f"SELECT {column} FROM orders_order WHERE id = ANY(%(ids)s::bigint[])"
            for column in columns
        )
        code_column = ", g.code AS code" if code else ""
        return f"""{name}_json AS MATERIALIZED (
            SELECT g.id, {_object(f"g.id AS id, g.name AS name{code_column}")} AS doc
            FROM {table} g WHERE g.id IN ({ids}))"""

    method_object = _object(
        "m.id AS id, m.name AS name, (SELECT doc FROM image_json WHERE id = m.image_id) AS image"
    )
    return f"""
WITH payment_methods AS MATERIALIZED (
    SELECT m.id, m.name, m.image_id FROM methods_paymentmethod m
    WHERE m.id IN (SELECT payment_method_id FROM orders_order WHERE id = ANY(%(ids)s::bigint[])
                   UNION SELECT payment_method_id FROM orders_orderpayment
                   WHERE order_id = ANY(%(ids)s::bigint[]))),
shipping_methods AS MATERIALIZED (
    SELECT m.id, m.name, m.image_id FROM methods_shippingmethod m
    WHERE m.id IN (SELECT shipping_method_id FROM orders_order WHERE id = ANY(%(ids)s::bigint[])
                   UNION SELECT shipping_method_id FROM fulfilment_shipment
                   WHERE order_id = ANY(%(ids)s::bigint[]))),
image_json AS MATERIALIZED ({image}),
payment_json AS MATERIALIZED (SELECT m.id, {method_object} AS doc FROM payment_methods m),
shipping_json AS MATERIALIZED (SELECT m.id, {method_object} AS doc FROM shipping_methods m),
{places("geo_country", "country", True, "billing_country_id", "shipping_country_id")},
{places("geo_state", "state", True, "billing_state_id", "shipping_state_id")},
{places("geo_city", "city", False, "billing_city_id", "shipping_city_id")},
{places("methods_branch", "branch", True, "pickup_branch_id")}
SELECT o.id, o.version,
       (SELECT row_to_json(document) FROM (SELECT {fields}) document)::text AS json
FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS wanted(id, position)
JOIN orders_order o ON o.id = wanted.id
ORDER BY wanted.position"""


@dataclass(frozen=True)
class OrderDocument:
    id: int
    version: int
    json: str


def order_documents(
    ids: Sequence[int], request, *, store: AnswerStore | None = None
) -> list[OrderDocument] | None:
    """The documents of the orders `ids` that exist, in the order of `ids`, or None where the
    database cannot build them (not PostgreSQL, or a storage whose URLs are not a base + path):
    the caller shapes the rows in Python then.

    `store`: the document of one order is a keyed request's answer, stored by this statement
    (`idempotency.services.AnswerStore`) when it runs on the connection that holds the key."""
    connection = connections[router.db_for_read(Order)]
    if connection.vendor != "postgresql":
        return None
    images = url_prefix(Image._meta.get_field("file").storage, request)
    thumbnails = url_prefix(Thumbnail._meta.get_field("file").storage, request)
    if images is None or thumbnails is None:
        return None
    # An id past bigint is no order (a 404, as on the Python path), not an error of the cast.
    ids = [i for i in ids if 0 < i <= BIGINT_MAX]
    if not ids:
        return []
    params = {
        "ids": ids,
        "images": images,
        "thumbnails": thumbnails,
        "currency": settings.CURRENCY,
    }
    if store is None or len(ids) != 1 or connection.alias != router.db_for_write(StoredResponse):
        with prepared_cursor(connection) as cursor:
            cursor.execute(documents_sql(), params)
            return [OrderDocument(*row) for row in cursor.fetchall()]
    sql = store.sql(documents_sql(), body="answer.json", etag=order_etag_sql("answer"))
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, {**params, **store.params()})
        rows = cursor.fetchall()
    for *document, etag in rows:
        store.stored(etag=etag, body=document[2])
    return [OrderDocument(*document) for *document, _etag in rows]


@dataclass(frozen=True)
class OrderBody:
    """One order as a response shows it: its id and version (for the ETag) and its shape, as
    JSON the database wrote (`orjson.Fragment`, passed through by the renderer) or as a dict."""

    id: int
    version: int
    data: Any


def order_body(order_id: int, request, *, store: AnswerStore | None = None) -> OrderBody | None:
    """One order (deleted ones included) as the API shows it, or None when there is none.

    On PostgreSQL its document, in one statement instead of five reads (the order, its items,
    payments, shipments and refunds): 2.5 ms against 3.2 ms per retrieve, and four statements
    fewer in every write's answer. A page of orders is still shaped in Python
    (`serializers.orders_data`): for 100 orders the database took longer to write their JSON
    (9.6 ms) than the six plain reads and the shaping together (about 6 ms), measured at a
    million orders (docs/performance-analysis.md)."""
    documents = order_documents([order_id], request, store=store)
    if documents is not None:
        return next((OrderBody(d.id, d.version, orjson.Fragment(d.json)) for d in documents), None)
    shaped = orders_data(order_rows_related(order_rows_by_ids([order_id])), request)
    return next((OrderBody(o["id"], o["version"], o) for o in shaped), None)
