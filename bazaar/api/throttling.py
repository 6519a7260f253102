import hashlib

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django_redis.cache import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class SettingsRateMixin:
    """The rate read from the settings when the throttle is made, not when the module was
    imported (DRF's class attribute), so a changed setting (a test's) is honoured."""

    def get_rate(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()


def _backend(cache):
    """The cache itself: DRF's throttles hold Django's `cache`, a proxy to the default cache of
    the thread, which is no `RedisCache` even when the cache behind it is."""
    return caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache


def window_counts(cache, current: str, previous: str, ttl: int) -> tuple[int, int]:
    """Count one more request in the `current` window's counter and read the `previous`
    window's: (current after counting, previous). On Redis one round trip (INCR, EXPIRE, GET in
    one pipeline, INCR atomic across workers); on the database cache a read and a write."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        client = cache.client.get_client(write=True)
        current_key, previous_key = cache.make_key(current), cache.make_key(previous)
        pipe = client.pipeline(transaction=False)
        pipe.incr(current_key)
        pipe.expire(current_key, ttl)
        pipe.get(previous_key)
        counted, _expiry, before = pipe.execute()
        return int(counted), int(before or 0)
    values = cache.get_many([current, previous])
    counted = int(values.get(current, 0)) + 1
    cache.set(current, counted, ttl)
    return counted, int(values.get(previous, 0))


def window_uncount(cache, current: str, ttl: int) -> None:
    """Take back a refused request: a client retrying while refused does not keep itself out."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        cache.client.get_client(write=True).decr(cache.make_key(current))
    else:
        counted = cache.get(current)
        if counted:
            cache.set(current, int(counted) - 1, ttl)


class SlidingWindowThrottle(SimpleRateThrottle):
    """DRF's rate (`N/period`) judged by a sliding-window counter: the requests of this fixed
    window plus the previous window's, weighted by how much of it still lies within the last
    `period` seconds. Why not DRF's own history of timestamps: it reads and rewrites a list of up
    to N timestamps (6,000 for a token) in two round trips per request; two integers in one
    round trip cost the same at any rate. The estimate assumes the previous window's requests
    were spread evenly, so a burst at its end is forgiven a little sooner than DRF would."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, into = divmod(self.now, self.duration)
        self.elapsed = into / self.duration
        self.current = f"{self.key}:{int(window)}"
        counted, self.previous = window_counts(
            self.cache, self.current, f"{self.key}:{int(window) - 1}", 2 * self.duration
        )
        self.counted = counted - 1  # the requests before this one
        if self.previous * (1 - self.elapsed) + counted <= self.num_requests:
            return True
        window_uncount(self.cache, self.current, 2 * self.duration)
        return False

    def wait(self) -> float:
        """Seconds until one more request fits: while the previous window's weight fades, or,
        when this window alone is full, into the next one (when this window's count fades)."""
        room = self.num_requests - 1 - self.counted
        if room >= 0 and self.previous:
            # previous × (1 − e) + counted ≤ N − 1  ⇔  e ≥ 1 − room / previous
            fits_at = 1 - room / self.previous
            return max((fits_at - self.elapsed) * self.duration, 1)
        # Next window: counted × (1 − e) ≤ N − 1.
        fits_at = 1 - (self.num_requests - 1) / self.counted if self.counted else 0
        return max((1 - self.elapsed + max(fits_at, 0)) * self.duration, 1)


class TokenRateThrottle(SettingsRateMixin, SlidingWindowThrottle):
    """Per-token rate: each API token has its own budget (a user may hold several). A user
    browsing the API with their admin session has one budget for the session."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        token = getattr(request, "auth", None)
        ident = f"user-{request.user.pk}" if token is None else token.token_key
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(SettingsRateMixin, SlidingWindowThrottle):
    """Per client address, for requests without credentials (DRF's AnonRateThrottle's key)."""

    scope = "anon"
    get_cache_key = AnonRateThrottle.get_cache_key


class LoginAddressRateThrottle(SettingsRateMixin, SimpleRateThrottle):
    """Every login attempt per client address, loose (SPEC §3: at least 100 a minute): an office
    of staff behind one address all log in at nine, and one address cannot flood the endpoint."""

    scope = "login_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def login_username(request) -> str | None:
    """The username a login names, as the login serializer reads it (whitespace trimmed), case
    folded so that case variants of one name share one budget."""
    data = request.data
    username = data.get("username") if hasattr(data, "get") else None
    if not isinstance(username, str) or not username.strip():
        return None
    return username.strip().casefold()


class LoginFailureThrottle(SettingsRateMixin, SimpleRateThrottle):
    """Failed logins per username (SPEC §3: at most 10 a minute per account). A request is let
    through while the account's failures of the last minute are under the rate, whoever sends
    it; checking costs nothing of the budget, only `record_failure` after a refused login does,
    so the account's own successful logins never lock it out. Once the budget is spent even the
    right password is a 429 until the oldest failure is a minute old: a guess is never
    confirmed. The history lives in the shared cache (database or Redis), not in a process."""

    scope = "login"

    def get_cache_key(self, request, view):
        username = login_username(request)
        if username is None:
            return None
        # Hashed: a username may hold any character and length; cache keys may not.
        ident = hashlib.sha256(username.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def throttle_success(self) -> bool:
        return True

    def record_failure(self, request, view) -> None:
        if self.rate is None:
            return
        key = self.get_cache_key(request, view)
        if key is None:
            return
        now = self.timer()
        history = [moment for moment in self.cache.get(key, []) if moment > now - self.duration]
        history.insert(0, now)
        self.cache.set(key, history, self.duration)
