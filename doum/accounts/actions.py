"""The only writers of people and structure. Each is one transaction and writes its audit row."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.identities import normalize_identity
from doum.accounts.models import (
    ApiToken,
    AuditLog,
    Brand,
    Identity,
    Organization,
    OrganizationDomain,
    Team,
    TeamMembership,
    User,
)
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.core.text import is_blank, normalize, single_line

TOKEN_PREFIX = "doum_"


def _audit(actor: User | None, action: str, target: Any, **data: Any) -> None:
    AuditLog.objects.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=str(target.pk),
        data=data,
        at=clock.now(),
    )


def _require(actor: User | None, allowed: frozenset[str], message: str) -> None:
    """Refuse with ``message`` (a translated sentence) unless the actor's role is allowed."""
    if actor is not None and actor.role not in allowed:
        raise Forbidden(message)


def _clean_name(value: str, field: str = "name", max_length: int = 200) -> str:
    value = single_line(value)
    if is_blank(value):
        raise InvalidInput(_("This field may not be blank."), field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("At most %(max_length)s characters.") % {"max_length": max_length}, field=field
        )
    return value


# --- users ----------------------------------------------------------------------------------


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
        _require(actor, roles.EDITS_CUSTOMERS, _("Your role may not create customers."))
    elif role == Role.ADMIN:
        _require(actor, roles.ADMINISTERS, _("Your role may not create admins."))
    else:
        _require(actor, roles.MANAGES_PEOPLE, _("Your role may not create agents."))
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
        name=_clean_name(name),
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
        _audit(actor, "user.created", user, role=role)
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
    _require(actor, roles.EDITS_CUSTOMERS, _("Your role may not edit identities."))
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
        _require(actor, allowed, _("Your role may not edit this person."))
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
            value = _clean_name(value)
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
    _require(actor, roles.ADMINISTERS, _("Your role may not change roles."))
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
    _audit(actor, "user.role_changed", user, old=old, new=role)
    return user


@transaction.atomic
def do_deactivate_user(user: User, *, actor: User | None) -> User:
    _require(actor, roles.MANAGES_PEOPLE, _("Your role may not deactivate people."))
    if actor is not None and actor.pk == user.pk:
        raise Forbidden(_("You may not deactivate yourself."))
    if user.role == Role.ADMIN:
        # Locking out an admin takes their admin role away, which only admins may do.
        _require(actor, roles.ADMINISTERS, _("Your role may not deactivate admins."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    _audit(actor, "user.deactivated", user)
    return user


@transaction.atomic
def do_set_password(user: User, *, actor: User | None, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if actor is not None and actor.pk != user.pk:
        _require(actor, roles.ADMINISTERS, _("Your role may not set other people's passwords."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    _audit(actor, "user.password_set", user)


# --- teams ----------------------------------------------------------------------------------


@transaction.atomic
def do_create_team(
    *, actor: User | None, name: str, description: str = "", lead: User | None = None
) -> Team:
    _require(actor, roles.MANAGES_PEOPLE, _("Your role may not create teams."))
    name = _clean_name(name, max_length=100)
    if Team.objects.filter(name__iexact=name).exists():
        raise InvalidInput(_("A team with this name exists."), field="name")
    team = Team.objects.create(
        name=name, description=normalize(description), lead=None, created_at=clock.now()
    )
    _audit(actor, "team.created", team, name=name)
    if lead is not None:
        do_set_team_lead(team, actor=actor, lead=lead)
    return team


@transaction.atomic
def do_set_team_lead(team: Team, *, actor: User | None, lead: User | None) -> Team:
    _require(actor, roles.MANAGES_PEOPLE, _("Your role may not change team leads."))
    if lead is not None:
        if not lead.is_agent:
            raise InvalidInput(_("A team lead must be a staff member."), field="lead")
        do_add_team_member(team, actor=actor, user=lead)
    old = team.lead_id
    team.lead = lead
    team.save(update_fields=["lead"])
    _audit(actor, "team.lead_changed", team, old=old, new=lead.pk if lead else None)
    return team


@transaction.atomic
def do_add_team_member(team: Team, *, actor: User | None, user: User) -> None:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE and team.lead_id != actor.pk:
        raise Forbidden(_("Only managers, admins and the team's lead may change its members."))
    if not user.is_agent:
        raise InvalidInput(_("Only staff members can join a team."), field="user")
    _membership, created = TeamMembership.objects.get_or_create(
        team=team, user=user, defaults={"joined_at": clock.now()}
    )
    if created:
        _audit(actor, "team.member_added", team, user=user.pk)


@transaction.atomic
def do_remove_team_member(team: Team, *, actor: User | None, user: User) -> None:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE and team.lead_id != actor.pk:
        raise Forbidden(_("Only managers, admins and the team's lead may change its members."))
    deleted, _per_model = TeamMembership.objects.filter(team=team, user=user).delete()
    if deleted:
        _audit(actor, "team.member_removed", team, user=user.pk)


# --- organizations --------------------------------------------------------------------------


@transaction.atomic
def do_create_organization(
    *,
    actor: User | None,
    name: str,
    domains: Iterable[str] = (),
    notes: str = "",
    shared_tickets: bool = False,
    custom_fields: dict[str, Any] | None = None,
) -> Organization:
    _require(actor, roles.EDITS_CUSTOMERS, _("Your role may not create organizations."))
    name = _clean_name(name)
    if Organization.objects.filter(name__iexact=name).exists():
        raise InvalidInput(_("An organization with this name exists."), field="name")
    org = Organization.objects.create(
        name=name,
        notes=normalize(notes),
        shared_tickets=shared_tickets,
        custom_fields=custom_fields or {},
        created_at=clock.now(),
    )
    _set_domains(org, domains)
    _audit(actor, "organization.created", org, name=name)
    return org


def _set_domains(org: Organization, domains: Iterable[str]) -> None:
    cleaned = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        bad = any(c.isspace() or c in "@/<>" or not c.isprintable() for c in domain)
        if not domain or "." not in domain or bad:
            raise InvalidInput(
                _("'%(domain)s' is not a mail domain.") % {"domain": raw}, field="domains"
            )
        cleaned.append(domain)
    clash = OrganizationDomain.objects.filter(domain__in=cleaned).exclude(organization=org).first()
    if clash is not None:
        raise InvalidInput(
            _("'%(domain)s' belongs to another organization.") % {"domain": clash.domain},
            field="domains",
        )
    OrganizationDomain.objects.filter(organization=org).exclude(domain__in=cleaned).delete()
    OrganizationDomain.objects.bulk_create(
        [OrganizationDomain(organization=org, domain=d) for d in dict.fromkeys(cleaned)],
        ignore_conflicts=True,
    )


ORG_EDITABLE = {"name", "notes", "shared_tickets", "custom_fields", "domains"}


@transaction.atomic
def do_update_organization(
    org: Organization, *, actor: User | None, changes: dict[str, Any]
) -> Organization:
    _require(actor, roles.EDITS_CUSTOMERS, _("Your role may not edit organizations."))
    unknown = set(changes) - ORG_EDITABLE
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(_("Field '%(field)s' cannot be changed.") % {"field": key}, field=key)
    fields = []
    for key, value in changes.items():
        if key == "domains":
            _set_domains(org, value)
            continue
        if key == "name":
            value = _clean_name(value)
            if Organization.objects.filter(name__iexact=value).exclude(pk=org.pk).exists():
                raise InvalidInput(_("An organization with this name exists."), field="name")
        elif key == "notes":
            value = normalize(value)
        setattr(org, key, value)
        fields.append(key)
    if fields:
        org.save(update_fields=fields)
    _audit(actor, "organization.updated", org, fields=sorted(changes))
    return org


# --- brands ---------------------------------------------------------------------------------


@transaction.atomic
def do_create_brand(
    *,
    actor: User | None,
    name: str,
    slug: str,
    support_addresses: Iterable[str] = (),
    is_default: bool = False,
    **look: str,
) -> Brand:
    _require(actor, roles.ADMINISTERS, _("Your role may not create brands."))
    addresses = [normalize_identity(Identity.Kind.EMAIL, a) for a in support_addresses]
    if is_default:
        Brand.objects.filter(is_default=True).update(is_default=False)
    elif not Brand.objects.exists():
        is_default = True
    try:
        with transaction.atomic():
            brand = Brand.objects.create(
                name=_clean_name(name, max_length=100),
                slug=slug,
                support_addresses=addresses,
                is_default=is_default,
                created_at=clock.now(),
                **look,
            )
    except IntegrityError as exc:
        raise InvalidInput(_("A brand with this name or slug exists."), field="name") from exc
    transaction.on_commit(lambda: cache.delete(DEFAULT_BRAND_CACHE_KEY))
    cache.delete(DEFAULT_BRAND_CACHE_KEY)
    _audit(actor, "brand.created", brand, name=brand.name)
    return brand


DEFAULT_BRAND_CACHE_KEY = "doum:default-brand"
DEFAULT_BRAND_CACHE_S = 30


def default_brand() -> Brand:
    """The brand new tickets get when none is named. Kept in the cache for half a minute (it
    changes only when an admin adds or changes brands, which clears it in this process)."""
    cached = cache.get(DEFAULT_BRAND_CACHE_KEY)
    if isinstance(cached, Brand):
        return cached
    brand = next(iter(Brand.objects.order_by("-is_default", "id")[:1]), None)
    if brand is None:
        raise NotFound(_("No brand is set up yet; run `doum demo` or create one."), field="brand")
    cache.set(DEFAULT_BRAND_CACHE_KEY, brand, DEFAULT_BRAND_CACHE_S)
    return brand


# --- API tokens -----------------------------------------------------------------------------


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
        _require(actor, roles.ADMINISTERS, _("Your role may not create tokens for others."))
    if not user.is_active:
        raise InvalidInput(_("Inactive users cannot hold tokens."), field="user")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=_clean_name(name, max_length=100),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=digest_token(secret),
        created_at=clock.now(),
        expires_at=expires_at,
    )
    _audit(actor, "api_token.created", token, user=user.pk)
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, actor: User | None) -> None:
    if actor is not None and actor.pk != token.user_id:
        _require(actor, roles.ADMINISTERS, _("Your role may not revoke other people's tokens."))
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    if updated:
        _audit(actor, "api_token.revoked", token)


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


# --- identities and availability (web pages) ------------------------------------------------


@transaction.atomic
def do_remove_identity(identity: Identity, *, actor: User | None) -> None:
    """Forget one way to recognise a person. The address they sign in with stays."""
    _require(actor, roles.EDITS_CUSTOMERS, _("Your role may not edit identities."))
    user = identity.user
    if user.is_agent and actor is not None and actor.pk != user.pk:
        _require(actor, roles.MANAGES_PEOPLE, _("Your role may not edit staff identities."))
    if identity.kind == Identity.Kind.EMAIL and user.email and identity.value == user.email:
        raise InvalidInput(
            _("This is the address the person signs in with; it cannot be removed."),
            field="identity",
        )
    data = {"user": user.pk, "kind": identity.kind}
    _audit(actor, "identity.removed", identity, **data)
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
        _require(
            actor, roles.MANAGES_PEOPLE, _("Your role may not change other people's availability.")
        )
    old = user.availability
    if old == availability:
        return user
    user.availability = availability
    user.availability_changed_at = clock.now()
    user.save(update_fields=["availability", "availability_changed_at"])
    _audit(actor, "user.availability_changed", user, old=old, new=availability)
    return user


# --- customer self-service (portal) ----------------------------------------------------------


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
    clean_name = _clean_name(name)
    if language not in ("", "en", "ko"):
        raise InvalidInput(_("Language must be 'en' or 'ko'."), field="language")
    existing = find_user_by_identity(Identity.Kind.EMAIL, normalized) or (
        User.objects.filter(email__iexact=normalized).first()
    )
    if existing is not None:
        return SignUp(user=existing, created=False)
    try:
        validate_password(password, User(name=clean_name, email=normalized))
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    try:
        with transaction.atomic():
            user = do_create_user(
                actor=None,
                name=clean_name,
                email=normalized,
                role=Role.CUSTOMER,
                password=password,
                language=language,
            )
    except IntegrityError:
        # Someone signed up with the same address at the same moment: same answer as above.
        return SignUp(user=find_user_by_identity(Identity.Kind.EMAIL, normalized), created=False)
    _audit(None, "user.signed_up", user)
    return SignUp(user=user, created=True)


@transaction.atomic
def do_verify_email(user: User, *, actor: User | None, email: str) -> bool:
    """Mark the user's e-mail identity verified (they proved they read mail sent to it).

    Returns whether anything changed. Only the person themselves or customer editors may.
    """
    if actor is not None and actor.pk != user.pk:
        _require(actor, roles.EDITS_CUSTOMERS, _("Your role may not verify identities."))
    try:
        normalized = normalize_identity(Identity.Kind.EMAIL, email)
    except InvalidInput:
        return False
    updated = Identity.objects.filter(
        user=user, kind=Identity.Kind.EMAIL, value=normalized, verified=False
    ).update(verified=True)
    if updated:
        _audit(actor, "identity.verified", user, kind=Identity.Kind.EMAIL)
    return bool(updated)


# --- settings pages: reactivation, a team's name, a person's teams ---------------------------


@transaction.atomic
def do_reactivate_user(user: User, *, actor: User | None) -> User:
    """Let a deactivated person sign in again (their revoked API tokens stay revoked)."""
    _require(actor, roles.MANAGES_PEOPLE, _("Your role may not reactivate people."))
    if user.role == Role.ADMIN:
        _require(actor, roles.ADMINISTERS, _("Your role may not reactivate admins."))
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    _audit(actor, "user.reactivated", user)
    return user


TEAM_EDITABLE = {"name", "description"}


@transaction.atomic
def do_update_team(team: Team, *, actor: User | None, changes: dict[str, Any]) -> Team:
    """Rename a team or change its description."""
    _require(actor, roles.MANAGES_PEOPLE, _("Your role may not edit teams."))
    unknown = set(changes) - TEAM_EDITABLE
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(_("Field '%(field)s' cannot be changed.") % {"field": key}, field=key)
    fields = []
    for key, value in changes.items():
        if key == "name":
            value = _clean_name(value, max_length=100)
            if Team.objects.filter(name__iexact=value).exclude(pk=team.pk).exists():
                raise InvalidInput(_("A team with this name exists."), field="name")
        else:
            value = normalize(value)
            if len(value) > 2000:
                raise InvalidInput(_("At most 2000 characters."), field="description")
        if getattr(team, key) != value:
            setattr(team, key, value)
            fields.append(key)
    if fields:
        team.save(update_fields=fields)
        _audit(actor, "team.updated", team, fields=sorted(fields))
    return team


@transaction.atomic
def do_set_user_teams(user: User, *, actor: User | None, teams: Iterable[Team]) -> None:
    """Make ``teams`` exactly the teams the staff member belongs to (each change audited)."""
    _require(actor, roles.MANAGES_PEOPLE, _("Your role may not change team members."))
    if user.role == Role.ADMIN and actor is not None and actor.pk != user.pk:
        _require(actor, roles.ADMINISTERS, _("Your role may not change an admin's teams."))
    wanted = {t.pk: t for t in teams}
    if wanted and not user.is_agent:
        raise InvalidInput(_("Only staff members can join a team."), field="teams")
    current = {
        m.team_id: m.team for m in TeamMembership.objects.filter(user=user).select_related("team")
    }
    for team_id in sorted(set(current) - set(wanted)):
        do_remove_team_member(current[team_id], actor=actor, user=user)
    for team_id in sorted(set(wanted) - set(current)):
        do_add_team_member(wanted[team_id], actor=actor, user=user)


@transaction.atomic
def do_create_staff_member(
    *,
    actor: User | None,
    name: str,
    email: str,
    role: str,
    teams: Iterable[Team] = (),
    language: str = "",
) -> User:
    """A new agent (or other staff role) with their teams, in one transaction."""
    if role == Role.CUSTOMER:
        raise InvalidInput(_("Customers are created on the customer pages."), field="role")
    if language not in ("", "en", "ko"):
        raise InvalidInput(_("Language must be 'en' or 'ko'."), field="language")
    user = do_create_user(actor=actor, name=name, email=email, role=role, language=language)
    teams = list(teams)
    if teams:
        do_set_user_teams(user, actor=actor, teams=teams)
    return user
