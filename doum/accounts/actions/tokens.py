"""API tokens: issued once, stored as a digest, revoked."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import TOKEN_PREFIX, audit, clean_name, require_role
from doum.accounts.models import ApiToken, User
from doum.core import clock
from doum.core.errors import InvalidInput


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def digest_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def do_create_api_token(
    user: User, *, actor: User | None, name: str, expires_at: datetime | None = None
) -> IssuedToken:
    if actor is not None and actor.pk != user.pk:
        require_role(actor, roles.ADMINISTERS, _("Your role may not create tokens for others."))
    if not user.is_active:
        raise InvalidInput(_("Inactive users cannot hold tokens."), field="user")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=clean_name(name, max_length=100),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=digest_token(secret),
        created_at=clock.now(),
        expires_at=expires_at,
    )
    audit(actor, "api_token.created", token, user=user.pk)
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, actor: User | None) -> None:
    if actor is not None and actor.pk != token.user_id:
        require_role(actor, roles.ADMINISTERS, _("Your role may not revoke other people's tokens."))
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    if updated:
        audit(actor, "api_token.revoked", token)


def user_for_token(secret: str) -> User | None:
    """The active user a live token belongs to, or None. One query."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200 or not secret.isascii():
        return None
    now = clock.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_token(secret), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    return token.user if token else None
