"""Every order rule the API and the admin share is enforced by one function (issue 15).

For each rule: the same input is refused by the API and by the admin with the very message the
rule's function gives for it, and the message's text exists in the rule's home module only (an
AST scan of every other module's strings: no copy in admin.py, the serializers or the services
could go unnoticed). Nothing is patched: the three messages are compared as they come out.
"""

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from bazaar.catalog.models import Product, ProductOptionGroup, ProductOptionValue
from bazaar.demo.tests.test_order_admin import change_url, errors_in, form_data, make_order
from bazaar.geo.tests.factories import CityFactory, StateFactory
from bazaar.methods.models import Branch, PaymentMethod
from bazaar.orders import pricing, rules
from bazaar.orders.models import Order
from bazaar.orders.status import Status

pytestmark = pytest.mark.django_db

PACKAGE = Path(__file__).resolve().parents[2]  # bazaar/
BIG_PRICE = 10**13  # MAX_MONEY: the dearest price an item may have


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def product() -> Product:
    """The product make_order() puts on its orders."""
    return Product.objects.create(code="1001001", slug="mouse", title="ماوس", price=9_780_000)


def refusal_of(check: Callable[[], Any]) -> list[str]:
    with pytest.raises(pricing.RuleError) as raised:
        check()
    return getattr(raised.value, "messages", [raised.value.message])


def api_messages(response) -> list[str]:
    assert response.status_code in (400, 409), response.content

    def flat(value) -> list[str]:
        if isinstance(value, dict):
            return [m for v in value.values() for m in flat(v)]
        if isinstance(value, list):
            return [m for v in value for m in flat(v)]
        return [value] if isinstance(value, str) else []

    return flat(response.json())


def item_row(product_id: int, **fields) -> dict[str, Any]:
    return {"product": product_id, "unit_price": 1_000, "unit_discount": 0, "quantity": 1, **fields}


@dataclass
class Case:
    """One shared rule: its function, its message template, and the same input through both
    doors. `setup` makes the world and returns what the three callables take."""

    rule: Callable
    template: str
    setup: Callable[[], dict[str, Any]]
    expected: Callable[[dict[str, Any]], list[str]]
    api: Callable[[Any, dict[str, Any]], Any]
    admin: Callable[[Client, dict[str, Any]], Any]
    home: str = "orders/rules.py"


def _order(**fields) -> dict[str, Any]:
    return {"order": make_order(**fields)}


def _inactive_product() -> dict[str, Any]:
    world = _order()
    world["product"] = Product.objects.create(
        code="2", slug="old", title="old", price=5, is_active=False
    )
    return world


def _product_with_required_group() -> dict[str, Any]:
    world = _order()
    shirt = world["product"] = Product.objects.create(
        code="3", slug="shirt", title="پیراهن", price=100
    )
    group = ProductOptionGroup.objects.create(product=shirt, name="رنگ", required=True)
    ProductOptionValue.objects.create(group=group, name="آبی", price_delta=10)
    return world


def _two_countries() -> dict[str, Any]:
    world = _order()
    world["state"], world["other_state"] = StateFactory(), StateFactory()
    world["city"] = CityFactory(state=world["other_state"])
    return world


def _inactive_method() -> dict[str, Any]:
    world = _order()
    world["method"] = PaymentMethod.objects.create(name="کارت", is_active=False)
    return world


def _branch() -> dict[str, Any]:
    world = _order()
    world["branch"] = Branch.objects.create(name="مرکزی", code="HQ")
    return world


def _post_items(client, world, **row):
    return client.post(f"/api/orders/{world['order'].pk}/items/", row, format="json")


def _patch(client, world, **fields):
    return client.patch(f"/api/orders/{world['order'].pk}/", fields, format="json")


def _admin(browser, world, **fields):
    return browser.post(change_url(world["order"]), form_data(world["order"], **fields))


def _admin_item(browser, world, **row):
    return _admin(browser, world, items=[item_row(**row)])


CASES = {
    "items locked on a completed order": Case(
        rules.check_items_unlocked,
        "Items cannot be added, changed or removed while the order is '%(status)s'.",
        lambda: _order(status=Status.COMPLETED),
        lambda w: refusal_of(lambda: rules.check_items_unlocked(Status.COMPLETED)),
        lambda c, w: _post_items(c, w, product=w["order"].items.get().product_id),
        lambda b, w: _admin(b, w, **{"items-0-quantity": 4}),
    ),
    "payments locked on a deleted order": Case(
        rules.check_payments_unlocked,
        "Payments cannot be changed while the order is '%(status)s'.",
        lambda: _order(status=Status.DELETED),
        lambda w: refusal_of(lambda: rules.check_payments_unlocked(Status.DELETED)),
        lambda c, w: c.post(f"/api/orders/{w['order'].pk}/payments/", {"amount": 1000}),
        lambda b, w: _admin(b, w, payments=[{"amount": 1000}]),
    ),
    "the order total limit": Case(
        rules.check_order_amount,
        "An order's total must not exceed %(max)s.",
        lambda: _order(items=0),
        lambda w: refusal_of(lambda: rules.check_order_amount(BIG_PRICE * 100, 75_000)),
        lambda c, w: _post_items(
            c, w, product=Product.objects.get().pk, unit_price=BIG_PRICE, quantity=100
        ),
        lambda b, w: _admin_item(
            b, w, product_id=Product.objects.get().pk, unit_price=BIG_PRICE, quantity=100
        ),
    ),
    "the item amount limit": Case(
        rules.check_line_amount,
        "unit_price × quantity must not exceed %(max)s.",
        lambda: _order(items=0),
        lambda w: refusal_of(lambda: rules.check_line_amount(BIG_PRICE, 101)),
        lambda c, w: _post_items(
            c, w, product=Product.objects.get().pk, unit_price=BIG_PRICE, quantity=101
        ),
        lambda b, w: _admin_item(
            b, w, product_id=Product.objects.get().pk, unit_price=BIG_PRICE, quantity=101
        ),
    ),
    "a discount above the price": Case(
        rules.check_unit_discount,
        "Must not exceed unit_price (%(price)s).",
        lambda: _order(items=0),
        lambda w: refusal_of(lambda: rules.check_unit_discount(2_000, 1_000)),
        lambda c, w: _post_items(
            c, w, product=Product.objects.get().pk, unit_price=1_000, unit_discount=2_000
        ),
        lambda b, w: _admin_item(b, w, product_id=Product.objects.get().pk, unit_discount=2_000),
    ),
    "approval over the total": Case(
        rules.check_approval,
        "Approving %(amount)s would take amount_paid above the order total (%(total)s): "
        "the outstanding amount is %(outstanding)s.",
        lambda: _order(paid=500_000),  # total 48 575 000
        lambda w: refusal_of(
            lambda: rules.check_approval(48_575_000, paid_with_it=49_075_000, total=48_575_000)
        ),
        lambda c, w: c.post(
            f"/api/orders/{w['order'].pk}/payments/", {"amount": 48_575_000, "approved": True}
        ),
        lambda b, w: _admin(b, w, payments=[{"amount": 48_575_000, "approved": "on"}]),
    ),
    "an inactive product": Case(
        rules.check_product_active,
        "Product %(id)s is inactive.",
        _inactive_product,
        lambda w: refusal_of(lambda: rules.check_product_active(w["product"])),
        lambda c, w: _post_items(c, w, product=w["product"].pk),
        lambda b, w: _admin_item(b, w, product_id=w["product"].pk),
    ),
    "a required option group": Case(
        rules.choose_options,
        "'%(group)s' is required: choose one of its values.",
        _product_with_required_group,
        lambda w: refusal_of(lambda: rules.resolve_options(w["product"], [])),
        lambda c, w: _post_items(c, w, product=w["product"].pk),
        lambda b, w: _admin_item(b, w, product_id=w["product"].pk),
    ),
    "an option of another product": Case(
        rules.choose_options,
        "Option value %(value)s is not an option of product %(product)s.",
        _product_with_required_group,
        lambda w: refusal_of(lambda: rules.resolve_options(w["product"], [10**9])),
        lambda c, w: _post_items(c, w, product=w["product"].pk, options=[10**9]),
        lambda b, w: _admin_item(b, w, product_id=w["product"].pk, option_values="1000000000"),
    ),
    "a state not in its country": Case(
        rules.check_state_in_country,
        "State %(state)s is not in country %(country)s.",
        _two_countries,
        lambda w: refusal_of(
            lambda: rules.check_state_in_country(
                "billing_state", w["other_state"], w["state"].country
            )
        ),
        lambda c, w: _patch(
            c, w, billing_country=w["state"].country_id, billing_state=w["other_state"].pk
        ),
        lambda b, w: _admin(
            b, w, billing_country=w["state"].country_id, billing_state=w["other_state"].pk
        ),
    ),
    "a city not in its state": Case(
        rules.check_city_in_state,
        "City %(city)s is not in state %(state)s.",
        _two_countries,
        lambda w: refusal_of(
            lambda: rules.check_city_in_state("billing_city", w["city"], w["state"])
        ),
        lambda c, w: _patch(c, w, billing_state=w["state"].pk, billing_city=w["city"].pk),
        lambda b, w: _admin(b, w, billing_state=w["state"].pk, billing_city=w["city"].pk),
    ),
    "an inactive payment method": Case(
        rules.check_active,
        "Payment method %(id)s is inactive.",
        _inactive_method,
        lambda w: refusal_of(lambda: rules.check_active("payment_method", w["method"])),
        lambda c, w: _patch(c, w, payment_method=w["method"].pk),
        lambda b, w: _admin(b, w, payment_method=w["method"].pk),
    ),
    "pickup needs a branch": Case(
        rules.check_pickup_branch,
        "Required when delivery_method is pickup.",
        _branch,
        lambda w: refusal_of(lambda: rules.check_pickup_branch("pickup", None, branch_given=False)),
        lambda c, w: _patch(c, w, delivery_method="pickup"),
        lambda b, w: _admin(b, w, delivery_method="pickup"),
    ),
    "a branch only for pickup": Case(
        rules.check_pickup_branch,
        "Only for delivery_method pickup.",
        _branch,
        lambda w: refusal_of(
            lambda: rules.check_pickup_branch("shipping", w["branch"], branch_given=True)
        ),
        lambda c, w: _patch(c, w, pickup_branch=w["branch"].pk),
        lambda b, w: _admin(b, w, pickup_branch=w["branch"].pk),
    ),
    "pickup takes no shipping address": Case(
        rules.check_no_shipping_address,
        "A pickup order takes no shipping address.",
        _branch,
        lambda w: refusal_of(lambda: rules.check_no_shipping_address("shipping_address", "x")),
        lambda c, w: _patch(
            c, w, delivery_method="pickup", pickup_branch=w["branch"].pk, shipping_address="x"
        ),
        lambda b, w: _admin(
            b, w, delivery_method="pickup", pickup_branch=w["branch"].pk, shipping_address="x"
        ),
    ),
    "a tax rate above 100": Case(
        pricing.parse_tax_rate,
        "tax_rate must be between 0 and 100.",
        _order,
        lambda w: refusal_of(lambda: pricing.parse_tax_rate("150")),
        lambda c, w: _patch(c, w, tax_rate="150"),
        lambda b, w: _admin(b, w, tax_rate="150"),
        home="orders/pricing.py",
    ),
    "an order discount above the goods": Case(
        pricing.check_order_discount,
        "order_discount must not exceed %(max)s: the goods (%(goods)s) after the coupon "
        "discount (%(coupon)s).",
        _order,
        lambda w: refusal_of(
            lambda: pricing.check_order_discount(10**12, goods=48_500_000, coupon=0)
        ),
        lambda c, w: _patch(c, w, order_discount=10**12),
        lambda b, w: _admin(b, w, order_discount=10**12),
        home="orders/pricing.py",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_api_and_the_admin_refuse_with_the_rules_message(name, admin_client, browser, product):
    case = CASES[name]
    world = case.setup()
    expected = case.expected(world)
    before = Order.objects.values().get(pk=world["order"].pk)

    from_api = api_messages(case.api(admin_client, world))
    from_admin = errors_in(case.admin(browser, world))

    assert expected and set(expected) <= set(from_api), (expected, from_api)
    assert set(expected) <= set(from_admin), (expected, from_admin)
    assert Order.objects.values().get(pk=world["order"].pk) == before  # neither wrote


def test_both_price_an_item_with_its_options_by_the_same_rule(admin_client, browser, product):
    world = _product_with_required_group()
    shirt, order = world["product"], world["order"]
    blue = ProductOptionValue.objects.get()
    expected = rules.catalog_unit_price(shirt, [blue])  # 100 + 10
    response = admin_client.post(
        f"/api/orders/{order.pk}/items/", {"product": shirt.pk, "options": [blue.pk]}, format="json"
    )
    assert response.status_code == 201
    api_item = order.items.get(product=shirt)
    admin_response = _admin(
        browser,
        {"order": Order.objects.get(pk=order.pk)},
        items=[item_row(shirt.pk, unit_price="", option_values=str(blue.pk))],
    )
    assert admin_response.status_code == 302, errors_in(admin_response)
    admin_item = order.items.filter(product=shirt).exclude(pk=api_item.pk).get()
    assert api_item.unit_price == admin_item.unit_price == expected == 110


# --- the messages live in their rule's module only --------------------------------------------


def shape(text: str) -> str:
    """A message with its placeholders, %-style or f-string, made alike."""
    return re.sub(r"%\(\w+\)[sd]|\{[^{}]*\}", "{}", text)


def string_shapes(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append(
                "".join(
                    part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
                )
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(shape(node.value))
    return found


def production_modules() -> dict[str, list[str]]:
    return {
        str(path.relative_to(PACKAGE)): string_shapes(ast.parse(path.read_text()))
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    }


def test_every_shared_rule_message_is_written_once_in_its_home():
    modules = production_modules()
    for name, case in CASES.items():
        template = shape(case.template)
        holders = [
            module
            for module, strings in modules.items()
            if any(template in text for text in strings)
        ]
        assert holders == [case.home], f"{name}: {template!r} is written in {holders}"
        assert case.rule.__module__.replace(".", "/").endswith(case.home.removesuffix(".py"))


def test_admin_and_serializers_call_the_rules_not_copies():
    """The admin and the API's serializers and services name the rules' functions."""
    sources = {
        name: (PACKAGE / "orders" / name).read_text()
        for name in ("admin.py", "serializers/inputs.py", "services.py")
    }
    for function in (
        "check_product_active", "resolve_options", "catalog_unit_price", "check_unit_discount",
        "check_line_amount", "place_and_delivery_errors", "check_active",
    ):  # fmt: skip
        assert f"rules.{function}" in sources["admin.py"]
    for function in (
        "check_unit_discount", "check_line_amount", "place_and_delivery_errors", "check_active",
    ):  # fmt: skip
        assert f"rules.{function}" in sources["serializers/inputs.py"]
    # A new item's product rules (active, options, the catalog price) and its amounts are one
    # rule function, which the serializer calls, and the service when it reads the product with
    # the order's lock (services._lock_for_new_item).
    for name in ("serializers/inputs.py", "services.py"):
        assert "rules.new_item_terms" in sources[name]
    terms = ast.get_source_segment(
        rules_source := (PACKAGE / "orders" / "rules.py").read_text(),
        next(
            node
            for node in ast.parse(rules_source).body
            if isinstance(node, ast.FunctionDef) and node.name == "new_item_terms"
        ),
    )
    for function in (
        "check_product_active", "resolve_options", "catalog_unit_price", "check_unit_discount",
        "check_line_amount",
    ):  # fmt: skip
        assert f"{function}(" in terms
    for function in (
        "check_items_unlocked", "check_payments_unlocked", "check_order_amount", "check_approval",
    ):  # fmt: skip
        assert f"rules.{function}" in sources["services.py"]  # the admin writes through these
