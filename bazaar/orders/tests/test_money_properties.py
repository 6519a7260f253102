"""Property tests (hypothesis) of SPEC §12's formulas: random items, coupons, staff discounts and
tax rates, checked against an independent model written with exact fractions, first on the pure
functions (bazaar/orders/pricing.py), then through the API on the test database."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.coupons.models import Coupon
from bazaar.orders import pricing
from bazaar.orders.models import Order

MAX_MONEY = 10**13


def round_half_up(value: Fraction) -> int:
    """The model's rounding: exact, from a fraction, never through floats."""
    floor = value.numerator // value.denominator
    return floor + (1 if value - floor >= Fraction(1, 2) else 0)


@dataclass(frozen=True)
class Line:
    unit_price: int
    unit_discount: int
    quantity: int


@st.composite
def lines(draw, max_price: int = MAX_MONEY // 1000) -> list[Line]:
    result = []
    for _ in range(draw(st.integers(0, 5))):
        price = draw(st.integers(0, max_price))
        result.append(Line(price, draw(st.integers(0, price)), draw(st.integers(1, 50))))
    return result


coupon_terms = st.one_of(
    st.none(),
    st.builds(
        pricing.CouponTerms,
        kind=st.just(pricing.PERCENT),
        value=st.integers(1, 100),
        max_discount=st.one_of(st.none(), st.integers(0, MAX_MONEY)),
        min_subtotal=st.integers(0, 10**9),
    ),
    st.builds(
        pricing.CouponTerms,
        kind=st.just(pricing.FIXED),
        value=st.integers(1, MAX_MONEY),
        max_discount=st.none(),
        min_subtotal=st.integers(0, 10**9),
    ),
)
tax_rates = st.integers(0, 10_000).map(lambda hundredths: Decimal(hundredths) / 100)


def model(lines_, coupon, order_discount, rate, shipping) -> dict[str, int]:
    """SPEC §12's formulas, written out again from the text."""
    items_subtotal = sum(line.unit_price * line.quantity for line in lines_)
    items_discount = sum(line.unit_discount * line.quantity for line in lines_)
    goods = items_subtotal - items_discount
    if coupon is None or goods < coupon.min_subtotal:
        by_coupon = 0
    elif coupon.kind == pricing.PERCENT:
        by_coupon = round_half_up(Fraction(goods * coupon.value, 100))
        if coupon.max_discount is not None:
            by_coupon = min(by_coupon, coupon.max_discount)
    else:
        by_coupon = min(coupon.value, goods)
    by_staff = min(order_discount, goods - by_coupon)
    total_discount = items_discount + by_coupon + by_staff
    tax = round_half_up((items_subtotal - total_discount) * Fraction(rate) / 100)
    return {
        "goods": goods,
        "coupon_discount": by_coupon,
        "order_discount": by_staff,
        "total_discount": total_discount,
        "tax": tax,
        "total": items_subtotal - total_discount + tax + shipping,
    }


@settings(max_examples=300, deadline=None)
@given(
    lines(),
    coupon_terms,
    st.integers(0, MAX_MONEY),
    tax_rates,
    st.integers(0, MAX_MONEY),
)
def test_the_formulas_agree_with_the_model_and_keep_every_bound(
    lines_, coupon, order_discount, rate, shipping
):
    money = pricing.order_money(
        items_subtotal=sum(line.unit_price * line.quantity for line in lines_),
        items_discount=sum(line.unit_discount * line.quantity for line in lines_),
        shipping_cost=shipping,
        coupon=coupon,
        order_discount=order_discount,
        tax_rate=rate,
    )
    expected = model(lines_, coupon, order_discount, rate, shipping)
    assert {key: getattr(money, key) for key in expected} == expected
    assert money.total >= 0 and money.tax >= 0
    assert 0 <= money.coupon_discount <= money.goods
    if coupon is not None and coupon.max_discount is not None:
        assert money.coupon_discount <= coupon.max_discount
    if coupon is not None and coupon.kind == pricing.FIXED:
        assert money.coupon_discount <= coupon.value
    assert 0 <= money.order_discount <= min(order_discount, money.goods - money.coupon_discount)
    assert money.tax <= money.items_subtotal - money.total_discount  # at most 100 %
    assert money.total >= shipping


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["int", "float", "str", "padded"]))
def test_any_two_decimal_rate_reads_back_as_itself(hundredths, spelling):
    rate = Decimal(hundredths) / 100
    given_as = {
        "int": int(rate) if rate == int(rate) else float(rate),
        "float": float(rate),
        "str": str(rate),
        "padded": f"{rate:.2f}000",
    }[spelling]
    parsed = pricing.parse_tax_rate(given_as)
    assert parsed == rate and pricing.tax_rate_text(parsed) == f"{rate:.2f}"


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**6).map(lambda n: Decimal(n) / 1000))
def test_a_third_decimal_or_beyond_100_is_refused(rate):
    if rate == rate.quantize(Decimal("0.01")) and rate <= 100:
        assert pricing.parse_tax_rate(str(rate)) == rate
    else:
        with pytest.raises(pricing.RuleError):
            pricing.parse_tax_rate(str(rate))


# --- through the API ----------------------------------------------------------------------------


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines(max_price=10**8),
    coupon_terms.filter(lambda c: c is None or c.max_discount is None or c.max_discount < 10**13),
    st.integers(0, 10**9),
    tax_rates,
    st.integers(0, 10**7),
)
def test_the_api_answers_and_stores_what_the_model_says(
    admin_client, lines_, coupon, order_discount, rate, shipping
):
    Order.objects.all().delete()  # the orders first: they protect their coupon
    Coupon.objects.all().delete()
    product = ProductFactory()
    body = {
        "items": [
            {"product": product.pk, "unit_price": line.unit_price,
             "unit_discount": line.unit_discount, "quantity": line.quantity}
            for line in lines_
        ],
        "tax_rate": str(rate),
        "shipping_cost": shipping,
    }  # fmt: skip
    expected = model(lines_, coupon, 0, rate, shipping)
    if coupon is not None:
        Coupon.objects.create(
            code="PROP", kind=coupon.kind, value=coupon.value, max_discount=coupon.max_discount,
            min_subtotal=coupon.min_subtotal,
        )  # fmt: skip
        body["coupon_code"] = "prop"
    response = admin_client.post("/api/orders/", body)
    if coupon is not None and expected["goods"] < coupon.min_subtotal:
        assert response.status_code == 400 and "coupon_code" in response.json()
        return
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    # The staff discount afterwards: refused above the maximum, else applied as asked.
    maximum = expected["goods"] - expected["coupon_discount"]
    patched = admin_client.patch(f"/api/orders/{order_id}/", {"order_discount": order_discount})
    if order_discount > maximum:
        assert patched.status_code == 400 and str(maximum) in patched.json()["order_discount"][0]
        order_discount = 0
    else:
        assert patched.status_code == 200, patched.json()
    expected = model(lines_, coupon, order_discount, rate, shipping)
    order = admin_client.get(f"/api/orders/{order_id}/").json()
    assert {key: order[key] for key in expected if key != "goods"} == {
        key: value for key, value in expected.items() if key != "goods"
    }
    row = Order.objects.get(pk=order_id)
    assert (row.coupon_discount, row.order_discount, row.tax, row.total) == (
        expected["coupon_discount"], expected["order_discount"], expected["tax"],
        expected["total"],
    )  # fmt: skip
