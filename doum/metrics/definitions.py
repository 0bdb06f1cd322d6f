"""The metric definitions: one ticket's metrics, computed from its events alone.

`compute(ticket, events, calendar)` is a pure function (no database): the incremental
refresh, the full rebuild, the benchmarks' "straight from the events" baseline and the
hand-worked tests all call it, so there is one definition of every metric. The written
definitions are in docs/metrics.md; change `DEFINITIONS_VERSION` when a definition changes
(stored rows with an older version are recomputed by `doum metrics rebuild`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from doum.accounts.roles import STAFF_ROLES, Role
from doum.sla.calendar import BusinessCalendar, from_epoch_us, to_epoch_us
from doum.sla.timers import AUTOMATED_RULES, AUTOMATED_VIAS

DEFINITIONS_VERSION = 1


@dataclass(frozen=True)
class TicketFacts:
    """What `compute` needs of the ticket row itself (its current dimensions)."""

    id: int
    created_at: datetime
    status: str
    channel: str
    priority: str
    type: str
    brand_id: int | None
    team_id: int | None
    assignee_id: int | None
    organization_id: int | None
    requester_id: int | None
    submitter_id: int | None
    is_spam: bool
    deleted: bool
    merged_into_id: int | None
    version: int


@dataclass(frozen=True)
class EventFacts:
    """One TicketEvent, as `compute` reads it (ordered by (at, id) when passed in)."""

    id: int
    kind: str
    field: str
    old_value: str | None
    new_value: str | None
    actor_id: int | None
    actor_role: str
    via: str
    at: datetime
    is_public: bool | None
    imported: bool
    data: dict[str, Any]
    # An automatic mail (out-of-office and the like, marked by the mail channel): a customer
    # comment that does not wait for a reply (the SLA engine reads the same mark).
    automatic: bool = False


@dataclass
class TicketMetricValues:
    """Every per-ticket metric; field names match `TicketMetrics` columns."""

    ticket_id: int
    ticket_version: int
    brand_id: int | None
    team_id: int | None
    assignee_id: int | None
    organization_id: int | None
    requester_id: int | None
    channel: str
    priority: str
    type: str
    status: str
    excluded: bool
    merged: bool
    agent_created: bool
    imported: bool
    created_at: datetime
    first_reply_at: datetime | None = None
    first_solved_at: datetime | None = None
    solved_at: datetime | None = None
    first_reply_s: int | None = None
    first_reply_bs: int | None = None
    first_resolution_s: int | None = None
    first_resolution_bs: int | None = None
    full_resolution_s: int | None = None
    full_resolution_bs: int | None = None
    requester_wait_s: int | None = None
    requester_wait_bs: int | None = None
    agent_wait_s: int | None = None
    agent_wait_bs: int | None = None
    on_hold_s: int | None = None
    on_hold_bs: int | None = None
    agent_work_s: int | None = None
    agent_work_bs: int | None = None
    status_seconds: dict[str, int] = field(default_factory=dict)
    agent_replies: int = 0
    reopens: int = 0
    assignee_changes: int = 0
    team_changes: int = 0
    one_touch: bool | None = None
    two_touch: bool | None = None
    # [[reply instant as epoch seconds, seconds, business seconds], ...]
    next_replies: list[list[int]] = field(default_factory=list)
    # [[start epoch seconds, end epoch seconds or None], ...]
    unsolved_spans: list[list[int | None]] = field(default_factory=list)
    sla_policy_id: int | None = None
    sla: dict[str, str] = field(default_factory=dict)
    sla_met: int = 0
    sla_breached: int = 0


def compute(
    ticket: TicketFacts,
    events: Sequence[EventFacts],
    calendar: BusinessCalendar,
) -> TicketMetricValues:
    """Every metric of one ticket, from its events alone.

    Deterministic: the result depends only on the arguments (never on the wall clock), so
    the incremental refresh and a rebuild from scratch always agree. Durations whose clock
    has not stopped yet (an unsolved ticket's resolution time) are None; an unsolved span
    still running has end None.
    """
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    created_event = next((e for e in ordered if e.kind == CREATED), None)
    initial = created_event.data if created_event is not None else {}
    values = TicketMetricValues(
        ticket_id=ticket.id,
        ticket_version=ticket.version,
        brand_id=ticket.brand_id,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        organization_id=ticket.organization_id,
        requester_id=ticket.requester_id,
        channel=ticket.channel,
        priority=ticket.priority,
        type=ticket.type,
        status=ticket.status,
        excluded=ticket.is_spam or ticket.deleted,
        merged=ticket.merged_into_id is not None,
        agent_created=_agent_created(ticket, created_event),
        imported=created_event.imported if created_event is not None else False,
        created_at=ticket.created_at,
    )
    walk = _Walk(to_epoch_us(ticket.created_at), str(initial.get("status") or NEW), calendar)
    walk.stations("assignee", _text(initial.get("assignee")))
    walk.stations("team", _text(initial.get("team")))
    sla_events: list[EventFacts] = []
    i, n = 0, len(ordered)
    while i < n:
        at = ordered[i].at
        group: list[EventFacts] = []
        while i < n and ordered[i].at == at:
            group.append(ordered[i])
            i += 1
        sla_events.extend(e for e in group if e.kind == SLA)
        walk.instant(to_epoch_us(at), [e for e in group if e.kind != SLA])
    walk.finish(values)
    _sla_outcomes(values, sla_events)
    return values


# --------------------------------------------------------------------------------------------
# The rules (docs/metrics.md says the same in words)

CREATED, SLA = "created", "sla"
NEW, OPEN, PENDING, ON_HOLD = "new", "open", "pending", "on_hold"
SOLVED, CLOSED = "solved", "closed"
UNSOLVED = (NEW, OPEN, PENDING, ON_HOLD)
_UNSOLVED = frozenset(UNSOLVED)
_ENDED = frozenset({SOLVED, CLOSED})
REQUESTER_WAIT_STATUSES = frozenset({NEW, OPEN, ON_HOLD})
AGENT_WAIT_STATUSES = frozenset({PENDING})
AGENT_WORK_STATUSES = frozenset({NEW, OPEN})
_STAFF = frozenset(str(r) for r in STAFF_ROLES)
_CUSTOMER = str(Role.CUSTOMER)
_US = 1_000_000


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def rule_kind(event: EventFacts) -> str | None:
    rule = event.data.get("rule") if isinstance(event.data, dict) else None
    kind = rule.get("kind") if isinstance(rule, dict) else None
    return str(kind) if kind is not None else None


def is_agent_reply(event: EventFacts) -> bool:
    """A public comment by staff that no trigger, automation or the system wrote (a macro an
    agent applied is the agent's reply), as the SLA engine decides it (doum.sla.timers)."""
    return (
        event.kind == "comment_added"
        and event.is_public is True
        and event.actor_role in _STAFF
        and event.via not in AUTOMATED_VIAS
        and rule_kind(event) not in AUTOMATED_RULES
    )


def is_customer_comment(event: EventFacts) -> bool:
    """A public comment by a customer that is not an automatic mail."""
    return (
        event.kind == "comment_added"
        and event.is_public is True
        and event.actor_role == _CUSTOMER
        and not event.automatic
    )


def _agent_created(ticket: TicketFacts, created: EventFacts | None) -> bool:
    """Opened by staff on someone else's behalf (a phone call logged, an outbound mail)."""
    if created is None or created.actor_role not in _STAFF:
        return False
    requester = _text(created.data.get("requester")) or _text(ticket.requester_id)
    submitter = _text(created.data.get("submitter")) or _text(created.actor_id)
    return requester != submitter


def _seconds(us: int) -> int:
    return us // _US


class _Walk:
    """The replay of one ticket's history, one instant (one action) at a time."""

    def __init__(self, created_us: int, status: str, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.created_us = created_us
        self.status = status
        self.since = created_us  # when the current status began
        self.time_us: dict[str, int] = dict.fromkeys(UNSOLVED, 0)
        self.business_us: dict[str, int] = dict.fromkeys(UNSOLVED, 0)
        self.first_reply_us: int | None = None
        self.first_solved_us: int | None = None
        self.last_solved_us: int | None = None
        self.replies = 0
        self.reopens = 0
        self.waiting_since: int | None = None
        self.next_replies: list[list[int]] = []
        self.spans: list[list[int | None]] = []
        self.span_start: int | None = created_us if status in _UNSOLVED else None
        self.merged_us: int | None = None
        self.station_counts = {"assignee": 0, "team": 0}
        self.last_holder: dict[str, str | None] = {"assignee": None, "team": None}

    def stations(self, name: str, holder: str | None) -> None:
        """A new holder (assignee or team) that differs from the last one is one station more;
        taking the holder away (unassigning) is not a station."""
        if holder is not None and holder != self.last_holder[name]:
            self.station_counts[name] += 1
            self.last_holder[name] = holder

    def _business(self, start: int, end: int) -> int:
        return self.calendar.duration_us(start, end) if end > start else 0

    def instant(self, at: int, group: Sequence[EventFacts]) -> None:
        creation = any(e.kind == CREATED for e in group)
        merged_here = any(e.kind == "merged_into" for e in group)
        before = self.status
        after = before
        for e in group:
            if e.kind == "field_changed":
                if e.field == "status" and e.new_value:
                    after = e.new_value
                elif e.field in self.station_counts:
                    self.stations(e.field, e.new_value)
            elif e.kind == CREATED:
                after = str(e.data.get("status") or after)
        # Comments first: a reply written together with a solve answers the waiting customer.
        if self.merged_us is None:
            for e in group:
                if creation and e.kind == "comment_added":
                    continue  # the ticket's description is never a reply, nor a new wait
                if is_agent_reply(e):
                    self.replies += 1
                    if self.first_reply_us is None:
                        self.first_reply_us = at
                    if self.waiting_since is not None:
                        start = self.waiting_since
                        self.next_replies.append(
                            [
                                _seconds(at),
                                _seconds(at - start),
                                _seconds(self._business(start, at)),
                            ]
                        )
                        self.waiting_since = None
                elif (
                    is_customer_comment(e)
                    and self.first_reply_us is not None
                    and self.waiting_since is None
                ):
                    self.waiting_since = at
        if merged_here and self.merged_us is None:
            self.merged_us = at
            self._close_status(at)
            self.status = after
            self.since = at
            self._end_span(at)
            self.waiting_since = None
            return
        if self.merged_us is not None or after == before:
            return
        self._close_status(at)
        self.status, self.since = after, at
        if before in _UNSOLVED and after in _ENDED:
            if self.first_solved_us is None:
                self.first_solved_us = at
            self.last_solved_us = at
            self.waiting_since = None  # solved without a reply: that wait is not a next reply
            self._end_span(at)
        elif before in _ENDED and after in _UNSOLVED:
            self.reopens += 1
            self.span_start = at
        elif before not in _UNSOLVED and after in _UNSOLVED and self.span_start is None:
            self.span_start = at  # from an unknown status (imported data): start counting

    def _end_span(self, at: int) -> None:
        """Close the running unsolved span (one solved in the instant it began is no span)."""
        if self.span_start is not None and at > self.span_start:
            self.spans.append([_seconds(self.span_start), _seconds(at)])
        self.span_start = None

    def _close_status(self, at: int) -> None:
        if self.status in _UNSOLVED and at > self.since:
            self.time_us[self.status] += at - self.since
            self.business_us[self.status] += self._business(self.since, at)

    def finish(self, v: TicketMetricValues) -> None:
        created = self.created_us
        if self.span_start is not None:
            self.spans.append([_seconds(self.span_start), None])
        v.unsolved_spans = self.spans
        v.agent_replies = self.replies
        v.reopens = self.reopens
        v.assignee_changes = self.station_counts["assignee"]
        v.team_changes = max(self.station_counts["team"] - 1, 0)
        v.next_replies = self.next_replies
        if self.first_reply_us is not None:
            v.first_reply_at = from_epoch_us(self.first_reply_us)
            v.first_reply_s = _seconds(self.first_reply_us - created)
            v.first_reply_bs = _seconds(self._business(created, self.first_reply_us))
        if self.merged_us is not None or self.status not in _ENDED:
            # Unsolved now, or merged into another ticket: no resolution figures (a first
            # solve before a reopen still counts, unless the ticket was merged away).
            if self.merged_us is None and self.first_solved_us is not None:
                v.first_solved_at = from_epoch_us(self.first_solved_us)
                v.first_resolution_s = _seconds(self.first_solved_us - created)
                v.first_resolution_bs = _seconds(self._business(created, self.first_solved_us))
            return
        first, last = self.first_solved_us, self.last_solved_us
        if first is None or last is None:
            return  # ended without ever being unsolved (imported oddities)
        v.first_solved_at = from_epoch_us(first)
        v.solved_at = from_epoch_us(last)
        v.first_resolution_s = _seconds(first - created)
        v.first_resolution_bs = _seconds(self._business(created, first))
        v.full_resolution_s = _seconds(last - created)
        v.full_resolution_bs = _seconds(self._business(created, last))
        t, b = self.time_us, self.business_us
        v.requester_wait_s = _seconds(sum(t[s] for s in REQUESTER_WAIT_STATUSES))
        v.requester_wait_bs = _seconds(sum(b[s] for s in REQUESTER_WAIT_STATUSES))
        v.agent_wait_s = _seconds(sum(t[s] for s in AGENT_WAIT_STATUSES))
        v.agent_wait_bs = _seconds(sum(b[s] for s in AGENT_WAIT_STATUSES))
        v.on_hold_s = _seconds(t[ON_HOLD])
        v.on_hold_bs = _seconds(b[ON_HOLD])
        v.agent_work_s = _seconds(sum(t[s] for s in AGENT_WORK_STATUSES))
        v.agent_work_bs = _seconds(sum(b[s] for s in AGENT_WORK_STATUSES))
        v.status_seconds = {s: _seconds(t[s]) for s in UNSOLVED}
        v.one_touch = self.replies <= 1
        v.two_touch = self.replies == 2


# --------------------------------------------------------------------------------------------
# SLA outcomes, from the SLA engine's own events (doum.sla.state)

MET, BREACHED = "met", "breached"


def _sla_outcomes(values: TicketMetricValues, events: Sequence[EventFacts]) -> None:
    """Per target: "breached" when any of its cycles breached (a breach stands even if the
    reply came later), else "met" when a cycle was fulfilled in time; targets still running,
    paused or stopped have no outcome. Each cycle's latest event is its state (a policy change
    recomputes the timers from their start, and the events say so)."""
    last: dict[tuple[str, int], EventFacts] = {}
    policy_id: int | None = None
    for e in events:
        if e.field == "policy":
            policy_id = int(e.new_value) if e.new_value and e.new_value.isdigit() else None
            continue
        if not e.field:
            continue
        cycle = e.data.get("cycle") if isinstance(e.data, dict) else None
        last[(e.field, cycle if isinstance(cycle, int) else 1)] = e
    outcome: dict[str, str] = {}
    for (metric, _cycle), e in sorted(last.items()):
        status = e.data.get("status") if isinstance(e.data, dict) else None
        if e.new_value == BREACHED or status == BREACHED:
            outcome[metric] = BREACHED
        elif e.new_value == "fulfilled" and outcome.get(metric) != BREACHED:
            outcome[metric] = MET
    values.sla_policy_id = policy_id
    values.sla = dict(sorted(outcome.items()))
    values.sla_met = sum(1 for o in outcome.values() if o == MET)
    values.sla_breached = sum(1 for o in outcome.values() if o == BREACHED)
