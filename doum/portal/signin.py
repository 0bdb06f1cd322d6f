"""Sign-in links for customers, the throttle that guards the portal's mail-sending forms, and
the mails themselves.

A link carries a token signed with the site's secret, bound to the user's id, password hash
and last sign-in time, and valid for 30 minutes. Signing in changes the last sign-in time, so
a used link (and every other link issued before it) stops working: each link is single use.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from doum.accounts.models import Brand, User
from doum.core import clock, throttle
from doum.core.db import one_or_none
from doum.portal.brands import portal_title

logger = logging.getLogger(__name__)

LINK_MAX_AGE_S = 30 * 60
_SALT = "doum.portal.sign-in-link"


def _fingerprint(user: User) -> str:
    last = user.last_login.isoformat() if user.last_login else "never"
    raw = f"{user.pk}|{user.password}|{last}|{user.is_active}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def make_link_token(user: User) -> str:
    signer = signing.TimestampSigner(salt=_SALT)
    return signer.sign(f"{user.pk}.{_fingerprint(user)}")


def user_for_link_token(token: str) -> User | None:
    """The active customer the token was issued to, if it is genuine, fresh and unused."""
    if not token or len(token) > 200 or not token.isascii():
        return None
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        value = signer.unsign(token, max_age=LINK_MAX_AGE_S)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    raw_id, _, fingerprint = value.partition(".")
    if not raw_id.isdigit():
        return None
    user = one_or_none(User.objects.filter(pk=int(raw_id), is_active=True))
    # Staff sign in with their password in the workspace; a link never stands in for it.
    if user is None or user.is_agent or _fingerprint(user) != fingerprint:
        return None
    return user


# --- throttling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window_s: int


LINK_PER_ADDRESS = Limit("link-address", 3, 15 * 60)
LINK_PER_IP = Limit("link-ip", 20, 15 * 60)
SIGNUP_PER_IP = Limit("signup-ip", 10, 60 * 60)
SUBMIT_PER_IP = Limit("submit-ip", 20, 60 * 60)
LOGIN_FAILURES_PER_ADDRESS = Limit("login-address", 10, 15 * 60)
LOGIN_FAILURES_PER_IP = Limit("login-ip", 50, 15 * 60)


def _key(limit: Limit, subject: str) -> str:
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"portal:{limit.name}:{digest}"


def hit(limit: Limit, subject: str) -> bool:
    """Count one attempt; False when the subject has used up its attempts in the window."""
    return throttle.hit(_key(limit, subject), limit.window_s) <= limit.count


def exhausted(limit: Limit, subject: str) -> bool:
    """Whether the subject has no attempts left (without counting one)."""
    return throttle.used(_key(limit, subject), limit.window_s) >= limit.count


def reset(limit: Limit, subject: str) -> None:
    throttle.forget(_key(limit, subject), limit.window_s)


# --- mail -------------------------------------------------------------------------------------


def sender_for(brand: Brand) -> str:
    addresses = brand.support_addresses or []
    if addresses and isinstance(addresses[0], str):
        return f"{portal_title(brand)} <{addresses[0]}>"
    return str(settings.DEFAULT_FROM_EMAIL)


def _send(user_id: int, brand_id: int, template: str, context: dict[str, str]) -> None:
    """Render and send one mail in the recipient's language (runs after commit)."""
    user = one_or_none(User.objects.filter(pk=user_id))
    brand = one_or_none(Brand.objects.filter(pk=brand_id))
    if user is None or brand is None or not user.email:
        return
    language = user.language or context.get("language") or settings.LANGUAGE_CODE
    full = {**context, "name": user.name, "brand_title": portal_title(brand)}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", full).split())
        body = render_to_string(f"{template}.txt", full)
        try:
            send_mail(subject, body, sender_for(brand), [user.email])
        except Exception:  # a mail server outage must not turn into an error page
            logger.exception("portal mail %s to user %s failed", template, user_id)


def queue_mail(user: User, brand: Brand, template: str, context: dict[str, str]) -> None:
    """Send a portal mail once the surrounding transaction has committed."""
    user_id, brand_id = user.pk, brand.pk
    transaction.on_commit(lambda: _send(user_id, brand_id, template, context))


def send_sign_in_link(request: HttpRequest, user: User, brand: Brand, *, reason: str) -> None:
    """Mail the user a fresh sign-in link. ``reason``: link, signup_existing, submitted,
    staff_submitted (a request sent on the portal with a staff member's address)."""
    if not user.is_active:
        return
    context = {
        "reason": reason,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "minutes": str(LINK_MAX_AGE_S // 60),
        "sent_at": clock.now().isoformat(),
    }
    if user.is_agent:
        context["workspace_url"] = request.build_absolute_uri("/")
        queue_mail(user, brand, "portal/email/staff_address", context)
        return
    token = make_link_token(user)
    context["link"] = request.build_absolute_uri(reverse("portal:login_with_link", args=[token]))
    queue_mail(user, brand, "portal/email/sign_in_link", context)
