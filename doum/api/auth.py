"""API authentication: hashed bearer tokens for integrations, the session (with CSRF) for the
web UI."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from doum.accounts.actions import TOKEN_PREFIX, digest_token
from doum.accounts.models import ApiToken, User
from doum.core import clock

LAST_USED_RESOLUTION_S = 60


class TokenAuth(HttpBearer):
    """`Authorization: Bearer doum_...`. One query; last use is recorded at most once a minute."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = clock.now()
        found = (
            ApiToken.objects.select_related("user", "user__organization")
            .filter(digest=digest_token(token), revoked_at__isnull=True, user__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .first()
        )
        if found is None:
            return None
        if cache.add(f"doum:token-used:{found.pk}", 1, LAST_USED_RESOLUTION_S):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.doum_auth = "token"  # type: ignore[attr-defined]
        return found.user


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
