"""The CSV export GET /api/orders/export/ (SPEC §15), on SQLite and PostgreSQL."""

import csv
import io
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bazaar.customers.tests.factories import CustomerFactory
from bazaar.orders import export
from bazaar.orders.models import Order

pytestmark = pytest.mark.django_db
URL = "/api/orders/export/"


def download(client, **params) -> tuple[str, object]:
    response = client.get(URL, params)
    assert response.status_code == 200, getattr(response, "content", b"")
    body = b"".join(response.streaming_content).decode("utf-8")
    return body, response


def table(body: str) -> list[dict[str, str]]:
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:], newline="")))


@pytest.fixture
def seeded(admin_client, source_order_body, world) -> dict:
    body = {
        **source_order_body,
        "tags": ["vip", "عمده"],
        "notes": 'Ring twice, "urgent"\nthen leave it, at the door',
    }
    order = admin_client.post("/api/orders/", body, format="json").json()
    admin_client.post(
        f"/api/orders/{order['id']}/items/", {"product": world.mouse.pk, "quantity": 2}
    )
    admin_client.post(
        f"/api/orders/{order['id']}/payments/",
        {"payment_method": world.payment_method.pk, "amount": 1000, "approved": True},
        format="json",
    )
    return admin_client.get(f"/api/orders/{order['id']}/").json()


def test_the_columns_and_values_of_an_order(admin_client, seeded, world):
    body, response = download(admin_client)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="orders-') and disposition.endswith('.csv"')
    header = body[1:].split("\r\n", 1)[0]
    assert tuple(header.split(",")) == export.ORDER_COLUMNS
    (row,) = table(body)
    assert row["id"] == str(seeded["id"]) and row["key"] == seeded["key"]
    assert row["status"] == "new"
    assert row["created_at"] == seeded["created_at"]
    assert row["customer_id"] == str(world.customer.pk)
    assert row["customer_name"] == "بهروز قربانی"
    assert row["customer_mobile"] == "09308744204"
    assert row["billing_first_name"] == "پدرام" and row["billing_last_name"] == "زمانی"
    assert row["billing_country"] == "ایران" and row["billing_state"] == "آذربایجان شرقی"
    assert row["billing_city"] == "اسکو"
    assert row["payment_method"] == "پرداخت در مخل" and row["shipping_method"] == "پیک موتور"
    assert row["count"] == "1" and row["quantity"] == "2"
    assert row["items_subtotal"] == "19560000"
    assert row["shipping_cost"] == "75000"
    assert row["total"] == str(seeded["total"])
    assert row["amount_paid"] == "1000" and row["amount_refunded"] == "0"
    assert row["amount_outstanding"] == str(seeded["amount_outstanding"])
    assert row["is_paid"] == "false"
    assert row["tags"] == "vip|عمده"
    assert row["notes"] == 'Ring twice, "urgent"\nthen leave it, at the door'


def test_rfc_4180_quoting_is_on_the_wire(admin_client, seeded):
    body, _ = download(admin_client)
    assert '"Ring twice, ""urgent""\nthen leave it, at the door"' in body
    assert body.count("\r\n") == 2  # header and the one row; the note's \n stays inside quotes


def test_the_jalali_column_is_in_the_shops_time_zone(settings):
    settings.TIME_ZONE = "Asia/Tehran"
    assert export.jalali("2024-11-30T10:35:00.000000Z") == "1403/09/10 14:05"
    settings.TIME_ZONE = "UTC"
    assert export.jalali("2024-11-30T10:35:00.000000Z") == "1403/09/10 10:35"


@pytest.mark.parametrize("text", ["=1+2", "+98912", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(admin_client, text):
    # Stored as is (the API trims text; an import or the admin might not).
    Order.objects.create(notes=text, billing_address=text)
    (row,) = table(download(admin_client)[0])
    assert row["notes"] == row["billing_address"] == "'" + text
    assert export.cell(text) == "'" + text
    assert export.cell(-5) == -5  # numbers are never formulas
    assert export.cell("a=b") == "a=b"


def test_filters_search_and_ordering_apply(admin_client):
    new = admin_client.post("/api/orders/", {"notes": "a"}, format="json").json()["id"]
    hold = admin_client.post("/api/orders/", {"status": "hold"}, format="json").json()["id"]
    rows = table(download(admin_client, status="hold")[0])
    assert [int(row["id"]) for row in rows] == [hold]
    rows = table(download(admin_client, ordering="id")[0])
    assert [int(row["id"]) for row in rows] == [new, hold]
    rows = table(download(admin_client)[0])
    assert [int(row["id"]) for row in rows] == [hold, new]  # the list's default: newest first


@pytest.mark.parametrize("term", ["کادو", "کا", "pÿ\x08é"])
def test_a_search_applies(admin_client, term):
    # The export has no pages: a search reads every match (on PostgreSQL from the word
    # postings, by id); a term too short for them matches the rows. Both were a 500 once.
    Order.objects.create(notes="کادو تولد")
    Order.objects.create(notes="فوری")
    rows = table(download(admin_client, search=term)[0])
    assert [row["notes"] for row in rows] == (["کادو تولد"] if term != "pÿ\x08é" else [])


@pytest.mark.parametrize(
    "params", [{"staus": "new"}, {"limit": "5"}, {"rows": "lines"}, {"ordering": "nope"}]
)
def test_unknown_or_bad_parameters_are_400s(admin_client, params):
    response = admin_client.get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_a_client_asking_for_csv_gets_it_and_its_errors_as_json(admin_client):
    response = admin_client.get(URL, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith("\ufeffid,".encode())
    for params in ({"staus": "x"}, {"staus": "x", "format": "csv"}):
        response = admin_client.get(URL, params, HTTP_ACCEPT="text/csv")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert "staus" in response.json()


def test_rows_items_gives_one_row_per_item(admin_client, seeded, world):
    admin_client.post("/api/orders/", {}, format="json")  # no items: no row
    body, _ = download(admin_client, rows="items")
    assert tuple(body[1:].split("\r\n", 1)[0].split(",")) == export.ITEM_COLUMNS
    (row,) = table(body)
    item = seeded["items"][0]
    assert row["order_id"] == str(seeded["id"]) and row["order_key"] == seeded["key"]
    assert row["order_status"] == "new"
    assert row["item_id"] == str(item["id"]) and row["product_id"] == str(world.mouse.pk)
    assert row["product_code"] == "1001001"
    assert row["product_title"] == "ماوس لاجیتک MX Vertical"
    assert row["unit_price"] == "9780000" and row["quantity"] == "2"
    assert row["subtotal"] == "19560000" and row["total"] == "19560000"


def test_the_export_needs_code_2206(staff_with_codes):
    assert staff_with_codes(2202).get(URL).status_code == 403
    response = staff_with_codes(2206).get(URL)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_the_path_answers_without_the_slash(admin_client):
    assert admin_client.get("/api/orders/export").status_code == 200


def bulk_orders(count: int) -> None:
    """`count` orders like one made by the ORM, copied by the database itself (bulk_create
    takes seconds for 20,000 rows, and the test is about the export)."""
    model = Order.objects.create(notes="order", billing_first_name="علی", tags=["a", "b"])
    columns = [
        field.column
        for field in Order._meta.concrete_fields
        if not field.primary_key and field.name != "key" and not field.generated
    ]
    listed = ", ".join(connection.ops.quote_name(column) for column in columns)
    # The model's own column names, no input.
    sql = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "  # noqa: S608
        f"INSERT INTO orders_order (key, {listed}) "
        f"SELECT 'k' || i || '-' || o.id, {listed} FROM orders_order o, n WHERE o.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count - 1, model.pk])


def queries_of_export(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        body, _ = download(client, **params)
    return len(queries), body


@pytest.mark.parametrize(
    "ordering",
    ["-created_at", "total,-customer__first_name", "customer__first_name,-total", "id"],
)
def test_queries_per_batch_are_fixed_and_keyset_batches_lose_nothing(
    admin_client, settings, memory_cache, ordering
):
    settings.EXPORT_BATCH_SIZE = 10
    bulk_orders(25)  # batches of 10, 10, 5
    # Ties, NULLs (guest orders) and values mixed, so that every keyset branch is crossed.
    customers = [CustomerFactory(first_name=name) for name in ("علی", "زهرا", "Ali")]
    for order in Order.objects.order_by("id"):
        order.total = order.pk % 4 * 1000
        order.customer = customers[order.pk % 3] if order.pk % 4 else None
        order.save(update_fields=["total", "customer"])
    few, body = queries_of_export(admin_client, ordering=ordering)
    ids = [int(row["id"]) for row in table(body)]
    assert len(ids) == len(set(ids)) == 25
    listed = admin_client.get("/api/orders/", {"ordering": ordering, "limit": 100}).json()
    assert ids == [order["id"] for order in listed["results"]]
    bulk_orders(50)  # 75: batches of 10 x 7, 5
    many, body = queries_of_export(admin_client, ordering=ordering)
    assert len(table(body)) == 75
    # The token, then one query per batch: the keyset page with the orders' columns (these
    # orders name no place); with `rows=items`, their items too.
    assert many - few == (8 - 3) * 1
    few, _ = queries_of_export(admin_client, ordering=ordering, rows="items")
    bulk_orders(20)  # 95: batches of 10 x 9, 5
    many, _ = queries_of_export(admin_client, ordering=ordering, rows="items")
    assert many - few == (10 - 8) * 2


def test_the_first_bytes_come_before_any_order_is_read(admin_client):
    bulk_orders(5)
    response = admin_client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        first = next(iter(response.streaming_content))
    assert first.decode("utf-8").startswith("\ufeffid,key,status,")
    assert len(queries) == 0


def test_memory_stays_flat_over_20000_orders(admin_client, settings):
    """20,000 orders stream with the traced memory of one batch: the whole CSV is 3.6 MB and
    the whole selection shaped some 100 MB, a batch of 200 orders well under 3 MB."""
    settings.EXPORT_BATCH_SIZE = 200
    bulk_orders(20_000)
    response = admin_client.get(URL)
    chunks = iter(response.streaming_content)
    size = rows = 0
    for chunk in chunks:  # the first half untraced (tracing doubles the time)...
        size += len(chunk)
        rows += chunk.count(b"\r\n")
        if rows > 10_000:
            break
    tracemalloc.start()
    try:  # ... and the second: had the export kept what it wrote, it would have grown here
        for chunk in chunks:
            size += len(chunk)
            rows += chunk.count(b"\r\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 20_001
    assert size > 3_000_000
    assert peak < 3_000_000, (peak, size)


# --- the admin's action -------------------------------------------------------------------------


def test_the_admin_exports_its_filtered_selection_the_same_way(admin_user, seeded):
    from django.test import Client
    from django.urls import reverse

    hold = Order.objects.create(status="hold", notes="=HYPERLINK()")
    Order.objects.create(status="new")
    browser = Client()
    browser.force_login(admin_user)
    url = reverse("admin:orders_order_changelist") + "?status__exact=hold"
    response = browser.post(
        url, {"action": "export_csv", "select_across": "1", "_selected_action": [hold.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    body = b"".join(response.streaming_content).decode("utf-8")
    (row,) = table(body)
    assert tuple(row) == export.ORDER_COLUMNS
    assert row["id"] == str(hold.pk) and row["notes"] == "'=HYPERLINK()"
    # Selected rows only, without "select all": the seeded order, named as the API names it.
    response = browser.post(
        reverse("admin:orders_order_changelist"),
        {"action": "export_csv", "_selected_action": [seeded["id"]]},
    )
    (row,) = table(b"".join(response.streaming_content).decode("utf-8"))
    assert row["customer_name"] == "بهروز قربانی" and row["tags"] == "vip|عمده"


def test_the_admin_action_needs_code_2206(db):
    from django.contrib.auth.models import Permission
    from django.test import Client
    from django.urls import reverse

    from bazaar.accounts.models import User
    from bazaar.accounts.permissions import user_set_direct_codes

    clerk = User.objects.create_user("clerk", password="pw-Staff-123", is_staff=True)
    user_set_direct_codes(user=clerk, codes=[2202, 2203, 2204])
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_order", "change_order"])
    )
    order = Order.objects.create()
    browser = Client()
    browser.force_login(clerk)
    url = reverse("admin:orders_order_changelist")
    assert "export_csv" not in browser.get(url).content.decode()
    response = browser.post(url, {"action": "export_csv", "_selected_action": [order.pk]})
    assert not response.get("Content-Type", "").startswith("text/csv")
    clerk.user_permissions.add(Permission.objects.get(codename="code_2206"))
    browser.force_login(User.objects.get(pk=clerk.pk))  # permissions are cached per user object
    assert "export_csv" in browser.get(url).content.decode()
    response = browser.post(url, {"action": "export_csv", "_selected_action": [order.pk]})
    assert response["Content-Type"] == "text/csv; charset=utf-8"


# --- the cells are the API shape's values -------------------------------------------------------


def shape_cells(order: dict) -> list:
    """An order's CSV cells computed from its API shape (GET /api/orders/): the reference that
    the export's own reading of the columns must equal."""

    def name(data):
        return None if data is None else data["name"]

    customer = order["customer_data"]
    values = {
        **order,
        "created_at_jalali": export.jalali(order["created_at"]),
        "customer_id": None if customer is None else customer["id"],
        "customer_name": None if customer is None else customer["full_name"],
        "customer_mobile": None if customer is None else customer["mobile_number"],
        "billing_country": name(order["billing_country_data"]),
        "billing_state": name(order["billing_state_data"]),
        "billing_city": name(order["billing_city_data"]),
        "payment_method": name(order["payment_method_data"]),
        "shipping_method": name(order["shipping_method_data"]),
        "tags": "|".join(order["tags"] or []),
    }
    return [export.cell(values[column]) for column in export.ORDER_COLUMNS]


def shape_item_cells(order: dict) -> list[list]:
    head = [order["id"], order["key"], order["status"], order["created_at"]]
    return [
        [
            *(export.cell(value) for value in head),
            export.cell(export.jalali(order["created_at"])),
            *(
                export.cell(value)
                for value in (
                    item["id"],
                    item["product"],
                    (item["product_data"] or {}).get("code"),
                    item["product_title"],
                    export.options_text(item),
                    item["unit_price"],
                    item["unit_discount"],
                    item["quantity"],
                    item["subtotal"],
                    item["discount"],
                    item["total"],
                )
            ),
        ]
        for item in order["items"]
    ]


def test_every_cell_equals_the_api_shapes_value(admin_client, seeded, world):
    """Guest and customer orders, with and without places, methods, items, payments, tags and
    notes (a formula among them), paid in full or not: the export's CSV, byte for byte, is the
    one its API shapes give."""
    guest = admin_client.post(
        "/api/orders/", {"billing_first_name": "=cmd", "tags": []}, format="json"
    ).json()
    admin_client.post(f"/api/orders/{guest['id']}/items/", {"product": world.mouse.pk})
    paid = admin_client.post(
        "/api/orders/", {"customer": world.customer.pk, "notes": "+98 912"}, format="json"
    ).json()
    admin_client.post(f"/api/orders/{paid['id']}/items/", {"product": world.mouse.pk})
    total = admin_client.get(f"/api/orders/{paid['id']}/").json()["total"]
    admin_client.post(
        f"/api/orders/{paid['id']}/payments/",
        {"payment_method": world.payment_method.pk, "amount": total, "approved": True},
        format="json",
    )
    Order.objects.create(status="hold")  # made outside the API: no customer, method or place
    shapes = admin_client.get("/api/orders/", {"limit": 100}).json()["results"]
    assert len(shapes) == 4 and any(shape["is_paid"] for shape in shapes)
    for kind, cells in (("orders", lambda o: [shape_cells(o)]), ("items", shape_item_cells)):
        body, _ = download(admin_client, rows=kind)
        rows = [row for shape in shapes for row in cells(shape)]
        expected = export.BOM + export.csv_text([export.columns_of(kind), *rows])
        assert body == expected, kind


@pytest.mark.parametrize("zone", ["Asia/Tehran", "UTC", "America/New_York"])
def test_the_jalali_column_equals_a_whole_conversion(settings, zone):
    """The date converted once a day and the time written beside it give jdatetime's own
    conversion of the moment, across Tehran's former summer time and its ends."""
    import datetime
    import zoneinfo

    import jdatetime

    settings.TIME_ZONE = zone
    moment = datetime.datetime(2021, 3, 19, 0, 0, tzinfo=datetime.UTC)
    while moment < datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC):
        text = moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        local = moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
        whole = jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M")
        assert export.jalali(text) == whole, text
        moment += datetime.timedelta(minutes=97)
