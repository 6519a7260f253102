"""The order admin (`bazaar/orders/admin.py`) keeps the API's rules (SPEC §5-§9): status moves,
locked items and payments, approvals within the total, stored totals, search and filters."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bazaar.catalog.models import Product, ProductOptionGroup, ProductOptionValue
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.models import Customer
from bazaar.methods.models import Branch
from bazaar.orders.admin import EstimatedCountPaginator
from bazaar.orders.models import Order, OrderItem, OrderPayment
from bazaar.orders.services import order_refresh_totals
from bazaar.orders.status import Status
from bazaar.orders.tests.totals import order_totals_from_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def product() -> Product:
    return Product.objects.create(
        code="1001001", slug="mouse", title="ماوس لاجیتک MX Vertical", price=9_780_000
    )


@pytest.fixture
def customer() -> Customer:
    return Customer.objects.create(
        username="09308744204", mobile_number="09308744204", first_name="بهروز", last_name="قربانی"
    )


def make_order(*, status: str = Status.NEW, items: int = 1, paid: int = 0, **fields) -> Order:
    product = Product.objects.first()
    order = Order.objects.create(status=status, shipping_cost=75_000, **fields)
    for _ in range(items):
        OrderItem.objects.create(
            order=order, product=product, unit_price=9_780_000, unit_discount=80_000, quantity=5
        )
    if paid:
        OrderPayment.objects.create(order=order, amount=paid, approved=True)
    return order_refresh_totals(order=order)


def change_url(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def form_data(order: Order | None = None, *, items=(), payments=(), **overrides) -> dict[str, Any]:
    """The POST body of the order change form, as the browser sends it: the order's fields, then
    each inline's management form and rows (existing rows first)."""
    data: dict[str, Any] = {
        "status": order.status if order else Status.NEW,
        "customer": (order.customer_id or "") if order else "",
        "notes": (order.notes or "") if order else "",
        "extra": "{}",
        "payment_method": "",
        "shipping_method": "",
        "shipping_cost": order.shipping_cost if order else 0,
        "delivery_method": order.delivery_method if order else "shipping",
        "pickup_branch": "",
        # SPEC §12
        "coupon_code": (order.coupon_code or "") if order else "",
        "order_discount": order.order_discount if order else 0,
        "tax_rate": f"{order.tax_rate:.2f}" if order else "0.00",
        "tags": "\n".join(order.tags) if order else "",
    }
    for name in (
        "first_name", "last_name", "mobile_number", "national_code", "country", "state", "city",
        "address", "postal_code", "email",
    ):  # fmt: skip
        data[f"billing_{name}"] = ""
    for name in (
        "first_name", "last_name", "mobile_number", "country", "state", "city", "address",
        "postal_code", "latitude", "longitude",
    ):  # fmt: skip
        data[f"shipping_{name}"] = ""
    existing_items = list(order.items.all()) if order else []
    existing_payments = list(order.payments.all()) if order else []
    rows = [
        {
            "id": i.pk,
            "product": i.product_id,
            "unit_price": i.unit_price,
            "unit_discount": i.unit_discount,
            "quantity": i.quantity,
            "notes": i.notes,
        }
        for i in existing_items
    ]
    _inline(data, "items", order, rows + list(items), len(existing_items))
    rows = [
        {
            "id": p.pk,
            "payment_method": p.payment_method_id or "",
            "amount": p.amount,
            "approved": "on" if p.approved else "",
            "transaction_id": p.transaction_id,
            "notes": p.notes,
        }
        for p in existing_payments
    ]
    _inline(data, "payments", order, rows + list(payments), len(existing_payments))
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _inline(data: dict, prefix: str, order: Order | None, rows: list[dict], initial: int) -> None:
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(rows),
            f"{prefix}-INITIAL_FORMS": initial,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    )
    for index, row in enumerate(rows):
        for name, value in row.items():
            if name == "approved" and not value:
                continue  # an unticked checkbox is not sent
            data[f"{prefix}-{index}-{name}"] = value
        data[f"{prefix}-{index}-order"] = order.pk if order else ""


def errors_in(response) -> list[str]:
    assert response.status_code == 200, "expected the form again, with errors"
    # The admin's error list holds the form's field error lists and the inlines' messages.
    found = []
    for entry in response.context["errors"]:
        found.extend([entry] if isinstance(entry, str) else entry)
    return found


# --- status --------------------------------------------------------------------------------------


def test_an_allowed_status_move_is_saved(browser, product):
    order = make_order()
    before = order.updated_at

    response = browser.post(change_url(order), form_data(order, status=Status.PROCESSING))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.PROCESSING
    assert order.updated_at > before


def test_a_refused_status_move_shows_the_api_message(browser, product):
    order = make_order()

    response = browser.post(change_url(order), form_data(order, status=Status.COMPLETED))

    assert errors_in(response) == [
        "Cannot change status from 'new' to 'completed'. "
        "Allowed next statuses: hold, failed, cancelled, processing, deleted."
    ]
    order.refresh_from_db()
    assert order.status == Status.NEW


def test_a_new_order_cannot_start_in_a_later_stage(browser, product):
    response = browser.post(
        reverse("admin:orders_order_add"), form_data(None, status=Status.SHIPPED)
    )
    assert "'shipped' is reserved for later stages" in errors_in(response)[0]
    assert not Order.objects.exists()


def test_the_change_form_lists_the_allowed_next_statuses(browser, product):
    response = browser.get(change_url(make_order(status=Status.SHIPPED)))
    assert "Allowed next: Completed, Refunded." in response.content.decode()  # by name


# --- items ---------------------------------------------------------------------------------------


def test_adding_an_item_snapshots_the_product_and_refreshes_the_totals(browser, product, customer):
    order = make_order(items=0, customer=customer)
    new_item = {"product": product.pk, "unit_price": "", "unit_discount": 0, "quantity": 2}

    response = browser.post(change_url(order), form_data(order, items=[new_item]))

    assert response.status_code == 302
    item = order.items.get()
    assert item.unit_price == product.price  # empty price: the product's current one
    assert item.product_data == {
        "id": product.pk,
        "code": "1001001",
        "slug": "mouse",
        "title": "ماوس لاجیتک MX Vertical",
        "image": None,
    }
    order.refresh_from_db()
    assert order.items_subtotal == 2 * product.price
    assert {n: getattr(order, n) for n in order_totals_from_rows(order_id=order.pk)} == (
        order_totals_from_rows(order_id=order.pk)
    )


def test_an_item_added_in_the_admin_snapshots_the_image_path_not_a_url(browser, customer):
    """Issue 13: the snapshot stores the file's path; the API builds the URL when it reads."""
    product = ProductFactory(with_image=True)
    order = make_order(items=0, customer=customer)
    new_item = {"product": product.pk, "unit_price": "", "unit_discount": 0, "quantity": 1}
    response = browser.post(change_url(order), form_data(order, items=[new_item]))
    assert response.status_code == 302
    assert order.items.get().product_data["image"]["f"] == product.image.file.name


def test_items_cannot_change_while_the_order_is_completed(browser, product):
    order = make_order(status=Status.COMPLETED)
    item = order.items.get()

    response = browser.post(
        change_url(order), form_data(order, **{"items-0-quantity": item.quantity + 1})
    )

    assert errors_in(response) == [
        "Items cannot be added, changed or removed while the order is 'completed'."
    ]
    item.refresh_from_db()
    assert item.quantity == 5


def test_a_discount_above_the_price_is_refused(browser, product):
    order = make_order()
    response = browser.post(change_url(order), form_data(order, **{"items-0-unit_discount": 10**8}))
    assert errors_in(response) == ["Must not exceed unit_price (9780000)."]


# --- payments ------------------------------------------------------------------------------------


def test_approving_beyond_the_total_is_refused_with_the_outstanding_amount(browser, product):
    order = make_order(paid=500_000)  # total 48 575 000 (source 001's worked example)
    assert order.total == 48_575_000
    payment = {"amount": 48_575_000, "approved": "on", "transaction_id": "1589800"}

    response = browser.post(change_url(order), form_data(order, payments=[payment]))

    assert errors_in(response) == [  # the API's message: the admin writes through its service
        "Approving 48575000 would take amount_paid above the order total (48575000): "
        "the outstanding amount is 48075000."
    ]
    assert order.payments.count() == 1


def test_paying_the_outstanding_amount_settles_the_order(browser, product):
    order = make_order(paid=500_000)
    payment = {"amount": 48_075_000, "approved": "on", "transaction_id": "77"}

    assert browser.post(change_url(order), form_data(order, payments=[payment])).status_code == 302

    order.refresh_from_db()
    assert (order.amount_paid, order.amount_outstanding, order.is_paid) == (48_575_000, 0, True)


def test_a_change_elsewhere_never_fails_on_payments_already_approved(browser, product):
    order = make_order(paid=48_575_000)
    response = browser.post(change_url(order), form_data(order, shipping_cost=0))
    assert response.status_code == 302  # overpaid by 75 000 now, as the API allows


def test_payments_cannot_change_while_the_order_is_deleted(browser, product):
    order = make_order(status=Status.DELETED)
    response = browser.post(change_url(order), form_data(order, payments=[{"amount": 1000}]))
    assert errors_in(response) == ["Payments cannot be changed while the order is 'deleted'."]


# --- billing -------------------------------------------------------------------------------------


def test_billing_numbers_are_normalised_as_in_the_api(browser, product):
    order = make_order()
    data = form_data(
        order,
        billing_mobile_number="+98 912 345 6789",
        billing_postal_code="۱۲۳۴۵۶۷۸۹۰",
        billing_national_code="0499370899",
    )

    assert browser.post(change_url(order), data).status_code == 302

    order.refresh_from_db()
    assert order.billing_mobile_number == "09123456789"
    assert order.billing_postal_code == "1234567890"


def test_a_wrong_national_code_is_refused(browser, product):
    order = make_order()
    response = browser.post(change_url(order), form_data(order, billing_national_code="0499370898"))
    assert errors_in(response) == ["This national code's check digit is wrong."]


# --- list: search, filters, counting, deleting ---------------------------------------------------


def listed(browser, query: str = "") -> list[int]:
    response = browser.get(reverse("admin:orders_order_changelist") + query)
    assert response.status_code == 200
    return sorted(o.pk for o in response.context["cl"].result_list)


def test_search_matches_what_the_api_search_matches(browser, product, customer):
    mine = make_order(customer=customer, notes="زنگ خراب است")
    other = make_order(billing_first_name="پدرام")

    assert listed(browser, "?q=قربانی") == [mine.pk]  # customer's last name
    assert listed(browser, "?q=بهروز+خراب") == [mine.pk]  # every word must match
    assert listed(browser, f"?q={other.key[:6]}") == [other.pk]  # key prefix
    assert other.pk in listed(browser, f"?q={other.pk}")  # id (or a customer with that id)
    assert listed(browser, "?q=پدرام") == [other.pk]  # billing name


def test_filters_use_the_api_names(browser, product, customer):
    mine = make_order(customer=customer)
    guest = make_order(status=Status.HOLD)

    assert listed(browser, "?has_customer=true") == [mine.pk]
    assert listed(browser, "?has_customer=false") == [guest.pk]
    assert listed(browser, "?status__exact=hold") == [guest.pk]


def test_the_list_counts_small_results_exactly(browser, product):
    make_order()
    make_order()
    response = browser.get(reverse("admin:orders_order_changelist"))
    assert response.context["cl"].result_count == 2
    assert response.context["cl"].full_result_count is None  # no second COUNT(*)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="uses PostgreSQL's row estimate")
def test_a_big_list_takes_the_planner_estimate_instead_of_counting():
    paginator = EstimatedCountPaginator(Order.objects.all(), 50)
    paginator.exact_up_to = -1  # as if the table were huge

    with CaptureQueriesContext(connection) as queries:
        assert paginator.count >= 0

    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()] == []
    assert queries.captured_queries[0]["sql"].startswith("EXPLAIN")


def test_orders_are_soft_deleted_through_the_status_rules(browser, product):
    open_order = make_order()
    settled = make_order(status=Status.COMPLETED)

    response = browser.post(
        reverse("admin:orders_order_changelist"),
        {"action": "mark_deleted", "_selected_action": [open_order.pk, settled.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "1 order marked as deleted." in page
    assert (
        f"#{settled.pk}: Cannot change status from &#x27;completed&#x27; to &#x27;deleted&#x27;"
        in page
    )
    assert Order.objects.get(pk=open_order.pk).status == Status.DELETED
    assert Order.objects.get(pk=settled.pk).status == Status.COMPLETED
    # no hard delete anywhere
    delete_url = reverse("admin:orders_order_delete", args=[open_order.pk])
    assert browser.get(delete_url).status_code == 403


def test_the_admin_speaks_persian_right_to_left(browser, product):
    make_order()
    page = browser.get(reverse("admin:orders_order_changelist"), HTTP_ACCEPT_LANGUAGE="fa")
    assert re.search(r'<html lang="fa" dir="rtl"', page.content.decode())
    english = browser.get(reverse("admin:orders_order_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en" dir="ltr"' in english.content.decode()


def test_an_item_takes_the_products_options_as_the_api_does(browser, product):
    colour = ProductOptionGroup.objects.create(product=product, name="رنگ", required=True)
    black = ProductOptionValue.objects.create(group=colour, name="مشکی", price_delta=0)
    white = ProductOptionValue.objects.create(group=colour, name="سفید", price_delta=50_000)
    order = make_order(items=0)
    row = {"product": product.pk, "unit_price": "", "unit_discount": 0, "quantity": 1}

    missing = browser.post(change_url(order), form_data(order, items=[row]))
    assert errors_in(missing) == ["'رنگ' is required: choose one of its values."]

    chosen = {**row, "option_values": f"{white.pk}"}
    assert browser.post(change_url(order), form_data(order, items=[chosen])).status_code == 302

    item = order.items.get()
    assert item.unit_price == product.price + 50_000  # the catalog price with the option's delta
    assert item.options == [white.pk]
    assert item.product_data["options"] == [
        {"group": "رنگ", "value": "سفید", "price_delta": 50_000}
    ]
    assert black.pk not in item.options


@pytest.mark.parametrize("typed", ["²", "1,①", "9" * 30, "12a"])
def test_regression_option_values_that_are_not_ids_are_a_form_error(browser, product, typed):
    order = make_order(items=0)
    row = {"product": product.pk, "unit_price": "", "unit_discount": 0, "quantity": 1}
    response = browser.post(
        change_url(order), form_data(order, items=[{**row, "option_values": typed}])
    )
    assert response.status_code == 200
    assert errors_in(response) == ["Option value ids are whole numbers, e.g. 12, 15."]
    assert not order.items.exists()


def test_a_pickup_order_needs_a_branch(browser, product):
    order = make_order()
    response = browser.post(change_url(order), form_data(order, delivery_method="pickup"))
    assert errors_in(response) == ["Required when delivery_method is pickup."]


def test_switching_to_pickup_drops_the_shipping_address(browser, product):
    branch = Branch.objects.create(name="شعبه مرکزی تهران", code="THR-01")
    order = make_order(shipping_address="تهران، خیابان ولیعصر", shipping_first_name="سارا")
    data = form_data(
        order,
        delivery_method="pickup",
        pickup_branch=branch.pk,
        shipping_address=order.shipping_address,  # untouched on the form
        shipping_first_name=order.shipping_first_name,
    )

    assert browser.post(change_url(order), data).status_code == 302

    order.refresh_from_db()
    assert (order.delivery_method, order.pickup_branch_id) == ("pickup", branch.pk)
    assert order.shipping_address is None and order.shipping_first_name is None
