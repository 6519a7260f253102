"""The order page's timeline (SPEC §13): the order's events oldest first, read-only, with type,
actor, time in the admin's calendar and readable changes; staff add notes through the service."""

import datetime

import jdatetime
import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from bazaar.catalog.models import Product
from bazaar.demo.tests.test_admin_persian import visible_text
from bazaar.demo.tests.test_order_admin import change_url, errors_in, form_data
from bazaar.i18n import untranslated_in
from bazaar.orders import services
from bazaar.orders.models import EventType, Order, OrderEvent
from bazaar.orders.status import Status

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 3, 21, 9, 30, tzinfo=datetime.UTC)  # 1 Farvardin 1405


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def order(admin_user) -> Order:
    """An order made by staff through the API's service, moved on, noted: three events."""
    mouse = Product.objects.create(code="1001001", slug="mouse", title="ماوس", price=9_780_000)
    made = services.order_create(
        data={"shipping_cost": 75_000},
        items=[{"product": mouse, "unit_price": 9_780_000, "unit_discount": 0, "quantity": 1}],
        actor=admin_user,
    )
    services.order_update(order_id=made.pk, data={"status": Status.PROCESSING}, actor=admin_user)
    services.order_note_add(order_id=made.pk, note="مشتری تماس گرفت", actor=None)
    OrderEvent.objects.filter(order=made).update(at=AT)
    return Order.objects.get(pk=made.pk)


def test_the_timeline_lists_the_events_oldest_first_in_english(browser, admin_user, order):
    text = visible_text(browser.get(change_url(order)))
    created, moved, noted = (
        text.index(label) for label in ("Order created", "Status changed", "Note added")
    )
    assert created < moved < noted
    assert "status: New → Processing" in text.replace(" | ", "")
    assert "مشتری تماس گرفت" in text
    assert admin_user.username in text and "the system" in text  # the note had no actor
    local = timezone.localtime(AT)
    assert local.strftime("%Y") in text and "1405" not in text  # Gregorian in English


def test_the_timeline_speaks_persian_with_jalali_dates(browser, order):
    text = visible_text(browser.get(change_url(order), HTTP_ACCEPT_LANGUAGE="fa"))
    jalali = jdatetime.datetime.fromgregorian(datetime=timezone.localtime(AT))
    assert jalali.strftime("%Y/%m/%d %H:%M") in text
    for persian in ("تاریخچه", "سفارش ثبت شد", "وضعیت تغییر کرد", "یادداشت افزوده شد", "سامانه"):
        assert persian in text, persian
    assert "وضعیت: جدید → در حال پردازش" in text.replace(" | ", "")
    for english in (
        "Order created",
        "Status changed",
        "Note added",
        "the system",
        "History",
        "when",
    ):
        assert english not in text, english
    assert "مشتری تماس گرفت" in text
    assert untranslated_in(text, "fa") == []  # nothing of the page left in English


def test_the_timeline_is_one_query(django_assert_num_queries, order):
    model_admin = admin.site._registry[Order]
    with django_assert_num_queries(1):
        html = model_admin.timeline(order)
    assert html.count("<tr>") == 1 + 3  # the head row and three events


def test_staff_add_a_note_from_the_order_page(browser, admin_user, order):
    version = order.version
    data = form_data(order, staff_note="  بسته آماده است  ")
    response = browser.post(change_url(order), data)
    assert response.status_code == 302, errors_in(response)
    note = OrderEvent.objects.filter(order=order).order_by("id").last()
    assert (note.type, note.note, note.actor_id) == (
        EventType.NOTE_ADDED,
        "بسته آماده است",
        admin_user.pk,
    )
    assert Order.objects.get(pk=order.pk).version == version  # a note is not a change
    assert "بسته آماده است" in visible_text(browser.get(change_url(order)))


def test_a_refused_save_adds_no_note(browser, order):
    count = OrderEvent.objects.count()
    response = browser.post(
        change_url(order), form_data(order, staff_note="x", status=Status.NEW)
    )  # processing -> new is not a move the rules allow
    assert errors_in(response)
    assert OrderEvent.objects.count() == count


def test_the_timeline_is_read_only(browser, order):
    page = browser.get(change_url(order))
    assert "timeline" not in page.context["adminform"].form.fields
