from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """Per-token rate: each API token has its own budget (a user may hold several)."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.token_key}


class AnonymousRateThrottle(AnonRateThrottle):
    scope = "anon"


class LoginRateThrottle(SimpleRateThrottle):
    """Password guesses per client address: brute force stops at the configured rate."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
