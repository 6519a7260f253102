from dataclasses import dataclass

import pytest

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.methods.models import PaymentMethod, ShippingMethod


@dataclass
class Shop:
    post: ShippingMethod
    courier: ShippingMethod
    cash: PaymentMethod


@pytest.fixture
def shop(db) -> Shop:
    return Shop(
        post=ShippingMethod.objects.create(
            name="Post", tracking_url_template="https://track.example.com/?code={tracking_number}"
        ),
        courier=ShippingMethod.objects.create(name="Courier"),
        cash=PaymentMethod.objects.create(name="Cash"),
    )


@pytest.fixture
def make_order(admin_client, shop):
    """`make_order(quantities=(3, 2), paid=...)` -> an order in `status` (processing by default)
    made through the API: items of unit price 1000 (unit discount 100) in those quantities, and
    one approved payment of `paid` (default: the whole total)."""

    def make(quantities=(3, 2), *, paid: int | None = None, status: str = "processing") -> dict:
        items = [
            {
                "product": ProductFactory(price=1000).pk,
                "quantity": q,
                "unit_price": 1000,
                "unit_discount": 100,
            }
            for q in quantities
        ]
        total = sum(900 * q for q in quantities)
        payments = [] if paid == 0 else [{"amount": paid or total, "approved": True}]
        body = {"shipping_method": shop.post.pk, "items": items, "payments": payments}
        created = admin_client.post("/api/orders/", body)
        assert created.status_code == 201, created.json()
        order = created.json()
        if status != "new":
            moved = admin_client.patch(f"/api/orders/{order['id']}/", {"status": status})
            assert moved.status_code == 200, moved.json()
            order = moved.json()
        return order

    return make


def events_of(client, order_id: int, kind: str | None = None) -> list[dict]:
    query = f"?type={kind}&limit=100" if kind else "?limit=100"
    return client.get(f"/api/orders/{order_id}/events/{query}").json()["results"]
