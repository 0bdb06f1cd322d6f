"""People: creating, editing, roles, deactivation, passwords, availability, identities."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.identities import normalize_identity
from doum.accounts.models import (
    ApiToken,
    Identity,
    Organization,
    OrganizationDomain,
    Team,
    TeamMembership,
    User,
)
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import normalize


@transaction.atomic
def do_create_user(
    *,
    actor: User | None,
    name: str,
    email: str | None = None,
    role: str = Role.CUSTOMER,
    password: str | None = None,
    organization: Organization | None = None,
    phone: str | None = None,
    language: str = "",
    time_zone: str = "",
    custom_fields: dict[str, Any] | None = None,
) -> User:
    """Create an agent or a customer. Staff roles need a manager or admin; admins need admin."""
    if role not in Role.values:
        raise InvalidInput(_("Unknown role '%(role)s'.") % {"role": role}, field="role")
    if role == Role.CUSTOMER:
        require_role(actor, roles.EDITS_CUSTOMERS, _("Your role may not create customers."))
    elif role == Role.ADMIN:
        require_role(actor, roles.ADMINISTERS, _("Your role may not create admins."))
    else:
        require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not create agents."))
    normalized_email = normalize_identity(Identity.Kind.EMAIL, email) if email else None
    normalized_phone = normalize_identity(Identity.Kind.PHONE, phone) if phone else None
    if normalized_email is None and role != Role.CUSTOMER:
        raise InvalidInput(_("Agents need an e-mail address to sign in."), field="email")
    if normalized_email and _identity_taken(Identity.Kind.EMAIL, normalized_email):
        raise InvalidInput(_("Someone already uses this e-mail address."), field="email")
    if normalized_phone and _identity_taken(Identity.Kind.PHONE, normalized_phone):
        raise InvalidInput(_("Someone already uses this phone number."), field="phone")
    if organization is None and normalized_email:
        organization = organization_for_email(normalized_email)
    now = clock.now()
    user = User.objects.create_user(
        normalized_email,
        password,
        name=clean_name(name),
        role=role,
        organization=organization,
        language=language,
        time_zone=time_zone,
        custom_fields=custom_fields or {},
        created_at=now,
    )
    identities = []
    if normalized_email:
        identities.append(
            Identity(user=user, kind=Identity.Kind.EMAIL, value=normalized_email,
                     is_primary=True, created_at=now)
        )  # fmt: skip
    if normalized_phone:
        identities.append(
            Identity(user=user, kind=Identity.Kind.PHONE, value=normalized_phone,
                     is_primary=normalized_email is None, created_at=now)
        )  # fmt: skip
    Identity.objects.bulk_create(identities)
    if role != Role.CUSTOMER:
        audit(actor, "user.created", user, role=role)
    return user


def _identity_taken(kind: str, value: str) -> bool:
    return Identity.objects.filter(kind=kind, value=value).exists() or (
        kind == Identity.Kind.EMAIL and User.objects.filter(email__iexact=value).exists()
    )


def organization_for_email(email: str) -> Organization | None:
    domain = email.rsplit("@", 1)[-1].lower()
    found = OrganizationDomain.objects.select_related("organization").filter(domain=domain).first()
    return found.organization if found else None


@transaction.atomic
def do_add_identity(user: User, *, actor: User | None, kind: str, value: str) -> Identity:
    require_role(actor, roles.EDITS_CUSTOMERS, _("Your role may not edit identities."))
    if kind not in Identity.Kind.values:
        raise InvalidInput(_("Unknown identity kind '%(kind)s'.") % {"kind": kind}, field="kind")
    normalized = normalize_identity(kind, value)
    existing = Identity.objects.filter(kind=kind, value=normalized).first()
    if existing is not None:
        if existing.user_id == user.pk:
            return existing
        raise InvalidInput(_("This identity belongs to someone else."), field="value")
    identity = Identity.objects.create(
        user=user, kind=kind, value=normalized, is_primary=False, created_at=clock.now()
    )
    if kind == Identity.Kind.EMAIL and not user.email:
        user.email = normalized
        user.save(update_fields=["email"])
    return identity


def find_user_by_identity(kind: str, value: str) -> User | None:
    try:
        normalized = normalize_identity(kind, value)
    except InvalidInput:
        return None
    identity = Identity.objects.select_related("user").filter(kind=kind, value=normalized).first()
    return identity.user if identity else None


USER_EDITABLE = {"name", "language", "time_zone", "notes", "organization", "custom_fields"}


@transaction.atomic
def do_update_user(user: User, *, actor: User | None, changes: dict[str, Any]) -> User:
    unknown = set(changes) - USER_EDITABLE
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(
            _("Field '%(field)s' cannot be changed here.") % {"field": key}, field=key
        )
    if actor is not None and actor.pk != user.pk:
        allowed = roles.MANAGES_PEOPLE if user.is_agent else roles.EDITS_CUSTOMERS
        if user.role == Role.ADMIN:
            allowed = roles.ADMINISTERS
        require_role(actor, allowed, _("Your role may not edit this person."))
    if actor is not None and actor.pk == user.pk and "organization" in changes:
        raise Forbidden(_("You may not move yourself to another organization."))
    if actor is not None and actor.pk == user.pk and not actor.is_agent:
        staff_only = sorted({"notes", "custom_fields"} & set(changes))
        if staff_only:
            raise Forbidden(
                _("Only staff may change '%(field)s'.") % {"field": staff_only[0]},
                field=staff_only[0],
            )
    fields = []
    for key, value in changes.items():
        if key == "name":
            value = clean_name(value)
        elif key == "notes":
            value = normalize(value)
        elif key == "language" and value not in ("", "en", "ko"):
            raise InvalidInput(_("Language must be 'en' or 'ko'."), field="language")
        elif key == "time_zone" and value:
            _check_time_zone(value)
        setattr(user, key, value)
        fields.append(key)
    user.save(update_fields=fields)
    return user


def _check_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            _("Unknown time zone '%(value)s'.") % {"value": value}, field="time_zone"
        ) from exc


@transaction.atomic
def do_change_role(user: User, *, actor: User | None, role: str) -> User:
    require_role(actor, roles.ADMINISTERS, _("Your role may not change roles."))
    if role not in Role.values:
        raise InvalidInput(_("Unknown role '%(role)s'.") % {"role": role}, field="role")
    if actor is not None and actor.pk == user.pk and role != Role.ADMIN:
        raise Forbidden(_("You may not remove your own admin role."))
    if role != Role.CUSTOMER and not user.email:
        raise InvalidInput(_("Agents need an e-mail address to sign in."), field="email")
    old = user.role
    user.role = role
    user.save(update_fields=["role"])
    if role == Role.CUSTOMER:
        # A customer is in no team and leads none; their tickets stay assigned for history.
        TeamMembership.objects.filter(user=user).delete()
        Team.objects.filter(lead=user).update(lead=None)
    audit(actor, "user.role_changed", user, old=old, new=role)
    return user


@transaction.atomic
def do_deactivate_user(user: User, *, actor: User | None) -> User:
    require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not deactivate people."))
    if actor is not None and actor.pk == user.pk:
        raise Forbidden(_("You may not deactivate yourself."))
    if user.role == Role.ADMIN:
        # Locking out an admin takes their admin role away, which only admins may do.
        require_role(actor, roles.ADMINISTERS, _("Your role may not deactivate admins."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    audit(actor, "user.deactivated", user)
    return user


@transaction.atomic
def do_set_password(user: User, *, actor: User | None, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if actor is not None and actor.pk != user.pk:
        require_role(actor, roles.ADMINISTERS, _("Your role may not set other people's passwords."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    audit(actor, "user.password_set", user)


@transaction.atomic
def do_remove_identity(identity: Identity, *, actor: User | None) -> None:
    """Forget one way to recognise a person. The address they sign in with stays."""
    require_role(actor, roles.EDITS_CUSTOMERS, _("Your role may not edit identities."))
    user = identity.user
    if user.is_agent and actor is not None and actor.pk != user.pk:
        require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not edit staff identities."))
    if identity.kind == Identity.Kind.EMAIL and user.email and identity.value == user.email:
        raise InvalidInput(
            _("This is the address the person signs in with; it cannot be removed."),
            field="identity",
        )
    data = {"user": user.pk, "kind": identity.kind}
    audit(actor, "identity.removed", identity, **data)
    identity.delete()


@transaction.atomic
def do_set_availability(user: User, *, actor: User | None, availability: str) -> User:
    """An agent says whether they take work now (online, away, offline). Staff only."""
    from doum.accounts.models import Availability

    if availability not in Availability.values:
        raise InvalidInput(
            _("Unknown availability '%(availability)s'.") % {"availability": availability},
            field="availability",
        )
    if not user.is_agent:
        raise InvalidInput(_("Only staff members have an availability."), field="availability")
    if actor is not None and actor.pk != user.pk:
        require_role(
            actor, roles.MANAGES_PEOPLE, _("Your role may not change other people's availability.")
        )
    old = user.availability
    if old == availability:
        return user
    user.availability = availability
    user.availability_changed_at = clock.now()
    user.save(update_fields=["availability", "availability_changed_at"])
    audit(actor, "user.availability_changed", user, old=old, new=availability)
    return user


@transaction.atomic
def do_reactivate_user(user: User, *, actor: User | None) -> User:
    """Let a deactivated person sign in again (their revoked API tokens stay revoked)."""
    require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not reactivate people."))
    if user.role == Role.ADMIN:
        require_role(actor, roles.ADMINISTERS, _("Your role may not reactivate admins."))
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit(actor, "user.reactivated", user)
    return user
