"""The coupon rules of SPEC §12 as pure functions: what a code may look like, which terms a coupon
may have, and whether a coupon can be applied to an order. The API (coupon and order serializers,
order services) and the admin's forms call these same functions; each refusal is a `RuleError`
naming the field, with a message that names the rule."""

import re
from datetime import datetime
from typing import Any

from bazaar.accounts.validators import to_ascii_digits
from bazaar.api.limits import MAX_MONEY
from bazaar.api.serializers import iso_utc
from bazaar.orders.pricing import FIXED, PERCENT, RuleError

CODE_MIN, CODE_MAX = 3, 32
_CODE = re.compile(r"^[A-Za-z0-9_-]+\Z")
CODE_PATTERN = rf"^[A-Za-z0-9_\-۰-۹٠-٩]{{{CODE_MIN},{CODE_MAX}}}$"
MAX_PERCENT = 100


def normalize_code(text: Any, *, field: str = "code") -> str:
    """A coupon code as stored and matched: Persian and Arabic-Indic digits read as Latin,
    upper-case. 3–32 characters of Latin letters, digits, `-` or `_`."""
    if not isinstance(text, str):
        raise RuleError(field, "A coupon code is a string.")
    code = to_ascii_digits(text.strip())
    # Checked before upper-casing: "ß".upper() is "SS", which would slip a non-Latin letter in.
    if not CODE_MIN <= len(code) <= CODE_MAX or not _CODE.match(code):
        raise RuleError(
            field,
            f"A coupon code is {CODE_MIN}–{CODE_MAX} characters of Latin letters, digits, "
            "'-' or '_'.",
        )
    return code.upper()


def check_terms(
    *,
    kind: str,
    value: int,
    max_discount: int | None,
    valid_from: datetime | None,
    valid_to: datetime | None,
) -> None:
    """The terms a coupon may have: a percent is a whole number 1–100, a fixed amount 1–10¹³;
    only a percent coupon is capped; its window, when bounded on both sides, is not empty."""
    if kind == PERCENT and not 1 <= value <= MAX_PERCENT:
        raise RuleError("value", f"A percent coupon's value is a whole number 1–{MAX_PERCENT}.")
    if kind == FIXED and not 1 <= value <= MAX_MONEY:
        raise RuleError("value", f"A fixed coupon's value is an amount from 1 to {MAX_MONEY}.")
    if kind == FIXED and max_discount is not None:
        raise RuleError("max_discount", "Only a percent coupon takes max_discount.")
    if valid_from is not None and valid_to is not None and valid_from >= valid_to:
        raise RuleError("valid_to", "valid_to must be later than valid_from.")


def check_available(
    *,
    code: str,
    is_active: bool,
    valid_from: datetime | None,
    valid_to: datetime | None,
    now: datetime,
) -> None:
    """A coupon being applied must be active and inside its window."""
    if not is_active:
        raise RuleError("coupon_code", f"Coupon {code} is inactive.")
    if valid_from is not None and now < valid_from:
        raise RuleError(
            "coupon_code", f"Coupon {code} is not valid yet: it starts at {_moment(valid_from)}."
        )
    if valid_to is not None and now >= valid_to:
        raise RuleError(
            "coupon_code", f"Coupon {code} has expired: it ended at {_moment(valid_to)}."
        )


def check_uses_left(
    *,
    code: str,
    max_uses: int | None,
    uses: int,
    max_uses_per_customer: int | None,
    customer_uses: int | None,
) -> None:
    """Uses left for one more order: `uses` and `customer_uses` count the other orders holding
    the coupon (SPEC §12's counting statuses); `customer_uses` is None for a guest order, which
    counts against `max_uses` only."""
    if max_uses is not None and uses >= max_uses:
        raise RuleError(
            "coupon_code", f"Coupon {code} is used up: all of its {max_uses} uses are taken."
        )
    per_customer = max_uses_per_customer
    if per_customer is not None and customer_uses is not None and customer_uses >= per_customer:
        raise RuleError(
            "coupon_code",
            f"This customer has reached coupon {code}'s limit of {per_customer} uses per customer.",
        )


def check_min_subtotal(*, code: str, min_subtotal: int, goods: int) -> None:
    """The order's goods (items after their own discounts) must reach the coupon's minimum."""
    if goods < min_subtotal:
        raise RuleError(
            "coupon_code",
            f"Coupon {code} needs goods of at least {min_subtotal}; this order's are {goods}.",
        )


def _moment(value: datetime) -> str:
    return iso_utc(value) or ""
