"""SPEC §13 "X-Request-ID": taken from the client when well formed, else made; on every response
of /api/ (errors included); seen by the code handling the request and in its log lines."""

import io
import logging

import pytest

from bazaar.api.request_id import current_request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = "bazaar.idempotency.tests.urls"


@pytest.fixture
def console_log():
    """What the configured console handler (settings.LOGGING: format and filters) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.parametrize(
    "sent", ["abc", "A-z_0.9", "x" * 64, "0f8fad5b-d9cb-469f-a165-70867728950e"]
)
def test_a_well_formed_id_is_kept(admin_client, sent):
    response = admin_client.get("/api/orders/", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", ["", "x" * 65, "has space", "semi;colon", "ünï", "a\tb", "a/b"])
def test_a_malformed_id_is_replaced_by_a_new_one(admin_client, sent):
    response = admin_client.get("/api/orders/", HTTP_X_REQUEST_ID=sent)
    assert response.status_code == 200  # an id only labels the request: never refused
    made = response["X-Request-ID"]
    assert made != sent
    assert 1 <= len(made) <= 64


def test_each_request_without_one_gets_a_new_unique_id(admin_client):
    ids = {admin_client.get("/api/auth/me/")["X-Request-ID"] for _ in range(20)}
    assert len(ids) == 20


def test_every_kind_of_answer_carries_it(admin_client, anon_client, test_urls, admin_user):
    from bazaar.conftest import client_for

    crashing = client_for(admin_user)
    crashing.raise_request_exception = False
    answers = {
        200: admin_client.get("/api/orders/"),
        400: admin_client.get("/api/orders/?limit=-1"),
        401: anon_client.get("/api/orders/"),
        404: admin_client.get("/api/no-such-thing/"),
        405: admin_client.put("/api/orders/", {}, format="json"),
        500: crashing.post("/api/test/partial-write/?fail=crash", {}, format="json"),
    }
    for status_code, response in answers.items():
        assert response.status_code == status_code
        assert response["X-Request-ID"], status_code


def test_throttled_and_forbidden_answers_carry_it(staff_with_codes, anon_client, admin_user):
    assert staff_with_codes().get("/api/orders/", HTTP_X_REQUEST_ID="r-403")["X-Request-ID"] == (
        "r-403"
    )
    for _ in range(11):
        throttled = anon_client.post(
            "/api/auth/token/",
            {"username": "root", "password": "wrong"},
            format="json",
            HTTP_X_REQUEST_ID="r-429",
        )
    assert throttled.status_code == 429
    assert throttled["X-Request-ID"] == "r-429"


def test_the_code_handling_the_request_sees_it(admin_client, test_urls):
    response = admin_client.get("/api/test/request-id/", HTTP_X_REQUEST_ID="seen-1")
    assert response.json() == {"request_id": "seen-1", "current": "seen-1"}
    assert current_request_id() is None  # cleared once the response is done


def test_log_lines_of_the_request_show_it(admin_client, test_urls, console_log):
    admin_client.get("/api/test/request-id/", HTTP_X_REQUEST_ID="logged-1")
    logging.getLogger("bazaar.tests.request_id").warning("outside any request")

    lines = console_log.getvalue().splitlines()
    assert any("[logged-1] handling the request" in line for line in lines), lines
    assert any("[-] outside any request" in line for line in lines), lines


def test_a_5xx_logged_after_the_middleware_shows_it(admin_user, test_urls, console_log):
    from bazaar.conftest import client_for

    client = client_for(admin_user)
    client.raise_request_exception = False
    client.post("/api/test/partial-write/?fail=crash", {}, format="json", HTTP_X_REQUEST_ID="e-1")

    error_lines = [line for line in console_log.getvalue().splitlines() if " ERROR " in line]
    assert error_lines and all("[e-1]" in line for line in error_lines), error_lines


def test_secrets_are_still_redacted(admin_client, test_urls, console_log):
    logging.getLogger("bazaar.tests.request_id").warning("Authorization: Token abc123")
    assert "abc123" not in console_log.getvalue()
    assert "[REDACTED]" in console_log.getvalue()
