"""SLA reads: calendars, policies and a ticket's SLA state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from doum.core import clock
from doum.sla.calendar import (
    CALENDAR_24_7,
    BusinessCalendar,
    CalendarSpec,
    HolidaySource,
    PartialDay,
    Period,
    get_calendar,
)
from doum.sla.models import (
    Calendar,
    Metric,
    SlaPolicy,
    SlaTimer,
    TeamCalendar,
    TicketSla,
    TimerStatus,
)
from doum.sla.timers import METRICS, PolicyTargets, TicketFacts, conditions_match
from doum.tickets.models import Ticket, TicketTag


def calendar_spec(row: Calendar) -> CalendarSpec:
    """The arithmetic's description of a stored calendar (ValueError when the row is invalid;
    the actions validate before saving, so stored rows build)."""
    return spec_from_parts(
        row.time_zone, row.weekly, row.country_holidays, row.custom_holidays, row.partial_days
    )


def spec_from_parts(
    time_zone: str, weekly: Any, country_holidays: Any, custom_holidays: Any, partial_days: Any
) -> CalendarSpec:
    return CalendarSpec(
        time_zone=time_zone,
        weekly={
            int(day): tuple(Period.parse(p) for p in periods)
            for day, periods in dict(weekly or {}).items()
        },
        country_holidays=tuple(
            HolidaySource(
                country=h["country"],
                subdivision=h.get("subdivision") or None,
                categories=tuple(h.get("categories") or ()),
            )
            for h in country_holidays or ()
        ),
        custom_holidays=frozenset(date.fromisoformat(d) for d in custom_holidays or ()),
        partial_days=tuple(
            PartialDay(
                day=date.fromisoformat(p["day"]),
                periods=tuple(Period.parse(x) for x in p.get("periods") or ()),
            )
            for p in partial_days or ()
        ),
    )


def business_calendar(row: Calendar | None) -> BusinessCalendar:
    """The computing calendar of a stored one (24/7 for None)."""
    return CALENDAR_24_7 if row is None else get_calendar(calendar_spec(row))


def team_calendar(team_id: int | None) -> BusinessCalendar:
    """The business calendar a team works by (24/7 when it has none)."""
    if team_id is None:
        return CALENDAR_24_7
    link = TeamCalendar.objects.filter(team_id=team_id).select_related("calendar").first()
    return business_calendar(link.calendar if link else None)


# --- policies ---------------------------------------------------------------------------------


def active_policies() -> list[SlaPolicy]:
    """Active policies in the order they are tried, with their targets and calendar."""
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("targets")
        .order_by("position", "id")
    )


def _needs_tags(policies: Sequence[SlaPolicy]) -> bool:
    return any(
        isinstance(p.conditions, dict) and bool({"tags_any", "tags_all"} & set(p.conditions))
        for p in policies
    )


def ticket_facts(ticket: Ticket, tags: Iterable[str] = ()) -> TicketFacts:
    """The ticket's current fields as policy conditions read them."""
    return TicketFacts(
        priority=ticket.priority,
        type=ticket.type,
        channel=ticket.channel,
        team_id=ticket.team_id,
        organization_id=ticket.organization_id,
        brand_id=ticket.brand_id,
        tags=frozenset(tags),
        custom_fields=ticket.custom_fields or {},
    )


def ticket_tags(ticket_id: int) -> list[str]:
    return list(TicketTag.objects.filter(ticket_id=ticket_id).values_list("tag__name", flat=True))


def choose_policy(
    policies: Sequence[SlaPolicy], facts: TicketFacts, pinned_policy_id: int | None = None
) -> SlaPolicy | None:
    """The policy that applies: the pinned one while it is active, else the first active
    policy (by position) whose conditions match the ticket as it is now."""
    if pinned_policy_id is not None:
        for policy in policies:
            if policy.pk == pinned_policy_id:
                return policy
    for policy in policies:
        conditions = policy.conditions if isinstance(policy.conditions, dict) else {}
        if conditions_match(conditions, facts):
            return policy
    return None


def select_policy(
    ticket: Ticket, policies: Sequence[SlaPolicy], pinned_policy_id: int | None
) -> SlaPolicy | None:
    """`choose_policy` for a stored ticket (reads its tags only when a policy looks at tags)."""
    tags = ticket_tags(ticket.pk) if _needs_tags(policies) else ()
    return choose_policy(policies, ticket_facts(ticket, tags), pinned_policy_id)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The SLA policy that applies to a ticket now (None: no SLA)."""
    pinned = (
        TicketSla.objects.filter(ticket_id=ticket.pk)
        .values_list("pinned_policy_id", flat=True)
        .first()
    )
    return select_policy(ticket, active_policies(), pinned)


def policy_targets(
    policy: SlaPolicy,
    team_id: int | None,
    calendars: dict[int | None, BusinessCalendar] | None = None,
) -> PolicyTargets:
    """What the engine needs of a policy for one ticket: its targets, warning percentage and the
    calendar of its business-hours targets (the policy's, else the team's, else 24/7).
    `calendars` caches team calendars across tickets (what-if)."""
    rows = list(policy.targets.all())
    calendar: BusinessCalendar = CALENDAR_24_7
    if any(t.business_hours for t in rows):
        if policy.calendar is not None:
            calendar = business_calendar(policy.calendar)
        elif calendars is not None:
            if team_id not in calendars:
                calendars[team_id] = team_calendar(team_id)
            calendar = calendars[team_id]
        else:
            calendar = team_calendar(team_id)
    return PolicyTargets(
        targets={(t.priority, t.metric): (t.minutes, t.business_hours) for t in rows},
        warn_percent=policy.warn_percent,
        calendar=calendar,
        policy_id=policy.pk,
        name=policy.name,
    )


# --- a ticket's SLA state -----------------------------------------------------------------------


@dataclass(frozen=True)
class TimerView:
    """One target's clock on the ticket page."""

    id: int
    metric: str
    metric_label: str
    cycle: int
    status: str  # TimerStatus value
    status_label: str
    target_minutes: int
    business_hours: bool
    started_at: datetime
    deadline: datetime | None
    warn_at: datetime | None
    remaining_seconds: int | None  # while paused
    fulfilled_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    breach_seconds: int | None
    at_risk: bool  # counting and past its warning, not breached
    paused: bool
    ended: bool


@dataclass(frozen=True)
class SlaSummary:
    """A ticket's SLA for its page: the policy, the next deadline and every timer."""

    ticket_id: int
    policy_id: int | None
    policy_name: str
    pinned: bool
    next_deadline: datetime | None
    at_risk: bool
    breached: bool
    timers: list[TimerView]  # every cycle, in (metric, cycle) order

    @property
    def current(self) -> list[TimerView]:
        """The latest cycle of each metric (what the page shows first)."""
        latest: dict[str, TimerView] = {}
        for timer in self.timers:
            latest[timer.metric] = timer
        return list(latest.values())


_METRIC_ORDER = {m: i for i, m in enumerate(METRICS)}


def ticket_sla_summary(ticket_id: int, *, now: datetime | None = None) -> SlaSummary | None:
    """The ticket's stored SLA state (None when no policy ever applied to it). Two queries."""
    sla = TicketSla.objects.filter(ticket_id=ticket_id).select_related("policy").first()
    if sla is None:
        return None
    now = now or clock.now()
    rows = sorted(
        SlaTimer.objects.filter(ticket_id=ticket_id),
        key=lambda r: (_METRIC_ORDER.get(r.metric, 99), r.cycle),
    )
    timers = []
    for r in rows:
        ended = r.fulfilled_at is not None or r.stopped_at is not None
        paused = not ended and r.remaining_seconds is not None
        timers.append(
            TimerView(
                id=r.pk,
                metric=r.metric,
                metric_label=str(Metric(r.metric).label),
                cycle=r.cycle,
                status=r.status,
                status_label=str(TimerStatus(r.status).label),
                target_minutes=r.target_minutes,
                business_hours=r.business_hours,
                started_at=r.started_at,
                deadline=r.deadline,
                warn_at=r.warn_at,
                remaining_seconds=r.remaining_seconds,
                fulfilled_at=r.fulfilled_at,
                stopped_at=r.stopped_at,
                breached_at=r.breached_at,
                breach_seconds=r.breach_seconds,
                at_risk=(
                    r.status == TimerStatus.ACTIVE and r.warn_at is not None and r.warn_at <= now
                ),
                paused=paused,
                ended=ended,
            )
        )
    return SlaSummary(
        ticket_id=ticket_id,
        policy_id=sla.policy_id,
        policy_name=sla.policy.name if sla.policy is not None else "",
        pinned=sla.pinned_policy_id is not None and sla.pinned_policy_id == sla.policy_id,
        next_deadline=sla.next_deadline,
        at_risk=sla.at_risk,
        breached=sla.breached,
        timers=timers,
    )
