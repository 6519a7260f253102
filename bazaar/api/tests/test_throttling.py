"""The request budget (SPEC §3's 429): a sliding-window counter in the shared cache, checked on
the database cache and on a real Redis."""

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import redis
from django.core.cache import cache

from bazaar.api.throttling import TokenRateThrottle, window_counts

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database cache", "redis"])
def shared_cache(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url}}
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def rate(settings):
    def set_rate(value: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "token": value,
            },
        }

    return set_rate


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ask(clock: Clock, token_key: str = "abcd1234") -> TokenRateThrottle:  # noqa: S107
    """One request of a token at the clock's time, through a fresh throttle (as each request
    gets one); the throttle is returned to read its verdict and wait."""
    throttle = TokenRateThrottle()
    throttle.timer = clock
    request = SimpleNamespace(
        user=SimpleNamespace(is_authenticated=True, pk=1),
        auth=SimpleNamespace(token_key=token_key),
    )
    throttle.allowed = throttle.allow_request(request, None)
    return throttle


def test_the_budget_is_spent_then_refused(shared_cache, rate):
    rate("3/min")
    clock = Clock(60 * 1000 + 5)
    assert [ask(clock).allowed for _ in range(5)] == [True, True, True, False, False]
    assert ask(clock, "other-token").allowed  # each token has its own budget


def test_refused_requests_do_not_spend_the_next_budget(shared_cache, rate):
    """A client retrying while refused is let in as soon as its old requests age out."""
    rate("2/min")
    clock = Clock(60 * 1000)  # the start of a window
    assert [ask(clock).allowed for _ in range(2)] == [True, True]
    for _ in range(20):
        assert not ask(clock).allowed
    clock.now += 60 + 31  # next window, the previous one's weight under a half: 2 × 0.48 + 1
    assert ask(clock).allowed
    assert not ask(clock).allowed


def test_retry_after_is_when_a_request_fits_again(shared_cache, rate):
    rate("10/min")
    clock = Clock(60 * 1000 + 30)  # halfway into a window
    assert all(ask(clock).allowed for _ in range(10))
    refused = ask(clock)
    assert not refused.allowed
    wait = refused.wait()
    assert 1 <= wait <= 120
    clock.now += wait - 1
    assert not ask(clock).allowed, "a second early is still refused"
    clock.now += 1
    assert ask(clock).allowed


def test_the_previous_window_counts_in_proportion(shared_cache, rate):
    rate("10/min")
    clock = Clock(60 * 1000 + 50)
    assert all(ask(clock).allowed for _ in range(10))
    clock.now += 25  # 15 s into the next window: the previous one weighs 0.75 → 7.5
    assert [ask(clock).allowed for _ in range(3)] == [True, True, False]


def test_the_counters_expire(shared_cache, rate):
    """Nothing a token left behind lives longer than two windows."""
    rate("10/min")
    ask(Clock(60 * 1000 + 1))
    keys = (
        list(shared_cache.keys("*throttle_token_abcd1234*"))
        if hasattr(shared_cache, "keys")
        else None
    )
    if keys is not None:
        assert keys and all(0 < shared_cache.ttl(key) <= 120 for key in keys)
    else:
        assert shared_cache.get("throttle_token_abcd1234:1000") == 1


def test_on_redis_the_count_is_one_atomic_incr_across_workers(settings, redis_url):
    """Eight threads with their own Redis connections count 400 requests in one window: none is
    lost, as none would be between two workers (a read then a write, the database cache's way,
    loses counts when two requests read the same value). Regression: DRF's throttles hold
    Django's cache proxy, which is no RedisCache, so Redis took the read-then-write path."""
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}
    }
    cache.clear()
    server = redis.Redis.from_url(redis_url)
    incr_before = server.info("commandstats").get("cmdstat_incrby", {}).get("calls", 0)

    def count(_n: int) -> int:
        return window_counts(cache, "throttle_test:1", "throttle_test:0", 120)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = list(pool.map(count, range(400)))
    assert sorted(counted) == list(range(1, 401))  # each request saw its own count
    assert server.info("commandstats")["cmdstat_incrby"]["calls"] - incr_before >= 400
    cache.clear()
