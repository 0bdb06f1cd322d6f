"""Teams, their leads and members, and staff members created into teams."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.actions.users import do_create_user
from doum.accounts.models import Team, TeamMembership, User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import normalize


@transaction.atomic
def do_create_team(
    *, actor: User | None, name: str, description: str = "", lead: User | None = None
) -> Team:
    require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not create teams."))
    name = clean_name(name, max_length=100)
    if Team.objects.filter(name__iexact=name).exists():
        raise InvalidInput(_("A team with this name exists."), field="name")
    team = Team.objects.create(
        name=name, description=normalize(description), lead=None, created_at=clock.now()
    )
    audit(actor, "team.created", team, name=name)
    if lead is not None:
        do_set_team_lead(team, actor=actor, lead=lead)
    return team


@transaction.atomic
def do_set_team_lead(team: Team, *, actor: User | None, lead: User | None) -> Team:
    require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not change team leads."))
    if lead is not None:
        if not lead.is_agent:
            raise InvalidInput(_("A team lead must be a staff member."), field="lead")
        do_add_team_member(team, actor=actor, user=lead)
    old = team.lead_id
    team.lead = lead
    team.save(update_fields=["lead"])
    audit(actor, "team.lead_changed", team, old=old, new=lead.pk if lead else None)
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
        audit(actor, "team.member_added", team, user=user.pk)


@transaction.atomic
def do_remove_team_member(team: Team, *, actor: User | None, user: User) -> None:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE and team.lead_id != actor.pk:
        raise Forbidden(_("Only managers, admins and the team's lead may change its members."))
    deleted, _per_model = TeamMembership.objects.filter(team=team, user=user).delete()
    if deleted:
        audit(actor, "team.member_removed", team, user=user.pk)


TEAM_EDITABLE = {"name", "description"}


@transaction.atomic
def do_update_team(team: Team, *, actor: User | None, changes: dict[str, Any]) -> Team:
    """Rename a team or change its description."""
    require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not edit teams."))
    unknown = set(changes) - TEAM_EDITABLE
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(_("Field '%(field)s' cannot be changed.") % {"field": key}, field=key)
    fields = []
    for key, value in changes.items():
        if key == "name":
            value = clean_name(value, max_length=100)
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
        audit(actor, "team.updated", team, fields=sorted(fields))
    return team


@transaction.atomic
def do_set_user_teams(user: User, *, actor: User | None, teams: Iterable[Team]) -> None:
    """Make ``teams`` exactly the teams the staff member belongs to (each change audited)."""
    require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not change team members."))
    if user.role == Role.ADMIN and actor is not None and actor.pk != user.pk:
        require_role(actor, roles.ADMINISTERS, _("Your role may not change an admin's teams."))
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
