"""The admin in Persian (SPEC §16): every page of every model free of the project's English,
statuses and options by name, Jalali dates in Persian and Gregorian in English, and the order
list hiding deleted orders as the API does. The browser-level checks (widths, screenshots) are
in test_admin_e2e.py."""

import datetime
from html.parser import HTMLParser

import jdatetime
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from bazaar.admin_dates import date_text, jalali_month_start, jalali_year_start
from bazaar.catalog.models import Product, ProductOptionGroup, ProductOptionValue
from bazaar.customers.models import Customer
from bazaar.i18n import untranslated_in
from bazaar.methods.models import PaymentMethod
from bazaar.orders.models import Order, OrderItem, OrderPayment
from bazaar.orders.services import order_refresh_totals
from bazaar.orders.status import Status

pytestmark = pytest.mark.django_db


class VisibleText(HTMLParser):
    """What a reader of the page sees: its text (scripts and styles aside), the labels of its
    buttons and the hints in title and placeholder attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        found = dict(attrs)
        self.parts.extend(found[name] or "" for name in ("title", "placeholder") if name in found)
        if tag == "input" and found.get("type") in ("submit", "button"):
            self.parts.append(found.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(response) -> str:
    assert response.status_code == 200, response.status_code
    parser = VisibleText()
    parser.feed(response.content.decode())
    return " | ".join(parser.parts)


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def persian(browser: Client, url: str):
    return browser.get(url, HTTP_ACCEPT_LANGUAGE="fa")


@pytest.fixture
def order() -> Order:
    customer = Customer.objects.create(
        username="09308744204", mobile_number="09308744204", first_name="بهروز", last_name="قربانی"
    )
    mouse = Product.objects.create(code="1001001", slug="mouse", title="ماوس", price=9_780_000)
    colour = ProductOptionGroup.objects.create(product=mouse, name="رنگ")
    black = ProductOptionValue.objects.create(group=colour, name="مشکی")
    size = ProductOptionGroup.objects.create(product=mouse, name="اندازه")
    large = ProductOptionValue.objects.create(group=size, name="بزرگ")
    card = PaymentMethod.objects.create(name="کارت به کارت")
    order = Order.objects.create(customer=customer, payment_method=card, status=Status.HOLD)
    OrderItem.objects.create(
        order=order,
        product=mouse,
        product_data={
            "id": mouse.pk,
            "code": mouse.code,
            "title": mouse.title,
            "options": [
                {"group": "رنگ", "value": "مشکی", "price_delta": 0},
                {"group": "اندازه", "value": "بزرگ", "price_delta": 0},
            ],
        },
        options=[black.pk, large.pk],
        unit_price=9_780_000,
        quantity=1,
        notes="کادوپیچ",
    )
    OrderPayment.objects.create(order=order, payment_method=card, amount=500_000, approved=True)
    return order_refresh_totals(order=order)


def every_admin_page(order: Order, user) -> list[str]:
    """The list and the add page of every registered model, and an order's page."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = [reverse("admin:index"), reverse("admin:orders_order_change", args=[order.pk])]
    for model, model_admin in admin.site._registry.items():
        if not type(model_admin).__module__.startswith("bazaar."):
            continue  # a third-party app's admin (tokens, task results): not the project's
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(request):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
    return urls


def test_no_admin_page_shows_an_untranslated_project_string(browser, order, admin_user):
    for url in every_admin_page(order, admin_user):
        text = visible_text(persian(browser, url))
        assert untranslated_in(text, "fa") == [], url


def test_the_scan_finds_the_english_when_the_page_is_english(browser, order):
    url = reverse("admin:orders_order_change", args=[order.pk])
    text = visible_text(browser.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert {"Hold", "payment method", "Totals", "amount paid"} <= set(untranslated_in(text, "fa"))


def test_statuses_filters_and_titles_are_persian(browser, order):
    text = visible_text(persian(browser, reverse("admin:orders_order_changelist")))
    assert "سفارش را برای تغییر انتخاب کنید" in text  # "Select order to change"
    assert (
        "براساس وضعیت" in text and "براساس روش پرداخت" in text
    )  # "By status", "By payment method"
    assert "در انتظار" in text and "حذف‌شده" in text  # Hold, Deleted
    assert "همه به جز حذف‌شده‌ها" in text


def test_an_items_options_are_shown_by_name(browser, order):
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert "رنگ: مشکی، اندازه: بزرگ" in visible_text(persian(browser, url))
    assert "رنگ: مشکی, اندازه: بزرگ" in visible_text(browser.get(url))


def test_a_saved_item_keeps_its_options_when_the_order_is_saved(browser, order):
    """The options box of a saved item shows names, not ids: saving the order must not try to
    read the names back as ids."""
    from bazaar.demo.tests.test_order_admin import form_data

    url = reverse("admin:orders_order_change", args=[order.pk])
    response = browser.post(url, form_data(order, notes="تماس بگیرید"))
    assert response.status_code == 302
    item = order.items.get()
    assert len(item.options) == 2


def test_the_allowed_next_statuses_are_named_in_the_active_language(browser, order):
    url = reverse("admin:orders_order_change", args=[order.pk])
    shown = visible_text(persian(browser, url))
    assert "وضعیت‌های مجاز بعدی: جدید، ناموفق، لغوشده، در حال پردازش، حذف‌شده." in shown
    assert "Allowed next: New, Failed, Cancelled, Processing, Deleted." in visible_text(
        browser.get(url)
    )


def test_dates_are_jalali_in_persian_and_gregorian_in_english(browser, order):
    moment = timezone.make_aware(datetime.datetime(2025, 3, 20, 9, 5))  # 1403-12-30, a leap day
    Order.objects.filter(pk=order.pk).update(created_at=moment)
    order.payments.update(created_at=moment)

    page = visible_text(persian(browser, reverse("admin:orders_order_changelist")))
    assert "1403/12/30 09:05" in page
    page = visible_text(persian(browser, reverse("admin:orders_order_change", args=[order.pk])))
    assert page.count("1403/12/30 09:05") == 2  # the order's created at, the payment's
    english = visible_text(browser.get(reverse("admin:orders_order_changelist")))
    assert "March 20, 2025" in english or "Mar. 20, 2025" in english
    assert "1403" not in english


def test_date_text_follows_the_language():
    from django.utils import translation

    day = datetime.date(2025, 3, 21)  # Nowruz 1404
    with translation.override("fa"):
        assert date_text(day) == "1404/01/01"
        assert date_text(None) == "—"
    with translation.override("en"):
        assert "2025" in date_text(day)


@pytest.mark.parametrize(
    ("day", "month", "next_month", "year", "next_year"),
    [
        # 1403 is a leap year: Esfand has 30 days and 1404 starts on 21 March 2025
        ("2025-03-20", "2025-02-19", "2025-03-21", "2024-03-20", "2025-03-21"),
        ("2025-03-21", "2025-03-21", "2025-04-21", "2025-03-21", "2026-03-21"),
        ("2026-12-01", "2026-11-22", "2026-12-22", "2026-03-21", "2027-03-21"),
    ],
)
def test_this_jalali_month_and_year(day, month, next_month, year, next_year):
    today = datetime.date.fromisoformat(day)
    assert jalali_month_start(today).isoformat() == month
    assert jalali_month_start(today, 1).isoformat() == next_month
    assert jalali_year_start(today).isoformat() == year
    assert jalali_year_start(today, 1).isoformat() == next_year


def test_the_date_filter_counts_the_jalali_month_in_persian(browser, order):
    today = timezone.localdate()
    month_start = jdatetime.date.fromgregorian(date=today).replace(day=1).togregorian()
    response = persian(browser, reverse("admin:orders_order_changelist"))
    links = {
        str(choice["display"]): choice["query_string"]
        for spec in response.context["cl"].filter_specs
        if spec.title == Order._meta.get_field("created_at").verbose_name
        for choice in spec.choices(response.context["cl"])
    }
    assert f"created_at__gte={month_start.isoformat()}" in links["این ماه"]  # "This month"
    english = browser.get(reverse("admin:orders_order_changelist"))
    links = {
        str(choice["display"]): choice["query_string"]
        for spec in english.context["cl"].filter_specs
        if spec.title == Order._meta.get_field("created_at").verbose_name
        for choice in spec.choices(english.context["cl"])
    }
    assert f"created_at__gte={today.replace(day=1).isoformat()}" in links["This month"]


# --- deleted orders ------------------------------------------------------------------------------


def listed(browser: Client, query: str = "") -> list[int]:
    response = browser.get(reverse("admin:orders_order_changelist") + query)
    assert response.status_code == 200
    return [o.pk for o in response.context["cl"].result_list]


def test_the_list_hides_deleted_orders_unless_asked(browser, order):
    gone = Order.objects.create(status=Status.DELETED)
    assert listed(browser) == [order.pk]
    assert listed(browser, "?status__exact=deleted") == [gone.pk]
    assert listed(browser, "?status__exact=all") == [gone.pk, order.pk]
    assert listed(browser, "?status__exact=hold") == [order.pk]
    assert listed(browser, "?status__exact=nonsense") == []
    # its page is still there, by its URL
    page = browser.get(reverse("admin:orders_order_change", args=[gone.pk]))
    assert page.status_code == 200


def test_a_search_hides_deleted_orders_too(browser, order):
    gone = Order.objects.create(status=Status.DELETED, customer=order.customer)
    assert listed(browser, "?q=قربانی") == [order.pk]
    assert listed(browser, "?q=قربانی&status__exact=all") == [gone.pk, order.pk]


# --- roles ---------------------------------------------------------------------------------------


def test_a_roles_permissions_are_named_in_persian(browser):
    response = persian(browser, reverse("admin:auth_group_add"))
    labels = {
        str(label)
        for _value, label in response.context["adminform"].form.fields["permissions"].choices
    }
    assert "2201 · ایجاد سفارش‌ها" in labels
    assert "2222 · فهرست اقلام سفارش" in labels
    assert "سفارش‌ها | سفارش | می‌تواند سفارش را ببیند" in labels
    english = browser.get(reverse("admin:auth_group_add"))
    labels = {
        str(label)
        for _value, label in english.context["adminform"].form.fields["permissions"].choices
    }
    assert "2201 · Create orders" in labels
    # The stored rows keep the API's English names.
    assert Permission.objects.get(codename="code_2201").name == "2201 Create orders"
    assert Group.objects.count() == 0


def test_the_gregorian_date_hierarchy_is_left_out_in_persian(browser):
    url = reverse("admin:customers_customer_changelist")
    assert browser.get(url).context["cl"].date_hierarchy == "date_joined"
    assert persian(browser, url).context["cl"].date_hierarchy is None
