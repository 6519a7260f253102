import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class SettingsRateMixin:
    """The rate read from the settings when the throttle is made, not when the module was
    imported (DRF's class attribute), so a changed setting (a test's) is honoured."""

    def get_rate(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()


class TokenRateThrottle(SettingsRateMixin, SimpleRateThrottle):
    """Per-token rate: each API token has its own budget (a user may hold several). A user
    browsing the API with their admin session has one budget for the session."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        token = getattr(request, "auth", None)
        ident = f"user-{request.user.pk}" if token is None else token.token_key
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(SettingsRateMixin, AnonRateThrottle):
    scope = "anon"


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
