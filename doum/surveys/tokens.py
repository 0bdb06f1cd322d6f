"""Signed tokens in survey links: `/survey/<token>/?score=N` and `/survey/<token>/opt-out/`.

A token is a `django.core.signing.Signer` signature over `[invitation id, nonce]` with a
salt per purpose ("rate", "opt-out"), so a rating link cannot be used to opt out and the
reverse. It names the invitation *and* its secret nonce: a token signed for one invitation
never acts on another, and replacing an invitation's nonce revokes every link to it. Ids in
a URL are never trusted on their own.

`read_token` raises `TokenError` (HTTP 400: tampered, wrong purpose, unknown invitation,
nonce mismatch) or `TokenExpired` (HTTP 410: past the invitation's `expires_at`, cancelled or
expired invitation); the `reason` attribute says which, for logs and tests.
"""

from __future__ import annotations

from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from doum.core import clock
from doum.core.errors import DoumError
from doum.surveys.models import InvitationStatus, SurveyInvitation

RATE = "rate"
OPT_OUT = "opt-out"
PURPOSES = (RATE, OPT_OUT)
MAX_TOKEN_LENGTH = 300

_SALTS = {RATE: "doum.surveys.token.rate", OPT_OUT: "doum.surveys.token.opt-out"}


class TokenError(DoumError):
    """The link is not one of ours (or was altered, or is for something else)."""

    status_code = 400
    code = "invalid_link"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class TokenExpired(TokenError):
    """A genuine link whose invitation may no longer be answered."""

    status_code = 410
    code = "expired_link"

    def __init__(self, message: str, *, reason: str, invitation: SurveyInvitation) -> None:
        super().__init__(message, reason=reason)
        self.invitation = invitation


def _salt(purpose: str) -> str:
    if purpose not in _SALTS:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return _SALTS[purpose]


def make_token(invitation: SurveyInvitation, purpose: str) -> str:
    """A URL-safe token for `purpose` ("rate" or "opt-out") naming this invitation."""
    return signing.Signer(salt=_salt(purpose)).sign_object([int(invitation.pk), invitation.nonce])


def _invalid(reason: str) -> TokenError:
    return TokenError(
        _("This survey link is not valid. Please use the link from your e-mail as it is."),
        reason=reason,
    )


def _payload(token: str, purpose: str) -> tuple[int, str]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid("malformed")
    try:
        data = signing.Signer(salt=_salt(purpose)).unsign_object(token)
    except signing.BadSignature:
        other = [p for p in PURPOSES if p != purpose]
        for name in other:
            try:
                signing.Signer(salt=_salt(name)).unsign_object(token)
            except signing.BadSignature:
                continue
            raise _invalid("wrong_purpose") from None
        raise _invalid("tampered") from None
    except (ValueError, TypeError, UnicodeError):
        raise _invalid("malformed") from None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not isinstance(data[0], int)
        or isinstance(data[0], bool)
        or not isinstance(data[1], str)
    ):
        raise _invalid("malformed")
    return data[0], data[1]


def read_token(token: str, purpose: str, *, allow_expired: bool = False) -> SurveyInvitation:
    """The invitation the token names, or TokenError / TokenExpired.

    `allow_expired`: accept a genuine token whose invitation is past its `expires_at` or was
    cancelled or expired (opt-out links keep working after the rating link has expired).
    """
    invitation_id, nonce = _payload(token, purpose)
    invitation = (
        SurveyInvitation.objects.select_related("brand", "customer", "ticket")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise _invalid("unknown")
    if not constant_time_compare(invitation.nonce, nonce):
        raise _invalid("nonce")
    if allow_expired:
        return invitation
    if invitation.status == InvitationStatus.CANCELLED:
        raise TokenExpired(
            _("This survey is no longer open."), reason="cancelled", invitation=invitation
        )
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= clock.now():
        raise TokenExpired(
            _("This survey link has expired. Thank you all the same."),
            reason="expired",
            invitation=invitation,
        )
    return invitation
