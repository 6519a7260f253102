"""Fixtures shared by every test: API clients authenticated the way real clients are (a token in
the Authorization header, through the whole HTTP stack)."""

import os
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from bazaar.accounts.models import User
from bazaar.accounts.permissions import user_set_direct_codes
from bazaar.i18n import LANGUAGES, compile_catalogue


def pytest_configure(config) -> None:
    # `make install` compiles the catalogues; a bare `pytest` after editing a .po (or in a fresh
    # clone) gets them too, so the Persian tests never read a stale or missing .mo.
    for language in LANGUAGES:
        compile_catalogue(language, only_if_stale=True)


# Property tests explore new examples on every local run, and are reproducible in CI: there the
# examples are derived from each test's name alone (derandomize), so a red CI run is red again on
# a re-run and on a developer's machine with `CI=true`. Both print the failing example and the
# `@reproduce_failure` blob that replays it. HYPOTHESIS_PROFILE picks a profile by name.
hypothesis_settings.register_profile("dev", print_blob=True, deadline=None)
hypothesis_settings.register_profile(
    "ci", derandomize=True, database=None, print_blob=True, deadline=None
)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


def client_for(user: User) -> APIClient:
    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.token = token
    return client


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(request, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue(
            "db" if "transactional_db" not in request.fixturenames else "transactional_db"
        )
        cache.clear()  # throttle counters start at zero in every test


@pytest.fixture
def memory_cache(settings):
    """Throttle counters in memory, so that only the request's own queries are counted."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw-Admin-123")


@pytest.fixture
def admin_client(admin_user) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def staff_with_codes(db) -> Callable[..., APIClient]:
    """`staff_with_codes(2201, 2203)` -> a client for a staff user holding exactly those codes."""
    counter = {"n": 0}

    def make(*codes: int) -> APIClient:
        counter["n"] += 1
        user = User.objects.create_user(
            f"staff{counter['n']}", password="pw-Staff-123", is_staff=True
        )
        user_set_direct_codes(user=user, codes=codes)
        client = client_for(user)
        client.user = user
        return client

    return make


@pytest.fixture
def customer_user(db) -> User:
    return User.objects.create_user(
        "09120000001", mobile_number="09120000001", password="pw-C-12345"
    )


@pytest.fixture(scope="session")
def redis_url() -> "Iterator[str]":
    """A real Redis database that only this test run uses (bazaar.api.tests.redis_db)."""
    from bazaar.api.tests.redis_db import private_redis_db

    with private_redis_db() as url:
        yield url
