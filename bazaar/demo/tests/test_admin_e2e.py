"""The staff admin in a real browser (Chromium through Playwright) against a live server.

Run with `make e2e` (`pytest -m e2e`); the default test run deselects it (`-m "not e2e"`). It
needs Chromium at CHROMIUM_PATH (default /usr/bin/chromium, Debian's `chromium` package): when
it is missing the test fails, it is never skipped. Screenshots go to docs/screenshots/.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import jdatetime
import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bazaar.accounts.models import User
from bazaar.catalog.models import Product, ProductOptionGroup, ProductOptionValue
from bazaar.customers.models import Customer
from bazaar.i18n import untranslated_in
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
    colour = ProductOptionGroup.objects.create(product=mouse, name="رنگ")
    black = ProductOptionValue.objects.create(group=colour, name="مشکی")
    OrderItem.objects.create(
        order=new,
        product=mouse,
        product_data={
            "id": mouse.pk,
            "code": mouse.code,
            "title": mouse.title,
            "options": [{"group": "رنگ", "value": "مشکی", "price_delta": 0}],
        },
        options=[black.pk],
        unit_price=9_780_000,
        unit_discount=80_000,
        quantity=5,
        notes="کادوپیچ شود و کارت تبریک کنار آن باشد؛ تحویل پیش از ساعت پنج عصر",
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
    # Hidden from the list by default, as the API hides it; its page stays reachable.
    gone = Order.objects.create(status=Status.DELETED, billing_first_name="حذف‌شده")
    return {
        "new": order_refresh_totals(order=new),
        "held": order_refresh_totals(order=held),
        "gone": gone,
    }


def open_page(browser: Browser, *, language: str = "en", sidebar: bool = False) -> Page:
    context = browser.new_context(
        viewport={"width": 1366, "height": 860}, extra_http_headers={"Accept-Language": language}
    )
    if not sidebar:
        # Fold the admin's app menu (as a click on its toggle would): the list gets the width.
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


# --- the Persian admin (SPEC §16) ------------------------------------------------------------------

# The page's width against the window's, the boxes in it that scroll sideways, and (to tell what
# to fix) the innermost elements that stick out of the window on either side.
WIDTHS = """() => {
    const root = document.documentElement, width = root.clientWidth;
    const sticksOut = el => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && (box.right > width + 1 || box.left < -1);
    };
    const out = [...document.querySelectorAll('body *')].filter(
        el => sticksOut(el) && ![...el.children].some(sticksOut)
    );
    // A box that scrolls sideways inside the page (the list's results do, when too wide).
    const scrollers = [...document.querySelectorAll('body *')].filter(el => {
        const overflow = getComputedStyle(el).overflowX;
        return (overflow === 'auto' || overflow === 'scroll')
            && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    });
    const name = el => `${el.tagName}.${el.className}#${el.id}`;
    return {
        scroll: root.scrollWidth, client: width,
        outside: out.slice(0, 8).map(name),
        scrollers: scrollers.map(el => `${name(el)} ${el.scrollWidth}>${el.clientWidth}`),
    };
}"""


def assert_no_sideways_scrolling(page: Page) -> None:
    widths = page.evaluate(WIDTHS)
    assert widths["scroll"] <= widths["client"], f"wider than the window: {widths}"
    assert widths["scrollers"] == [], f"a part of the page scrolls sideways: {widths}"


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_order_pages_fit_a_1366_px_window(live_server, shop, browser, language):
    """With the app menu open (as a new staff member first sees it): no sideways scrolling on the
    list or on an order page with its items and payments, left-to-right and right-to-left."""
    new, held, gone = shop["new"], shop["held"], shop["gone"]
    page = open_page(browser, language=language, sidebar=True)
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/orders/order/")
    expect_listed(page, held, new)  # the deleted order is hidden by default
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    shot(page, f"admin-order-list-{language}")
    assert_no_sideways_scrolling(page)

    page.goto(f"{live_server.url}/admin/orders/order/{new.pk}/change/")
    expect(page.locator("#items-0 td.field-option_values")).to_have_text("رنگ: مشکی")
    shot(page, f"admin-order-change-{language}", full_page=True)
    assert_no_sideways_scrolling(page)

    page.goto(f"{live_server.url}/admin/orders/order/{gone.pk}/change/")  # still reachable
    expect(page.locator("#id_status")).to_have_value("deleted")
    assert_no_sideways_scrolling(page)


def test_dates_are_jalali_in_persian_and_gregorian_in_english(live_server, shop, browser):
    new = shop["new"]
    created = timezone.localtime(new.created_at)
    jalali = jdatetime.datetime.fromgregorian(datetime=created).strftime("%Y/%m/%d %H:%M")

    persian = open_page(browser, language="fa")
    log_in(persian, live_server.url)
    persian.goto(f"{live_server.url}/admin/orders/order/")
    row = persian.locator(
        "#result_list tbody tr", has=persian.locator(f"th.field-id >> text='{new.pk}'")
    )
    expect(row.locator("td.field-created_at_local")).to_have_text(jalali)
    persian.goto(f"{live_server.url}/admin/orders/order/{new.pk}/change/")
    expect(persian.locator(".field-created_at_local .readonly")).to_have_text(jalali)

    english = open_page(browser, language="en")
    log_in(english, live_server.url)
    english.goto(f"{live_server.url}/admin/orders/order/{new.pk}/change/")
    shown = english.locator(".field-created_at_local .readonly").inner_text()
    assert str(created.year) in shown and jalali[:4] not in shown


# Everything a reader sees on a page: its text, the options of its selects (closed ones too),
# the labels of its buttons and the hints in title and placeholder attributes.
PAGE_TEXT = """() => {
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll('option')) parts.push(el.textContent);
    for (const el of document.querySelectorAll('input[type=submit], input[type=button]'))
        parts.push(el.value);
    for (const el of document.querySelectorAll('[title], [placeholder]'))
        parts.push(el.getAttribute('title') || '', el.getAttribute('placeholder') || '');
    return parts.join(' | ');
}"""


def test_the_persian_order_pages_show_no_untranslated_project_string(live_server, shop, browser):
    new = shop["new"]
    page = open_page(browser, language="fa")
    log_in(page, live_server.url)
    for path in ("", "?status__exact=all", f"{new.pk}/change/", "add/"):
        page.goto(f"{live_server.url}/admin/orders/order/{path}")
        text = page.evaluate(PAGE_TEXT)
        assert untranslated_in(text, "fa") == [], path
        # and the page is the translated one (not an empty catalogue passing the scan)
        assert "سفارش" in text

    # the scan sees English when it is there: the same pages in English name the statuses
    english = open_page(browser, language="en")
    log_in(english, live_server.url)
    english.goto(f"{live_server.url}/admin/orders/order/")
    assert {"Hold", "New", "Orders"} <= set(untranslated_in(english.evaluate(PAGE_TEXT), "fa"))
