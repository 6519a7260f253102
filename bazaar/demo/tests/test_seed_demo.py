"""`seed_demo`: the demo shop it loads is consistent, idempotent where it promises to be, and the
same for the same seed (SPEC §9)."""

import re
from collections.abc import Iterator
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from bazaar.accounts.models import User
from bazaar.accounts.validators import national_code_checksum_ok, normalize_mobile
from bazaar.catalog.models import Product
from bazaar.coupons.models import Coupon
from bazaar.customers.models import Customer
from bazaar.demo import catalogue
from bazaar.demo.bulk import insert_rows
from bazaar.demo.models import SeedRun
from bazaar.demo.plan import customer_plan, order_plan
from bazaar.fulfilment import rules
from bazaar.fulfilment.models import Refund, Shipment, ShipmentStatus
from bazaar.geo.models import City, Country, State
from bazaar.media.models import Image
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod
from bazaar.orders.events import EventLog
from bazaar.orders.models import (
    DeliveryMethod,
    FulfilmentStatus,
    Order,
    OrderItem,
    OrderPayment,
    OrderSource,
)
from bazaar.orders.status import Status
from bazaar.orders.tests.totals import order_totals_from_rows

REFERENCE_MODELS = (
    Country, State, City, PaymentMethod, ShippingMethod, Branch, Product, Image, Customer,
)  # fmt: skip


def assert_fulfilment_as_the_services_keep_it(order: Order) -> None:
    """What the order and its items keep of their shipments and refunds (SPEC §14) is what the
    fulfilment services' own functions recompute from the rows, and the order's status is one
    that their automatic moves leave where it is (a write, rolled back with the test, if not)."""
    items = list(order.items.values_list("id", "quantity", "quantity_shipped", "quantity_returned"))
    assert rules.sync_fulfilment(order) == [], (order.pk, order.fulfilment_status)
    assert rules.sync_refunds(order) == [], (order.pk, order.amount_refunded)
    after = list(order.items.values_list("id", "quantity", "quantity_shipped", "quantity_returned"))
    assert after == items, order.pk  # sync_fulfilment rewrote a stale quantity_shipped
    returned = rules.returned_quantities(order.pk)
    allocated = rules.allocated_quantities(order.pk)
    for item_id, quantity, _shipped, quantity_returned in items:
        assert quantity_returned == returned.get(item_id, 0) <= quantity, (order.pk, item_id)
        assert allocated.get(item_id, 0) <= quantity, (order.pk, item_id)
    for payment in order.payments.all():
        assert rules.payment_refunded(payment.pk) <= payment.amount, payment.pk
    assert order.net_paid == order.amount_paid - order.amount_refunded >= 0
    moves = rules.automatic_moves(order, EventLog(order), shipments=True, refunds=True)
    assert moves == [], (order.pk, order.status)


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """One demo shop for all the read-only tests of a class, rolled back when the class is done.

    Seeding draws 72 pictures with their thumbnails, too slow to repeat for every test. Each
    test still runs in its own savepoint inside this transaction (the `db` fixture).
    """
    media = tmp_path_factory.mktemp("seed-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        output = seed(orders=300, seed=7)
        yield SimpleNamespace(output=output, media=media)
        transaction.set_rollback(True)


@pytest.mark.usefixtures("db")
class TestSeededShop:
    """`seed_demo --orders 300 --seed 7` on an empty database."""

    def test_iran_with_its_31_provinces_and_their_cities(self, seeded):
        iran = Country.objects.get(code="IR")
        assert iran.name == "ایران"
        provinces = State.objects.filter(country=iran)
        assert provinces.count() == 31
        assert provinces.get(code="EA").name == "آذربایجان شرقی"  # as in the source's example
        assert City.objects.filter(state__code="EA", name="اسکو").exists()
        for province in catalogue.PROVINCES:
            assert City.objects.filter(state__code=province.code, name=province.cities[0]).exists()

    def test_methods_and_products_come_with_pictures_and_thumbnails(self, seeded):
        assert set(PaymentMethod.objects.values_list("name", flat=True)) >= {
            "پرداخت در محل",
            "کارت به کارت",
            "درگاه اینترنتی",
        }
        assert set(ShippingMethod.objects.values_list("name", flat=True)) >= {
            "پیک موتوری",
            "پست پیشتاز",
            "تیپاکس",
        }
        for method in [*PaymentMethod.objects.all(), *ShippingMethod.objects.all()]:
            assert sorted(method.image.thumbnails.values_list("size", flat=True)) == [
                64,
                128,
                512,
                1080,
            ]
            assert (seeded.media / method.image.file.name).is_file()
        products = Product.objects.all()
        assert products.count() == len(catalogue.PRODUCTS) >= 60
        mouse = products.get(title="ماوس لاجیتک MX Vertical")
        assert mouse.slug == "ماوس-لاجیتک-mx-vertical"  # unicode slug
        assert mouse.image.thumbnails.count() == 2  # 240 px: 64 and 128, never upscaled
        assert all(p.price > 0 and isinstance(p.price, int) for p in products)

    def test_customers_have_valid_unique_mobiles_and_no_usable_password(self, seeded):
        customers = Customer.objects.all()
        assert customers.count() == 500
        for customer in customers:
            assert normalize_mobile(customer.mobile_number) == customer.mobile_number
            assert customer.username == customer.mobile_number
            assert customer.first_name and customer.last_name
            assert not customer.has_usable_password()
            assert not customer.is_staff

    def test_stored_totals_match_the_rows_and_nothing_is_overpaid(self, seeded):
        orders = list(Order.objects.all())
        assert len(orders) == 300
        for order in orders:
            stored = {
                name: getattr(order, name) for name in order_totals_from_rows(order_id=order.pk)
            }
            assert stored == order_totals_from_rows(order_id=order.pk), order.pk
            assert_fulfilment_as_the_services_keep_it(order)
            assert 1 <= order.item_count <= 5
            assert 0 <= order.amount_paid <= order.total, order.pk
            if order.status in {Status.COMPLETED, Status.REFUNDED}:
                assert order.is_paid, order.pk
        assert {o.status for o in orders} == set(Status)  # every status

    def test_some_orders_carry_coupons_discounts_tax_and_tags_priced_as_the_api_prices(
        self, seeded
    ):
        """SPEC §12 in the demo: every order is `source=demo`, its stored money is what the
        API's formulas make of its own row, and its coupon terms are the coupon's."""
        orders = list(Order.objects.select_related("coupon"))
        assert {o.source for o in orders} == {OrderSource.DEMO}
        for order in orders:
            money = order.money()
            assert (order.coupon_discount, order.order_discount, order.tax, order.total) == (
                money.coupon_discount, money.order_discount, money.tax, money.total,
            ), order.pk  # fmt: skip
            if order.coupon is not None:
                assert order.coupon.terms == order.coupon_terms
                assert order.coupon_code == order.coupon.code
        with_coupon = [o for o in orders if o.coupon_id]
        assert 20 <= len(with_coupon) <= 80 and any(o.coupon_discount for o in with_coupon)
        assert any(o.order_discount for o in orders) and any(o.tax for o in orders)
        assert any(o.tags for o in orders)
        codes = set(Coupon.objects.values_list("code", flat=True))
        assert {c.code for c in catalogue.COUPONS} <= codes

    def test_order_rows_are_consistent(self, seeded):
        orders = Order.objects.select_related(
            "billing_state", "billing_city", "shipping_state", "shipping_city", "customer"
        )
        for order in orders:
            if order.billing_city_id:
                assert order.billing_city.state_id == order.billing_state_id
            if order.billing_state_id:
                assert order.billing_state.country_id == order.billing_country_id
            if order.billing_mobile_number is not None:
                assert normalize_mobile(order.billing_mobile_number) == order.billing_mobile_number
            if order.billing_national_code is not None:
                assert re.fullmatch(r"\d{10}", order.billing_national_code)
                assert national_code_checksum_ok(order.billing_national_code)
            if order.billing_postal_code is not None:
                assert re.fullmatch(r"\d{10}", order.billing_postal_code)
            if order.shipping_city_id:
                assert order.shipping_city.state_id == order.shipping_state_id
                assert order.shipping_state.country_id == order.shipping_country_id
                assert (
                    normalize_mobile(order.shipping_mobile_number) == order.shipping_mobile_number
                )
            if order.delivery_method == DeliveryMethod.PICKUP:
                assert order.pickup_branch_id and order.shipping_method_id is None
                assert order.shipping_address is None and order.shipping_cost == 0
            else:
                assert order.pickup_branch_id is None
            assert re.fullmatch(r"[0-9a-f]{20}", order.key)
            assert order.updated_at >= order.created_at
            assert order.shipping_cost >= 0
            if order.customer is not None:
                assert not order.customer.is_staff
        # the mix a back office sees: guests, orders without billing data, with and without notes
        assert orders.filter(customer__isnull=True).exists()
        assert orders.filter(billing_country__isnull=True).exists()
        assert orders.filter(
            billing_national_code__isnull=True, billing_city__isnull=False
        ).exists()
        assert orders.filter(notes__isnull=True).exists()
        assert orders.filter(notes__isnull=False).exists()
        assert orders.filter(delivery_method=DeliveryMethod.PICKUP).exists()
        assert orders.filter(customer__isnull=True, billing_email__isnull=False).exists()
        assert orders.exclude(shipping_first_name=F("billing_first_name")).exists()  # gifts

    def test_items_and_payments_are_consistent_with_their_order(self, seeded):
        image_files = dict(Image.objects.values_list("id", "file"))
        for item in OrderItem.objects.select_related("order", "product"):
            assert item.created_at >= item.order.created_at
            assert 0 <= item.unit_discount <= item.unit_price
            data = item.product_data
            assert set(data) == {"id", "code", "slug", "title", "image"}
            assert item.options == []
            assert (data["id"], data["code"]) == (item.product_id, item.product.code)
            assert data["image"]["type"] == "image"
            assert data["image"]["id"] == item.product.image_id
            assert "thumbnails" not in data["image"]  # as the API's snapshot (source 001)
            assert data["image"]["f"] == image_files[item.product.image_id]  # a path, not a URL
        for payment in OrderPayment.objects.select_related("order"):
            assert payment.amount > 0
            assert payment.order.created_at <= payment.created_at <= payment.order.updated_at
        assert OrderPayment.objects.filter(approved=False).exists()

    def test_shipments_and_refunds_fit_each_order_and_its_status(self, seeded):
        """SPEC §14 in the demo: the carrier is the order's shipping method, tracking URLs come
        from its template, timestamps follow the status moves and the order's life."""
        shipments = list(Shipment.objects.select_related("order", "shipping_method"))
        for shipment in shipments:
            order = shipment.order
            assert order.delivery_method == DeliveryMethod.SHIPPING, order.pk
            assert shipment.shipping_method_id == order.shipping_method_id
            method = shipment.shipping_method
            expected_url = method.tracking_url(shipment.tracking_number) if method else None
            assert shipment.tracking_url == expected_url
            status = shipment.status
            assert (shipment.shipped_at is not None) == (
                status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
            ), shipment.pk  # the demo cancels only pending shipments
            assert (shipment.delivered_at is not None) == (status == ShipmentStatus.DELIVERED)
            moments = [
                order.created_at, shipment.created_at, shipment.shipped_at,
                shipment.delivered_at, shipment.updated_at, order.updated_at,
            ]  # fmt: skip
            assert [m for m in moments if m] == sorted(m for m in moments if m), shipment.pk
        for refund in Refund.objects.select_related("order", "payment"):
            assert refund.payment.order_id == refund.order_id and refund.payment.approved
            assert refund.payment.created_at <= refund.created_at <= refund.order.updated_at
        orders = Order.objects.all()
        for order in orders.filter(delivery_method=DeliveryMethod.SHIPPING):
            expected = {
                Status.SHIPPED: {FulfilmentStatus.SHIPPED},
                Status.COMPLETED: {FulfilmentStatus.DELIVERED},
                Status.PROCESSING: {
                    FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTIALLY_SHIPPED,
                },
            }.get(Status(order.status))  # fmt: skip
            if expected is not None:
                assert order.fulfilment_status in expected, order.pk
        assert not Shipment.objects.filter(order__delivery_method=DeliveryMethod.PICKUP).exists()
        for order in orders.filter(status=Status.REFUNDED):
            assert order.amount_refunded == order.amount_paid > 0, order.pk
        for order in orders.exclude(status=Status.REFUNDED):
            assert order.amount_refunded < order.amount_paid or not order.amount_refunded
        # the mix a back office sees
        statuses = {s.status for s in shipments}
        assert statuses >= {ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED}
        assert any(s.tracking_url for s in shipments)
        assert any(s.tracking_number and not s.tracking_url for s in shipments) or any(
            not s.tracking_number for s in shipments
        )  # the courier has no tracking
        assert orders.filter(status=Status.COMPLETED, amount_refunded__gt=0).exists()  # partial
        assert Refund.objects.filter(items__isnull=False).exists()  # returned quantities
        assert OrderItem.objects.filter(quantity_returned__gt=0).exists()

    def test_summary_lists_what_was_created(self, seeded):
        assert "Demo data created:" in seeded.output
        assert re.search(r"orders\s+300\n", seeded.output)
        assert re.search(r"provinces\s+31\n", seeded.output)
        assert "orders/s" in seeded.output
        assert SeedRun.objects.get().orders == 300


@pytest.mark.django_db
def test_running_twice_adds_orders_but_no_reference_data_twice():
    seed(orders=40, seed=7)
    before = {model: model.objects.count() for model in REFERENCE_MODELS}
    first_ids = list(Order.objects.order_by("id").values_list("id", flat=True))

    output = seed(orders=40, seed=7)

    assert {model: model.objects.count() for model in REFERENCE_MODELS} == before
    assert re.search(r"customers\s+0\n", output)
    assert Order.objects.count() == 80
    # Same seed, same content: the second run's orders repeat the first run's, in order.
    second = Order.objects.exclude(id__in=first_ids)
    assert _content(Order.objects.filter(id__in=first_ids)) == _content(second)


@pytest.mark.django_db
def test_once_loads_an_empty_database_and_then_does_nothing():
    seed(orders=20, once=True)
    assert Order.objects.count() == 20

    assert seed(orders=20, once=True).strip() == "Demo data already loaded"
    assert Order.objects.count() == 20
    assert SeedRun.objects.count() == 1


@pytest.mark.django_db
def test_once_leaves_a_database_in_use_alone(customer_user):
    Order.objects.create()
    assert seed(once=True).strip() == "Demo data already loaded"
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_a_planned_number_owned_by_staff_is_not_made_a_customer():
    planned = customer_plan(seed=7, count=500)[0].mobile_number
    staff = User.objects.create_user("clerk", mobile_number=planned, is_staff=True)

    seed(orders=50, seed=7)

    assert not Order.objects.filter(customer_id=staff.pk).exists()
    assert Customer.objects.count() == 499


def test_a_negative_count_is_refused():
    with pytest.raises(CommandError, match="--orders must be 0 or more"):
        call_command("seed_demo", orders=-1)


def test_same_seed_same_plan_other_seed_other_plan():
    customers = customer_plan(seed=7, count=500)
    assert customers == customer_plan(seed=7, count=500)
    assert customers[:500] == customer_plan(seed=7, count=900)[:500]  # prefix-stable
    plan = list(order_plan(seed=7, count=300, customers=customers))
    assert plan == list(order_plan(seed=7, count=300, customers=customers))
    assert plan != list(order_plan(seed=8, count=300, customers=customers))


@settings(max_examples=40, deadline=None)
@given(seed_value=st.integers(min_value=0, max_value=2**31), count=st.integers(9, 80))
def test_every_plan_keeps_the_money_rules(seed_value, count):
    customers = customer_plan(seed=seed_value, count=500)
    plans = list(order_plan(seed=seed_value, count=count, customers=customers))
    assert {p.status for p in plans} == set(Status)
    assert [p.age for p in plans] == sorted((p.age for p in plans), reverse=True)  # oldest first
    for plan in plans:
        approved = sum(p.amount for p in plan.payments if p.approved)
        assert approved <= plan.total
        if plan.status in {Status.COMPLETED, Status.REFUNDED}:
            assert approved == plan.total
        _assert_fulfilment_plan_keeps_the_rules(plan, approved)
        assert all(p.amount > 0 and p.delay <= plan.last_change <= plan.age for p in plan.payments)
        assert len({i.product for i in plan.items}) == len(plan.items)
        if plan.billing and plan.billing.national_code:
            assert national_code_checksum_ok(plan.billing.national_code)


def _assert_fulfilment_plan_keeps_the_rules(plan, approved: int) -> None:
    """SPEC §14's limits and moves on a planned order's shipments and refunds."""
    if plan.shipments:
        assert plan.pickup_branch is None
        assert plan.status in {Status.PROCESSING, Status.SHIPPED, Status.COMPLETED, Status.REFUNDED}
    for index, item in enumerate(plan.items):
        live = sum(
            q
            for s in plan.shipments
            if s.status != ShipmentStatus.CANCELLED
            for i, q in s.lines
            if i == index
        )
        assert live <= item.quantity
        assert sum(q for r in plan.refunds for i, q in r.lines if i == index) <= item.quantity
    for index, payment in enumerate(plan.payments):
        refunded = [r for r in plan.refunds if r.payment == index]
        assert not refunded or payment.approved
        assert sum(r.amount for r in refunded) <= payment.amount
        assert all(r.amount > 0 and payment.delay <= r.delay for r in refunded)
    for s in plan.shipments:
        times = [s.created, s.shipped, s.delivered, s.updated, plan.last_change, plan.age]
        assert [t for t in times if t is not None] == sorted(t for t in times if t is not None)
    assert all(r.delay <= plan.last_change for r in plan.refunds)
    fulfilment = plan.fulfilment()
    if plan.status == Status.REFUNDED:
        assert fulfilment.amount_refunded == approved > 0
    else:
        assert fulfilment.amount_refunded < approved or fulfilment.amount_refunded == 0
    if plan.status == Status.PROCESSING:  # never fully shipped: it would have moved to shipped
        assert fulfilment.status in {"unfulfilled", "partially_shipped"}
    if plan.status == Status.SHIPPED and plan.shipments:
        assert fulfilment.status == "shipped"
    if plan.status == Status.COMPLETED and plan.shipments:
        assert fulfilment.status == "delivered"


def test_a_larger_plan_shows_every_shipment_story():
    """The stories too rare to be sure of in 300 orders, in 5 000."""
    customers = customer_plan(seed=7, count=500)
    plans = list(order_plan(seed=7, count=5_000, customers=customers))
    statuses = {(p.status, p.fulfilment().status) for p in plans}
    assert (Status.PROCESSING, "partially_shipped") in statuses
    assert {(Status.REFUNDED, "delivered"), (Status.REFUNDED, "unfulfilled")} <= statuses
    shipment_statuses = {s.status for p in plans for s in p.shipments}
    assert shipment_statuses == set(ShipmentStatus)
    assert any(len([s for s in p.shipments if s.status != "cancelled"]) > 1 for p in plans)


@pytest.mark.django_db
def test_bulk_insert_names_a_required_field_it_was_not_given():
    with pytest.raises(ValueError, match="amount"):
        insert_rows(OrderPayment, ["order_id", "approved"], [])


def _content(orders) -> list[tuple]:
    return list(
        orders.order_by("id").values_list(
            "status",
            "customer_id",
            "payment_method_id",
            "shipping_method_id",
            "shipping_cost",
            "billing_city_id",
            "billing_national_code",
            "item_count",
            "items_subtotal",
            "items_discount",
            "amount_paid",
            "fulfilment_status",
            "amount_refunded",
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_seed_outside_a_transaction_commits_batch_by_batch():
    """What `make run` does. On PostgreSQL the batches then go through a second connection."""
    seed(orders=120, seed=3, batch_size=50)

    assert Order.objects.count() == 120
    assert OrderItem.objects.count() >= 120  # every order has an item
    assert Shipment.objects.exists() and Refund.objects.exists()
    for order in Order.objects.all():
        stored = {name: getattr(order, name) for name in order_totals_from_rows(order_id=order.pk)}
        assert stored == order_totals_from_rows(order_id=order.pk)
        assert_fulfilment_as_the_services_keep_it(order)
