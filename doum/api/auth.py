"""API authentication: hashed bearer tokens for integrations, the session (with CSRF) for the
web UI."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer, SessionAuth

from doum.accounts.actions import TOKEN_PREFIX, digest_token
from doum.accounts.models import ApiToken, User
from doum.core import clock

LAST_USED_RESOLUTION_S = 60

_TOKEN_SQL = (
    "SELECT u.*, t.id AS doum_token_id FROM accounts_apitoken t "
    "JOIN accounts_user u ON u.id = t.user_id "
    "WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active "
    "AND (t.expires_at IS NULL OR t.expires_at > %s)"
)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer doum_...`. One query; last use is recorded at most once a minute."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = clock.now()
        # Every API call runs this: one hand-written query (the ORM would rebuild the same
        # SQL each time), the user row built by Django with its field converters.
        at = connection.ops.adapt_datetimefield_value(now)
        found = list(User.objects.raw(_TOKEN_SQL, [digest_token(token), at]))
        if not found:
            return None
        user = found[0]
        token_id = user.doum_token_id  # type: ignore[attr-defined]
        if cache.add(f"doum:token-used:{token_id}", 1, LAST_USED_RESOLUTION_S):
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        request.user = user
        request.doum_auth = "token"  # type: ignore[attr-defined]
        if user.language:
            # The middleware chose the language before ninja knew who called (a token request
            # has no session): the user's own setting wins over Accept-Language here too.
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return user


class SessionCsrfAuth(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and user.is_active:
            request.doum_auth = "session"  # type: ignore[attr-defined]
            return user
        return None


def current_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (after ninja's auth ran)."""
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):  # pragma: no cover - auth guarantees it
        raise RuntimeError("unauthenticated request reached an authenticated endpoint")
    return user
