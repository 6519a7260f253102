import binascii
from hmac import compare_digest

from django.db import router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from bazaar.accounts.token_lookup import tokens_with_key
from bazaar.db import routing

INVALID_TOKEN = _("Invalid token.")


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
      replicated yet) looks it up on the primary before refusing it;
    - the lookup's SQL is compiled once (`bazaar.accounts.token_lookup`), not on each request.
    """

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        if "\x00" in text:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        try:
            return self._token_user(text)
        except exceptions.AuthenticationFailed:
            if routing.current_read_alias() is None:
                raise
        with routing.primary():
            return self._token_user(text)

    def _token_user(self, token: str):
        """knox's check of a token (its loop over the tokens sharing the key prefix), on the
        precompiled lookup."""
        alias = router.db_for_read(get_token_model())
        for auth_token in tokens_with_key(alias, token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)

    def validate_user(self, auth_token):
        return (auth_token.user, auth_token)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
