"""The order rules the API and the admin share (issue 15, "one home for the order rules").

Each rule is a plain check over values already read (no queries, except `resolve_options`, which
reads a product's option groups and hands them to the pure `choose_options`); a refusal raises
`OrderRuleError` naming the request field it is about. The API's serializers and services turn it
into a 400 on that field (a 409 for `OrderConflictError`: the order's state refuses the write, not
the value), the admin's forms into a form error; both show the rule's own message, so the text of
each message lives here and nowhere else (bazaar/orders/tests/test_one_rule_home.py checks it).

`pricing.RuleError` is the same error for SPEC §12's money rules: OrderRuleError extends it, so
one `except RuleError` catches every rule's refusal.
"""

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.utils.translation import gettext

from bazaar.api.limits import MAX_ORDER_AMOUNT
from bazaar.catalog.models import Product, ProductOptionGroup, ProductOptionValue
from bazaar.orders.models import DeliveryMethod
from bazaar.orders.pricing import RuleError
from bazaar.orders.status import ITEMS_LOCKED, PAYMENTS_LOCKED

NON_FIELD = "non_field_errors"


class OrderRuleError(RuleError):
    """A value (or a state) an order rule refuses: `field` is the request field it is about
    (`non_field_errors`: the whole request), `messages` every reason, the first as `message`."""

    def __init__(self, field: str, message: str, *more: str) -> None:
        super().__init__(field, message)
        self.messages = [message, *more]


class OrderConflictError(OrderRuleError):
    """Refused by the order's current state, whatever the value: the API's 409."""


def collect(checks: Iterable[Callable[[], Any]]) -> dict[str, list[str]]:
    """Run every check; their refusals by field (several rules may refuse one request)."""
    errors: dict[str, list[str]] = {}
    for check in checks:
        try:
            check()
        except OrderRuleError as exc:
            errors.setdefault(exc.field, []).extend(exc.messages)
    return errors


# --- the order's state ----------------------------------------------------------------------------


def check_items_unlocked(status: str) -> None:
    """Items are settled once the order is completed, refunded or deleted (SPEC §6)."""
    if status in ITEMS_LOCKED:
        raise OrderConflictError(
            NON_FIELD,
            gettext("Items cannot be added, changed or removed while the order is '%(status)s'.")
            % {"status": status},
        )


def check_payments_unlocked(status: str) -> None:
    """A deleted order's payments are frozen (SPEC §7)."""
    if status in PAYMENTS_LOCKED:
        raise OrderConflictError(
            NON_FIELD,
            gettext("Payments cannot be changed while the order is '%(status)s'.")
            % {"status": status},
        )


# --- amounts --------------------------------------------------------------------------------------


def check_order_amount(items_subtotal: int, shipping_cost: int) -> None:
    if items_subtotal + shipping_cost > MAX_ORDER_AMOUNT:
        raise OrderRuleError(
            NON_FIELD,
            gettext("An order's total must not exceed %(max)s.") % {"max": MAX_ORDER_AMOUNT},
        )


def check_line_amount(unit_price: int, quantity: int) -> None:
    if unit_price * quantity > MAX_ORDER_AMOUNT:
        raise OrderRuleError(
            "quantity",
            gettext("unit_price × quantity must not exceed %(max)s.") % {"max": MAX_ORDER_AMOUNT},
        )


def check_unit_discount(unit_discount: int, unit_price: int) -> None:
    if unit_discount > unit_price:
        raise OrderRuleError(
            "unit_discount",
            gettext("Must not exceed unit_price (%(price)s).") % {"price": unit_price},
        )


def check_approval(amount: int, *, paid_with_it: int, total: int) -> None:
    """Approving `amount` may not take the approved payments (`paid_with_it`, this one counted)
    above the order's total (SPEC §7); the message says what is still outstanding."""
    if paid_with_it > total:
        outstanding = max(total - (paid_with_it - amount), 0)
        raise OrderRuleError(
            "amount",
            gettext(
                "Approving %(amount)s would take amount_paid above the order total (%(total)s): "
                "the outstanding amount is %(outstanding)s."
            )
            % {"amount": amount, "total": total, "outstanding": outstanding},
        )


# --- products and their options -------------------------------------------------------------------


def check_product_active(product: Product) -> None:
    if not product.is_active:
        raise OrderRuleError("product", gettext("Product %(id)s is inactive.") % {"id": product.pk})


def catalog_unit_price(product: Product, chosen: Iterable[ProductOptionValue]) -> int:
    """An item's price when none is given: the product's, with its chosen options' deltas."""
    return product.price + sum(value.price_delta for value in chosen)


def choose_options(
    product_id: int, groups: list[ProductOptionGroup], value_ids: list[int]
) -> list[ProductOptionValue]:
    """The chosen option values among `groups` (the product's, values prefetched): at most one
    per group, every required group chosen, values of this product only (SPEC §11)."""
    values = {value.pk: value for group in groups for value in group.values.all()}
    errors: list[str] = []
    chosen: list[ProductOptionValue] = []
    for value_id in value_ids:
        if value_id not in values:
            errors.append(
                gettext("Option value %(value)s is not an option of product %(product)s.")
                % {"value": value_id, "product": product_id}
            )
        else:
            chosen.append(values[value_id])
    per_group: dict[int, int] = {}
    for value in chosen:
        per_group[value.group_id] = per_group.get(value.group_id, 0) + 1
    for group in groups:
        if per_group.get(group.pk, 0) > 1:
            errors.append(
                gettext("Choose at most one value of '%(group)s'.") % {"group": group.name}
            )
        if group.required and not per_group.get(group.pk):
            errors.append(
                gettext("'%(group)s' is required: choose one of its values.")
                % {"group": group.name}
            )
    if errors:
        raise OrderRuleError("options", *errors)
    return chosen


def new_item_terms(product: Product, attrs: dict[str, Any]) -> dict[str, Any]:
    """A new item's values from its body (`attrs`: checked fields, `options` as value ids) and
    its product: the product active, its options chosen, the price the catalog's (with the
    options' deltas) when none is given, the discount and the line's amount within bounds."""
    check_product_active(product)
    chosen = resolve_options(product, attrs.get("options", []))
    unit_price = attrs.get("unit_price", catalog_unit_price(product, chosen))
    unit_discount = attrs.get("unit_discount", 0)
    quantity = attrs.get("quantity", 1)
    check_unit_discount(unit_discount, unit_price)
    check_line_amount(unit_price, quantity)
    return {
        **attrs,
        "product": product,
        "options": chosen,
        "unit_price": unit_price,
        "unit_discount": unit_discount,
        "quantity": quantity,
    }


def resolve_options(product: Product, value_ids: list[int]) -> list[ProductOptionValue]:
    """`choose_options` over the product's option groups (one query for groups and values; none
    for a product read by `catalog.selectors.products_for_items` that has no groups)."""
    if getattr(product, "has_option_groups", True) is False:
        return choose_options(product.pk, [], value_ids)
    groups = list(product.options.prefetch_related("values"))
    return choose_options(product.pk, groups, value_ids)


# --- places, methods and delivery -----------------------------------------------------------------


def check_state_in_country(field: str, state: Any, country: Any) -> None:
    if state is not None and country is not None and state.country_id != country.pk:
        raise OrderRuleError(
            field,
            gettext("State %(state)s is not in country %(country)s.")
            % {"state": state.pk, "country": country.pk},
        )


def check_city_in_state(field: str, city: Any, state: Any) -> None:
    if city is not None and state is not None and city.state_id != state.pk:
        raise OrderRuleError(
            field,
            gettext("City %(city)s is not in state %(state)s.")
            % {"city": city.pk, "state": state.pk},
        )


def check_active(field: str, row: Any) -> None:
    """A method or branch chosen for an order must be active (SPEC §5, §11)."""
    if row is None or row.is_active:
        return
    message = {
        "paymentmethod": gettext("Payment method %(id)s is inactive."),
        "shippingmethod": gettext("Shipping method %(id)s is inactive."),
        "branch": gettext("Branch %(id)s is inactive."),
    }[row._meta.model_name]
    raise OrderRuleError(field, message % {"id": row.pk})


def check_pickup_branch(delivery_method: str | None, branch: Any, *, branch_given: bool) -> None:
    """A pickup order names its branch; only a pickup order may (`branch_given`: the request
    sets one, rather than keeping the order's)."""
    if delivery_method == DeliveryMethod.PICKUP:
        if branch is None:
            raise OrderRuleError(
                "pickup_branch", gettext("Required when delivery_method is pickup.")
            )
    elif branch_given and branch is not None:
        raise OrderRuleError("pickup_branch", gettext("Only for delivery_method pickup."))


def check_no_shipping_address(field: str, value: Any) -> None:
    """A pickup order has no shipping address: a value given for one is refused."""
    if value not in (None, ""):
        raise OrderRuleError(field, gettext("A pickup order takes no shipping address."))


def place_and_delivery_errors(
    value: Callable[[str], Any], *, branch_given: bool, address_given: Iterable[str]
) -> dict[str, list[str]]:
    """Every refusal of the place rules (billing and shipping) and the delivery rules over
    `value(name)`, the order's value of a field after the write; `branch_given`: the write sets
    the pickup branch; `address_given`: the shipping address fields it sets."""
    delivery = value("delivery_method") or DeliveryMethod.SHIPPING
    checks: list[Callable[[], Any]] = []
    for prefix in ("billing", "shipping"):
        country, state, city = (value(f"{prefix}_{part}") for part in ("country", "state", "city"))
        checks.append(partial(check_state_in_country, f"{prefix}_state", state, country))
        checks.append(partial(check_city_in_state, f"{prefix}_city", city, state))
    checks.append(
        lambda: check_pickup_branch(delivery, value("pickup_branch"), branch_given=branch_given)
    )
    if delivery == DeliveryMethod.PICKUP:
        checks.extend(partial(check_no_shipping_address, n, value(n)) for n in address_given)
    return collect(checks)
