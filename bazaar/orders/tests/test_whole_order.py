"""SPEC §11: a whole order in one call, as Salla (seed 003) and CS-Cart (seed 004) take it."""

import pytest

from bazaar.accounts.models import User
from bazaar.catalog.services import product_set_options
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.models import Customer
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.geo.tests.factories import CityFactory
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod
from bazaar.orders.models import Order, OrderItem, OrderPayment

pytestmark = pytest.mark.django_db


@pytest.fixture
def tshirt():
    """A product with a required colour (+0 / +50 000) and an optional size (−10 000 / +0)."""
    product = ProductFactory(code="sku123", title="تی شرت", price=550_000)
    product_set_options(
        product=product,
        groups=[
            {"name": "رنگ", "required": True,
             "values": [{"name": "مشکی", "price_delta": 0}, {"name": "سفید", "price_delta": 50_000}]},
            {"name": "سایز", "values": [{"name": "S", "price_delta": -10_000}, {"name": "M"}]},
        ],
    )  # fmt: skip
    return product


def values(product) -> dict[str, int]:
    return {v.name: v.pk for g in product.options.all() for v in g.values.all()}


def nothing_stored(customers_before: int) -> None:
    assert Order.objects.count() == 0
    assert OrderItem.objects.count() == 0
    assert OrderPayment.objects.count() == 0
    assert Customer.objects.count() == customers_before


# --- product options in the catalog -------------------------------------------------------------


def test_product_options_are_written_nested_and_replaced(admin_client):
    body = {"code": "TS-1", "title": "تی شرت", "price": 100_000, "options": [
        {"name": "رنگ", "required": True, "values": [{"name": "مشکی"}, {"name": "سفید", "price_delta": 50_000}]},
    ]}  # fmt: skip
    created = admin_client.post("/api/products/", body)
    assert created.status_code == 201, created.json()
    (group,) = created.json()["options"]
    assert group["required"] is True
    assert [(v["name"], v["price_delta"]) for v in group["values"]] == [
        ("مشکی", 0),
        ("سفید", 50_000),
    ]
    replaced = admin_client.patch(
        f"/api/products/{created.json()['id']}/",
        {"options": [{"name": "سایز", "values": [{"name": "L", "price_delta": -20_000}]}]},
    ).json()
    assert [g["name"] for g in replaced["options"]] == ["سایز"]


def test_options_may_not_make_a_price_negative(admin_client):
    body = {"code": "X", "title": "x", "price": 10_000, "options": [
        {"name": "a", "required": True, "values": [{"name": "cheap", "price_delta": -15_000}]},
    ]}  # fmt: skip
    response = admin_client.post("/api/products/", body)
    assert response.status_code == 400
    assert "options" in response.json()
    optional = admin_client.post("/api/products/", {**body, "options": [
        {"name": "a", "values": [{"name": "cheap", "price_delta": -5_000}]},
        {"name": "b", "values": [{"name": "cheaper", "price_delta": -6_000}]},
    ]})  # fmt: skip
    assert optional.status_code == 400


# --- inline items -------------------------------------------------------------------------------


def test_items_by_id_and_sku_with_options_and_catalog_prices(admin_client, tshirt):
    plain = ProductFactory(price=1_000)
    v = values(tshirt)
    response = admin_client.post("/api/orders/", {"items": [
        {"product": plain.pk, "quantity": 2},
        {"product_code": "sku123", "quantity": 1, "options": [v["سفید"], v["S"]]},
        {"product": tshirt.pk, "quantity": 1, "options": [v["مشکی"]]},  # same product, other options
    ]})  # fmt: skip
    assert response.status_code == 201, response.json()
    order = response.json()
    first, second, third = order["items"]
    assert first["unit_price"] == 1_000 and first["options"] == []
    assert second["unit_price"] == 550_000 + 50_000 - 10_000
    assert second["options"] == [v["سفید"], v["S"]]
    assert second["product_data"]["options"] == [
        {"group": "رنگ", "value": "سفید", "price_delta": 50_000},
        {"group": "سایز", "value": "S", "price_delta": -10_000},
    ]
    assert third["unit_price"] == 550_000
    assert order["count"] == 3 and order["total"] == 2_000 + 590_000 + 550_000


def test_unknown_sku_in_the_middle_points_at_it_and_stores_nothing(admin_client, tshirt):
    before = Customer.objects.count()
    response = admin_client.post("/api/orders/", {
        "customer": {"mobile_number": "09121234567"},
        "items": [{"product": tshirt.pk, "options": [values(tshirt)["مشکی"]]},
                  {"product_code": "nope"}, {"product_code": "sku123", "options": [values(tshirt)["مشکی"]]}],
    })  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "items": [{}, {"product_code": ["No product with code 'nope'."]}, {}]
    }
    nothing_stored(before)


@pytest.mark.parametrize(
    ("choice", "message"),
    [(["مشکی", "سفید"], "at most one value"), (["S"], "required"), ([], "required")],
)
def test_option_rules(admin_client, tshirt, choice, message):
    v = values(tshirt)
    response = admin_client.post(
        "/api/orders/", {"items": [{"product": tshirt.pk, "options": [v[n] for n in choice]}]}
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["items"][0]["options"])
    nothing_stored(Customer.objects.count())


def test_value_of_another_product_is_refused(admin_client, tshirt):
    other = ProductFactory()
    product_set_options(product=other, groups=[{"name": "g", "values": [{"name": "x"}]}])
    foreign = values(other)["x"]
    response = admin_client.post(
        "/api/orders/",
        {"items": [{"product": tshirt.pk, "options": [values(tshirt)["مشکی"], foreign]}]},
    )
    assert response.status_code == 400
    assert "not an option of product" in response.json()["items"][0]["options"][0]
    # The items endpoint applies the same rules.
    order = Order.objects.create()
    item = admin_client.post(
        f"/api/orders/{order.pk}/items/", {"product": tshirt.pk, "options": [foreign]}
    )
    assert item.status_code == 400


def test_product_and_product_code_exactly_one(admin_client, tshirt):
    for item in ({"quantity": 1}, {"product": tshirt.pk, "product_code": "sku123"}):
        response = admin_client.post("/api/orders/", {"items": [item]})
        assert response.status_code == 400
        assert "non_field_errors" in response.json()["items"][0]


def test_inactive_products_are_refused(admin_client):
    ProductFactory(is_active=False, code="OLD")
    response = admin_client.post("/api/orders/", {"items": [{"product_code": "OLD"}]})
    assert response.status_code == 400
    assert "inactive" in response.json()["items"][0]["product"][0]


# --- inline payments ----------------------------------------------------------------------------


def test_payments_are_checked_against_the_inline_total(admin_client):
    product = ProductFactory(price=1_000)
    before = Customer.objects.count()
    response = admin_client.post("/api/orders/", {
        "items": [{"product": product.pk, "quantity": 2}], "shipping_cost": 500,
        "payments": [{"amount": 2_000, "approved": True}, {"amount": 600, "approved": True}],
    })  # fmt: skip
    assert response.status_code == 400
    assert "outstanding amount is 500" in response.json()["payments"][1]["amount"][0]
    nothing_stored(before)
    ok = admin_client.post("/api/orders/", {
        "items": [{"product": product.pk, "quantity": 2}], "shipping_cost": 500,
        "payments": [{"amount": 2_500, "approved": True}, {"amount": 99, "approved": False}],
    })  # fmt: skip
    assert ok.status_code == 201
    assert ok.json()["is_paid"] is True and len(ok.json()["payments"]) == 2


# --- customers ----------------------------------------------------------------------------------


def test_inline_customer_is_matched_by_normalised_mobile_and_never_modified(admin_client):
    existing = CustomerFactory(mobile_number="09121234567", first_name="علی")
    response = admin_client.post(
        "/api/orders/", {"customer": {"mobile_number": "+98 912 123 4567", "first_name": "Changed"}}
    )
    assert response.status_code == 201
    assert response.json()["customer_data"]["id"] == existing.pk
    existing.refresh_from_db()
    assert existing.first_name == "علی"


def test_inline_customer_is_created_when_new(admin_client):
    response = admin_client.post("/api/orders/", {"customer": {
        "mobile_number": "۰۹۳۵۱۲۳۴۵۶۷", "first_name": "سارا", "last_name": "احمدی", "email": "s@example.com",
    }})  # fmt: skip
    assert response.status_code == 201
    data = response.json()["customer_data"]
    assert data["mobile_number"] == data["username"] == "09351234567"
    assert data["full_name"] == "سارا احمدی"
    assert not User.objects.get(pk=data["id"]).is_staff


def test_inline_customer_validation(admin_client):
    User.objects.create_user("desk", is_staff=True, mobile_number="09120000009")
    for customer in (
        {"first_name": "x"},
        {"mobile_number": "123"},
        {"mobile_number": "09120000009"},
    ):
        response = admin_client.post("/api/orders/", {"customer": customer})
        assert response.status_code == 400
        assert "mobile_number" in response.json()["customer"]
    assert Order.objects.count() == 0


def test_guest_order_with_billing_email(admin_client):
    response = admin_client.post("/api/orders/", {"billing_email": "guest@example.com"})
    assert response.status_code == 201
    assert response.json()["customer_data"] is None
    assert response.json()["billing_email"] == "guest@example.com"
    assert admin_client.post("/api/orders/", {"billing_email": "not-an-email"}).status_code == 400


# --- shipping and pickup ------------------------------------------------------------------------


def test_shipping_address_and_coordinates(admin_client):
    city = CityFactory()
    response = admin_client.post("/api/orders/", {
        "shipping_first_name": "گیرنده", "shipping_mobile_number": "0912 111 2233",
        "shipping_country": city.state.country_id, "shipping_state": city.state_id,
        "shipping_city": city.pk, "shipping_address": "خیابان ولیعصر", "shipping_postal_code": "1234567890",
        "shipping_latitude": 35.7219991, "shipping_longitude": 51.3347,
    })  # fmt: skip
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["delivery_method"] == "shipping"
    assert order["shipping_mobile_number"] == "09121112233"
    assert order["shipping_city_data"] == {"id": city.pk, "name": city.name}
    assert (order["shipping_latitude"], order["shipping_longitude"]) == (35.721999, 51.3347)


@pytest.mark.parametrize(
    "body",
    [{"shipping_latitude": 90.5}, {"shipping_longitude": -181}, {"shipping_latitude": "north"},
     {"shipping_mobile_number": "12345"}, {"shipping_postal_code": "12"}],
)  # fmt: skip
def test_bad_shipping_fields(admin_client, body):
    response = admin_client.post("/api/orders/", body)
    assert response.status_code == 400
    assert set(response.json()) == set(body)


def test_shipping_places_must_nest(admin_client):
    city, other = CityFactory(), CityFactory()
    response = admin_client.post(
        "/api/orders/", {"shipping_state": city.state_id, "shipping_city": other.pk}
    )
    assert response.status_code == 400
    assert "shipping_city" in response.json()


def test_shipping_same_as_billing_copies_the_billing_fields(admin_client):
    city = CityFactory()
    response = admin_client.post("/api/orders/", {
        "billing_first_name": "پدرام", "billing_last_name": "زمانی", "billing_mobile_number": "09121112233",
        "billing_country": city.state.country_id, "billing_state": city.state_id, "billing_city": city.pk,
        "billing_address": "آدرس", "billing_postal_code": "1234567890", "shipping_same_as_billing": True,
    })  # fmt: skip
    assert response.status_code == 201
    order = response.json()
    assert "shipping_same_as_billing" not in order
    assert (order["shipping_first_name"], order["shipping_address"]) == ("پدرام", "آدرس")
    assert order["shipping_city_data"]["id"] == city.pk


def test_pickup_needs_a_branch_and_takes_no_address(admin_client):
    branch = Branch.objects.create(name="شعبه مرکزی", code="TEH-1")
    assert (
        "pickup_branch" in admin_client.post("/api/orders/", {"delivery_method": "pickup"}).json()
    )
    refused = admin_client.post(
        "/api/orders/",
        {"delivery_method": "pickup", "pickup_branch": branch.pk, "shipping_address": "x"},
    )
    assert refused.status_code == 400
    assert "shipping_address" in refused.json()
    ok = admin_client.post(
        "/api/orders/", {"delivery_method": "pickup", "pickup_branch": branch.pk}
    )
    assert ok.status_code == 201
    assert ok.json()["pickup_branch_data"] == {
        "id": branch.pk,
        "name": "شعبه مرکزی",
        "code": "TEH-1",
    }
    assert Order.objects.count() == 1
    # Later changes with PATCH, like any field: back to shipping drops the branch.
    patched = admin_client.patch(f"/api/orders/{ok.json()['id']}/", {"delivery_method": "shipping"})
    assert patched.json()["pickup_branch_data"] is None


def test_branches_crud_and_codes(admin_client, staff_with_codes):
    city = CityFactory()
    created = admin_client.post("/api/branches/", {"name": "شعبه", "code": "B1", "city": city.pk,
                                                   "mobile_number": "+989121112233"})  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["mobile_number"] == "09121112233"
    assert admin_client.post("/api/branches", {"name": "x", "code": "B1"}).status_code == 400
    reader = staff_with_codes(1502)
    assert reader.get("/api/branches/").json()["count"] == 1
    assert "1501" in reader.post("/api/branches/", {"name": "y", "code": "B2"}).json()["detail"]


# --- permissions, filters, search ------------------------------------------------------------


def test_inline_items_and_payments_need_their_codes(staff_with_codes):
    product = ProductFactory(price=100)
    body = {"items": [{"product": product.pk}], "payments": [{"amount": 100}]}
    response = staff_with_codes(2201).post("/api/orders/", body)
    assert response.status_code == 403
    assert "2221" in response.json()["detail"] and "2241" in response.json()["detail"]
    assert staff_with_codes(2201, 2221).post("/api/orders/", body).status_code == 403
    assert staff_with_codes(2201, 2221, 2241).post("/api/orders/", body).status_code == 201


def test_new_fields_filter_and_search(admin_client):
    city = CityFactory()
    branch = Branch.objects.create(name="b", code="B9")
    shipped = admin_client.post("/api/orders/", {
        "shipping_first_name": "Receiver", "shipping_last_name": "Karimi", "shipping_mobile_number": "09127776655",
        "shipping_country": city.state.country_id, "shipping_state": city.state_id, "shipping_city": city.pk,
        "shipping_address": "addr",
    }).json()["id"]  # fmt: skip
    pickup = admin_client.post(
        "/api/orders/", {"delivery_method": "pickup", "pickup_branch": branch.pk}
    ).json()["id"]
    plain = admin_client.post("/api/orders/", {}).json()["id"]

    def ids(query: str) -> set[int]:
        response = admin_client.get(f"/api/orders/?{query}")
        assert response.status_code == 200, response.json()
        return {o["id"] for o in response.json()["results"]}

    assert ids(f"shipping_city={city.pk}") == {shipped}
    assert ids(f"shipping_city_in={city.pk},999") == {shipped}
    assert ids("delivery_method=pickup") == {pickup}
    assert ids("delivery_method=shipping") == {shipped, plain}
    assert ids(f"pickup_branch={branch.pk}") == {pickup}
    assert ids("has_shipping_address=true") == {shipped}
    assert ids("search=karimi") == {shipped}
    assert ids("search=0912777") == {shipped}
    assert admin_client.get("/api/orders/?delivery_method=drone").status_code == 400


# --- the peers' own examples, translated ----------------------------------------------------------


def test_seed_003_salla_order(admin_client, tshirt):
    """Salla's example: an inline customer, a receiver, shipping with coordinates, products by id
    and by SKU with options, a paid payment."""
    city = CityFactory()
    courier = ShippingMethod.objects.create(name="پیک")
    bank = PaymentMethod.objects.create(name="بانک")
    plain = ProductFactory(price=200_000)
    v = values(tshirt)
    response = admin_client.post("/api/orders/", {
        "customer": {"mobile_number": "+98 912 666 6666", "first_name": "new", "last_name": "name",
                     "email": "customer@example.com"},
        "shipping_first_name": "i am the one", "shipping_mobile_number": "09126666666",
        "delivery_method": "shipping", "shipping_method": courier.pk, "shipping_cost": 30_000,
        "shipping_country": city.state.country_id, "shipping_state": city.state_id, "shipping_city": city.pk,
        "shipping_address": "24453 Rosalinda Well, West, Apt. 836, 8230", "shipping_postal_code": "5143400000",
        "shipping_latitude": 79.0225, "shipping_longitude": 53.5041,
        "payment_method": bank.pk,
        "items": [
            {"product": tshirt.pk, "quantity": 1, "options": [v["سفید"]]},
            {"product": plain.pk, "quantity": 1},
            {"product_code": "sku123", "quantity": 1, "options": [v["مشکی"], v["M"]]},
        ],
        "payments": [{"payment_method": bank.pk, "amount": 1_380_000, "approved": True,
                      "transaction_id": "receipt-1"}],
    })  # fmt: skip
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["customer_data"]["mobile_number"] == "09126666666"
    assert [i["unit_price"] for i in order["items"]] == [600_000, 200_000, 550_000]
    assert order["items_subtotal"] == 1_350_000
    assert order["total"] == 1_380_000
    assert (order["amount_paid"], order["amount_outstanding"], order["is_paid"]) == (
        1_380_000,
        0,
        True,
    )
    assert order["is_payable"] is False
    assert (order["shipping_latitude"], order["shipping_longitude"]) == (79.0225, 53.5041)


def test_seed_004_cs_cart_guest_order(admin_client):
    """CS-Cart's "Way 2" guest order: no user, billing and shipping apart, catalog prices,
    the same product twice."""
    boston = CityFactory(name="Boston", state__name="Massachusetts", state__code="MA",
                         state__country__name="United States", state__country__code="US")  # fmt: skip
    product_12 = ProductFactory(price=1_200_000)
    product_13 = ProductFactory(price=130_000)
    payment, shipping = (
        PaymentMethod.objects.create(name="2"),
        ShippingMethod.objects.create(name="1"),
    )
    response = admin_client.post("/api/orders/", {
        "payment_method": payment.pk, "shipping_method": shipping.pk,
        "billing_email": "guest@example.com", "billing_first_name": "Guest", "billing_last_name": "Guest",
        "billing_country": boston.state.country_id, "billing_state": boston.state_id,
        "billing_city": boston.pk, "billing_postal_code": "0212500000", "billing_address": "44 Main street",
        "shipping_same_as_billing": True,
        "items": [{"product": product_12.pk, "quantity": 1}, {"product": product_13.pk, "quantity": 2},
                  {"product": product_12.pk, "quantity": 1, "notes": "gift"}],
    })  # fmt: skip
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["customer_data"] is None and order["billing_email"] == "guest@example.com"
    assert order["shipping_city_data"]["name"] == "Boston"
    assert (order["count"], order["quantity"]) == (3, 4)
    assert order["items_subtotal"] == order["total"] == 1_200_000 * 2 + 130_000 * 2
    assert order["amount_outstanding"] == order["total"] and order["is_payable"] is True
