"""The admin shows an order's shipments and refunds and makes them through the services (SPEC
§14): the staff member is the actor of the events, and the API's refusals are form errors."""

import pytest
from django.test import Client
from django.urls import reverse

from bazaar.fulfilment.models import Refund, Shipment
from bazaar.fulfilment.tests.conftest import events_of
from bazaar.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_staff_make_a_shipment_and_a_refund_from_the_order_page(
    browser, admin_client, admin_user, make_order, shop
):
    order = make_order()
    oid = order["id"]
    page = browser.get(reverse("admin:orders_order_change", args=[oid]))
    assert page.status_code == 200
    add_shipment = reverse("admin:fulfilment_shipment_add") + f"?order={oid}"
    assert add_shipment in page.content.decode()
    form = browser.get(add_shipment)
    assert form.status_code == 200 and form.context["adminform"].form.initial["order"] == str(oid)

    first = order["items"][0]["id"]
    made = browser.post(
        reverse("admin:fulfilment_shipment_add"),
        {"order": oid, "status": "shipped", "shipping_method": "", "tracking_number": "T1",
         "tracking_url": "", "notes": "", "lines": f"{first}:3"},
    )  # fmt: skip
    assert made.status_code == 302, made.context["adminform"].form.errors
    shipment = Shipment.objects.get(order_id=oid)
    assert shipment.shipping_method_id == shop.post.pk  # the order's
    assert shipment.tracking_url == "https://track.example.com/?code=T1"
    [event] = events_of(admin_client, oid, "shipment_created")
    assert event["actor"]["id"] == admin_user.pk

    over = browser.post(
        reverse("admin:fulfilment_shipment_add"),
        {"order": oid, "status": "pending", "lines": f"{first}:1"},
    )
    assert over.status_code == 200
    assert f"Item {first} has 0 left to ship; 1 asked." in str(
        over.context["adminform"].form.errors
    )
    assert Shipment.objects.filter(order_id=oid).count() == 1

    change = reverse("admin:fulfilment_shipment_change", args=[shipment.pk])
    moved = browser.post(
        change,
        {"status": "delivered", "shipping_method": shop.post.pk, "tracking_number": "T1",
         "tracking_url": shipment.tracking_url, "notes": ""},
    )  # fmt: skip
    assert moved.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == "delivered" and shipment.delivered_at is not None
    refused = browser.post(
        change,
        {"status": "pending", "shipping_method": shop.post.pk, "tracking_number": "T1",
         "tracking_url": shipment.tracking_url, "notes": ""},
    )  # fmt: skip
    assert refused.status_code == 200 and "Allowed next statuses: none" in refused.content.decode()

    payment = order["payments"][0]["id"]
    refund = browser.post(
        reverse("admin:fulfilment_refund_add"),
        {"order": oid, "payment": payment, "amount": "", "reason": "late", "lines": f"{first}:1"},
    )
    assert refund.status_code == 302, refund.context["adminform"].form.errors
    made_refund = Refund.objects.get(order_id=oid)
    assert (made_refund.amount, made_refund.actor_id) == (900, admin_user.pk)
    too_much = browser.post(
        reverse("admin:fulfilment_refund_add"), {"order": oid, "payment": payment, "amount": 10**6}
    )
    assert too_much.status_code == 200 and "left to refund" in too_much.content.decode()

    page = browser.get(reverse("admin:orders_order_change", args=[oid])).content.decode()
    assert "T1" in page and "late" in page
    assert (
        browser.get(reverse("admin:fulfilment_refund_change", args=[made_refund.pk])).status_code
        == 200
    )
    assert Order.objects.get(pk=oid).amount_refunded == 900


def test_the_order_form_still_saves_without_the_new_tables(browser, make_order):
    """The shipment and refund tables read nothing from the order form's POST."""
    order = make_order(status="new")
    page = browser.get(reverse("admin:orders_order_change", args=[order["id"]]))
    form = page.context["adminform"].form
    assert form.instance.pk == order["id"]
    assert "shipments-TOTAL_FORMS" in page.content.decode()
