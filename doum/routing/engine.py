"""Choosing an assignee: who is eligible, which mode picks whom, and the writes that assign.

A ticket is routed when it is unsolved, not deleted or spam, has a team and no assignee, and
its team's mode is not manual. Eligible agents are the team's active members whose role may
edit tickets, who are online, who are below capacity (unsolved tickets assigned to them, per
the ticket's channel and over all channels) and, in skills mode, who have every skill the
ticket requires at its minimum level or above; and only while the team's business calendar
is open. Nobody eligible: the ticket stays unassigned and the sweep tries again.

Modes:
* round-robin: the first eligible agent after the team's pointer (by user id, wrapping);
* least-loaded: fewest unsolved tickets, then the one routed to longest ago (never first);
* skills: among the qualified, least-loaded; then the higher total level of the required
  skills; then the one routed to longest ago.

Every assignment runs in one transaction holding a row lock on the team's `TeamRouting` row
(`SELECT … FOR UPDATE`; on SQLite every transaction takes the write lock at BEGIN), so
concurrent arrivals for one team are decided one after the other from the same counts and
pointer. Assignments go through `doum.tickets.actions.do_update_ticket` with `actor=None`,
`via=system` inside `applied_by(RuleRef("routing", team id, team name))`, so the events
carry the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from doum.accounts import roles
from doum.accounts.models import Availability, User
from doum.core import clock
from doum.core.db import one_or_none
from doum.routing import selectors
from doum.routing.models import ANY_CHANNEL, AgentRoutingState, RoutingMode, TeamRouting
from doum.sla.selectors import team_calendar
from doum.tickets import actions as ticket_actions
from doum.tickets.models import (
    UNSOLVED_STATUSES,
    Comment,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
    Via,
)
from doum.tickets.rules import RuleRef, applied_by

log = logging.getLogger(__name__)

AUTOMATIC_MODES = (RoutingMode.ROUND_ROBIN, RoutingMode.LEAST_LOADED, RoutingMode.SKILLS)
# Tickets "not yet worked on" that move when their assignee is absent.
REASSIGNABLE_STATUSES = (Status.NEW, Status.OPEN)
SWEEP_BATCH = 200


@dataclass(frozen=True)
class Candidate:
    user_id: int
    open_tickets: int
    last_routed_at: datetime | None
    skill_score: int


def routable_tickets() -> QuerySet[Ticket]:
    """Tickets routing should give an assignee (their team's mode is automatic)."""
    return Ticket.objects.filter(
        assignee__isnull=True,
        team__isnull=False,
        status__in=UNSOLVED_STATUSES,
        deleted_at__isnull=True,
        is_spam=False,
        team__routing__mode__in=AUTOMATIC_MODES,
    )


def calendar_open(team_id: int, at: datetime) -> bool:
    """Whether the team works now, by its business calendar (24/7 without one)."""
    return bool(team_calendar(team_id).is_open(at))


def online_members(team_id: int, exclude: Collection[int] = ()) -> list[int]:
    """Ids of the team's active, online members who may be given tickets."""
    return list(
        User.objects.filter(
            teams=team_id,
            is_active=True,
            role__in=roles.EDITS_TICKETS,
            availability=Availability.ONLINE,
        )
        .exclude(pk__in=list(exclude))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def eligible_agents(
    team_id: int, channel: str, required: dict[str, int], exclude: Collection[int] = ()
) -> list[Candidate]:
    """The team's members who may take a ticket of `channel` needing `required` skills now
    (the calendar is checked by the caller)."""
    ids = online_members(team_id, exclude)
    if not ids:
        return []
    counts = selectors.open_tickets(ids)
    limits = selectors.agent_capacities(ids)
    default = selectors.default_capacity()
    levels = selectors.agent_skill_levels(ids) if required else {}
    routed = dict(
        AgentRoutingState.objects.filter(user_id__in=ids).values_list("user_id", "last_routed_at")
    )
    out = []
    for uid in ids:
        count = counts[uid]
        limit = limits.get(uid, {})
        if count[ANY_CHANNEL] >= limit.get(ANY_CHANNEL, default):
            continue
        channel_limit = limit.get(channel)
        if channel_limit is not None and count.get(channel, 0) >= channel_limit:
            continue
        has = levels.get(uid, {})
        if any(has.get(name, 0) < level for name, level in required.items()):
            continue
        out.append(
            Candidate(
                user_id=uid,
                open_tickets=count[ANY_CHANNEL],
                last_routed_at=routed.get(uid),
                skill_score=sum(has.get(name, 0) for name in required),
            )
        )
    return out


def _routed_key(c: Candidate) -> tuple[int, datetime | int]:
    # Never routed sorts first, then the longest ago.
    return (0, 0) if c.last_routed_at is None else (1, c.last_routed_at)


def choose(mode: str, candidates: list[Candidate], pointer: int | None) -> int | None:
    """The agent a mode picks among eligible candidates (None when there are none)."""
    if not candidates:
        return None
    if mode == RoutingMode.ROUND_ROBIN:
        ordered = sorted(c.user_id for c in candidates)
        if pointer is None:
            return ordered[0]
        return next((uid for uid in ordered if uid > pointer), ordered[0])
    if mode == RoutingMode.SKILLS:
        best = min(
            candidates,
            key=lambda c: (c.open_tickets, -c.skill_score, _routed_key(c), c.user_id),
        )
    else:
        best = min(candidates, key=lambda c: (c.open_tickets, _routed_key(c), c.user_id))
    return best.user_id


def _lock_routing(team_id: int) -> TeamRouting | None:
    return one_or_none(
        TeamRouting.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(team_id=team_id)
    )


def _assign(ticket: Ticket, routing: TeamRouting, assignee_id: int | None, now: datetime) -> None:
    rule = RuleRef("routing", routing.team_id, routing.team.name)
    with applied_by(rule):
        ticket_actions.do_update_ticket(
            ticket, actor=None, via=Via.SYSTEM, changes={"assignee_id": assignee_id}
        )
    if assignee_id is None:
        return
    routing.last_assigned_user_id = assignee_id
    routing.save(update_fields=["last_assigned_user"])
    AgentRoutingState.objects.update_or_create(
        user_id=assignee_id, defaults={"last_routed_at": now}
    )


PICK_ATTEMPTS = 5  # agents tried when each turns out to have filled up meanwhile


def _pick(
    routing: TeamRouting, ticket: Ticket, now: datetime, exclude: Collection[int] = ()
) -> int | None:
    if not calendar_open(routing.team_id, now):
        return None
    required = selectors.required_skills(ticket.pk) if routing.mode == RoutingMode.SKILLS else {}
    skipped = set(exclude)
    for _attempt in range(PICK_ATTEMPTS):
        candidates = eligible_agents(routing.team_id, ticket.channel, required, skipped)
        chosen = choose(routing.mode, candidates, routing.last_assigned_user_id)
        if chosen is None:
            return None
        # The team lock does not stop another team's router from giving this agent a ticket
        # at the same moment: lock the agent too (always after the team, so no deadlock) and
        # check their load again now that nobody else can add to it.
        list(User.objects.select_for_update(of=("self",)).filter(pk=chosen).values_list("pk"))
        again = eligible_agents(routing.team_id, ticket.channel, required, skipped)
        if any(c.user_id == chosen for c in again):
            return chosen
        skipped.add(chosen)
    return None


def route_ticket(ticket_id: int) -> int | None:
    """Give an unassigned ticket an assignee by its team's mode; the assignee's id, or None
    when the ticket needs no routing or nobody is eligible now."""
    team_id = routable_tickets().filter(pk=ticket_id).values_list("team_id", flat=True).first()
    if team_id is None:
        return None
    with transaction.atomic():
        routing = _lock_routing(team_id)
        if routing is None or routing.mode not in AUTOMATIC_MODES:
            return None
        # Checked again under the lock: someone may have assigned or moved it meanwhile.
        ticket = one_or_none(
            routable_tickets().select_for_update(of=("self",)).filter(pk=ticket_id, team_id=team_id)
        )
        if ticket is None:
            return None
        now = clock.now()
        chosen = _pick(routing, ticket, now)
        if chosen is None:
            return None
        _assign(ticket, routing, chosen, now)
        return chosen


def stale_assignments(routing: TeamRouting, now: datetime) -> QuerySet[Ticket]:
    """The team's tickets whose assignee has been away, offline or deactivated for the team's
    reassign-after time, that have been with that assignee at least as long and that have no
    public reply from them yet (new or open tickets only)."""
    minutes = routing.reassign_offline_after_minutes
    if minutes is None:
        return Ticket.objects.none()
    cutoff = now - timedelta(minutes=minutes)
    absent = Q(assignee__is_active=False) | (
        ~Q(assignee__availability=Availability.ONLINE)
        & (
            Q(assignee__availability_changed_at__isnull=True)
            | Q(assignee__availability_changed_at__lte=cutoff)
        )
    )
    replied = Comment.objects.filter(
        ticket_id=OuterRef("pk"), author_id=OuterRef("assignee_id"), is_public=True
    )
    assigned_lately = TicketEvent.objects.filter(
        ticket_id=OuterRef("pk"), kind=EventKind.FIELD_CHANGED, field="assignee", at__gt=cutoff
    )
    return (
        Ticket.objects.filter(
            absent,
            team_id=routing.team_id,
            assignee__isnull=False,
            status__in=REASSIGNABLE_STATUSES,
            deleted_at__isnull=True,
            is_spam=False,
            created_at__lte=cutoff,
        )
        .exclude(Exists(replied))
        .exclude(Exists(assigned_lately))
    )


def reassign_ticket(ticket_id: int) -> tuple[bool, int | None]:
    """Take a ticket from an absent assignee (see `stale_assignments`) and route it again:
    (whether it moved, the new assignee or None when it went back to the team's queue)."""
    team_id = Ticket.objects.filter(pk=ticket_id).values_list("team_id", flat=True).first()
    if team_id is None:
        return False, None
    with transaction.atomic():
        routing = _lock_routing(team_id)
        if routing is None or routing.mode not in AUTOMATIC_MODES:
            return False, None
        now = clock.now()
        ticket = one_or_none(
            stale_assignments(routing, now).select_for_update(of=("self",)).filter(pk=ticket_id)
        )
        if ticket is None or not calendar_open(team_id, now):
            return False, None
        absent = ticket.assignee_id
        assert absent is not None
        chosen = _pick(routing, ticket, now, exclude={absent})
        _assign(ticket, routing, chosen, now)
        return True, chosen


@dataclass
class SweepResult:
    routed: int = 0
    reassigned: int = 0
    unassigned: int = 0
    waiting: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "routed": self.routed,
            "reassigned": self.reassigned,
            "unassigned": self.unassigned,
            "waiting": self.waiting,
        }


def sweep(batch: int = SWEEP_BATCH) -> SweepResult:
    """One pass over the teams that route automatically: move tickets from absent agents, then
    route tickets left waiting (nobody was online, the calendar was closed, capacity was full),
    oldest first, at most `batch` of each per team. Safe to run on several workers at once:
    each ticket is decided under its team's lock and checked again there."""
    result = SweepResult()
    teams = TeamRouting.objects.filter(mode__in=AUTOMATIC_MODES).order_by("team_id")
    for routing in teams:
        now = clock.now()
        try:
            if not calendar_open(routing.team_id, now):
                continue
        except Exception:
            log.exception("routing: no calendar for team %s", routing.team_id)
            continue
        if routing.reassign_offline_after_minutes is not None:
            stale = stale_assignments(routing, now).order_by("created_at", "pk")
            for ticket_id in list(stale.values_list("pk", flat=True)[:batch]):
                try:
                    moved, chosen = reassign_ticket(ticket_id)
                except Exception:  # one ticket's failure must not stop the team's sweep
                    log.exception("routing: could not reassign #%s", ticket_id)
                    continue
                if moved and chosen is not None:
                    result.reassigned += 1
                elif moved:
                    result.unassigned += 1
        if not online_members(routing.team_id):
            result.waiting += routable_tickets().filter(team_id=routing.team_id).count()
            continue
        waiting = (
            routable_tickets()
            .filter(team_id=routing.team_id)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
        for ticket_id in list(waiting[:batch]):
            try:
                chosen = route_ticket(ticket_id)
            except Exception:  # one ticket's failure must not stop the team's sweep
                log.exception("routing: could not route #%s", ticket_id)
                chosen = None
            if chosen is not None:
                result.routed += 1
            else:
                result.waiting += 1
    return result
