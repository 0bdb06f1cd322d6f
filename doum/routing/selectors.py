"""Routing reads: team settings, skills, agents' skills and capacity, open-ticket counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import Team, User
from doum.core.db import one_or_none
from doum.core.errors import Forbidden, NotFound
from doum.routing.models import (
    ANY_CHANNEL,
    AgentCapacity,
    AgentSkill,
    RoutingMode,
    Skill,
    TeamRouting,
    TicketSkillRequirement,
)
from doum.tickets.models import UNSOLVED_STATUSES, Ticket


def check_can_manage_routing(viewer: User) -> None:
    if viewer.role not in roles.MANAGES_PEOPLE:
        raise Forbidden(_("Your role may not change routing."))


def team_mode(team_id: int) -> str:
    """The team's routing mode (manual when it has no settings)."""
    row = one_or_none(TeamRouting.objects.filter(team_id=team_id).only("mode"))
    return row.mode if row is not None else RoutingMode.MANUAL


@dataclass(frozen=True)
class TeamRow:
    team: Team
    mode: str
    reassign_offline_after_minutes: int | None
    members: int
    online: int

    @property
    def mode_label(self) -> str:
        return str(RoutingMode(self.mode).label)


def team_rows() -> list[TeamRow]:
    """Every team with its routing settings and how many of its members are online now."""
    settings_by_team = {r.team_id: r for r in TeamRouting.objects.all()}
    teams = Team.objects.order_by("name").annotate(
        member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
        online_count=Count(
            "members",
            filter=Q(members__is_active=True, members__availability="online"),
            distinct=True,
        ),
    )
    rows = []
    for team in teams:
        routing = settings_by_team.get(team.pk)
        rows.append(
            TeamRow(
                team=team,
                mode=routing.mode if routing else RoutingMode.MANUAL,
                reassign_offline_after_minutes=(
                    routing.reassign_offline_after_minutes if routing else None
                ),
                members=team.member_count,
                online=team.online_count,
            )
        )
    return rows


def access_team(viewer: User, team_id: int) -> Team:
    check_can_manage_routing(viewer)
    team = one_or_none(Team.objects.filter(pk=team_id))
    if team is None:
        raise NotFound(_("No such team."), field="team")
    return team


def team_routing(team_id: int) -> TeamRouting | None:
    return one_or_none(TeamRouting.objects.filter(team_id=team_id))


def skill_list() -> list[Skill]:
    return list(Skill.objects.annotate(agent_count=Count("agents")).order_by("name"))


def access_skill(viewer: User, skill_id: int) -> Skill:
    check_can_manage_routing(viewer)
    skill = one_or_none(Skill.objects.filter(pk=skill_id))
    if skill is None:
        raise NotFound(_("No such skill."), field="skill")
    return skill


def routable_agents() -> list[User]:
    """Active staff who may be given tickets, by name."""
    return list(
        User.objects.filter(is_active=True, role__in=roles.EDITS_TICKETS).order_by("name", "id")
    )


def access_routing_agent(viewer: User, user_id: int) -> User:
    """An active staff member who may be given tickets (others are "not found" here)."""
    check_can_manage_routing(viewer)
    user = one_or_none(
        User.objects.filter(pk=user_id, is_active=True, role__in=roles.EDITS_TICKETS)
    )
    if user is None:
        raise NotFound(_("No such agent."), field="user")
    return user


def agent_skill_levels(user_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """user id -> {skill name: level}."""
    out: dict[int, dict[str, int]] = {}
    rows = AgentSkill.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "skill__name", "level"
    )
    for user_id, name, level in rows.order_by("skill__name"):
        out.setdefault(user_id, {})[name] = level
    return out


def agent_capacities(user_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """user id -> {channel or "any": max open tickets} (only the rows that exist)."""
    out: dict[int, dict[str, int]] = {}
    rows = AgentCapacity.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "channel", "max_open_tickets"
    )
    for user_id, channel, limit in rows:
        out.setdefault(user_id, {})[channel] = limit
    return out


def default_capacity() -> int:
    return int(settings.DOUM_ROUTING_DEFAULT_CAPACITY)


def required_skills(ticket_id: int) -> dict[str, int]:
    """The skills a ticket needs: {skill name: minimum level}."""
    rows = TicketSkillRequirement.objects.filter(ticket_id=ticket_id).values_list(
        "skill__name", "min_level"
    )
    return dict(rows.order_by("skill__name"))


def open_tickets(user_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """user id -> {channel: unsolved tickets assigned to them, ANY_CHANNEL: all of them}.

    Unsolved = new, open, pending or on-hold; deleted and spam tickets do not count.
    """
    ids = list(user_ids)
    out: dict[int, dict[str, int]] = {uid: {ANY_CHANNEL: 0} for uid in ids}
    rows = (
        Ticket.objects.filter(
            assignee_id__in=ids,
            status__in=UNSOLVED_STATUSES,
            deleted_at__isnull=True,
            is_spam=False,
        )
        .values_list("assignee_id", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    for assignee_id, channel, n in rows:
        counts = out[assignee_id]
        counts[channel] = counts.get(channel, 0) + n
        counts[ANY_CHANNEL] += n
    return out
