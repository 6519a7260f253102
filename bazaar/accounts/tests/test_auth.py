import hashlib
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from bazaar.accounts.models import User
from bazaar.api.throttling import LoginFailureThrottle
from bazaar.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user() -> User:
    return User.objects.create_user("clerk", password="pw-Clerk-123", is_staff=True)


def test_login_returns_a_token_that_authenticates(anon_client, staff_user):
    response = anon_client.post(
        "/api/auth/token/", {"username": "clerk", "password": "pw-Clerk-123"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = anon_client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "clerk"


def test_wrong_credentials_are_a_400(anon_client, staff_user):
    response = anon_client.post("/api/auth/token", {"username": "clerk", "password": "nope"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_login_without_fields_names_them(anon_client):
    response = anon_client.post("/api/auth/token/", {})
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_a_user_may_hold_several_tokens_and_revoke_one(staff_user):
    first, second = client_for(staff_user), client_for(staff_user)
    assert first.delete("/api/auth/token/").status_code == 204
    assert first.get("/api/auth/me/").status_code == 401
    assert second.get("/api/auth/me/").status_code == 200
    assert AuthToken.objects.filter(user=staff_user).count() == 1


def test_token_table_holds_no_usable_key(staff_user):
    client = client_for(staff_user)
    token = client.token
    row = AuthToken.objects.get(user=staff_user)
    stored = {str(getattr(row, f.attname)) for f in AuthToken._meta.concrete_fields}
    assert token not in stored
    assert all(token not in value or value == token[: len(value)] for value in stored)
    # Only a short prefix is kept in clear (for lookup); the rest is a SHA-512 digest.
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    assert len(row.token_key) < len(token) // 2
    forged = APIClientWithToken(row.token_key + "0" * (len(token) - len(row.token_key)))
    assert forged.get("/api/auth/me/").status_code == 401


def APIClientWithToken(token: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.parametrize(
    "header",
    ["Token", "Token a b", "Token nonsense", "Bearer abc", "Token \u00ff\u00fe"],
)
def test_bad_authorization_headers_are_401(header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/auth/me/").status_code == 401


def test_missing_token_is_401_with_challenge(anon_client):
    response = anon_client.get("/api/roles/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_me_lists_effective_codes(staff_with_codes):
    client = staff_with_codes(2202, 1102)
    body = client.get("/api/auth/me").json()
    assert body["permission_codes"] == [1102, 2202]
    assert set(body) == {
        "id", "username", "first_name", "last_name", "email", "is_staff", "is_superuser",
        "permission_codes",
    }  # fmt: skip


def test_admin_has_every_code(admin_client):
    codes = admin_client.get("/api/auth/me/").json()["permission_codes"]
    listed = [row["code"] for row in admin_client.get("/api/auth/permissions/").json()]
    assert codes == listed
    assert {2201, 2202, 2221, 2241, 1501} <= set(codes)


def test_permission_catalogue_names_codes(staff_with_codes):
    rows = staff_with_codes().get("/api/auth/permissions/").json()
    assert {"code": 2201, "name": "Create orders"} in rows
    assert {"code": 2245, "name": "Delete order payments"} in rows
    assert {"code": 2301, "name": "Create coupons"} in rows
    assert {"code": 2206, "name": "Export orders"} in rows
    assert {"code": 2405, "name": "Delete webhooks"} in rows
    assert len(rows) == 89


def test_create_token_command_prints_one_working_token(capsys, staff_user):
    call_command("create_token", "clerk")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    client = APIClientWithToken(out.strip())
    assert client.get("/api/auth/me/").json()["username"] == "clerk"


def test_inactive_user_gets_403(staff_user):
    client = client_for(staff_user)
    staff_user.is_active = False
    staff_user.save()
    assert client.get("/api/roles/").status_code == 403


def test_customer_gets_403_on_back_office(customer_user):
    client = client_for(customer_user)
    response = client.get("/api/roles/")
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


def _login(client, username: str, password: str):
    return client.post("/api/auth/token/", {"username": username, "password": password})


@pytest.fixture
def fast_hasher(settings):
    """Fifteen users and their logins without paying for PBKDF2 thirty times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_login_failures_are_limited_per_account(anon_client, staff_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "3/min",
        },
    }
    codes = [_login(anon_client, "clerk", f"guess{i}").status_code for i in range(4)]
    assert codes == [400, 400, 400, 429]
    # The right password is refused too while the budget is spent: a guess is never confirmed.
    blocked = _login(anon_client, "clerk", "pw-Clerk-123")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) >= 1
    assert "token" not in blocked.json()


def test_regression_fifteen_staff_behind_one_address_all_log_in(anon_client, db, fast_hasher):
    """Was: 10 logins a minute per client address, so the 11th clerk of an office was a 429."""
    for number in range(15):
        User.objects.create_user(f"clerk{number}", password="pw-Clerk-123", is_staff=True)
    statuses = [
        _login(anon_client, f"clerk{number}", "pw-Clerk-123").status_code for number in range(15)
    ]
    assert statuses == [200] * 15


def test_successful_logins_do_not_spend_the_failure_budget(anon_client, fast_hasher, staff_user):
    statuses = [_login(anon_client, "clerk", "pw-Clerk-123").status_code for _ in range(15)]
    assert statuses == [200] * 15
    assert _login(anon_client, "clerk", "wrong").status_code == 400


def test_the_11th_bad_password_of_one_account_is_429_while_others_log_in(
    anon_client, fast_hasher, staff_user
):
    User.objects.create_user("cashier", password="pw-Cashier-123", is_staff=True)
    codes = [_login(anon_client, "clerk", f"guess{i}").status_code for i in range(11)]
    assert codes == [400] * 10 + [429]
    # Case and surrounding spaces do not open a fresh budget for the same account.
    assert _login(anon_client, " CLERK ", "guess-again").status_code == 429
    assert _login(anon_client, "cashier", "pw-Cashier-123").status_code == 200


def test_logins_are_limited_loosely_per_address(anon_client, fast_hasher, staff_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_address": "5/min",
        },
    }
    statuses = [_login(anon_client, "clerk", "pw-Clerk-123").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    other = APIClient(REMOTE_ADDR="10.0.0.2")
    assert _login(other, "clerk", "pw-Clerk-123").status_code == 200


def test_login_throttle_state_is_in_the_shared_cache(anon_client, staff_user):
    """Another process (another gunicorn worker) sees the same failures: they are in the cache
    every process shares, not in memory."""
    _login(anon_client, "clerk", "wrong")
    from django.core.cache import cache

    key = LoginFailureThrottle().get_cache_key(
        type("Request", (), {"data": {"username": "clerk"}})(), None
    )
    assert len(cache.get(key)) == 1


def test_session_users_are_throttled_per_user(client, admin_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token": "2/min",
        },
    }
    client.force_login(admin_user)
    statuses = [client.get("/api/roles/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_precompiled_token_lookup_reads_what_the_orm_reads(staff_user):
    """Token and user as the ORM makes them (the same values and types: SQLite's datetimes
    converted), their user attached with no further query."""
    from bazaar.accounts.token_lookup import tokens_with_key

    token, key = AuthToken.objects.create(user=staff_user, expiry=timedelta(days=1))
    AuthToken.objects.create(user=staff_user)  # another token: another key prefix
    expected = AuthToken.objects.select_related("user").get(pk=token.pk)
    with CaptureQueriesContext(connection) as queries:
        (found,) = tokens_with_key("default", key[:15])
        assert found.user.username == "clerk"
    assert len(queries) == 1
    fields = AuthToken._meta.concrete_fields
    assert [getattr(found, f.attname) for f in fields] == [
        getattr(expected, f.attname) for f in fields
    ]
    user_fields = User._meta.concrete_fields
    assert [getattr(found.user, f.attname) for f in user_fields] == [
        getattr(expected.user, f.attname) for f in user_fields
    ]
    assert isinstance(found.expiry, datetime) and found.expiry.tzinfo is not None
    assert tokens_with_key("default", "no-such-key") == []
