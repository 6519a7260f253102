"""SPEC §12's money formulas and the order-level rules that go with them, as pure functions.

The one home of these rules: the API's serializers and services and the admin's forms all call
them, so an order priced through any door comes out the same to the rial. Nothing here touches
the database; a refused value raises `RuleError` naming the field, which the API turns into a 400
on that field and the admin into a form error.

Every amount is an integer in the smallest currency unit and every division rounds half up, in
integer arithmetic (never through floats): `tax_rate` has at most two decimals, so a tax is
`base × hundredths / 10 000` exactly before rounding.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bazaar.accounts.validators import to_ascii_digits

PERCENT = "percent"
FIXED = "fixed"

MAX_TAX_RATE = Decimal(100)
TAX_RATE_ZERO = Decimal("0.00")


class RuleError(ValueError):
    """A value a §12 rule refuses; `field` is the request field the message is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class CouponTerms:
    """What a coupon promised when it was applied (kept on the order, SPEC §12)."""

    kind: str
    value: int
    max_discount: int | None
    min_subtotal: int


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """An order's money, every figure of SPEC §5 and §12."""

    items_subtotal: int
    items_discount: int
    goods: int
    coupon_discount: int
    order_discount: int
    total_discount: int
    tax: int
    shipping_cost: int
    total: int


def divide_half_up(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded half up, for numerator ≥ 0 and denominator > 0."""
    return (2 * numerator + denominator) // (2 * denominator)


def goods_of(items_subtotal: int, items_discount: int) -> int:
    """The goods a coupon and an order discount apply to: the items after their own discounts."""
    return items_subtotal - items_discount


def coupon_discount(terms: CouponTerms | None, goods: int) -> int:
    """percent → min(round(goods × value / 100), max_discount); fixed → min(value, goods);
    0 without a coupon or while the goods are below its `min_subtotal`."""
    if terms is None or goods <= 0 or goods < terms.min_subtotal:
        return 0
    if terms.kind == PERCENT:
        discount = divide_half_up(goods * terms.value, 100)
        if terms.max_discount is not None:
            discount = min(discount, terms.max_discount)
        return min(discount, goods)
    return min(terms.value, goods)


def order_discount_max(goods: int, coupon: int) -> int:
    """The largest staff discount the goods allow: what is left after the coupon."""
    return max(goods - coupon, 0)


def tax_amount(base: int, tax_rate: Decimal) -> int:
    """round(base × tax_rate / 100), half up; `tax_rate` has at most two decimals."""
    hundredths = int(tax_rate * 100)  # exact: two decimals at most (parse_tax_rate)
    return divide_half_up(max(base, 0) * hundredths, 10_000)


def order_money(
    *,
    items_subtotal: int,
    items_discount: int,
    shipping_cost: int,
    coupon: CouponTerms | None,
    order_discount: int,
    tax_rate: Decimal,
) -> OrderMoney:
    """Every total of an order from its stored facts. `order_discount` is lowered to what the
    goods allow (SPEC §12: a change that lowers the maximum lowers the discount)."""
    goods = goods_of(items_subtotal, items_discount)
    by_coupon = coupon_discount(coupon, goods)
    by_staff = min(order_discount, order_discount_max(goods, by_coupon))
    total_discount = items_discount + by_coupon + by_staff
    tax = tax_amount(items_subtotal - total_discount, tax_rate)
    return OrderMoney(
        items_subtotal=items_subtotal,
        items_discount=items_discount,
        goods=goods,
        coupon_discount=by_coupon,
        order_discount=by_staff,
        total_discount=total_discount,
        tax=tax,
        shipping_cost=shipping_cost,
        total=items_subtotal - total_discount + tax + shipping_cost,
    )


def check_order_discount(requested: int, *, goods: int, coupon: int) -> None:
    """A staff discount written explicitly may not exceed what the goods allow."""
    maximum = order_discount_max(goods, coupon)
    if requested > maximum:
        raise RuleError(
            "order_discount",
            f"order_discount must not exceed {maximum}: the goods ({goods}) after the coupon "
            f"discount ({coupon}).",
        )


_RATE_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?\Z|^\.[0-9]+\Z")


def parse_tax_rate(value: Any) -> Decimal:
    """A percentage 0–100 with at most two decimals once trailing zeros are dropped, given as a
    JSON number or a string (`9`, `9.5`, `"9.00"`, `"۹"`); never null. Returns it with two
    decimals (`Decimal("9.00")`)."""
    if value is None:
        raise RuleError("tax_rate", "tax_rate may not be null; send 0 for no tax.")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise RuleError("tax_rate", 'tax_rate must be a number or a string such as "9.00".')
    if isinstance(value, str):
        text = to_ascii_digits(value.strip())
        if len(text) > 40 or not _RATE_TEXT.match(text):
            raise RuleError("tax_rate", 'tax_rate must be a number such as 9 or "9.00".')
    elif isinstance(value, float):
        text = repr(value)  # the shortest text that reads back as this number: 9.5, not 9.4999…
    else:
        text = str(value)
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise RuleError("tax_rate", 'tax_rate must be a number such as 9 or "9.00".') from None
    if not rate.is_finite() or rate < 0 or rate > MAX_TAX_RATE:
        raise RuleError("tax_rate", "tax_rate must be between 0 and 100.")
    if rate != rate.quantize(Decimal("0.01")):
        raise RuleError("tax_rate", "tax_rate may have at most two decimal places.")
    return rate.quantize(Decimal("0.01"))


def tax_rate_text(rate: Decimal) -> str:
    """The API's spelling of a tax rate: always two decimals (`"9.00"`), as Salla shows it."""
    return f"{rate:.2f}"


def discount_lines(
    *, items_discount: int, coupon_code: str | None, coupon: int, order_discount: int
) -> list[dict[str, Any]]:
    """`discounts`: one line per non-zero discount, items, then coupon, then order (SPEC §12)."""
    lines: list[dict[str, Any]] = []
    if items_discount:
        lines.append({"type": "items", "amount": items_discount})
    if coupon:
        lines.append({"type": "coupon", "code": coupon_code, "amount": coupon})
    if order_discount:
        lines.append({"type": "order", "amount": order_discount})
    return lines
