"""The staff admin in a real browser (Chromium through Playwright) against a live server.

Run with `make e2e` (`pytest -m e2e`); the default test run deselects it (`-m "not e2e"`). It
needs Chromium at CHROMIUM_PATH (default /usr/bin/chromium, Debian's `chromium` package): when
it is missing the test fails, it is never skipped. Screenshots go to docs/screenshots/.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bazaar.accounts.models import User
from bazaar.catalog.models import Product
from bazaar.customers.models import Customer
from bazaar.methods.models import PaymentMethod, ShippingMethod
from bazaar.orders.models import Order, OrderItem, OrderPayment
from bazaar.orders.services import order_refresh_totals
from bazaar.orders.status import Status

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
PASSWORD = "e2e-Admin-pass-123"


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code, which Django's async-safety check can't tell apart.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # ORM calls made while Playwright's loop runs get their own connection (Django keys
        # connections by context, and the loop makes one); close it before the database goes.
        connections.close_all()


@pytest.fixture
def shop(transactional_db) -> dict[str, Order]:
    """An admin and two orders with items and payments, one of them a customer's."""
    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    customer = Customer.objects.create(
        username="09308744204", mobile_number="09308744204", first_name="بهروز", last_name="قربانی"
    )
    mouse = Product.objects.create(
        code="1001001", slug="mouse", title="ماوس لاجیتک MX Vertical", price=9_780_000
    )
    book = Product.objects.create(
        code="4001001", slug="book", title="کتاب «شازده کوچولو»", price=1_800_000
    )
    card = PaymentMethod.objects.create(name="کارت به کارت")
    courier = ShippingMethod.objects.create(name="پیک موتوری")
    new = Order.objects.create(
        customer=customer,
        payment_method=card,
        shipping_method=courier,
        shipping_cost=75_000,
        billing_first_name="پدرام",
        billing_last_name="زمانی",
        billing_mobile_number="09523296536",
    )
    OrderItem.objects.create(
        order=new,
        product=mouse,
        product_data={"id": mouse.pk, "code": mouse.code, "title": mouse.title},
        unit_price=9_780_000,
        unit_discount=80_000,
        quantity=5,
    )
    OrderPayment.objects.create(
        order=new, payment_method=card, amount=500_000, approved=True, transaction_id="1589800"
    )
    held = Order.objects.create(status=Status.HOLD, shipping_cost=0, billing_first_name="سارا")
    OrderItem.objects.create(
        order=held,
        product=book,
        product_data={"id": book.pk, "code": book.code, "title": book.title},
        unit_price=1_800_000,
        quantity=2,
    )
    return {"new": order_refresh_totals(order=new), "held": order_refresh_totals(order=held)}


def open_page(browser: Browser, *, language: str = "en") -> Page:
    context = browser.new_context(
        viewport={"width": 1366, "height": 860}, extra_http_headers={"Accept-Language": language}
    )
    # Fold the admin's app menu (as a click on its toggle would): the list gets the full width.
    context.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def expect_listed(page: Page, *orders: Order) -> None:
    """The change list shows exactly these orders, in this order (waits for the page)."""
    expect(page.locator("#result_list tbody th.field-id a")).to_have_text(
        [str(o.pk) for o in orders]
    )


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def test_staff_find_an_order_and_move_it_through_the_status_rules(live_server, shop, browser):
    new, held = shop["new"], shop["held"]
    page = open_page(browser)
    log_in(page, live_server.url)

    # the list, newest first
    page.goto(f"{live_server.url}/admin/orders/order/")
    expect_listed(page, held, new)
    shot(page, "admin-order-list")

    # filter by status in the sidebar
    page.locator("#changelist-filter").get_by_role("link", name="Hold", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/admin/orders/order/?status__exact=hold")
    expect_listed(page, held)

    # search a customer's name (the API's search: every word must match)
    page.goto(f"{live_server.url}/admin/orders/order/")
    page.fill("#searchbar", "بهروز قربانی")
    page.press("#searchbar", "Enter")
    expect(page).to_have_url(re.compile(r"\?q="))
    expect_listed(page, new)
    shot(page, "admin-order-search")

    # open it: items and payments inline, totals read-only
    page.locator("#result_list").get_by_role("link", name=str(new.pk), exact=True).click()
    expect(page.locator("#items-group")).to_contain_text("ماوس لاجیتک MX Vertical")
    expect(page.locator("#payments-group input[value='1589800']")).to_be_visible()
    expect(page.locator(".fieldBox.field-total_amount")).to_contain_text("48,575,000")
    expect(page.locator(".fieldBox.field-outstanding_amount")).to_contain_text("48,075,000")
    shot(page, "admin-order-change", full_page=True)

    # an allowed move is saved
    page.select_option("#id_status", "processing")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    new.refresh_from_db()
    assert new.status == Status.PROCESSING

    # a refused move shows the API's message and changes nothing
    page.goto(f"{live_server.url}/admin/orders/order/{new.pk}/change/")
    page.select_option("#id_status", "new")
    page.click("input[name=_save]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-status .errorlist")).to_have_text(
        "Cannot change status from 'processing' to 'new'. "
        "Allowed next statuses: hold, cancelled, shipped, completed, refunded."
    )
    shot(page, "admin-order-refused")
    new.refresh_from_db()
    assert new.status == Status.PROCESSING


def test_the_admin_is_right_to_left_in_persian(live_server, shop, browser):
    page = open_page(browser, language="fa")
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/orders/order/")

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    expect(page.locator("#result_list")).to_contain_text("بهروز قربانی")
    shot(page, "admin-order-list-fa")
