"""PUT/PATCH of an order (issue 13): the customer inline as on create (SPEC §11), and the inline
`items`/`payments` of a GET body sent back ignored, never applied (SPEC §2)."""

import pytest

from bazaar.accounts.models import User
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.models import Customer
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.methods.models import PaymentMethod
from bazaar.orders.models import Order, OrderItem, OrderPayment

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(admin_client) -> dict:
    response = admin_client.post("/api/orders/", {"notes": "first"})
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_regression_update_with_an_inline_customer_matches_by_mobile(admin_client, order, method):
    """Was a 500: `Cannot assign "{...}": "Order.customer" must be a "Customer" instance`."""
    existing = CustomerFactory(mobile_number="09121234567", first_name="علی")
    response = getattr(admin_client, method)(
        f"/api/orders/{order['id']}/",
        {"customer": {"mobile_number": "+98 912 123 4567", "first_name": "Changed"}},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["customer_data"]["id"] == existing.pk
    existing.refresh_from_db()
    assert existing.first_name == "علی"  # a matched customer is not modified
    assert Order.objects.get(pk=order["id"]).customer_id == existing.pk


def test_update_with_a_new_inline_customer_creates_it(admin_client, order):
    response = admin_client.patch(
        f"/api/orders/{order['id']}/",
        {"customer": {"mobile_number": "۰۹۳۵۱۲۳۴۵۶۷", "first_name": "سارا"}},
    )
    assert response.status_code == 200, response.json()
    data = response.json()["customer_data"]
    assert data["mobile_number"] == "09351234567"
    assert data["first_name"] == "سارا"
    assert Customer.objects.filter(mobile_number="09351234567").count() == 1


def test_a_refused_update_leaves_no_new_customer(admin_client, order):
    customers = Customer.objects.count()
    response = admin_client.patch(
        f"/api/orders/{order['id']}/",
        {"status": "shipped", "customer": {"mobile_number": "09351234567"}},
    )
    assert response.status_code == 400
    assert "status" in response.json()
    assert Customer.objects.count() == customers
    assert Order.objects.get(pk=order["id"]).customer_id is None


def test_an_inline_customer_with_a_staff_members_number_is_a_400(admin_client, order):
    User.objects.create_user("desk", is_staff=True, mobile_number="09120000009")
    response = admin_client.patch(
        f"/api/orders/{order['id']}/", {"customer": {"mobile_number": "09120000009"}}
    )
    assert response.status_code == 400
    assert "mobile_number" in response.json()["customer"]


@pytest.mark.parametrize("method", ["patch", "put"])
def test_items_and_payments_sent_to_an_order_update_are_ignored(admin_client, method):
    product = ProductFactory(price=1000)
    other = ProductFactory(price=5000)
    method_row = PaymentMethod.objects.create(name="cash")
    created = admin_client.post(
        "/api/orders/",
        {
            "items": [{"product": product.pk, "quantity": 2}],
            "payments": [{"payment_method": method_row.pk, "amount": 500}],
        },
    ).json()
    items_before = list(OrderItem.objects.values())
    payments_before = list(OrderPayment.objects.values())
    response = getattr(admin_client, method)(
        f"/api/orders/{created['id']}/",
        {
            "notes": "changed",
            "items": [{"product": other.pk, "quantity": 9}, {"product_code": "nope"}],
            "payments": [{"payment_method": method_row.pk, "amount": 999, "approved": True}],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["notes"] == "changed"
    assert [(i["product"], i["quantity"]) for i in body["items"]] == [(product.pk, 2)]
    assert [p["amount"] for p in body["payments"]] == [500]
    assert (body["total"], body["amount_paid"]) == (created["total"], created["amount_paid"])
    assert list(OrderItem.objects.values()) == items_before
    assert list(OrderPayment.objects.values()) == payments_before
