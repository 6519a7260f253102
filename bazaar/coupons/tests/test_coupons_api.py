"""`/api/coupons/` (SPEC §12, codes 2301-2305) and the coupon admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bazaar.coupons.models import Coupon
from bazaar.coupons.tests.factories import CouponFactory
from bazaar.orders.models import Order
from bazaar.orders.status import Status

pytestmark = pytest.mark.django_db

URL = "/api/coupons/"


def test_create_normalises_the_code_and_answers_the_whole_shape(admin_client):
    response = admin_client.post(
        URL,
        {"code": " norooz-۱۴۰۵ ", "kind": "percent", "value": 10, "max_discount": 150_000},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert list(body) == [
        "id", "code", "kind", "value", "max_discount", "min_subtotal", "max_uses",
        "max_uses_per_customer", "uses", "valid_from", "valid_to", "is_active", "created_at",
        "updated_at",
    ]  # fmt: skip
    assert body["code"] == "NOROOZ-1405"
    assert (body["min_subtotal"], body["uses"], body["is_active"]) == (0, 0, True)
    assert body["max_uses"] is None and body["valid_from"] is None
    assert Coupon.objects.get().code == "NOROOZ-1405"


@pytest.mark.parametrize("code", ["norooz-1405", "NOROOZ-١٤٠٥", "Norooz-1405"])
def test_codes_are_unique_ignoring_case_and_digit_script(admin_client, code):
    CouponFactory(code="NOROOZ-1405")
    response = admin_client.post(URL, {"code": code, "kind": "fixed", "value": 1000})
    assert response.status_code == 400
    assert "already exists" in response.json()["code"][0]


@pytest.mark.parametrize(
    "code", ["ab", "x" * 33, "نوروز", "WITH SPACE", "A.B.C", "STRASSE-ß", "", 123]
)
def test_a_bad_code_is_a_400_on_code(admin_client, code):
    response = admin_client.post(URL, {"code": code, "kind": "fixed", "value": 1000})
    assert response.status_code == 400
    assert "code" in response.json()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "percent", "value": 101}, "value", "1–100"),
        ({"kind": "percent", "value": 0}, "value", "greater than or equal to 1"),
        ({"kind": "percent", "value": 10.5}, "value", "whole number"),
        ({"kind": "fixed", "value": 10**13 + 1}, "value", "less than or equal"),
        ({"kind": "fixed", "value": 1000, "max_discount": 10}, "max_discount", "percent"),
        ({"kind": "bogus", "value": 1}, "kind", "valid choice"),
        ({"kind": "fixed", "value": 1, "max_uses": 0}, "max_uses", "greater than or equal"),
        (
            {"kind": "fixed", "value": 1, "max_uses_per_customer": 0},
            "max_uses_per_customer",
            "greater than or equal",
        ),
        ({"kind": "fixed", "value": 1, "min_subtotal": -1}, "min_subtotal", "greater"),
        (
            {
                "kind": "fixed",
                "value": 1,
                "valid_from": "2026-02-01T00:00:00Z",
                "valid_to": "2026-01-01T00:00:00Z",
            },
            "valid_to",
            "later than valid_from",
        ),
    ],
)
def test_bad_terms_are_a_400_naming_the_rule(admin_client, body, field, words):
    response = admin_client.post(URL, {"code": "SALE", **body})
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])
    assert not Coupon.objects.exists()


def test_a_partial_update_is_checked_against_the_stored_terms(admin_client):
    coupon = CouponFactory(kind="fixed", value=500_000)
    response = admin_client.patch(f"{URL}{coupon.pk}/", {"kind": "percent"})
    assert response.status_code == 400
    assert "1–100" in response.json()["value"][0]
    ok = admin_client.patch(f"{URL}{coupon.pk}/", {"kind": "percent", "value": 20})
    assert ok.status_code == 200 and ok.json()["kind"] == "percent"


def test_uses_counts_orders_holding_it_that_are_not_cancelled_failed_or_deleted(admin_client):
    coupon = CouponFactory()
    for status in Status:
        Order.objects.create(coupon=coupon, coupon_code=coupon.code, status=status)
    Order.objects.create()  # no coupon
    body = admin_client.get(f"{URL}{coupon.pk}/").json()
    assert body["uses"] == len(Status) - 3
    listed = admin_client.get(URL).json()["results"]
    assert [c["uses"] for c in listed] == [len(Status) - 3]


def test_a_coupon_held_by_any_order_cannot_be_deleted(admin_client):
    coupon = CouponFactory()
    Order.objects.create(coupon=coupon, coupon_code=coupon.code, status=Status.DELETED)
    response = admin_client.delete(f"{URL}{coupon.pk}/")
    assert response.status_code == 409
    assert "deactivate" in response.json()["detail"]
    assert Coupon.objects.filter(pk=coupon.pk).exists()
    free = CouponFactory()
    assert admin_client.delete(f"{URL}{free.pk}").status_code == 204
    assert not Coupon.objects.filter(pk=free.pk).exists()


def test_a_held_coupons_code_cannot_change_but_its_other_terms_can(admin_client):
    coupon = CouponFactory(code="HELD")
    Order.objects.create(coupon=coupon, coupon_code=coupon.code)
    refused = admin_client.patch(f"{URL}{coupon.pk}/", {"code": "OTHER"})
    assert refused.status_code == 400 and "cannot change" in refused.json()["code"][0]
    same = admin_client.patch(f"{URL}{coupon.pk}/", {"code": "held", "value": 30})
    assert same.status_code == 200 and same.json()["value"] == 30


def test_filters_search_and_ordering(admin_client):
    CouponFactory(code="ALPHA", kind="fixed", value=100, is_active=False)
    CouponFactory(code="BETA", kind="percent", value=5)
    codes = lambda q: [c["code"] for c in admin_client.get(URL + q).json()["results"]]  # noqa: E731
    assert codes("?is_active=false") == ["ALPHA"]
    assert codes("?kind=percent") == ["BETA"]
    assert codes("?search=alp") == ["ALPHA"]
    assert codes("?ordering=code") == ["ALPHA", "BETA"]
    assert admin_client.get(URL + "?is_active=maybe").status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("post", URL, 2301),
        ("get", URL, 2302),
        ("get", "{one}", 2303),
        ("patch", "{one}", 2304),
        ("delete", "{one}", 2305),
    ],
)
def test_each_action_needs_its_code(staff_with_codes, method, path, code):
    coupon = CouponFactory()
    path = path.format(one=f"{URL}{coupon.pk}/")
    body = {"code": "NEWONE", "kind": "fixed", "value": 1} if method == "post" else {}
    refused = getattr(staff_with_codes(), method)(path, body)
    assert refused.status_code == 403 and str(code) in refused.json()["detail"]
    allowed = getattr(staff_with_codes(code), method)(path, body)
    assert allowed.status_code in {200, 201, 204}


def test_window_is_stored_and_shown_in_utc(admin_client):
    start = timezone.now().replace(microsecond=0)
    response = admin_client.post(
        URL,
        {
            "code": "WINDOW",
            "kind": "fixed",
            "value": 1,
            "valid_from": start.isoformat(),
            "valid_to": (start + timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["valid_from"].endswith(".000000Z")


# --- the admin -----------------------------------------------------------------------------------


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_admin_shows_a_coupons_orders_and_refuses_to_delete_it(browser):
    coupon = CouponFactory(code="ADMIN1")
    order = Order.objects.create(coupon=coupon, coupon_code=coupon.code)
    page = browser.get(reverse("admin:coupons_coupon_change", args=[coupon.pk]))
    assert page.status_code == 200
    assert f"#{order.pk} {order.key}" in page.content.decode()
    assert browser.get(reverse("admin:coupons_coupon_delete", args=[coupon.pk])).status_code == 403
    listing = browser.get(
        reverse("admin:orders_order_changelist") + f"?coupon__id__exact={coupon.pk}"
    )
    assert listing.status_code == 200 and order.key in listing.content.decode()


def test_the_admin_form_keeps_the_apis_rules(browser):
    url = reverse("admin:coupons_coupon_add")
    page = browser.post(url, {"code": "half", "kind": "percent", "value": 150, "min_subtotal": 0})
    assert page.status_code == 200 and "1–100" in page.content.decode()
    saved = browser.post(url, {"code": "half", "kind": "percent", "value": 50, "min_subtotal": 0})
    assert saved.status_code == 302
    assert Coupon.objects.get().code == "HALF"
