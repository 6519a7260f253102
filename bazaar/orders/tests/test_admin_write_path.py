"""The admin writes through the API's services (issue 15, "one write path"): the same events with
the staff user as the actor, the same totals, and a refusal rolls the whole save back and shows
as a form error."""

import pytest
from django.test import Client
from django.urls import reverse

from bazaar.catalog.models import Product
from bazaar.demo.tests.test_order_admin import change_url, errors_in, form_data, make_order
from bazaar.orders import services
from bazaar.orders.models import EventType, Order, OrderEvent, OrderItem, OrderSource
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
    return Product.objects.create(code="1001001", slug="mouse", title="ماوس", price=9_780_000)


def event_types(order: Order) -> list[str]:
    return list(
        OrderEvent.objects.filter(order=order).order_by("id").values_list("type", flat=True)
    )


def test_an_admin_edit_records_the_api_events_with_the_staff_user(browser, admin_user, product):
    order = make_order()
    item = order.items.get()
    new_item = {"product": product.pk, "unit_price": 1_000, "unit_discount": 0, "quantity": 2}
    payment = {"amount": 1_000, "approved": "on", "transaction_id": "77"}
    data = form_data(
        order,
        items=[new_item],
        payments=[payment],
        status=Status.PROCESSING,
        notes="زنگ بزنید",
        **{"items-0-quantity": 4},
    )

    response = browser.post(change_url(order), data, HTTP_X_REQUEST_ID="admin-save-1")

    assert response.status_code == 302, errors_in(response)
    rows = list(OrderEvent.objects.filter(order=order).order_by("id"))
    assert [row.type for row in rows] == [
        EventType.ITEM_UPDATED,
        EventType.ITEM_ADDED,
        EventType.STATUS_CHANGED,
        EventType.ORDER_UPDATED,
        EventType.PAYMENT_ADDED,
    ]
    assert {row.actor_id for row in rows} == {admin_user.pk}
    assert {row.request_id for row in rows} == {"admin-save-1"}
    assert rows[0].changes == {"quantity": [5, 4]} and rows[0].item_id == item.pk
    assert rows[2].changes == {"status": [Status.NEW, Status.PROCESSING]}
    assert rows[3].changes == {"notes": [None, "زنگ بزنید"]}
    order.refresh_from_db()
    assert order.version == 1 + 4  # one move per service call that changed something
    assert {n: getattr(order, n) for n in order_totals_from_rows(order_id=order.pk)} == (
        order_totals_from_rows(order_id=order.pk)
    )


def test_a_refused_admin_save_writes_nothing_and_records_no_event(browser, product):
    """The item row is valid and written first; the status move after it is refused: the item
    goes with the rollback, and the page shows the status error."""
    order = make_order()
    before = Order.objects.values().get(pk=order.pk)
    new_item = {"product": product.pk, "unit_price": 1_000, "unit_discount": 0, "quantity": 2}

    response = browser.post(
        change_url(order), form_data(order, items=[new_item], status=Status.COMPLETED)
    )

    assert errors_in(response) == [
        "Cannot change status from 'new' to 'completed'. "
        "Allowed next statuses: hold, failed, cancelled, processing, deleted."
    ]
    assert response.context["adminform"].form.errors["status"]
    assert Order.objects.values().get(pk=order.pk) == before
    assert OrderItem.objects.filter(order=order).count() == 1
    assert event_types(order) == []


def test_a_refused_item_row_is_pinned_to_its_row(browser, product):
    order = make_order(status=Status.COMPLETED)
    response = browser.post(
        change_url(order), form_data(order, **{"items-0-DELETE": "on"}, notes="x")
    )
    assert errors_in(response) == [
        "Items cannot be added, changed or removed while the order is 'completed'."
    ]
    assert order.items.count() == 1 and event_types(order) == []
    assert Order.objects.get(pk=order.pk).notes is None


def test_a_refused_payment_row_shows_on_its_amount(browser, product):
    order = make_order(paid=500_000)
    payment = {"amount": 48_575_000, "approved": "on", "transaction_id": "1"}
    response = browser.post(change_url(order), form_data(order, payments=[payment]))
    payments = response.context["inline_admin_formsets"][1].formset
    assert "would take amount_paid above" in payments.forms[1].errors["amount"][0]
    assert event_types(order) == []


def test_an_order_made_in_the_admin_is_created_through_the_service(browser, admin_user, product):
    new_item = {"product": product.pk, "unit_price": "", "unit_discount": 0, "quantity": 2}
    payment = {"amount": 1_000, "approved": "on", "transaction_id": "9"}

    response = browser.post(
        reverse("admin:orders_order_add"),
        form_data(None, items=[new_item], payments=[payment], shipping_cost=5_000),
    )

    assert response.status_code == 302, errors_in(response)
    order = Order.objects.get()
    assert order.source == OrderSource.ADMIN
    assert (order.item_count, order.items_subtotal, order.amount_paid) == (
        1,
        2 * product.price,
        1_000,
    )
    event = OrderEvent.objects.get(order=order)
    assert (event.type, event.actor_id) == (EventType.ORDER_CREATED, admin_user.pk)
    assert event.changes["source"] == [None, OrderSource.ADMIN]
    assert event.changes["items"] == [[], [order.items.get().pk]]


def test_a_refused_inline_payment_on_create_makes_no_order(browser, product):
    new_item = {"product": product.pk, "unit_price": 1_000, "unit_discount": 0, "quantity": 1}
    payment = {"amount": 5_000, "approved": "on", "transaction_id": "9"}
    response = browser.post(
        reverse("admin:orders_order_add"), form_data(None, items=[new_item], payments=[payment])
    )
    assert errors_in(response) == [
        "Approving 5000 would take amount_paid above the order total (1000): "
        "the outstanding amount is 1000."
    ]
    assert not Order.objects.exists() and not OrderEvent.objects.exists()


def test_mark_deleted_records_the_staff_user(browser, admin_user, product):
    order = make_order()
    response = browser.post(
        reverse("admin:orders_order_changelist"),
        {"action": "mark_deleted", "_selected_action": [order.pk]},
    )
    assert response.status_code == 302
    event = OrderEvent.objects.get(order=order)
    assert (event.type, event.actor_id) == (EventType.STATUS_CHANGED, admin_user.pk)


def test_a_save_over_a_newer_version_is_refused_not_overwritten(browser, product):
    """Two staff open the page; the first saves; the second's page is stale (SPEC §13's If-Match
    for the admin): refused, nothing of it written, the first's change kept."""
    order = make_order()
    page = browser.get(change_url(order))
    seen = page.context["adminform"].form.initial["seen_version"]
    assert seen == order.version
    services.order_update(order_id=order.pk, data={"notes": "the first"})

    stale = browser.post(change_url(order), form_data(order, notes="the second", seen_version=seen))

    assert errors_in(stale) == [
        "Someone changed this order after you opened it. Reload the page to see their change, "
        "then make yours again."
    ]
    assert Order.objects.get(pk=order.pk).notes == "the first"
    fresh = browser.post(
        change_url(order), form_data(order, notes="the second", seen_version=seen + 1)
    )
    assert fresh.status_code == 302, errors_in(fresh)
    assert Order.objects.get(pk=order.pk).notes == "the second"
