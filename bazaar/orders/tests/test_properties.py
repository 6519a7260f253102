"""Property tests (hypothesis) for the order status machine and the totals formulas (SPEC §5-§7).

The status machine is checked as pure functions; the totals through the public API on the test
database: random items, discounts, payments and shipping changes, after each of which the order
the API returns, the totals stored in its row and the totals recomputed from its rows must all
agree with SPEC §5's formulas evaluated on an independent model of the order.
"""

import re
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.orders.models import Order
from bazaar.orders.status import (
    CREATABLE,
    NOT_PAYABLE,
    TRANSITIONS,
    Status,
    StatusError,
    allowed_next,
    check_initial_status,
    check_transition,
)
from bazaar.orders.tests.totals import order_totals_from_rows

STATUSES = [s.value for s in Status]
ALLOWED = re.compile(r"Allowed next statuses: (?P<list>[a-z, ]+)\.$")
CREATABLE_LIST = re.compile(r"created as one of: (?P<list>[a-z, ]+)\.$")


# --- the status machine -----------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(CREATABLE)),
    st.lists(st.sampled_from(STATUSES), min_size=1, max_size=40),
)
def test_no_sequence_of_moves_leaves_the_table(start, attempts):
    current = start.value
    for new in attempts:
        try:
            check_transition(current, new)
        except StatusError as exc:
            # Refused: exactly the moves the table forbids, and the message names every allowed
            # next status (and only those), in the table's order.
            assert new != current
            assert Status(new) not in TRANSITIONS[Status(current)]
            message = str(exc)
            assert f"'{current}'" in message and f"'{new}'" in message
            listed = ALLOWED.search(message)
            assert listed is not None, message
            names = listed["list"].split(", ")
            assert set(names) == {s.value for s in TRANSITIONS[Status(current)]}
            assert names == allowed_next(current)
            assert names == [s for s in STATUSES if s in names]  # Status order, no repeats
        else:
            assert new == current or Status(new) in TRANSITIONS[Status(current)]
            current = new


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(STATUSES))
def test_only_creatable_statuses_are_accepted_on_create(status):
    if Status(status) in CREATABLE:
        check_initial_status(status)
        return
    with pytest.raises(StatusError) as caught:
        check_initial_status(status)
    listed = CREATABLE_LIST.search(str(caught.value))
    assert listed is not None and set(listed["list"].split(", ")) == {s.value for s in CREATABLE}


def test_the_table_is_spec_s_table():
    """The table the properties above trust, written out once more from SPEC §5."""
    spec = {
        "new": {"hold", "processing", "failed", "cancelled", "deleted"},
        "hold": {"new", "processing", "failed", "cancelled", "deleted"},
        "failed": {"new", "cancelled", "deleted"},
        "processing": {"hold", "shipped", "completed", "cancelled", "refunded"},
        "shipped": {"completed", "refunded"},
        "completed": {"refunded"},
        "cancelled": {"new", "deleted"},
        "refunded": {"deleted"},
        "deleted": {"new"},
    }
    assert {k.value: {s.value for s in v} for k, v in TRANSITIONS.items()} == spec
    assert {s.value for s in CREATABLE} == {"new", "hold", "failed", "cancelled", "deleted"}


# --- totals -----------------------------------------------------------------------------------


@dataclass
class Model:
    """What the order should be, kept apart from the code under test."""

    status: str
    shipping_cost: int
    product_id: int = 0
    items: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # id -> price, disc, qty
    payments: dict[int, tuple[int, bool]] = field(default_factory=dict)  # id -> amount, approved

    def expected(self) -> dict:
        items = list(self.items.values())
        items_subtotal = sum(p * q for p, _d, q in items)
        items_discount = sum(d * q for _p, d, q in items)
        total = sum((p - d) * q for p, d, q in items) + self.shipping_cost
        assert total == items_subtotal - items_discount + self.shipping_cost
        amount_paid = sum(a for a, approved in self.payments.values() if approved)
        outstanding = total - amount_paid
        return {
            "count": len(items),
            "quantity": sum(q for *_, q in items),
            "items_subtotal": items_subtotal,
            "items_discount": items_discount,
            "subtotal": items_subtotal,
            "total_discount": items_discount,
            "shipping_cost": self.shipping_cost,
            "total": total,
            "amount_paid": amount_paid,
            "amount_outstanding": outstanding,
            "is_paid": total > 0 and outstanding <= 0,
            "is_payable": len(items) > 0
            and outstanding > 0
            and Status(self.status) not in NOT_PAYABLE,
        }


money = st.integers(0, 10**7)


@st.composite
def add_item(draw):
    price = draw(money)
    return ("add_item", price, draw(st.integers(0, price)), draw(st.integers(1, 100)))


operations = st.one_of(
    add_item(),
    st.tuples(st.just("add_payment"), st.integers(1, 2 * 10**8), st.booleans()),
    st.tuples(st.just("shipping"), money),
    st.tuples(st.just("item_quantity"), st.integers(0, 10**6), st.integers(1, 100)),
    st.tuples(st.just("delete_item"), st.integers(0, 10**6)),
    st.tuples(st.just("toggle_payment"), st.integers(0, 10**6)),
    st.tuples(st.just("delete_payment"), st.integers(0, 10**6)),
)


def pick(ids, index: int):
    return sorted(ids)[index % len(ids)] if ids else None


def apply(client, order_id: int, model: Model, op: tuple) -> None:
    """Send `op` to the API, check its answer, and update the model when it was accepted."""
    base = f"/api/orders/{order_id}"
    kind = op[0]
    if kind == "add_item":
        _, price, discount, quantity = op
        body = {
            "product": model.product_id,
            "unit_price": price,
            "unit_discount": discount,
            "quantity": quantity,
        }
        response = client.post(f"{base}/items/", body, format="json")
        assert response.status_code == 201, response.content
        new_ids = {i["id"] for i in response.json()["items"]} - set(model.items)
        assert len(new_ids) == 1
        model.items[new_ids.pop()] = (price, discount, quantity)
    elif kind == "add_payment":
        _, amount, approved = op
        fits = model.expected()["amount_paid"] + amount <= model.expected()["total"]
        body = {"amount": amount, "approved": approved}
        response = client.post(f"{base}/payments/", body, format="json")
        if approved and not fits:
            assert response.status_code == 400, response.content
            assert "outstanding" in response.content.decode()
            return
        assert response.status_code == 201, response.content
        new_ids = {p["id"] for p in response.json()["payments"]} - set(model.payments)
        assert len(new_ids) == 1
        model.payments[new_ids.pop()] = (amount, approved)
    elif kind == "shipping":
        response = client.patch(f"{base}/", {"shipping_cost": op[1]}, format="json")
        assert response.status_code == 200, response.content
        model.shipping_cost = op[1]
    elif kind == "item_quantity":
        item_id = pick(model.items, op[1])
        if item_id is None:
            return
        response = client.patch(f"{base}/items/{item_id}/", {"quantity": op[2]}, format="json")
        assert response.status_code == 200, response.content
        price, discount, _ = model.items[item_id]
        model.items[item_id] = (price, discount, op[2])
    elif kind == "delete_item":
        item_id = pick(model.items, op[1])
        if item_id is None:
            return
        assert client.delete(f"{base}/items/{item_id}/").status_code == 204
        del model.items[item_id]
    elif kind == "toggle_payment":
        payment_id = pick(model.payments, op[1])
        if payment_id is None:
            return
        amount, approved = model.payments[payment_id]
        expected = model.expected()
        fits = expected["amount_paid"] + amount <= expected["total"]
        response = client.patch(
            f"{base}/payments/{payment_id}/", {"approved": not approved}, format="json"
        )
        if not approved and not fits:
            assert response.status_code == 400, response.content
            return
        assert response.status_code == 200, response.content
        model.payments[payment_id] = (amount, not approved)
    elif kind == "delete_payment":
        payment_id = pick(model.payments, op[1])
        if payment_id is None:
            return
        assert client.delete(f"{base}/payments/{payment_id}/").status_code == 204
        del model.payments[payment_id]


def assert_order_matches(client, order_id: int, model: Model) -> None:
    expected = model.expected()
    body = client.get(f"/api/orders/{order_id}/").json()
    assert {key: body[key] for key in expected} == expected
    # Each item's own numbers (SPEC §5: subtotal, discount, total per item).
    for item in body["items"]:
        price, discount, quantity = model.items[item["id"]]
        assert (item["subtotal"], item["discount"], item["total"]) == (
            price * quantity,
            discount * quantity,
            (price - discount) * quantity,
        )
    # The stored totals are the rows' totals, and what the API shows.
    order = Order.objects.get(pk=order_id)
    from_rows = order_totals_from_rows(order_id=order_id)
    stored = {name: getattr(order, name) for name in from_rows}
    assert stored == from_rows
    assert from_rows == {
        "item_count": expected["count"],
        "item_quantity": expected["quantity"],
        "items_subtotal": expected["items_subtotal"],
        "items_discount": expected["items_discount"],
        "amount_paid": expected["amount_paid"],
    }
    assert (order.total, order.is_paid, order.is_payable) == (
        expected["total"],
        expected["is_paid"],
        expected["is_payable"],
    )


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    status=st.sampled_from(["new", "hold", "failed", "cancelled"]),
    shipping_cost=money,
    ops=st.lists(operations, min_size=1, max_size=8),
)
def test_totals_follow_the_formulas_after_any_writes(admin_client, status, shipping_cost, ops):
    product = ProductFactory()
    response = admin_client.post(
        "/api/orders/", {"status": status, "shipping_cost": shipping_cost}, format="json"
    )
    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    model = Model(status=status, shipping_cost=shipping_cost, product_id=product.pk)
    assert_order_matches(admin_client, order_id, model)
    for op in ops:
        apply(admin_client, order_id, model, op)
        assert_order_matches(admin_client, order_id, model)


def test_source_001_worked_example_through_the_model():
    """The model itself reproduces SPEC §5's worked example (so it can be trusted above)."""
    model = Model(status="new", shipping_cost=75_000)
    model.items = {1: (9_780_000, 80_000, 5)}
    model.payments = {1: (500_000, True)}
    expected = model.expected()
    assert (
        expected["items_subtotal"],
        expected["items_discount"],
        expected["total"],
        expected["amount_paid"],
        expected["amount_outstanding"],
        expected["is_paid"],
        expected["is_payable"],
    ) == (48_900_000, 400_000, 48_575_000, 500_000, 48_075_000, False, True)
