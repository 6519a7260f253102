"""The order read path's hand-written SQL (`bazaar.api.rows.RowQuery`) reads exactly what the ORM
reads: for every kind of row, the same keys and values as `QuerySet.values()` of the same
columns, on SQLite and PostgreSQL (JSON parsed, or on PostgreSQL passed through as the
database's text where the query says so; booleans as booleans, timestamps as SPEC §2 writes
them, NULLs of rows without children)."""

import orjson
import pytest
from django.db import DataError, connection, transaction

from bazaar.api.functions import UTCTimestampText
from bazaar.api.rows import load_json, read_together
from bazaar.db.prepared import fetch_together
from bazaar.fulfilment.models import Refund, RefundItem, Shipment, ShipmentItem
from bazaar.orders import selectors
from bazaar.orders.models import Order, OrderItem, OrderPayment

pytestmark = pytest.mark.django_db


def parsed(rows: list[dict]) -> list[dict]:
    """`rows` with each JSON column passed through as text (`orjson.Fragment`) parsed."""
    return [
        {
            key: orjson.loads(orjson.dumps(value)) if isinstance(value, orjson.Fragment) else value
            for key, value in row.items()
        }
        for row in rows
    ]


def orm_rows(model, columns, timestamps, order_by=("id",)) -> list[dict]:
    stamps = {key: UTCTimestampText(column) for key, column in timestamps}
    return list(model.objects.order_by(*order_by).values(*columns, **stamps))


@pytest.fixture
def orders(world, admin_user):
    first = Order.objects.create(
        customer=world.customer,
        payment_method=world.payment_method,
        shipping_method=world.shipping_method,
        billing_country=world.country,
        billing_state=world.state,
        billing_city=world.city,
        shipping_latitude="35.123456",
        shipping_longitude="-51.5",
        extra={"gift": True, "n": [1, 2.5, None], "فارسی": "متن"},
        tags=["vip", "هدیه"],
        notes="یادداشت",
    )
    second = Order.objects.create(extra={"big": 2**70})  # past 64 bits: orjson refuses it
    for order, product in ((first, world.mouse), (first, world.freshener), (second, world.mouse)):
        OrderItem.objects.create(
            order=order,
            product=product,
            unit_price=1000,
            unit_discount=100,
            quantity=2,
            product_data={"title": product.title, "image": None},
            options=[{"option": 1, "value": "قرمز"}],
        )
    item = first.items.order_by("id").first()
    approved = OrderPayment.objects.create(
        order=first, amount=500, approved=True, payment_method=world.payment_method
    )
    OrderPayment.objects.create(order=first, amount=100, approved=False)
    shipped = Shipment.objects.create(
        order=first, status="shipped", shipping_method=world.shipping_method
    )
    ShipmentItem.objects.create(shipment=shipped, item=item, quantity=1)
    Shipment.objects.create(order=first)  # no lines
    refund = Refund.objects.create(order=first, payment=approved, amount=50, actor=admin_user)
    RefundItem.objects.create(refund=refund, item=item, quantity=1)
    Refund.objects.create(order=first, payment=approved, amount=10)
    return [first.pk, second.pk]


def test_each_kind_of_row_reads_what_the_orm_reads(orders):
    kinds = [
        (selectors.ORDERS, "id", orders),
        (selectors.ITEMS, "order_id", orders),
        (selectors.PAYMENTS, "order_id", orders),
        (selectors.SHIPMENTS, "order_id", orders),
        (selectors.REFUNDS, "order_id", orders),
    ]
    for query, match, ids in kinds:
        expected = orm_rows(query.model, query.columns, query.timestamps, query.order_by)
        assert parsed(query.rows(match, ids)) == expected, query.model.__name__
        assert list(expected[0]) == list(query.keys)


def test_rows_keep_the_order_asked_for_and_skip_missing_ids(orders):
    first, second = orders
    rows = selectors.order_rows_by_ids([second, 10**9, first])
    assert [row["id"] for row in rows] == [second, first]
    assert selectors.order_rows_by_ids([]) == []


def test_json_columns_are_read_as_their_values(orders):
    first, second = parsed(selectors.order_rows_by_ids(orders))
    assert first["extra"] == {"gift": True, "n": [1, 2.5, None], "فارسی": "متن"}
    assert first["tags"] == ["vip", "هدیه"]
    assert second["extra"] == {"big": 2**70}
    assert load_json(None) is None


def test_json_columns_pass_through_as_the_databases_text_on_postgresql(orders):
    """The renderer writes a passed-through column as it is: the bytes of the response are
    PostgreSQL's text of the value (an integer past 64 bits exactly), parsed on SQLite."""
    first, second = selectors.order_rows_by_ids(orders)
    item = selectors.ITEMS.rows("order_id", orders[:1])[0]
    if connection.vendor == "postgresql":
        assert all(isinstance(v, orjson.Fragment) for v in (first["extra"], first["tags"]))
        assert orjson.dumps(second["extra"]) == b'{"big": 1180591620717411303424}'
        assert isinstance(item["options"], orjson.Fragment)
        # Without the image prefix the snapshot stays a value, for Python to make its URL.
        assert type(item["product_data"]) is dict and item["product_data"]["image"] is None
    else:
        assert first["tags"] == ["vip", "هدیه"] and item["options"][0]["value"] == "قرمز"


def test_ids_past_bigint_match_no_row(orders):
    """On PostgreSQL the ids are one bigint[] literal: an id past its range is no row's, not a
    failed cast."""
    rows = selectors.order_rows_by_ids([2**63, orders[1], -(2**64), orders[0]])
    assert [row["id"] for row in rows] == [orders[1], orders[0]]


def test_images_come_with_their_thumbnails_smallest_first(world):
    image = world.shipping_image
    read = selectors.images_by_id({image.pk, None})[image.pk]
    thumbnails = list(image.thumbnails.order_by("size", "id").values("id", "file", "size"))
    assert thumbnails and read["thumbnails"] == thumbnails
    assert read["file"] == image.file.name and read["name"] == image.name


def test_places_read_what_the_orm_reads(world):
    # places_by_id's UNION ALL: `code` for the kinds that have one, none for cities.
    found = selectors.places_by_id(
        {"countries": {world.country.pk}, "states": {world.state.pk}, "cities": {world.city.pk}}
    )
    for kind, place in (("countries", world.country), ("states", world.state)):
        expected = type(place).objects.filter(pk=place.pk).values("id", "name", "code").get()
        assert found[kind] == {place.pk: expected}
    city = type(world.city).objects.filter(pk=world.city.pk).values("id", "name").get()
    assert found["cities"] == {world.city.pk: city}


def test_reads_sent_together_read_what_each_reads_alone(orders, django_assert_num_queries):
    """`read_together` gives each read's own result, in order; a read with nothing to ask (no
    ids) costs no statement, and each statement is still one query to Django."""
    reads = [
        (selectors.ITEMS, "order_id", orders),
        (selectors.PAYMENTS, "order_id", orders),
        (selectors.SHIPMENTS, "order_id", []),
        (selectors.REFUNDS, "order_id", orders[:1]),
    ]
    alone = [parsed(query.rows(match, ids)) for query, match, ids in reads]
    with django_assert_num_queries(3):
        together = read_together([query.read(match, ids) for query, match, ids in reads])
    assert [parsed(rows) for rows in together] == alone
    assert [len(rows) for rows in together] == [3, 2, 0, 2]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pipeline mode")
def test_reads_sent_together_go_in_one_pipeline_on_postgresql(orders, settings):
    """One round trip for all (each statement executed while the connection is in pipeline
    mode), none behind PgBouncer."""
    from psycopg.pq import PipelineStatus

    def read_pages(behind_pgbouncer: bool) -> list[bool]:
        settings.DATABASE_BEHIND_PGBOUNCER = behind_pgbouncer
        modes = []

        def note_mode(execute, sql, params, many, context):
            modes.append(connection.connection.pgconn.pipeline_status != PipelineStatus.OFF)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(note_mode):
            selectors.order_rows_related(selectors.order_rows_by_ids(orders))
        return modes

    # The orders, then places, items, payments, shipments and refunds together, then images.
    assert read_pages(False) == [False, True, True, True, True, True, False]
    assert read_pages(True) == [False] * 7


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pipeline mode")
def test_an_error_in_a_pipeline_is_djangos_and_leaves_the_connection_usable(orders):
    with pytest.raises(DataError), transaction.atomic():
        fetch_together(connection, [("SELECT 1", ()), ("SELECT 1 / 0", ()), ("SELECT 2", ())])
    assert fetch_together(connection, [("SELECT 1", ()), ("SELECT %s", (2,))]) == [[(1,)], [(2,)]]
    assert selectors.order_rows_by_ids(orders)[0]["id"] == orders[0]


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_the_read_path_is_prepared_once_per_connection_and_reads_the_same(orders, settings):
    """Each RowQuery statement is prepared on first use and reused (bound on the server: the
    same rows as bound on the client, the parity tests above run through it too); the ORM's
    own queries stay unprepared."""
    before = selectors.order_rows_by_ids(orders)
    statements = _prepared_statements()
    orders_sql = selectors.ORDERS.sql("postgresql", "id").replace("%s", "$1")
    assert orders_sql in statements
    assert not any(
        "knox_authtoken" in text or "orders_orderstatusdelta" in text for text in statements
    )
    again = selectors.order_rows_by_ids(orders)
    assert _prepared_statements().count(orders_sql) == 1  # reused, not prepared anew
    assert parsed(again) == parsed(before)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_behind_pgbouncer_nothing_is_prepared(orders, settings):
    """PgBouncer in transaction mode may run the next statement on another server connection,
    where a prepared statement does not exist."""
    item_ids = list(OrderItem.objects.values_list("id", flat=True))
    by_id = selectors.ITEMS.sql("postgresql", "id").replace("%s", "$1")
    settings.DATABASE_BEHIND_PGBOUNCER = True
    behind = selectors.ITEMS.rows("id", item_ids)
    assert by_id not in _prepared_statements()
    settings.DATABASE_BEHIND_PGBOUNCER = False
    assert parsed(selectors.ITEMS.rows("id", item_ids)) == parsed(behind)
    assert by_id in _prepared_statements()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's parse of placeholders")
def test_a_long_fixed_statement_is_parsed_once_and_bound_anew(db):
    """psycopg keeps its parse of `%s` placeholders only for statements under 4 KB; the fixed
    texts of `prepared_cursor` (an order's document is 14 KB) are parsed once each, and each
    call still binds its own values."""
    from bazaar.db.prepared import _prepared_cursor_classes, prepared_cursor

    parsed = _prepared_cursor_classes()[0]._query_cls.parsed
    sql = "SELECT %(a)s::int + %(b)s::int AS total" + " " * 5000 + "/* long, as a document */"
    assert len(sql) > 4096
    results = []
    before = parsed.cache_info()
    for a, b in ((1, 2), (40, 2)):
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, {"a": a, "b": b})
            results.append(cursor.fetchone()[0])
    after = parsed.cache_info()
    assert results == [3, 42]
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
