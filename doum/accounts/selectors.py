"""Reads of people and structure, with the permission rules for who may see whom."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import Organization, Team, User
from doum.core.errors import NotFound


def team_ids_of(user: User) -> list[int]:
    """Teams the user belongs to or leads (cached on the instance for the request)."""
    cached: list[int] | None = getattr(user, "_doum_team_ids", None)
    if cached is None:
        cached = list(
            Team.objects.filter(Q(members=user) | Q(lead=user))
            .values_list("id", flat=True)
            .distinct()
        )
        user._doum_team_ids = cached  # type: ignore[attr-defined]
    return cached


def visible_users(viewer: User) -> QuerySet[User]:
    """Staff see everyone; a customer sees only themselves (and their organization's members
    when the organization shares tickets)."""
    qs = User.objects.select_related("organization")
    if viewer.is_agent:
        return qs
    if viewer.organization_id and viewer.organization and viewer.organization.shared_tickets:
        return qs.filter(Q(pk=viewer.pk) | Q(organization_id=viewer.organization_id))
    return qs.filter(pk=viewer.pk)


def access_user(viewer: User, user_id: int) -> User:
    user = visible_users(viewer).filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such user."))
    return user


def visible_organizations(viewer: User) -> QuerySet[Organization]:
    qs = Organization.objects.all()
    if viewer.is_agent:
        return qs
    return qs.filter(pk=viewer.organization_id) if viewer.organization_id else qs.none()


def access_organization(viewer: User, organization_id: int) -> Organization:
    org = visible_organizations(viewer).filter(pk=organization_id).first()
    if org is None:
        raise NotFound(_("No such organization."))
    return org


def visible_teams(viewer: User) -> QuerySet[Team]:
    if not viewer.is_agent:
        return Team.objects.none()
    return Team.objects.select_related("lead")


def access_team(viewer: User, team_id: int) -> Team:
    team = visible_teams(viewer).filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("No such team."))
    return team


def can_manage_people(user: User) -> bool:
    return user.role in roles.MANAGES_PEOPLE
