"""Orders racing for a coupon's last use get it exactly once (SPEC §12), through the real HTTP
stack with real parallel database connections (one per thread). On PostgreSQL the coupon's row
lock makes them queue; on SQLite, IMMEDIATE transactions do."""

import pytest

from bazaar.accounts.models import User
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.conftest import client_for
from bazaar.coupons.selectors import coupon_uses
from bazaar.coupons.tests.factories import CouponFactory
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.orders.models import Order
from bazaar.orders.status import Status
from bazaar.orders.tests.test_concurrency import run_in_parallel

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 8


@pytest.fixture
def admin():
    return User.objects.create_superuser("racer", "r@example.com", "pw-Racer-123")


def test_orders_created_at_once_get_the_last_use_exactly_once(admin):
    coupon = CouponFactory(code="LASTONE", max_uses=3)
    product = ProductFactory(price=1_000)
    for _ in range(2):
        Order.objects.create(coupon=coupon, coupon_code=coupon.code, coupon_kind="percent",
                             coupon_value=10)  # fmt: skip
    clients = [client_for(admin) for _ in range(RACERS)]
    body = {"coupon_code": "lastone", "items": [{"product": product.pk}]}
    codes = run_in_parallel([lambda c=c: c.post("/api/orders/", body).status_code for c in clients])
    assert sorted(codes) == [201] + [400] * (RACERS - 1)
    assert coupon_uses(coupon_id=coupon.pk) == 3
    assert Order.objects.count() == 3  # the refused ones stored nothing


def test_one_customers_racing_orders_respect_the_per_customer_limit(admin):
    coupon = CouponFactory(code="ONEEACH", max_uses_per_customer=1)
    customer = CustomerFactory()
    orders = [Order.objects.create(customer=customer) for _ in range(RACERS)]
    clients = [client_for(admin) for _ in range(RACERS)]
    codes = run_in_parallel(
        [
            lambda c=c, o=o: c.patch(f"/api/orders/{o.pk}/", {"coupon_code": "ONEEACH"}).status_code
            for c, o in zip(clients, orders, strict=True)
        ]
    )
    assert sorted(codes) == [200] + [400] * (RACERS - 1)
    assert Order.objects.filter(coupon=coupon).count() == 1


def test_cancelled_orders_moving_back_at_once_share_the_uses_left(admin):
    coupon = CouponFactory(code="COMEBACK", max_uses=2)
    held = {
        "coupon": coupon,
        "coupon_code": coupon.code,
        "coupon_kind": "percent",
        "coupon_value": 10,
    }
    Order.objects.create(**held)  # one use taken: one left
    cancelled = [Order.objects.create(status=Status.CANCELLED, **held) for _ in range(RACERS)]
    clients = [client_for(admin) for _ in range(RACERS)]
    codes = run_in_parallel(
        [
            lambda c=c, o=o: c.patch(f"/api/orders/{o.pk}/", {"status": "new"}).status_code
            for c, o in zip(clients, cancelled, strict=True)
        ]
    )
    assert sorted(codes) == [200] + [400] * (RACERS - 1)
    assert coupon_uses(coupon_id=coupon.pk) == 2
