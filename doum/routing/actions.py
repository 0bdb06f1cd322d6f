"""Routing writers: team routing settings, skills, agents' skills and capacity, and the skills
a ticket needs. Settings writers are for managers and admins and write an audit row each;
`do_set_required_skills` changes a ticket, so it writes a TicketEvent through the ticket
change recorder (one version, the event carries the rule that set it)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, require_role
from doum.accounts.models import Team, User
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.core.text import is_blank, single_line
from doum.routing.models import (
    ANY_CHANNEL,
    SKILL_LEVELS,
    AgentCapacity,
    AgentSkill,
    RoutingMode,
    Skill,
    TeamRouting,
    TicketSkillRequirement,
)
from doum.tickets.changes import Change, event_text, lock_ticket
from doum.tickets.models import Channel, EventKind, Ticket
from doum.tickets.permissions import check_can_edit

SKILL_NAME_MAX = 50
MAX_REASSIGN_MINUTES = 7 * 24 * 60
MAX_CAPACITY = 10_000
MAX_REQUIRED_SKILLS = 20
# Characters a skill name cannot hold: ":" separates the level in "name:level", "," separates
# skills in lists, and the others would be confusing in trigger JSON and mail templates.
_FORBIDDEN_IN_SKILL = re.compile(r"[:,<>\"'`{}]")
_SPACES = re.compile(r"\s+")


def _require_manager(actor: User | None) -> None:
    require_role(actor, roles.MANAGES_PEOPLE, _("Your role may not change routing."))


# --- skills ---------------------------------------------------------------------------------


def normalize_skill_name(value: object, field: str = "name") -> str:
    """A skill name as stored: one line, lower case, single spaces (raises when unusable)."""
    if not isinstance(value, str):
        raise InvalidInput(_("A skill name is text."), field=field)
    name = _SPACES.sub(" ", single_line(value)).lower()
    if is_blank(name):
        raise InvalidInput(_("Give the skill a name."), field=field)
    if len(name) > SKILL_NAME_MAX:
        raise InvalidInput(
            _("A skill name has at most %(max)s characters.") % {"max": SKILL_NAME_MAX},
            field=field,
        )
    bad = _FORBIDDEN_IN_SKILL.search(name)
    if bad:
        raise InvalidInput(
            _("A skill name cannot contain '%(char)s'.") % {"char": bad.group()}, field=field
        )
    return name


@transaction.atomic
def do_create_skill(*, actor: User | None, name: str) -> Skill:
    _require_manager(actor)
    name = normalize_skill_name(name)
    if Skill.objects.filter(name=name).exists():
        raise InvalidInput(_("A skill called '%(name)s' exists.") % {"name": name}, field="name")
    try:
        with transaction.atomic():
            skill = Skill.objects.create(name=name, created_at=clock.now())
    except IntegrityError as error:  # created by someone else a moment ago
        raise InvalidInput(
            _("A skill called '%(name)s' exists.") % {"name": name}, field="name"
        ) from error
    audit(actor, "skill.created", skill, name=name)
    return skill


@transaction.atomic
def do_rename_skill(skill: Skill, *, actor: User | None, name: str) -> Skill:
    """Rename a skill. Triggers that name the old name in "require skills" stop matching it."""
    _require_manager(actor)
    name = normalize_skill_name(name)
    if name == skill.name:
        return skill
    if Skill.objects.filter(name=name).exclude(pk=skill.pk).exists():
        raise InvalidInput(_("A skill called '%(name)s' exists.") % {"name": name}, field="name")
    old = skill.name
    skill.name = name
    skill.save(update_fields=["name"])
    audit(actor, "skill.renamed", skill, old=old, new=name)
    return skill


@transaction.atomic
def do_delete_skill(skill: Skill, *, actor: User | None) -> None:
    """Delete a skill: agents lose it and tickets stop requiring it."""
    _require_manager(actor)
    audit(actor, "skill.deleted", skill, name=skill.name)
    skill.delete()


# --- agents ---------------------------------------------------------------------------------


def _check_routable(user: User, field: str = "user") -> None:
    if not user.is_active or user.role not in roles.EDITS_TICKETS:
        raise InvalidInput(
            _("%(name)s is not an active agent who can be given tickets.") % {"name": user},
            field=field,
        )


def _clean_level(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SKILL_LEVELS:
        raise InvalidInput(_("A skill level is a whole number from 1 to 5."), field=field)
    return value


@transaction.atomic
def do_set_agent_skills(
    user: User, *, actor: User | None, levels: Mapping[int, int | None]
) -> dict[str, int]:
    """Set an agent's skills: skill id -> level 1-5 (None removes the skill).

    Skills not named keep their level. Returns the agent's skills afterwards (name -> level).
    """
    _require_manager(actor)
    _check_routable(user)
    skills = {s.pk: s for s in Skill.objects.filter(pk__in=list(levels))}
    for skill_id in levels:
        if skill_id not in skills:
            raise InvalidInput(
                _("There is no skill with id %(id)s.") % {"id": skill_id}, field="skills"
            )
    current = {a.skill_id: a for a in AgentSkill.objects.filter(user=user)}
    changed: dict[str, int | None] = {}
    for skill_id, level in levels.items():
        name = skills[skill_id].name
        row = current.get(skill_id)
        if level is None:
            if row is not None:
                row.delete()
                changed[name] = None
            continue
        level = _clean_level(level, f"skill_{skill_id}")
        if row is None:
            AgentSkill.objects.create(user=user, skill_id=skill_id, level=level)
            changed[name] = level
        elif row.level != level:
            row.level = level
            row.save(update_fields=["level"])
            changed[name] = level
    if changed:
        audit(actor, "routing.agent_skills_changed", user, skills=changed)
    return dict(
        AgentSkill.objects.filter(user=user)
        .order_by("skill__name")
        .values_list("skill__name", "level")
    )


CAPACITY_CHANNELS = (ANY_CHANNEL, *Channel.values)


@transaction.atomic
def do_set_agent_capacity(
    user: User, *, actor: User | None, capacities: Mapping[str, int | None]
) -> dict[str, int]:
    """Set an agent's capacity: channel (or "any") -> max unsolved tickets (None removes the
    limit; without an "any" limit the default capacity applies). Channels not named keep
    their limit. Returns the agent's limits afterwards."""
    _require_manager(actor)
    _check_routable(user)
    for channel, limit in capacities.items():
        if channel not in CAPACITY_CHANNELS:
            raise InvalidInput(
                _("'%(channel)s' is not a channel (one of: %(allowed)s).")
                % {"channel": channel, "allowed": ", ".join(CAPACITY_CHANNELS)},
                field="capacity",
            )
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_CAPACITY
        ):
            raise InvalidInput(
                _("A capacity is a whole number from 0 to %(max)s.") % {"max": MAX_CAPACITY},
                field=f"capacity_{channel}",
            )
    current = {c.channel: c for c in AgentCapacity.objects.filter(user=user)}
    changed: dict[str, int | None] = {}
    for channel, limit in capacities.items():
        row = current.get(channel)
        if limit is None:
            if row is not None:
                row.delete()
                changed[channel] = None
        elif row is None:
            AgentCapacity.objects.create(user=user, channel=channel, max_open_tickets=limit)
            changed[channel] = limit
        elif row.max_open_tickets != limit:
            row.max_open_tickets = limit
            row.save(update_fields=["max_open_tickets"])
            changed[channel] = limit
    if changed:
        audit(actor, "routing.agent_capacity_changed", user, capacity=changed)
    return dict(AgentCapacity.objects.filter(user=user).values_list("channel", "max_open_tickets"))


# --- teams ----------------------------------------------------------------------------------


@transaction.atomic
def do_set_team_routing(
    team: Team, *, actor: User | None, mode: str, reassign_offline_after_minutes: int | None
) -> TeamRouting:
    """How the team's tickets are assigned, and when an absent agent's tickets move on."""
    _require_manager(actor)
    if mode not in RoutingMode.values:
        raise InvalidInput(
            _("'%(mode)s' is not a routing mode (one of: %(allowed)s).")
            % {"mode": mode, "allowed": ", ".join(RoutingMode.values)},
            field="mode",
        )
    minutes = reassign_offline_after_minutes
    if minutes is not None and (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_REASSIGN_MINUTES
    ):
        raise InvalidInput(
            _("Reassign after a whole number of minutes from 1 to %(max)s, or leave it empty.")
            % {"max": MAX_REASSIGN_MINUTES},
            field="reassign_offline_after_minutes",
        )
    routing, _created = TeamRouting.objects.select_for_update().get_or_create(
        team=team, defaults={"mode": RoutingMode.MANUAL, "updated_at": clock.now()}
    )
    old = {"mode": routing.mode, "reassign": routing.reassign_offline_after_minutes}
    new = {"mode": mode, "reassign": minutes}
    if old == new:
        return routing
    routing.mode = mode
    routing.reassign_offline_after_minutes = minutes
    routing.updated_at = clock.now()
    routing.save(update_fields=["mode", "reassign_offline_after_minutes", "updated_at"])
    audit(actor, "routing.team_changed", team, old=old, new=new)
    return routing


# --- tickets --------------------------------------------------------------------------------


def parse_required_skills(skills: object) -> dict[str, int]:
    """["billing", "korean:3"] -> {"billing": 1, "korean": 3}; a skill named twice keeps its
    highest level. Raises InvalidInput for malformed entries and unknown skills."""
    if not isinstance(skills, list | tuple):
        raise InvalidInput(_("Required skills are a list of skill names."), field="skills")
    if len(skills) > MAX_REQUIRED_SKILLS:
        raise InvalidInput(
            _("A ticket can require at most %(max)s skills.") % {"max": MAX_REQUIRED_SKILLS},
            field="skills",
        )
    wanted: dict[str, int] = {}
    for entry in skills:
        if not isinstance(entry, str):
            raise InvalidInput(
                _("A required skill is written as name or name:level."), field="skills"
            )
        raw_name, colon, raw_level = entry.rpartition(":") if ":" in entry else (entry, "", "")
        level = 1
        if colon:
            digits = raw_level.strip()
            if not digits.isascii() or not digits.isdigit() or int(digits) not in SKILL_LEVELS:
                raise InvalidInput(
                    _("'%(entry)s': the level after ':' is a whole number from 1 to 5.")
                    % {"entry": single_line(entry)[:80]},
                    field="skills",
                )
            level = int(digits)
        name = normalize_skill_name(raw_name, field="skills")
        wanted[name] = max(level, wanted.get(name, 0))
    known = dict(Skill.objects.filter(name__in=list(wanted)).values_list("name", "id"))
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise InvalidInput(
            _("There is no skill called '%(name)s'. Create it under Settings › Routing first.")
            % {"name": unknown[0]},
            field="skills",
        )
    return wanted


def _as_text(levels: Mapping[str, int]) -> list[str]:
    return [f"{name}:{level}" for name, level in sorted(levels.items())]


@transaction.atomic
def do_set_required_skills(
    ticket_id: int, skills: list[str], *, actor: User | None, via: str
) -> None:
    """The skills a ticket needs (set by triggers); skills-based routing reads them.

    `skills` are "name" (level 1 and up) or "name:level"; the list replaces the ticket's
    requirements (an empty list clears them). Unknown skill names are an error. A change is
    one ticket version with one `field_changed` event on "required_skills" (old and new as
    JSON lists of "name:level"), carrying the rule in effect (`doum.tickets.rules`).
    """
    wanted = parse_required_skills(skills)
    found = Ticket.objects.filter(pk=ticket_id).first()
    if found is None:
        raise InvalidInput(_("No such ticket."), field="ticket")
    ticket = lock_ticket(found, None)
    check_can_edit(actor, ticket)
    rows = TicketSkillRequirement.objects.filter(ticket_id=ticket.pk).select_related("skill")
    current = {r.skill.name: r.min_level for r in rows}
    if current == wanted:
        return
    ids = dict(Skill.objects.filter(name__in=list(wanted)).values_list("name", "id"))
    TicketSkillRequirement.objects.filter(ticket_id=ticket.pk).delete()
    TicketSkillRequirement.objects.bulk_create(
        [
            TicketSkillRequirement(ticket_id=ticket.pk, skill_id=ids[name], min_level=level)
            for name, level in wanted.items()
        ]
    )
    change = Change(ticket=ticket, actor=actor, via=via)
    change.event(
        EventKind.FIELD_CHANGED,
        field="required_skills",
        old_value=event_text(_as_text(current)),
        new_value=event_text(_as_text(wanted)),
    )
    change.save()
