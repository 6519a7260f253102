from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

from bazaar.db import routing


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <key>` against hashed tokens (django-rest-knox).

    Differences from knox's own class:
    - a key that is not valid UTF-8 or ASCII is a 401, not a 500; so is one with a NUL, which
      PostgreSQL refuses in the token lookup (that was a 400 "The database refused this value.");
    - an inactive user authenticates and is then refused with 403 by the permission class, as
      SPEC §3 asks ("inactive users get 403"); no token of theirs works for anything;
    - only the presented token's expiry is checked, in the same query, instead of loading every
      token of the user on each request;
    - a request reading from a replica that does not know the token (one made a moment ago, not
      replicated yet) looks it up on the primary before refusing it.
    """

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if "\x00" in text:
            raise exceptions.AuthenticationFailed("Invalid token.")
        try:
            return super().authenticate_credentials(text.encode("ascii"))
        except exceptions.AuthenticationFailed:
            if routing.current_read_alias() is None:
                raise
        with routing.primary():
            return super().authenticate_credentials(text.encode("ascii"))

    def validate_user(self, auth_token):
        return (auth_token.user, auth_token)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
