"""SPEC §12 on orders through the API: coupons, the staff discount, tax, tags and source."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.coupons.models import Coupon
from bazaar.coupons.tests.factories import CouponFactory
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.orders.models import Order
from bazaar.orders.status import Status
from bazaar.orders.tests.totals import order_totals_from_rows

pytestmark = pytest.mark.django_db

MONEY_KEYS = (
    "coupon_code", "coupon_data", "coupon_discount", "order_discount", "tax_rate", "tax",
    "currency", "discounts", "tags", "source",
)  # fmt: skip


@pytest.fixture
def product():
    return ProductFactory(price=1_000_000)


def create(client, **body):
    return client.post("/api/orders/", body)


def patch(client, order_id: int, **body):
    return client.patch(f"/api/orders/{order_id}/", body)


def items(product, quantity=2, unit_discount=100_000, **extra):
    return [{"product": product.pk, "quantity": quantity, "unit_discount": unit_discount, **extra}]


def money_of(order: dict) -> dict:
    keys = ("items_subtotal", "items_discount", "coupon_discount", "order_discount",
            "total_discount", "tax", "total")  # fmt: skip
    return {key: order[key] for key in keys}


def assert_stored_matches(order: dict) -> None:
    """What the API answered is what the row holds, and the row's totals match its items."""
    row = Order.objects.get(pk=order["id"])
    assert (row.coupon_discount, row.order_discount, row.tax, row.total) == (
        order["coupon_discount"], order["order_discount"], order["tax"], order["total"],
    )  # fmt: skip
    fresh = order_totals_from_rows(order_id=row.pk)
    assert (row.items_subtotal, row.items_discount) == (
        fresh["items_subtotal"], fresh["items_discount"],
    )  # fmt: skip
    assert row.money().total == row.total


# --- the worked example and the defaults --------------------------------------------------------


def test_the_worked_example_of_spec_12_to_the_rial(admin_client, product):
    CouponFactory(code="TEN", kind="percent", value=10, max_discount=150_000)
    response = create(
        admin_client,
        items=items(product),
        coupon_code="ten",
        order_discount=50_000,
        tax_rate="9",
        shipping_cost=75_000,
    )
    assert response.status_code == 201, response.json()
    order = response.json()
    assert money_of(order) == {
        "items_subtotal": 2_000_000,
        "items_discount": 200_000,
        "coupon_discount": 150_000,
        "order_discount": 50_000,
        "total_discount": 400_000,
        "tax": 144_000,
        "total": 1_819_000,
    }
    assert order["tax_rate"] == "9.00"
    assert order["coupon_code"] == "TEN"
    assert order["coupon_data"] == {
        "id": Coupon.objects.get().pk, "code": "TEN", "kind": "percent", "value": 10,
    }  # fmt: skip
    assert order["discounts"] == [
        {"type": "items", "amount": 200_000},
        {"type": "coupon", "code": "TEN", "amount": 150_000},
        {"type": "order", "amount": 50_000},
    ]
    assert order["amount_outstanding"] == 1_819_000 and order["is_payable"]
    assert order["currency"] == "IRR" and order["source"] == "api"
    assert_stored_matches(order)


def test_an_order_without_them_has_the_neutral_defaults(admin_client, product):
    order = create(admin_client, items=items(product), shipping_cost=75_000).json()
    assert {k: order[k] for k in MONEY_KEYS} == {
        "coupon_code": None,
        "coupon_data": None,
        "coupon_discount": 0,
        "order_discount": 0,
        "tax_rate": "0.00",
        "tax": 0,
        "currency": "IRR",
        "discounts": [{"type": "items", "amount": 200_000}],
        "tags": [],
        "source": "api",
    }
    assert order["total"] == 2_000_000 - 200_000 + 75_000  # SPEC §5's total, unchanged
    assert order["total_discount"] == 200_000


def test_currency_is_the_setting(admin_client, settings):
    settings.CURRENCY = "EUR"
    assert create(admin_client).json()["currency"] == "EUR"


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(9, "9.00"), (9.5, "9.50"), ("9.000", "9.00"), ("۹", "9.00"), (0, "0.00"), ("100", "100.00"),
     (0.01, "0.01"), ("12.34", "12.34")],
)  # fmt: skip
def test_tax_rate_takes_numbers_and_strings(admin_client, rate, shown):
    response = create(admin_client, tax_rate=rate)
    assert response.status_code == 201, response.json()
    assert response.json()["tax_rate"] == shown


@pytest.mark.parametrize(
    ("rate", "words"),
    [(101, "between 0 and 100"), (-1, "between 0 and 100"), ("9.001", "two decimal"),
     (9.125, "two decimal"), (None, "may not be null"), ("abc", "a number"), (True, "a number"),
     ("1e1", "a number"), ([9], "a number")],
)  # fmt: skip
def test_a_bad_tax_rate_is_a_400_naming_the_rule(admin_client, rate, words):
    response = create(admin_client, tax_rate=rate)
    assert response.status_code == 400
    assert words in response.json()["tax_rate"][0]
    assert not Order.objects.exists()


def test_tax_rounds_half_up_and_leaves_shipping_untaxed(admin_client):
    product = ProductFactory(price=50)
    # 50 × 1 % = 0.5 → 1 (half up); shipping 1 000 untaxed
    order = create(
        admin_client, items=[{"product": product.pk}], tax_rate="1", shipping_cost=1_000
    ).json()
    assert (order["tax"], order["total"]) == (1, 1_051)


# --- coupons: applying, and what refuses them ----------------------------------------------------


def test_a_fixed_coupon_is_capped_by_the_goods(admin_client):
    CouponFactory(code="BIG", kind="fixed", value=10_000_000)
    product = ProductFactory(price=300_000)
    order = create(admin_client, items=[{"product": product.pk}], coupon_code="BIG").json()
    assert (order["coupon_discount"], order["total"]) == (300_000, 0)
    assert order["is_paid"] is False and order["is_payable"] is False


@pytest.mark.parametrize(
    ("coupon", "words"),
    [
        ({"is_active": False}, "is inactive"),
        ({"valid_to": timezone.now() - timedelta(days=1)}, "has expired"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "is not valid yet"),
        ({"min_subtotal": 5_000_000}, "needs goods of at least 5000000"),
    ],
)
def test_a_coupon_that_cannot_apply_is_a_400_on_coupon_code(admin_client, product, coupon, words):
    CouponFactory(code="NOPE", **coupon)
    response = create(admin_client, items=items(product), coupon_code="nope")
    assert response.status_code == 400
    assert words in response.json()["coupon_code"][0]
    assert not Order.objects.exists()


def test_an_unknown_or_malformed_code_is_a_400_on_coupon_code(admin_client):
    unknown = create(admin_client, coupon_code="MISSING")
    assert unknown.status_code == 400 and "No coupon" in unknown.json()["coupon_code"][0]
    malformed = create(admin_client, coupon_code="no spaces!")
    assert malformed.status_code == 400 and "3–32" in malformed.json()["coupon_code"][0]


def test_a_used_up_coupon_is_refused(admin_client):
    coupon = CouponFactory(code="ONCE", max_uses=1)
    assert create(admin_client, coupon_code="once").status_code == 201
    refused = create(admin_client, coupon_code="ONCE")
    assert refused.status_code == 400 and "used up" in refused.json()["coupon_code"][0]
    assert Order.objects.filter(coupon=coupon).count() == 1


def test_the_per_customer_limit_counts_that_customers_orders_and_spares_guests(admin_client):
    CouponFactory(code="MINE", max_uses_per_customer=1)
    first, second = CustomerFactory(), CustomerFactory()
    assert create(admin_client, customer=first.pk, coupon_code="MINE").status_code == 201
    refused = create(admin_client, customer=first.pk, coupon_code="MINE")
    assert refused.status_code == 400
    assert "limit of 1 uses per customer" in refused.json()["coupon_code"][0]
    assert create(admin_client, customer=second.pk, coupon_code="MINE").status_code == 201
    assert create(admin_client, coupon_code="MINE").status_code == 201  # a guest
    assert create(admin_client, coupon_code="MINE").status_code == 201


def test_cancelled_failed_and_deleted_orders_free_their_use(admin_client):
    CouponFactory(code="LAST", max_uses=1)
    first = create(admin_client, coupon_code="LAST").json()
    assert patch(admin_client, first["id"], status="cancelled").status_code == 200
    second = create(admin_client, coupon_code="LAST")
    assert second.status_code == 201
    back = patch(admin_client, first["id"], status="new")
    assert back.status_code == 400
    assert "used up" in back.json()["coupon_code"][0]
    assert "Remove the coupon" in back.json()["coupon_code"][0]
    assert Order.objects.get(pk=first["id"]).status == Status.CANCELLED
    # removing the coupon in the same write lets the order come back
    ok = patch(admin_client, first["id"], status="new", coupon_code=None)
    assert ok.status_code == 200 and ok.json()["coupon_data"] is None


def test_a_change_of_customer_checks_the_new_customers_uses(admin_client):
    CouponFactory(code="EACH", max_uses_per_customer=1)
    taken, other = CustomerFactory(), CustomerFactory()
    create(admin_client, customer=taken.pk, coupon_code="EACH")
    order = create(admin_client, customer=other.pk, coupon_code="EACH").json()
    refused = patch(admin_client, order["id"], customer=taken.pk)
    assert refused.status_code == 400 and "per customer" in refused.json()["coupon_code"][0]
    assert Order.objects.get(pk=order["id"]).customer_id == other.pk


def test_the_window_and_activity_are_not_checked_again(admin_client, product):
    coupon = CouponFactory(code="SOON-OVER", kind="fixed", value=100_000)
    order = create(admin_client, items=items(product), coupon_code="soon-over").json()
    Coupon.objects.filter(pk=coupon.pk).update(
        is_active=False, valid_to=timezone.now() - timedelta(days=1)
    )
    assert patch(admin_client, order["id"], status="cancelled").status_code == 200
    back = patch(admin_client, order["id"], status="new")
    assert back.status_code == 200 and back.json()["coupon_discount"] == 100_000


def test_removing_a_coupon_with_null_or_empty(admin_client, product):
    CouponFactory(code="OFF", kind="fixed", value=100_000)
    for empty in (None, ""):
        order = create(admin_client, items=items(product), coupon_code="OFF").json()
        removed = patch(admin_client, order["id"], coupon_code=empty).json()
        assert (removed["coupon_code"], removed["coupon_data"], removed["coupon_discount"]) == (
            None, None, 0,
        )  # fmt: skip
        assert removed["total"] == 1_800_000


def test_resending_the_same_code_keeps_the_terms_it_was_given(admin_client, product):
    coupon = CouponFactory(code="KEEP", kind="percent", value=10)
    order = create(admin_client, items=items(product), coupon_code="KEEP").json()
    Coupon.objects.filter(pk=coupon.pk).update(value=50, is_active=False)
    again = admin_client.put(f"/api/orders/{order['id']}/", order)  # a GET body PUT back
    assert again.status_code == 200, again.json()
    assert again.json()["coupon_discount"] == 180_000
    assert again.json()["coupon_data"]["value"] == 10


# --- frozen terms, and the discount recomputed on item changes ----------------------------------


def test_the_terms_are_frozen_and_the_discount_follows_the_items(admin_client, product):
    coupon = CouponFactory(code="FROZEN", kind="percent", value=10, max_discount=500_000)
    order = create(admin_client, items=items(product, unit_discount=0), coupon_code="FROZEN")
    order = order.json()
    assert order["coupon_discount"] == 200_000
    admin_client.patch(
        f"/api/coupons/{coupon.pk}/", {"value": 50, "max_discount": None, "is_active": False}
    )
    unchanged = admin_client.get(f"/api/orders/{order['id']}/").json()
    assert unchanged["coupon_data"] == {"id": coupon.pk, "code": "FROZEN", "kind": "percent",
                                        "value": 10}  # fmt: skip
    assert unchanged["coupon_discount"] == 200_000
    added = admin_client.post(
        f"/api/orders/{order['id']}/items/", {"product": product.pk, "quantity": 5}
    ).json()
    assert added["coupon_discount"] == 500_000  # 10 % of 7 000 000, capped by the old cap
    assert_stored_matches(added)


def test_below_the_minimum_the_discount_is_zero_and_the_coupon_stays(admin_client, product):
    CouponFactory(code="MIN", kind="fixed", value=300_000, min_subtotal=1_500_000)
    order = create(admin_client, items=items(product, unit_discount=0), coupon_code="MIN").json()
    item_id = order["items"][0]["id"]
    lowered = admin_client.patch(
        f"/api/orders/{order['id']}/items/{item_id}/", {"quantity": 1}
    ).json()
    assert (lowered["coupon_code"], lowered["coupon_discount"]) == ("MIN", 0)
    assert lowered["discounts"] == []
    raised = admin_client.patch(
        f"/api/orders/{order['id']}/items/{item_id}/", {"quantity": 3}
    ).json()
    assert raised["coupon_discount"] == 300_000


# --- the staff discount -------------------------------------------------------------------------


def test_an_order_discount_above_the_goods_is_a_400_stating_the_maximum(admin_client, product):
    CouponFactory(code="C150", kind="fixed", value=150_000)
    response = create(
        admin_client, items=items(product), coupon_code="C150", order_discount=1_700_000
    )
    assert response.status_code == 400
    assert "must not exceed 1650000" in response.json()["order_discount"][0]
    assert not Order.objects.exists()
    order = create(admin_client, items=items(product), order_discount=1_800_000).json()
    assert order["total"] == 0
    refused = patch(admin_client, order["id"], order_discount=1_800_001)
    assert refused.status_code == 400 and "1800000" in refused.json()["order_discount"][0]


def test_changes_that_lower_the_maximum_lower_the_order_discount(admin_client, product):
    order = create(admin_client, items=items(product), order_discount=1_500_000).json()
    CouponFactory(code="GROW", kind="fixed", value=500_000)
    with_coupon = patch(admin_client, order["id"], coupon_code="GROW").json()
    assert (with_coupon["coupon_discount"], with_coupon["order_discount"]) == (500_000, 1_300_000)
    item_id = order["items"][0]["id"]
    fewer = admin_client.patch(
        f"/api/orders/{order['id']}/items/{item_id}/", {"quantity": 1}
    ).json()
    assert (fewer["coupon_discount"], fewer["order_discount"]) == (500_000, 400_000)
    admin_client.delete(f"/api/orders/{order['id']}/items/{item_id}/")
    empty = admin_client.get(f"/api/orders/{order['id']}/").json()
    assert (empty["coupon_discount"], empty["order_discount"], empty["total"]) == (0, 0, 0)
    assert_stored_matches(empty)


def test_a_settled_orders_coupon_discount_and_tax_cannot_change(admin_client, product):
    CouponFactory(code="LATE", kind="fixed", value=1_000)
    order = create(admin_client, items=items(product), tax_rate=9).json()
    for status in ("processing", "completed"):
        assert patch(admin_client, order["id"], status=status).status_code == 200
    for change in ({"coupon_code": "LATE"}, {"order_discount": 1}, {"tax_rate": 10}):
        refused = patch(admin_client, order["id"], **change)
        assert refused.status_code == 409 and "cannot change" in refused.json()["detail"]
    body = admin_client.get(f"/api/orders/{order['id']}/").json()
    assert admin_client.put(f"/api/orders/{order['id']}/", body).status_code == 200  # unchanged
    assert body["tax"] == 162_000


def test_a_non_integral_order_discount_is_a_400(admin_client):
    response = create(admin_client, order_discount=10.5)
    assert response.status_code == 400 and "order_discount" in response.json()


# --- payments use the new total -----------------------------------------------------------------


def test_approving_beyond_the_discounted_taxed_total_is_refused(admin_client, product):
    CouponFactory(code="TEN", kind="percent", value=10, max_discount=150_000)
    order = create(
        admin_client, items=items(product), coupon_code="TEN", order_discount=50_000,
        tax_rate="9", shipping_cost=75_000,
    ).json()  # fmt: skip
    url = f"/api/orders/{order['id']}/payments/"
    refused = admin_client.post(url, {"amount": 1_819_001, "approved": True})
    assert refused.status_code == 400 and "1819000" in refused.json()["amount"][0]
    paid = admin_client.post(url, {"amount": 1_819_000, "approved": True}).json()
    assert (paid["amount_outstanding"], paid["is_paid"], paid["is_payable"]) == (0, True, False)


def test_inline_payments_are_checked_against_the_total_with_coupon_and_tax(admin_client, product):
    CouponFactory(code="HALF", kind="percent", value=50)
    body = {"items": items(product, unit_discount=0), "coupon_code": "HALF", "tax_rate": 10}
    refused = create(admin_client, **body, payments=[{"amount": 1_100_001, "approved": True}])
    assert refused.status_code == 400 and "1100000" in str(refused.json()["payments"])
    assert not Order.objects.exists()
    ok = create(admin_client, **body, payments=[{"amount": 1_100_000, "approved": True}])
    assert ok.status_code == 201 and ok.json()["is_paid"]


# --- tags and source ----------------------------------------------------------------------------


def test_tags_are_trimmed_deduplicated_in_first_place_and_case_sensitive(admin_client):
    order = create(admin_client, tags=[" gift ", "VIP", "gift", "vip", "هدیه"]).json()
    assert order["tags"] == ["gift", "VIP", "vip", "هدیه"]
    cleared = patch(admin_client, order["id"], tags=None).json()
    assert cleared["tags"] == []


@pytest.mark.parametrize(
    "tags", [["x" * 51], [" "], [f"t{i}" for i in range(21)], "gift", [{"a": 1}]]
)
def test_bad_tags_are_a_400_on_tags(admin_client, tags):
    response = create(admin_client, tags=tags)
    assert response.status_code == 400 and "tags" in response.json()
    assert not Order.objects.exists()


def test_source_is_read_only(admin_client):
    order = create(admin_client, source="demo").json()  # a read-only field sent back is ignored
    assert order["source"] == "api"


# --- list filters, ordering and search ----------------------------------------------------------


@pytest.fixture
def shelf(admin_client, product):
    """Orders with and without coupons, tags and payments."""
    spring = CouponFactory(code="SPRING-1405", kind="fixed", value=100_000)
    CouponFactory(code="WINTER", kind="fixed", value=50_000)
    made = {
        "spring": create(admin_client, items=items(product), coupon_code="spring-۱۴۰۵",
                         tags=["gift", "VIP"]),
        "winter": create(admin_client, items=items(product, quantity=1), coupon_code="winter",
                         tags=["urgent"]),
        "plain": create(admin_client, items=items(product, quantity=3), tags=["Gift"]),
        "empty": create(admin_client),
    }  # fmt: skip
    orders = {name: response.json() for name, response in made.items()}
    admin_client.post(
        f"/api/orders/{orders['plain']['id']}/payments/",
        {"amount": orders["plain"]["total"], "approved": True},
    )
    return {"spring_coupon": spring, **{name: order["id"] for name, order in orders.items()}}


def listed(client, query: str) -> list[int]:
    response = client.get(f"/api/orders/?{query}")
    assert response.status_code == 200, response.json()
    return [order["id"] for order in response.json()["results"]]


def test_the_new_filters(admin_client, shelf):
    s = shelf
    assert listed(admin_client, f"coupon={s['spring_coupon'].pk}") == [s["spring"]]
    assert listed(admin_client, "coupon_code=Spring-1405") == [s["spring"]]
    assert listed(admin_client, "coupon_code=NOSUCH") == []
    assert set(listed(admin_client, "has_coupon=true")) == {s["spring"], s["winter"]}
    assert set(listed(admin_client, "has_coupon=false")) == {s["plain"], s["empty"]}
    assert listed(admin_client, "total_min=2000000") == [s["plain"]]  # 2 700 000
    assert set(listed(admin_client, "total_max=900000")) == {s["winter"], s["empty"]}
    assert listed(admin_client, "is_paid=true") == [s["plain"]]
    assert s["plain"] not in listed(admin_client, "is_paid=false")
    assert listed(admin_client, "tag=gift") == [s["spring"]]
    assert listed(admin_client, "tag=Gift") == [s["plain"]]
    assert set(listed(admin_client, "tag_in=urgent,VIP")) == {s["spring"], s["winter"]}


@pytest.mark.parametrize(
    "query", ["coupon=abc", "has_coupon=maybe", "total_min=1.5", "is_paid=yes", "coupon_code=a b",
              "tag_in=a,,b"],
)  # fmt: skip
def test_bad_values_of_the_new_filters_are_400s(admin_client, query):
    response = admin_client.get(f"/api/orders/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_ordering_by_total_both_ways(admin_client, shelf):
    s = shelf
    by_total = [s["empty"], s["winter"], s["spring"], s["plain"]]
    assert listed(admin_client, "ordering=total") == by_total
    assert listed(admin_client, "ordering=-total") == by_total[::-1]


def test_search_matches_a_coupon_code_by_prefix(admin_client, shelf):
    assert listed(admin_client, "search=spring") == [shelf["spring"]]
    assert listed(admin_client, "search=SPRING-۱۴") == [shelf["spring"]]
    assert listed(admin_client, "search=pring") == []


# --- the schema ---------------------------------------------------------------------------------


def test_the_schema_has_the_new_fields_with_their_real_types(admin_client):
    schema = admin_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    order = schema["Order"]["properties"]
    for key in ("coupon_discount", "order_discount", "tax"):
        assert order[key]["type"] == "integer"
    assert order["tax_rate"]["type"] == "string" and order["tax_rate"]["pattern"]
    assert set(MONEY_KEYS) <= set(order)
    write = next(v for k, v in schema.items() if k.startswith("OrderWrite"))["properties"]
    assert {"coupon_code", "order_discount", "tax_rate", "tags"} <= set(write)
    assert "source" not in write
    coupon = schema["Coupon"]["properties"]
    assert coupon["value"]["type"] == "integer" and coupon["code"]["maxLength"] == 32


# --- query counts -------------------------------------------------------------------------------

# The coupon as applied, the money and the tags are columns of the order row, so coupon orders
# cost what other orders cost (test_order_list.LIST_QUERIES, test_order_rules.RETRIEVE_QUERIES
# pin the list and the retrieve with every kind of nested row). Here, with no methods or places:
# the token, the count, the page's ids, its rows, its items, its payments, its shipments, its
# refunds (SPEC §14: each with its lines, one query each).
LIST_QUERIES = 8
# On PostgreSQL one order, its items, payments, shipments and refunds are one document
# (bazaar.orders.documents): one query instead of five.
ORDER_READS = 1 if connection.vendor == "postgresql" else 5
RETRIEVE_QUERIES = 1 + ORDER_READS  # the token, the order with everything it nests
# On PostgreSQL the new item or payment, the order's update, its events, its change-feed row and
# the active webhook subscriptions are one statement (bazaar.orders.events.EventLog.commit):
# four fewer.
WRITE_TOGETHER_SAVES = 4 if connection.vendor == "postgresql" else 0
# A payment add: the token; in a savepoint, the locked order (which is the 404 check: the view
# does not look for the order first), the insert, the order's update (the payment counted into
# amount_paid, not summed again), its event, its change-feed row (bazaar.feed), the active
# webhook subscriptions (none here: bazaar.webhooks' outbox); then the response
# (RETRIEVE_QUERIES - 1: the token is read once).
# SPEC §14: a payment write answers with shipments and refunds too (two queries).
PAYMENT_ADD_QUERIES = 9 + ORDER_READS - WRITE_TOGETHER_SAVES
# An item add also reads its product with the image and whether it has option groups (one
# query; on PostgreSQL in the order's locking statement, services._lock_order_with_product),
# and sums nothing either: the new item is counted into the stored totals and the fulfilment
# status (services._add_to_totals, fulfilment.rules.fulfilment_status_after_adding).
ITEM_ADD_QUERIES = PAYMENT_ADD_QUERIES + (0 if connection.vendor == "postgresql" else 1)


def test_lists_retrieves_and_writes_of_coupon_orders_cost_pinned_flat_queries(
    admin_client, memory_cache, django_assert_num_queries
):
    product = ProductFactory(price=1_000)
    CouponFactory(code="PIN", kind="percent", value=10)
    first = create(
        admin_client, items=[{"product": product.pk}], coupon_code="PIN", tax_rate=9, tags=["a"]
    ).json()
    url = f"/api/orders/{first['id']}"
    for size in (1, 50):
        while Order.objects.count() < size:
            create(admin_client, coupon_code="PIN", tags=["b", "c"], order_discount=0)
        with django_assert_num_queries(LIST_QUERIES):
            assert len(admin_client.get("/api/orders/?limit=100").json()["results"]) == size
        with django_assert_num_queries(RETRIEVE_QUERIES):
            admin_client.get(f"{url}/")
        with django_assert_num_queries(ITEM_ADD_QUERIES):
            assert admin_client.post(f"{url}/items/", {"product": product.pk}).status_code == 201
        with django_assert_num_queries(PAYMENT_ADD_QUERIES):
            assert admin_client.post(f"{url}/payments/", {"amount": 1}).status_code == 201
