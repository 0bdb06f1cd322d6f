"""Customers found or created from an address, and customers signing themselves up."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.actions.users import do_create_user, find_user_by_identity
from doum.accounts.identities import normalize_identity
from doum.accounts.models import Identity, User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.core.text import single_line


@transaction.atomic
def do_find_or_create_customer(
    *, actor: User | None, email: str | None = None, phone: str | None = None, name: str = ""
) -> User:
    """Recognise a person by any identity, or create them as a customer."""
    for kind, value in ((Identity.Kind.EMAIL, email), (Identity.Kind.PHONE, phone)):
        if value:
            found = find_user_by_identity(kind, value)
            if found is not None:
                return found
    fallback = (email or phone or "customer").split("@")[0]
    return do_create_user(
        actor=actor, name=name or fallback, email=email, phone=phone, role=Role.CUSTOMER
    )


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: ``user`` is the new customer, or the person who already had the
    address (``created`` False), whom the portal sends a sign-in link instead."""

    user: User | None
    created: bool


@transaction.atomic
def do_sign_up_customer(*, name: str, email: str, password: str, language: str = "") -> SignUp:
    """A visitor makes themselves a customer account on the portal.

    An address someone already has (a customer created by mail, an agent) is never taken
    over: nothing is written and the existing person is returned so that the portal answers
    the same way and mails *them* a sign-in link. The password passes Django's validators.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    normalized = normalize_identity(Identity.Kind.EMAIL, email)
    person_name = clean_name(name)
    if language not in ("", "en", "ko"):
        raise InvalidInput(_("Language must be 'en' or 'ko'."), field="language")
    existing = find_user_by_identity(Identity.Kind.EMAIL, normalized) or (
        User.objects.filter(email__iexact=normalized).first()
    )
    if existing is not None:
        return SignUp(user=existing, created=False)
    try:
        validate_password(password, User(name=person_name, email=normalized))
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    try:
        with transaction.atomic():
            user = do_create_user(
                actor=None,
                name=person_name,
                email=normalized,
                role=Role.CUSTOMER,
                password=password,
                language=language,
            )
    except IntegrityError:
        # Someone signed up with the same address at the same moment: same answer as above.
        return SignUp(user=find_user_by_identity(Identity.Kind.EMAIL, normalized), created=False)
    audit(None, "user.signed_up", user)
    return SignUp(user=user, created=True)


@transaction.atomic
def do_verify_email(user: User, *, actor: User | None, email: str) -> bool:
    """Mark the user's e-mail identity verified (they proved they read mail sent to it).

    Returns whether anything changed. Only the person themselves or customer editors may.
    """
    if actor is not None and actor.pk != user.pk:
        require_role(actor, roles.EDITS_CUSTOMERS, _("Your role may not verify identities."))
    try:
        normalized = normalize_identity(Identity.Kind.EMAIL, email)
    except InvalidInput:
        return False
    updated = Identity.objects.filter(
        user=user, kind=Identity.Kind.EMAIL, value=normalized, verified=False
    ).update(verified=True)
    if updated:
        audit(actor, "identity.verified", user, kind=Identity.Kind.EMAIL)
    return bool(updated)


@transaction.atomic
def do_record_bounce(*, address: str, reason: str, permanent: bool) -> bool:
    """Mail to `address` bounced. A permanent failure marks the e-mail identity, so Doum sends
    it no more mail; a temporary one is only logged by the caller. Returns whether an
    identity was marked (the address may not belong to anyone)."""
    if not permanent:
        return False
    try:
        normalized = normalize_identity(Identity.Kind.EMAIL, address)
    except InvalidInput:
        return False
    identity = Identity.objects.filter(kind=Identity.Kind.EMAIL, value=normalized).first()
    if identity is None:
        return False
    identity.bounced_at = clock.now()
    identity.bounce_reason = single_line(reason)[:300]
    identity.save(update_fields=["bounced_at", "bounce_reason"])
    audit(
        None, "identity.bounced", identity.user, address=normalized, reason=identity.bounce_reason
    )
    return True


@transaction.atomic
def do_clear_bounce(identity: Identity, *, actor: User) -> None:
    """An agent says the address works again (the customer fixed their mailbox)."""
    require_role(actor, roles.EDITS_CUSTOMERS, _("Your role may not edit customers."))
    if identity.bounced_at is None:
        return
    identity.bounced_at = None
    identity.bounce_reason = ""
    identity.save(update_fields=["bounced_at", "bounce_reason"])
    audit(actor, "identity.bounce_cleared", identity.user, address=identity.value)
