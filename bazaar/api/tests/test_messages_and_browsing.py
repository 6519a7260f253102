"""Issue 13: error messages that name the field's own rule, clean JSON for an unsupported format,
and the browsable API for staff logged into /admin/ (session authentication, CSRF enforced)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from bazaar.catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

WHOLE_NUMBER = "A whole number is required."


# --- messages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"customer": "abc"}, ["customer"]),
        ({"payment_method": 1.5}, ["payment_method"]),
        ({"items": [{"product": "x"}]}, ["items", 0, "product"]),
        ({"items": [{"product": 1, "quantity": 2.5}]}, ["items", 0, "quantity"]),
        ({"items": [{"product": 1, "options": ["red"]}]}, ["items", 0, "options", "0"]),
    ],
)
def test_regression_ids_and_quantities_are_whole_numbers_not_money(admin_client, body, path):
    """Was: "A whole number is required (in the smallest currency unit, e.g. rial)." on ids."""
    ProductFactory(pk=1)
    response = admin_client.post("/api/orders/", body, format="json")
    assert response.status_code == 400
    detail = response.json()
    for key in path:
        detail = detail[key]
    assert detail == [WHOLE_NUMBER]


def test_money_fields_still_name_the_currency_unit(admin_client):
    response = admin_client.post("/api/orders/", {"shipping_cost": 10.5}, format="json")
    assert response.status_code == 400
    assert "smallest currency unit" in response.json()["shipping_cost"][0]


def test_regression_an_oversize_form_body_states_the_limit_in_bytes(admin_client, settings):
    """Was: "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    # Forms are parsed by the image upload alone (JSON elsewhere: a form there is a 415).
    form = admin_client.generic(
        "POST", "/api/orders/", "notes=" + "x" * 2000,
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert form.status_code == 415
    for content_type, body in [
        ("multipart/form-data; boundary=b", f'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n{"x" * 2000}\r\n--b--\r\n'),
    ]:  # fmt: skip
        response = admin_client.generic("POST", "/api/images/", body, content_type=content_type)
        assert response.status_code == 413, (content_type, response.content)
        detail = response.json()["detail"]
        assert "1000 bytes" in detail
        assert "DATA_UPLOAD_MAX_MEMORY_SIZE" not in detail


@pytest.mark.parametrize(
    "path", ["/api/orders/", "/api/orders/1/", "/api/auth/me/", "/api/schema/", "/api/docs/"]
)
def test_regression_an_unsupported_format_is_a_clean_json_404(admin_client, path):
    """Was: YAML of DRF's ErrorDetail (`detail: string: Not found. code: not_found`) on the
    schema, HTML on the docs."""
    response = admin_client.get(path, {"format": "xml"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert detail.startswith("Unsupported format 'xml'. Supported: ")


def test_an_accept_nothing_satisfies_is_a_clean_json_406(admin_client):
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# --- the browsable API ----------------------------------------------------------------------------


@pytest.fixture
def browser(admin_user) -> Client:
    """A browser logged into /admin/ (a session cookie, CSRF checked as in production)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "path", ["/api/orders/", "/api/customers/", "/api/products/", "/api/images/", "/api/roles/",
             "/api/users/", "/api/states/", "/api/payment-methods/", "/api/auth/me/"]
)  # fmt: skip
def test_staff_logged_into_the_admin_browse_the_api(browser, admin_client, path):
    admin_client.post("/api/orders/", {"notes": "browsable"})
    response = browser.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Django REST framework" in response.content


def test_browsing_an_order_and_its_items(browser, admin_client):
    product = ProductFactory()
    order = admin_client.post("/api/orders/", {"items": [{"product": product.pk}]}).json()
    for path in (f"/api/orders/{order['id']}/", f"/api/orders/{order['id']}/items/"):
        response = browser.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html")


def test_a_session_without_accept_html_gets_json(browser):
    response = browser.get("/api/orders/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 0


def test_a_session_post_without_csrf_token_is_a_403(browser):
    response = browser.post("/api/orders/", {"notes": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    from bazaar.orders.models import Order

    assert Order.objects.count() == 0


def test_a_session_post_with_the_csrf_token_is_accepted(browser):
    browser.get("/api/orders/", HTTP_ACCEPT="text/html")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/orders/", {"notes": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_session_staff_need_their_permission_codes(staff_with_codes):
    clerk = staff_with_codes(2202)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk.user)
    assert browser.get("/api/orders/").status_code == 200
    response = browser.get("/api/customers/")
    assert response.status_code == 403
    assert "1102" in response.json()["detail"]


def test_token_clients_are_unaffected(admin_client, anon_client):
    # No CSRF for a token, JSON by default, and a missing token stays a 401 naming the scheme.
    assert admin_client.post("/api/orders/", {"notes": "x"}).status_code == 201
    response = admin_client.get("/api/orders/")
    assert response["Content-Type"] == "application/json"
    missing = anon_client.get("/api/orders/")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == "Token"


def test_revoking_a_token_from_a_session_is_a_401(browser):
    client = APIClient(enforce_csrf_checks=True)
    client.cookies = browser.cookies
    response = client.delete("/api/auth/token/")
    assert response.status_code == 401


def test_the_deploy_check_passes_with_sessions_on_the_api(tmp_path):
    """Session authentication and CSRF for the browsable API keep `check --deploy` clean when
    production is configured as the README says."""
    import os
    import subprocess
    import sys

    from bazaar.api.tests.live_server import ROOT

    env = {
        **os.environ,
        "BAZAAR_DATA_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": "deploy-check-" + "k" * 60,
        "ALLOWED_HOSTS": "shop.example",
        "HTTPS": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
