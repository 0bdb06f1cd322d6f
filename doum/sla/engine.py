"""SLA timers computed from a ticket's events: a pure function of (history, policy, calendar,
now), so the stored state can always be recomputed and a proposed policy can be replayed over
past tickets (what-if).

The pure part is `doum.sla.timers` (`replay`, `compute_timers`); the stored state is
`doum.sla.state`; this module holds the what-if replay the SLA pages call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from doum.sla.timers import (
    BREACHED,
    FULFILLED,
    METRICS,
    PolicyTargets,
    Replay,
    TimerState,
    compute_timers,
    conditions_match,
    replay,
)


@dataclass(frozen=True)
class ProposedPolicy:
    """A policy as typed into the editor, not saved: targets[(priority, metric)] =
    (minutes, business_hours); calendar_id None = each ticket team's calendar."""

    targets: dict[tuple[str, str], tuple[int, bool]]
    conditions: dict[str, object] = field(default_factory=dict)
    warn_percent: int = 75
    calendar_id: int | None = None


@dataclass(frozen=True)
class MetricAttainment:
    metric: str
    fulfilled: int  # met within the target
    breached: int
    percent: float | None  # fulfilled / (fulfilled + breached) * 100; None when no timers


@dataclass(frozen=True)
class WhatIfResult:
    tickets: int  # tickets created in the period that the proposed conditions match
    proposed: list[MetricAttainment]
    current: list[MetricAttainment]  # the same tickets under the policies in force now
    overall_proposed: float | None
    overall_current: float | None
    truncated: bool  # more tickets matched than `limit`


_CHUNK = 500


def _attainment(counts: dict[str, list[int]]) -> tuple[list[MetricAttainment], float | None]:
    rows = []
    met = missed = 0
    for metric in METRICS:
        fulfilled, breached = counts[metric]
        met += fulfilled
        missed += breached
        total = fulfilled + breached
        rows.append(
            MetricAttainment(
                metric=metric,
                fulfilled=fulfilled,
                breached=breached,
                percent=round(fulfilled * 100 / total, 2) if total else None,
            )
        )
    overall = round(met * 100 / (met + missed), 2) if met + missed else None
    return rows, overall


def _tally(counts: dict[str, list[int]], timers: Sequence[TimerState]) -> None:
    for timer in timers:
        if timer.status == BREACHED:
            counts[timer.metric][1] += 1
        elif timer.status == FULFILLED:
            counts[timer.metric][0] += 1


def _replays(ticket_ids: Sequence[int]) -> Iterator[tuple[int, Replay]]:
    from doum.sla.state import history_event, history_rows

    for i in range(0, len(ticket_ids), _CHUNK):
        rows = history_rows(ticket_ids[i : i + _CHUNK])
        for ticket_id, group in groupby(rows.iterator(chunk_size=5000), key=lambda r: r[0]):
            events = [history_event(r) for r in group]
            if events:
                yield ticket_id, replay(events)


def what_if(
    *, start: datetime, end: datetime, proposed: ProposedPolicy, limit: int = 20_000
) -> WhatIfResult:
    """Replay tickets created in [start, end) against `proposed` (and the current policies).

    Tickets (not spam, not deleted) are taken in creation order, at most `limit`; those the
    proposed conditions match as they are now are replayed from their events, once under the
    proposed targets and calendar and once under the policy that applies to them today
    (pinned, else the first match). Attainment counts timers that ended or are still waiting:
    met (fulfilled) against breached; running, paused and stopped timers are left out.
    """
    from doum.core import clock
    from doum.sla import selectors
    from doum.sla.calendar import BusinessCalendar
    from doum.sla.models import Calendar, SlaPolicy, TicketSla
    from doum.tickets.models import Ticket, TicketTag

    now = clock.now()
    tickets = list(
        Ticket.objects.filter(
            created_at__gte=start, created_at__lt=end, is_spam=False, deleted_at__isnull=True
        ).order_by("created_at", "pk")[: limit + 1]
    )
    truncated = len(tickets) > limit
    tickets = tickets[:limit]
    by_id = {t.pk: t for t in tickets}
    ids = [t.pk for t in tickets]
    tags: dict[int, set[str]] = {}
    pinned: dict[int, int | None] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for ticket_id, name in TicketTag.objects.filter(ticket_id__in=chunk).values_list(
            "ticket_id", "tag__name"
        ):
            tags.setdefault(ticket_id, set()).add(name)
        pinned.update(
            TicketSla.objects.filter(ticket_id__in=chunk, pinned_policy__isnull=False).values_list(
                "ticket_id", "pinned_policy_id"
            )
        )
    policies = selectors.active_policies()
    team_calendars: dict[int | None, BusinessCalendar] = {}
    proposed_calendar: BusinessCalendar | None = None
    if proposed.calendar_id is not None:
        row = Calendar.objects.filter(pk=proposed.calendar_id).first()
        proposed_calendar = selectors.business_calendar(row)
    current_targets: dict[tuple[int, int | None], PolicyTargets] = {}

    def current_for(policy: SlaPolicy, team_id: int | None) -> PolicyTargets:
        key = (policy.pk, team_id)
        if key not in current_targets:
            current_targets[key] = selectors.policy_targets(policy, team_id, team_calendars)
        return current_targets[key]

    def proposed_for(team_id: int | None) -> PolicyTargets:
        if proposed_calendar is not None:
            calendar = proposed_calendar
        else:
            if team_id not in team_calendars:
                team_calendars[team_id] = selectors.team_calendar(team_id)
            calendar = team_calendars[team_id]
        return PolicyTargets(
            targets=dict(proposed.targets), warn_percent=proposed.warn_percent, calendar=calendar
        )

    matched = [
        t.pk
        for t in tickets
        if conditions_match(
            dict(proposed.conditions), selectors.ticket_facts(t, tags.get(t.pk, ()))
        )
    ]
    counts_proposed: dict[str, list[int]] = {m: [0, 0] for m in METRICS}
    counts_current: dict[str, list[int]] = {m: [0, 0] for m in METRICS}
    for ticket_id, played in _replays(matched):
        ticket = by_id[ticket_id]
        _tally(counts_proposed, compute_timers(played, proposed_for(ticket.team_id), now))
        policy = selectors.choose_policy(
            policies, selectors.ticket_facts(ticket, tags.get(ticket_id, ())), pinned.get(ticket_id)
        )
        if policy is not None:
            _tally(counts_current, compute_timers(played, current_for(policy, ticket.team_id), now))
    proposed_rows, overall_proposed = _attainment(counts_proposed)
    current_rows, overall_current = _attainment(counts_current)
    return WhatIfResult(
        tickets=len(matched),
        proposed=proposed_rows,
        current=current_rows,
        overall_proposed=overall_proposed,
        overall_current=overall_current,
        truncated=truncated,
    )


__all__ = [
    "MetricAttainment",
    "ProposedPolicy",
    "WhatIfResult",
    "compute_timers",
    "replay",
    "what_if",
]
