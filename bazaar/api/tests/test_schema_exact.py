"""/api/schema/ is exact (SPEC §2): valid OpenAPI 3.0, real responses validate against it under a
strict 3.0 validator, and it says every single-field rule the server applies.

Regressions, each caught here: `nullable` beside `allOf` admitted no `null` (every guest order,
every order without a payment method, failed validation); the empty-email `oneOf` matched ""
twice; writes offered JSON, multipart and form-urlencoded; PUT/PATCH of an order offered `items`
and `payments`, which they ignore; no `limit >= 1`/`offset >= 0`, no patterns for mobile,
postal and national codes, no permission-code enum, no `additionalProperties: false`;
latitude/longitude were strings in requests; descriptions carried notes about internals;
/api/docs/ loaded Swagger UI from a CDN.
"""

import io
import re

import pytest
from django.test import Client
from openapi_schema_validator import OAS30StrictValidator, oas30_format_checker
from openapi_spec_validator import OpenAPIV30SpecValidator
from PIL import Image as PILImage

from bazaar.accounts.codes import ALL_CODES
from bazaar.accounts.validators import normalize_mobile, normalize_national_code
from bazaar.api.schema import (
    MOBILE_INPUT_PATTERN,
    TEN_DIGITS_INPUT_PATTERN,
    ordering_pattern,
)
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.geo.models import City, Country, State
from bazaar.methods.models import PaymentMethod, ShippingMethod

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(db, anon_client):
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_the_schema_is_valid_openapi_3_0(schema):
    assert schema["openapi"].startswith("3.0")
    OpenAPIV30SpecValidator(schema).validate()


def test_writes_offer_json_only_and_multipart_only_for_the_upload(schema):
    for method, path, operation in operations(schema):
        content = set(operation.get("requestBody", {}).get("content", {}))
        if (method, path) == ("post", "/api/images/"):
            assert content == {"multipart/form-data"}
        elif content:
            assert content == {"application/json"}, (method, path, content)


def test_the_server_takes_json_only_where_the_schema_says_so(admin_client):
    response = admin_client.post("/api/roles/", {"name": "Form"}, format="multipart")
    assert response.status_code == 415, response.content
    response = admin_client.generic(
        "POST", "/api/roles/", "name=Form", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


def test_order_updates_do_not_offer_items_or_payments(schema):
    components = schema["components"]["schemas"]
    item = schema["paths"]["/api/orders/{id}/"]
    for method in ("put", "patch"):
        ref = item[method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        properties = components[ref.rsplit("/", 1)[1]]["properties"]
        assert "items" not in properties and "payments" not in properties
        assert "notes" in properties
    create = schema["paths"]["/api/orders/"]["post"]["requestBody"]["content"]
    ref = create["application/json"]["schema"]["$ref"]
    assert {"items", "payments"} <= set(components[ref.rsplit("/", 1)[1]]["properties"])


def test_request_bodies_refuse_unknown_properties(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            assert component.get("additionalProperties") is False, name


def test_pagination_bounds_and_ordering_pattern(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/orders/"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert parameters["offset"]["schema"]["minimum"] == 0
    assert parameters["customer_in"]["schema"]["items"]["minimum"] == 1
    assert parameters["has_notes"]["schema"] == {"type": "boolean"}
    products = schema["paths"]["/api/products/"]["get"]["parameters"]
    assert {p["name"]: p for p in products}["has_image"]["schema"] == {"type": "boolean"}
    pattern = re.compile(parameters["ordering"]["schema"]["pattern"])
    assert pattern.search("-created_at, id")
    assert not pattern.search("nope")


def test_ordering_pattern_matches_what_the_server_reads(admin_client):
    pattern = re.compile(ordering_pattern(["id", "name"]))
    for value, ok in [("id", True), ("-name,id", True), (" id , ", True), ("x", False)]:
        assert bool(pattern.search(value)) is ok
        response = admin_client.get("/api/roles/", {"ordering": value})
        assert (response.status_code == 200) is ok, (value, response.content)


def test_permission_codes_are_an_enum(schema):
    components = schema["components"]["schemas"]
    assert components["PermissionCodeEnum"]["enum"] == list(ALL_CODES)
    role = components["RoleRequest"]["properties"]["permission_codes"]
    assert role["items"] == {"$ref": "#/components/schemas/PermissionCodeEnum"}


def test_coordinates_are_numbers_in_requests_and_responses(schema):
    components = schema["components"]["schemas"]
    for name in ("OrderWriteRequest", "OrderUpdateRequest", "Order"):
        latitude = components[name]["properties"]["shipping_latitude"]
        assert latitude["type"] == "number", name
    latitude = components["OrderWriteRequest"]["properties"]["shipping_latitude"]
    assert (latitude["minimum"], latitude["maximum"]) == (-90, 90)


MOBILE_FORMS = ["09121234567", "+98 912 123 4567", "0098-912-123-4567", "9121234567",
                "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", " (0912) 123-4567 "]  # fmt: skip
NOT_MOBILES = ["0912123456", "08121234567", "+1 912 123 4567", "0912123456a", "", "  "]


def test_the_mobile_pattern_accepts_exactly_what_the_server_does(schema):
    request = schema["components"]["schemas"]["InlineCustomerRequest"]["properties"]
    assert request["mobile_number"]["pattern"] == MOBILE_INPUT_PATTERN
    pattern = re.compile(MOBILE_INPUT_PATTERN)
    for value in MOBILE_FORMS:
        assert pattern.search(value), value
        assert normalize_mobile(value.strip()) == "09121234567"
    for value in NOT_MOBILES:
        assert not pattern.search(value), value
    order = schema["components"]["schemas"]["Order"]["properties"]
    assert re.compile(order["billing_mobile_number"]["pattern"]).search("09121234567")


def test_the_ten_digit_pattern_and_the_server(admin_client):
    pattern = re.compile(TEN_DIGITS_INPUT_PATTERN)
    assert pattern.search("۱۲۳۴۵-۶۷۸۹۰") and pattern.search("1234567890")
    assert not pattern.search("123456789") and not pattern.search("12345678901")
    assert normalize_national_code("۰۰۱۲۳۴۵۶۷۹") == "0012345679"
    response = admin_client.post("/api/orders/", {"billing_postal_code": "123"}, format="json")
    assert response.status_code == 400 and "billing_postal_code" in response.json()


def test_the_country_code_pattern(schema, admin_client):
    code = schema["components"]["schemas"]["CountryRequest"]["properties"]["code"]["pattern"]
    assert re.search(code, " ir ") and not re.search(code, "I1")
    response = admin_client.post("/api/countries/", {"name": "Iran", "code": " ir "}, format="json")
    assert response.status_code == 201 and response.json()["code"] == "IR"


INTERNAL = re.compile(
    r"SPEC|serializer|queryset|get_queryset|prefetch|read path|selectors?\b|services\.|"
    r"image_data|docstring|NUL character|shiping",
    flags=re.IGNORECASE,
)


def descriptions(node, where="$"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield where, value
            else:
                yield from descriptions(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from descriptions(value, f"{where}[{index}]")


def test_descriptions_are_for_the_apis_users(schema):
    found = [(where, text) for where, text in descriptions(schema) if INTERNAL.search(text)]
    assert not found, found[:5]
    listing = schema["paths"]["/api/orders/"]["get"]["description"]
    assert "2202" in listing


# --- real responses under a strict OpenAPI 3.0 validator ------------------------------------


def response_schema(schema, method: str, path: str, status: int) -> dict:
    responses = schema["paths"][path][method]["responses"]
    content = responses[str(status)]["content"]["application/json"]["schema"]
    # Resolved against the whole document, so that `#/components/...` references work.
    return {**schema, **content}


def assert_valid(schema, method, path, response, status=None):
    status = status or response.status_code
    assert response.status_code == status, response.content
    validator = OAS30StrictValidator(
        response_schema(schema, method, path, status), format_checker=oas30_format_checker
    )
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert not errors, f"{method.upper()} {path} {status}: {errors[0]}"


def png_upload(name="tiny.png"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (80, 60), (10, 120, 200)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def world(admin_client):
    country = Country.objects.create(name="Iran", code="IR")
    state = State.objects.create(name="Tehran", code="TH", country=country)
    city = City.objects.create(name="Tehran", state=state)
    upload = admin_client.post("/api/images/", {"file": png_upload()}, format="multipart")
    assert upload.status_code == 201, upload.content
    image = upload.json()["id"]
    method = PaymentMethod.objects.create(name="Card", is_active=True, image_id=image)
    shipping = ShippingMethod.objects.create(name="Post", is_active=True)
    product = ProductFactory(price=1_000_000)
    customer = CustomerFactory()
    return {
        "country": country.pk, "state": state.pk, "city": city.pk, "image": image,
        "payment_method": method.pk, "shipping_method": shipping.pk, "product": product.pk,
        "customer": customer.pk,
    }  # fmt: skip


def test_order_responses_validate_strictly(schema, admin_client, world):
    guest = admin_client.post("/api/orders/", {}, format="json")  # every nested object null
    assert_valid(schema, "post", "/api/orders/", guest, 201)
    assert guest.json()["customer_data"] is None
    full = admin_client.post(
        "/api/orders/",
        {
            "customer": world["customer"], "payment_method": world["payment_method"],
            "shipping_method": world["shipping_method"], "billing_country": world["country"],
            "billing_state": world["state"], "billing_city": world["city"],
            "billing_mobile_number": "+98 912 123 4567", "billing_postal_code": "1234567890",
            "shipping_city": world["city"], "shipping_latitude": 35.7219,
            "shipping_longitude": 51.3347, "billing_email": "",
            "items": [{"product": world["product"], "quantity": 2}],
            "payments": [{"payment_method": world["payment_method"], "amount": 1000}],
        },
        format="json",
    )  # fmt: skip
    assert_valid(schema, "post", "/api/orders/", full, 201)
    order = full.json()["id"]
    assert_valid(schema, "get", "/api/orders/", admin_client.get("/api/orders/"), 200)
    assert_valid(schema, "get", "/api/orders/{id}/", admin_client.get(f"/api/orders/{order}/"))
    guest_id = guest.json()["id"]
    patched = admin_client.patch(
        f"/api/orders/{guest_id}/", {"billing_email": "guest@example.com"}, format="json"
    )
    assert_valid(schema, "patch", "/api/orders/{id}/", patched, 200)
    items = f"/api/orders/{order}/items/"
    assert_valid(schema, "get", "/api/orders/{order_pk}/items/", admin_client.get(items))
    added = admin_client.post(items, {"product": world["product"]}, format="json")
    assert_valid(schema, "post", "/api/orders/{order_pk}/items/", added, 201)
    payments = f"/api/orders/{order}/payments/"
    assert_valid(schema, "get", "/api/orders/{order_pk}/payments/", admin_client.get(payments))
    paid = admin_client.post(payments, {"payment_method": None, "amount": 5}, format="json")
    assert_valid(schema, "post", "/api/orders/{order_pk}/payments/", paid, 201)


def test_reference_responses_validate_strictly(schema, admin_client, world):
    product = admin_client.post(
        "/api/products/",
        {"code": "P-1", "title": "پازل ۱۰۰۰ تکه", "price": 500, "image": world["image"],
         "options": [{"name": "رنگ", "required": True,
                      "values": [{"name": "مشکی"}, {"name": "سفید", "price_delta": 50}]}]},
        format="json",
    )  # fmt: skip
    assert_valid(schema, "post", "/api/products/", product, 201)
    for path in [
        "/api/products/", "/api/images/", "/api/payment-methods/", "/api/shipping-methods/",
        "/api/countries/", "/api/states/", "/api/cities/", "/api/customers/", "/api/users/",
        "/api/roles/", "/api/branches/", "/api/auth/permissions/", "/api/auth/me/",
    ]:  # fmt: skip
        assert_valid(schema, "get", path, admin_client.get(path), 200)
    assert_valid(
        schema, "get", "/api/images/{id}/", admin_client.get(f"/api/images/{world['image']}/")
    )
    role = admin_client.post("/api/roles/", {"name": "Clerks", "permission_codes": [2202]})
    assert_valid(schema, "post", "/api/roles/", role, 201)


def test_error_responses_validate_strictly(schema, admin_client, anon_client, staff_with_codes):
    bad = admin_client.post("/api/orders/", {"shipping_cost": -1}, format="json")
    assert_valid(schema, "post", "/api/orders/", bad, 400)
    assert_valid(schema, "get", "/api/orders/", anon_client.get("/api/orders/"), 401)
    denied = staff_with_codes().get("/api/orders/")
    assert_valid(schema, "get", "/api/orders/", denied, 403)
    missing = admin_client.get("/api/orders/999999/")
    assert_valid(schema, "get", "/api/orders/{id}/", missing, 404)


# --- /api/docs/ works offline ------------------------------------------------------------------


def test_swagger_ui_is_served_by_the_app_with_no_cdn(db, anon_client):
    page = anon_client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert any("swagger-ui-bundle" in asset for asset in assets), html[:500]
    static = Client()
    for asset in assets:
        assert asset.startswith("/"), asset  # from this application, not another host
        response = static.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, asset


# --- JSON bodies have real types (schemathesis negative data, ST201) ----------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/payment-methods/", {"name": 723}, "name"),
        ("/api/orders/", {"billing_first_name": 7.5}, "billing_first_name"),
        ("/api/orders/", {"customer": {"mobile_number": "09121234567", "last_name": 7}},
         "customer"),
        ("/api/orders/", {"shipping_same_as_billing": "true"}, "shipping_same_as_billing"),
        ("/api/orders/", {"payment_method": "1"}, "payment_method"),
        ("/api/orders/", {"shipping_latitude": "35.7"}, "shipping_latitude"),
        ("/api/orders/", {"status": 1}, "status"),
        ("/api/roles/", {"name": "R", "permission_codes": ["2202"]}, "permission_codes"),
        ("/api/products/", {"code": "C", "title": "T", "price": 1, "options": {}}, "options"),
    ],
)  # fmt: skip
def test_regression_a_json_value_of_another_type_is_a_400(admin_client, path, body, field):
    response = admin_client.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_multipart_upload_keeps_reading_text(admin_client):
    response = admin_client.post(
        "/api/images/", {"file": png_upload(), "name": "131072"}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["name"] == "131072"


def test_child_lists_offer_only_what_they_read(schema):
    """Items and payments of an order are listed by id: no search or ordering is offered (the
    fuzz run found `ordering=Q` offered by the schema and silently ignored)."""
    for path in ("/api/orders/{order_pk}/items/", "/api/orders/{order_pk}/payments/"):
        parameters = schema["paths"][path]["get"].get("parameters", [])
        names = {p["name"] for p in parameters if p["in"] in {"query", "path"}}
        assert names == {"order_pk", "limit", "offset"}, (path, names)


def test_a_password_says_its_minimum_length(schema):
    password = schema["components"]["schemas"]["StaffUserRequest"]["properties"]["password"]
    assert password["minLength"] == 8
