import pytest

from bazaar.customers.tests.factories import CustomerFactory


@pytest.fixture
def order_body(db) -> dict:
    return {"customer": CustomerFactory().pk, "shipping_cost": 75000, "notes": "idempotent"}
