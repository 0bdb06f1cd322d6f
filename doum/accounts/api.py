"""REST endpoints for people and structure: users, identities, organizations, teams, brands,
API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from doum.accounts import actions, roles, selectors
from doum.accounts.models import ApiToken, AuditLog, Brand, Identity, Organization, Team, User
from doum.api.auth import current_user
from doum.api.schemas import Input, Out
from doum.core.errors import InvalidInput, NotFound

router = Router(tags=["people"])


# --- shapes -----------------------------------------------------------------------------------


class IdentityOut(Out):
    id: int
    kind: str
    value: str
    primary: bool
    verified: bool


class UserOut(Out):
    id: int
    name: str
    email: str | None
    role: str
    organization_id: int | None
    language: str
    time_zone: str
    is_active: bool
    created_at: datetime


class UserDetailOut(UserOut):
    notes: str
    custom_fields: dict[str, Any]
    identities: list[IdentityOut]
    team_ids: list[int]


class UserPage(Out):
    items: list[UserOut]
    next_cursor: str | None


class UserCreateIn(Input):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    organization_id: int | None = None
    language: str = Field(default="", max_length=10)
    time_zone: str = Field(default="", max_length=64)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    staff_role: str | None = Field(
        default=None, description="Create a staff member with this role (managers and admins)."
    )


class UserUpdateIn(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    organization_id: int | None = None
    language: str | None = Field(default=None, max_length=10)
    time_zone: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=100_000)
    custom_fields: dict[str, Any] | None = None


class RoleIn(Input):
    role: str


class IdentityIn(Input):
    kind: str
    value: str = Field(min_length=1, max_length=254)


class OrganizationOut(Out):
    id: int
    name: str
    notes: str
    domains: list[str]
    shared_tickets: bool
    custom_fields: dict[str, Any]
    created_at: datetime


class OrganizationIn(Input):
    name: str = Field(min_length=1, max_length=200)
    domains: list[str] = Field(default_factory=list, max_length=100)
    notes: str = Field(default="", max_length=100_000)
    shared_tickets: bool = False
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class OrganizationUpdateIn(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    domains: list[str] | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=100_000)
    shared_tickets: bool | None = None
    custom_fields: dict[str, Any] | None = None


class TeamOut(Out):
    id: int
    name: str
    description: str
    lead_id: int | None
    member_ids: list[int]


class TeamIn(Input):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=10_000)
    lead_id: int | None = None


class TeamLeadIn(Input):
    lead_id: int | None


class MemberIn(Input):
    user_id: int


class BrandOut(Out):
    id: int
    name: str
    slug: str
    support_addresses: list[str]
    portal_title: str
    logo_url: str
    primary_color: str
    accent_color: str
    is_default: bool


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(description="Shown once; only a hash is stored.")


class TokenIn(Input):
    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None


class AuditOut(Out):
    id: int
    actor_id: int | None
    action: str
    target_type: str
    target_id: str
    data: dict[str, Any]
    at: datetime


def _user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk, "name": user.name, "email": user.email, "role": user.role,
        "organization_id": user.organization_id, "language": user.language,
        "time_zone": user.time_zone, "is_active": user.is_active, "created_at": user.created_at,
    }  # fmt: skip


def _user_detail(viewer: User, user: User) -> dict[str, Any]:
    data = _user_out(user)
    data["notes"] = user.notes if viewer.is_agent else ""
    data["custom_fields"] = user.custom_fields if viewer.is_agent else {}
    data["identities"] = [
        {
            "id": i.pk,
            "kind": i.kind,
            "value": i.value,
            "primary": i.is_primary,
            "verified": i.verified,
        }
        for i in user.identities.order_by("id")
    ]
    data["team_ids"] = sorted(user.teams.values_list("id", flat=True)) if viewer.is_agent else []
    return data


def _organization(viewer: User, organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    try:
        return selectors.access_organization(viewer, organization_id)
    except NotFound as exc:
        raise InvalidInput(_("No such organization."), field="organization_id") from exc


# --- users ------------------------------------------------------------------------------------


@router.get("/users/me", response=UserDetailOut, summary="The signed-in user")
def me(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    return _user_detail(user, user)


class UserListParams(Schema):
    role: str | None = None
    organization_id: int | None = None
    q: str | None = Field(default=None, max_length=200)
    active: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: int | None = Field(default=None, ge=0)


@router.get("/users", response=UserPage, summary="People (staff see everyone)")
def list_users(request: HttpRequest, params: Query[UserListParams]) -> dict[str, Any]:
    viewer = current_user(request)
    qs = selectors.visible_users(viewer).order_by("id")
    if params.role:
        qs = qs.filter(role=params.role)
    if params.organization_id is not None:
        qs = qs.filter(organization_id=params.organization_id)
    if params.active is not None:
        qs = qs.filter(is_active=params.active)
    if params.q:
        text = params.q.strip()
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(email__icontains=text)
            | Q(pk__in=Identity.objects.filter(value__icontains=text.lower()).values("user_id"))
        )
    if params.cursor:
        qs = qs.filter(pk__gt=params.cursor)
    rows = list(qs[: params.limit + 1])
    next_cursor = str(rows[params.limit - 1].pk) if len(rows) > params.limit else None
    return {"items": [_user_out(u) for u in rows[: params.limit]], "next_cursor": next_cursor}


@router.post("/users", response={201: UserDetailOut}, summary="Add a customer (or a staff member)")
def create_user(request: HttpRequest, data: UserCreateIn) -> tuple[int, dict[str, Any]]:
    viewer = current_user(request)
    if not viewer.is_agent:
        raise NotFound(_("Not found."))
    user = actions.do_create_user(
        actor=viewer,
        name=data.name,
        email=data.email,
        phone=data.phone,
        role=data.staff_role or roles.Role.CUSTOMER,
        organization=_organization(viewer, data.organization_id),
        language=data.language,
        time_zone=data.time_zone,
        custom_fields=data.custom_fields,
    )
    return 201, _user_detail(viewer, user)


@router.get("/users/{user_id}", response=UserDetailOut, summary="One person")
def get_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    viewer = current_user(request)
    return _user_detail(viewer, selectors.access_user(viewer, user_id))


@router.patch("/users/{user_id}", response=UserDetailOut, summary="Change a person's details")
def update_user(request: HttpRequest, user_id: int, data: UserUpdateIn) -> dict[str, Any]:
    viewer = current_user(request)
    user = selectors.access_user(viewer, user_id)
    changes = data.model_dump(exclude_unset=True)
    if "organization_id" in changes:
        changes["organization"] = _organization(viewer, changes.pop("organization_id"))
    if "name" in changes and changes["name"] is None:
        raise InvalidInput(_("'name' cannot be empty."), field="name")
    actions.do_update_user(user, actor=viewer, changes=changes)
    return _user_detail(viewer, user)


@router.put("/users/{user_id}/role", response=UserDetailOut, summary="Change a role (admins)")
def change_role(request: HttpRequest, user_id: int, data: RoleIn) -> dict[str, Any]:
    viewer = current_user(request)
    user = selectors.access_user(viewer, user_id)
    actions.do_change_role(user, actor=viewer, role=data.role)
    return _user_detail(viewer, user)


@router.post("/users/{user_id}/deactivate", response=UserDetailOut, summary="Deactivate a person")
def deactivate_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    viewer = current_user(request)
    user = selectors.access_user(viewer, user_id)
    actions.do_deactivate_user(user, actor=viewer)
    return _user_detail(viewer, user)


@router.post("/users/{user_id}/identities", response={201: IdentityOut}, summary="Add an identity")
def add_identity(
    request: HttpRequest, user_id: int, data: IdentityIn
) -> tuple[int, dict[str, Any]]:
    viewer = current_user(request)
    user = selectors.access_user(viewer, user_id)
    identity = actions.do_add_identity(user, actor=viewer, kind=data.kind, value=data.value)
    return 201, {
        "id": identity.pk, "kind": identity.kind, "value": identity.value,
        "primary": identity.is_primary, "verified": identity.verified,
    }  # fmt: skip


# --- organizations ----------------------------------------------------------------------------


def _org_out(org: Organization) -> dict[str, Any]:
    return {
        "id": org.pk, "name": org.name, "notes": org.notes,
        "domains": sorted(d.domain for d in org.domains.all()),
        "shared_tickets": org.shared_tickets, "custom_fields": org.custom_fields,
        "created_at": org.created_at,
    }  # fmt: skip


@router.get(
    "/organizations",
    response=list[OrganizationOut],
    summary="Customer companies",
    tags=["organizations"],
)
def list_organizations(
    request: HttpRequest,
    q: str | None = Query(None, max_length=200),
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    viewer = current_user(request)
    qs = selectors.visible_organizations(viewer).prefetch_related("domains").order_by("name", "id")
    if q:
        qs = qs.filter(
            Q(name__icontains=q.strip()) | Q(domains__domain__icontains=q.strip().lower())
        ).distinct()
    return [_org_out(o) for o in qs[offset : offset + limit]]


@router.post(
    "/organizations",
    response={201: OrganizationOut},
    summary="Add an organization",
    tags=["organizations"],
)
def create_organization(request: HttpRequest, data: OrganizationIn) -> tuple[int, dict[str, Any]]:
    viewer = current_user(request)
    if not viewer.is_agent:
        raise NotFound(_("Not found."))
    org = actions.do_create_organization(actor=viewer, **data.model_dump())
    return 201, _org_out(org)


@router.get("/organizations/{organization_id}", response=OrganizationOut, tags=["organizations"])
def get_organization(request: HttpRequest, organization_id: int) -> dict[str, Any]:
    viewer = current_user(request)
    return _org_out(selectors.access_organization(viewer, organization_id))


@router.patch("/organizations/{organization_id}", response=OrganizationOut, tags=["organizations"])
def update_organization(
    request: HttpRequest, organization_id: int, data: OrganizationUpdateIn
) -> dict[str, Any]:
    viewer = current_user(request)
    org = selectors.access_organization(viewer, organization_id)
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "shared_tickets", "domains", "notes", "custom_fields"):
        if key in changes and changes[key] is None:
            raise InvalidInput(_("'%(field)s' cannot be empty.") % {"field": key}, field=key)
    actions.do_update_organization(org, actor=viewer, changes=changes)
    return _org_out(org)


# --- teams ------------------------------------------------------------------------------------


def _team_out(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk, "name": team.name, "description": team.description,
        "lead_id": team.lead_id, "member_ids": sorted(m.pk for m in team.members.all()),
    }  # fmt: skip


def _teams() -> Any:
    return Prefetch("members", queryset=User.objects.only("id"))


@router.get("/teams", response=list[TeamOut], summary="Teams (staff)", tags=["teams"])
def list_teams(request: HttpRequest) -> list[dict[str, Any]]:
    viewer = current_user(request)
    return [
        _team_out(t)
        for t in selectors.visible_teams(viewer).prefetch_related(_teams()).order_by("name")
    ]


@router.post("/teams", response={201: TeamOut}, summary="Create a team", tags=["teams"])
def create_team(request: HttpRequest, data: TeamIn) -> tuple[int, dict[str, Any]]:
    viewer = current_user(request)
    if not viewer.is_agent:
        raise NotFound(_("Not found."))
    lead = _staff(viewer, data.lead_id, "lead_id")
    team = actions.do_create_team(
        actor=viewer, name=data.name, description=data.description, lead=lead
    )
    return 201, _team_out(team)


def _staff(viewer: User, user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = selectors.visible_users(viewer).filter(pk=user_id).first()
    if user is None:
        raise InvalidInput(_("No such user."), field=field)
    return user


@router.get("/teams/{team_id}", response=TeamOut, tags=["teams"])
def get_team(request: HttpRequest, team_id: int) -> dict[str, Any]:
    viewer = current_user(request)
    return _team_out(selectors.access_team(viewer, team_id))


@router.put("/teams/{team_id}/lead", response=TeamOut, summary="Set the team lead", tags=["teams"])
def set_team_lead(request: HttpRequest, team_id: int, data: TeamLeadIn) -> dict[str, Any]:
    viewer = current_user(request)
    team = selectors.access_team(viewer, team_id)
    actions.do_set_team_lead(team, actor=viewer, lead=_staff(viewer, data.lead_id, "lead_id"))
    return _team_out(selectors.access_team(viewer, team_id))


@router.post(
    "/teams/{team_id}/members", response={201: TeamOut}, summary="Add a member", tags=["teams"]
)
def add_member(request: HttpRequest, team_id: int, data: MemberIn) -> tuple[int, dict[str, Any]]:
    viewer = current_user(request)
    team = selectors.access_team(viewer, team_id)
    user = _staff(viewer, data.user_id, "user_id")
    assert user is not None
    actions.do_add_team_member(team, actor=viewer, user=user)
    return 201, _team_out(selectors.access_team(viewer, team_id))


@router.delete(
    "/teams/{team_id}/members/{user_id}",
    response=TeamOut,
    summary="Remove a member",
    tags=["teams"],
)
def remove_member(request: HttpRequest, team_id: int, user_id: int) -> dict[str, Any]:
    viewer = current_user(request)
    team = selectors.access_team(viewer, team_id)
    user = _staff(viewer, user_id, "user_id")
    assert user is not None
    actions.do_remove_team_member(team, actor=viewer, user=user)
    return _team_out(selectors.access_team(viewer, team_id))


# --- brands -----------------------------------------------------------------------------------


@router.get("/brands", response=list[BrandOut], summary="Brands", tags=["brands"])
def list_brands(request: HttpRequest) -> list[Brand]:
    current_user(request)
    return list(Brand.objects.order_by("name"))


# --- API tokens -------------------------------------------------------------------------------


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk, "name": token.name, "prefix": token.prefix,
        "created_at": token.created_at, "last_used_at": token.last_used_at,
        "expires_at": token.expires_at, "revoked": token.revoked_at is not None,
    }  # fmt: skip


@router.get("/tokens", response=list[TokenOut], summary="My API tokens", tags=["tokens"])
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    viewer = current_user(request)
    return [_token_out(t) for t in ApiToken.objects.filter(user=viewer).order_by("-id")]


@router.post(
    "/tokens", response={201: TokenCreatedOut}, summary="Create an API token", tags=["tokens"]
)
def create_token(request: HttpRequest, data: TokenIn) -> tuple[int, dict[str, Any]]:
    viewer = current_user(request)
    if data.expires_at is not None and data.expires_at.tzinfo is None:
        raise InvalidInput(_("expires_at needs a time zone."), field="expires_at")
    issued = actions.do_create_api_token(
        viewer, actor=viewer, name=data.name, expires_at=data.expires_at
    )
    out = _token_out(issued.token)
    out["token"] = issued.secret
    return 201, out


@router.delete(
    "/tokens/{token_id}", response={204: None}, summary="Revoke an API token", tags=["tokens"]
)
def revoke_token(request: HttpRequest, token_id: int) -> tuple[int, None]:
    viewer = current_user(request)
    qs = (
        ApiToken.objects.all()
        if viewer.role in roles.ADMINISTERS
        else ApiToken.objects.filter(user=viewer)
    )
    token = qs.filter(pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    actions.do_revoke_api_token(token, actor=viewer)
    return 204, None


# --- audit log --------------------------------------------------------------------------------


@router.get("/audit-log", response=list[AuditOut], summary="Administrative changes", tags=["audit"])
def audit_log(
    request: HttpRequest,
    before_id: int | None = Query(None, ge=1),
    limit: int = Query(100, ge=1, le=500),
) -> list[AuditLog]:
    viewer = current_user(request)
    if viewer.role not in roles.MANAGES_PEOPLE:
        raise NotFound(_("Not found."))
    qs = AuditLog.objects.order_by("-id")
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    return list(qs[:limit])
