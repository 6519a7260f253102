"""The order admin edits SPEC §12's coupon, staff discount, tax rate and tags under the API's
rules, through the API's write path."""

import pytest
from django.test import Client
from django.urls import reverse

from bazaar.catalog.models import Product
from bazaar.coupons.tests.factories import CouponFactory
from bazaar.demo.tests.test_order_admin import change_url, errors_in, form_data, make_order
from bazaar.orders.models import Order, OrderSource
from bazaar.orders.status import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def product() -> Product:
    """The product make_order() puts on its orders."""
    return Product.objects.create(code="1001001", slug="mouse", title="ماوس", price=9_780_000)


# make_order: one item 9 780 000 × 5 with unit discount 80 000, shipping 75 000 (source 001)
GOODS = 48_900_000 - 400_000


def test_the_admin_applies_a_coupon_discount_and_tax_like_the_api(browser, product):
    CouponFactory(code="TEN", kind="percent", value=10, max_discount=1_000_000)
    order = make_order()
    response = browser.post(
        change_url(order),
        form_data(order, coupon_code="ten", order_discount=500_000, tax_rate="9", tags="gift\nVIP"),
    )
    assert response.status_code == 302, errors_in(response)
    order.refresh_from_db()
    assert (order.coupon_code, order.coupon_discount, order.order_discount) == (
        "TEN", 1_000_000, 500_000,
    )  # fmt: skip
    taxed = GOODS - 1_500_000
    assert order.tax == (taxed * 9 + 50) // 100
    assert order.total == taxed + order.tax + 75_000
    assert order.tags == ["gift", "VIP"]
    page = browser.get(change_url(order)).content.decode()
    assert "TEN: 10%" in page and f"{order.total:,}" in page


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"coupon_code": "missing"}, "coupon_code", "No coupon"),
        ({"coupon_code": "bad code!"}, "coupon_code", "3–32"),
        ({"order_discount": GOODS + 1}, "order_discount", f"must not exceed {GOODS}"),
        ({"tax_rate": "9.001"}, "tax_rate", "two decimal"),
        ({"tax_rate": "150"}, "tax_rate", "between 0 and 100"),
        ({"tags": "x" * 51}, "tags", "1 to 50"),
    ],
)
def test_the_admin_refuses_what_the_api_refuses(browser, product, fields, field, words):
    order = make_order()
    before = Order.objects.values().get(pk=order.pk)
    response = browser.post(change_url(order), form_data(order, **fields))
    assert any(words in message for message in errors_in(response))
    assert words in " ".join(response.context["adminform"].form.errors[field])
    assert Order.objects.values().get(pk=order.pk) == before


def test_the_coupons_minimum_is_judged_on_the_items_the_form_will_save(browser, product):
    CouponFactory(code="BIG", kind="fixed", value=100_000, min_subtotal=GOODS * 2)
    order = make_order()
    refused = browser.post(change_url(order), form_data(order, coupon_code="BIG"))
    assert any("needs goods of at least" in message for message in errors_in(refused))
    more = {"product": product.pk, "unit_price": 9_780_000, "unit_discount": 80_000,
            "quantity": 5, "notes": ""}  # fmt: skip
    saved = browser.post(change_url(order), form_data(order, items=[more], coupon_code="BIG"))
    assert saved.status_code == 302, errors_in(saved)
    order.refresh_from_db()
    assert (order.coupon_code, order.coupon_discount, order.item_count) == ("BIG", 100_000, 2)


def test_a_move_back_to_a_counting_status_rechecks_the_uses(browser, product):
    coupon = CouponFactory(code="ONE", max_uses=1)
    held = {"coupon": coupon, "coupon_code": "ONE", "coupon_kind": "percent", "coupon_value": 10}
    Order.objects.create(**held)
    order = make_order(status=Status.CANCELLED, **held)
    refused = browser.post(change_url(order), form_data(order, status=Status.NEW))
    assert any("used up" in message for message in errors_in(refused))
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED
    removed = browser.post(change_url(order), form_data(order, status=Status.NEW, coupon_code=""))
    assert removed.status_code == 302, errors_in(removed)
    order.refresh_from_db()
    assert (order.status, order.coupon_id) == (Status.NEW, None)


def test_an_order_added_in_the_admin_is_marked_admin_and_takes_its_coupon(browser, product):
    CouponFactory(code="NEWONE", kind="fixed", value=100_000)
    item = {"product": product.pk, "unit_price": 1_000_000, "unit_discount": 0, "quantity": 1,
            "notes": ""}  # fmt: skip
    response = browser.post(
        reverse("admin:orders_order_add"),
        form_data(None, items=[item], coupon_code="newone", tax_rate="10"),
    )
    assert response.status_code == 302, errors_in(response)
    order = Order.objects.get()
    assert (order.source, order.coupon_code, order.coupon_discount) == (
        OrderSource.ADMIN, "NEWONE", 100_000,
    )  # fmt: skip
    assert (order.tax, order.total) == (90_000, 990_000)


def test_approvals_in_the_admin_are_checked_against_the_discounted_total(browser, product):
    CouponFactory(code="HALF", kind="percent", value=50)
    order = make_order()
    total = GOODS - GOODS // 2 + 75_000
    payment = {"payment_method": "", "amount": total + 1, "approved": "on", "transaction_id": "",
               "notes": ""}  # fmt: skip
    refused = browser.post(
        change_url(order), form_data(order, coupon_code="HALF", payments=[payment])
    )
    assert any(f"({total})" in message for message in errors_in(refused))
    payment["amount"] = total
    saved = browser.post(
        change_url(order), form_data(order, coupon_code="HALF", payments=[payment])
    )
    assert saved.status_code == 302, errors_in(saved)
    order.refresh_from_db()
    assert (order.total, order.amount_paid, order.is_paid) == (total, total, True)


def test_the_order_list_filters_by_coupon_and_source(browser, product):
    coupon = CouponFactory(code="LISTED")
    order = make_order(coupon=coupon, coupon_code="LISTED", coupon_kind="percent", coupon_value=10)
    other = make_order()
    url = reverse("admin:orders_order_changelist")
    with_coupon = browser.get(url + "?has_coupon=true").content.decode()
    assert order.key in with_coupon and other.key not in with_coupon
    assert browser.get(url + "?source__exact=api").status_code == 200
