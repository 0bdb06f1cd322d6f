"""SLA timers from a ticket's history: a pure function of (events, policy targets, calendar, now).

No database and no Django models here (the stored state, `doum.sla.state`, and the what-if
replay, `doum.sla.engine`, feed it rows they loaded). docs/sla.md is the contract in words;
this module is the same contract in code.

How a history becomes timers
----------------------------
`replay(events)` walks the ticket's events in order (`at`, then id), one *instant* at a time
(one action writes all its events at one instant), and keeps what the targets depend on: the
status, the priority, whether the ticket is merged, spam or deleted, and the public comments
(by a customer, or by an agent: staff, not written by a trigger, automation or the system).
It cuts the history into *cycles*, each a list of state changes `(instant, state)` with state
COUNTING, PAUSED, FULFILLED or STOPPED:

* first_reply: one cycle, from creation (or, for a ticket an agent opened with a public
  comment, from the first public customer comment after that) to the first agent reply;
* next_reply: a cycle per public customer comment that arrives once the first reply was given
  and while no next-reply cycle is waiting, fulfilled by the next agent reply;
* periodic_update: a cycle per agent reply, fulfilled by the next one;
* requester_wait, agent_work, resolution: one cycle from creation, counting or paused by the
  status, fulfilled when solved and resumed by a reopen.

`compute_timers(replay, policy, now)` gives each cycle its target (the policy's target for the
priority the ticket had when the cycle ended, or has now if it is still running: a priority
change re-targets a running cycle from its start) and walks its counting spans on the target's
calendar: the remaining time is frozen while paused and the deadline is recomputed with
`calendar.add` from each resume, so a pause moves the deadline by exactly the paused business
time. The instant the counted time reaches the target is the deadline; reached while the
cycle had not ended (fulfilled or stopped) at that instant, it is the breach instant.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from doum.accounts.roles import STAFF_ROLES, Role
from doum.sla.calendar import (
    CALENDAR_24_7,
    BusinessCalendar,
    NoBusinessTimeError,
    from_epoch_us,
    to_epoch_us,
)

__all__ = [
    "METRICS",
    "HistoryEvent",
    "PolicyTargets",
    "Replay",
    "TicketFacts",
    "TimerState",
    "compute_timers",
    "conditions_match",
    "replay",
]

# Metrics (doum.sla.models.Metric values).
FIRST_REPLY = "first_reply"
NEXT_REPLY = "next_reply"
PERIODIC_UPDATE = "periodic_update"
REQUESTER_WAIT = "requester_wait"
AGENT_WORK = "agent_work"
RESOLUTION = "resolution"
METRICS = (FIRST_REPLY, NEXT_REPLY, PERIODIC_UPDATE, REQUESTER_WAIT, AGENT_WORK, RESOLUTION)
REPLY_METRICS = frozenset({FIRST_REPLY, NEXT_REPLY, PERIODIC_UPDATE})
STATUS_METRICS = frozenset({REQUESTER_WAIT, AGENT_WORK, RESOLUTION})

# Ticket statuses and vias (doum.tickets.models.Status / Via values; a test holds them equal).
NEW, OPEN, PENDING = "new", "open", "pending"
ON_HOLD, SOLVED, CLOSED = "on_hold", "solved", "closed"
ENDED_STATUSES = frozenset({SOLVED, CLOSED})
# The statuses in which each target's clock stands still (docs/sla.md).
PAUSED_IN: Mapping[str, frozenset[str]] = {
    FIRST_REPLY: frozenset(),
    NEXT_REPLY: frozenset(),
    PERIODIC_UPDATE: frozenset({PENDING}),
    REQUESTER_WAIT: frozenset({PENDING}),
    AGENT_WORK: frozenset({PENDING, ON_HOLD}),
    RESOLUTION: frozenset(),
}
# A reply written by these is not an agent's reply (it does not fulfil a reply target).
AUTOMATED_VIAS = frozenset({"trigger", "automation", "system"})
AUTOMATED_RULES = frozenset({"trigger", "automation", "sla", "routing"})
_STAFF = frozenset(str(r) for r in STAFF_ROLES)
_CUSTOMER = str(Role.CUSTOMER)

# Cycle states.
COUNTING = "counting"
PAUSED = "paused"
FULFILLED = "fulfilled"
STOPPED = "stopped"
_ENDED = frozenset({FULFILLED, STOPPED})

# Timer statuses (doum.sla.models.TimerStatus values).
ACTIVE = "active"
BREACHED = "breached"

_US = 1_000_000


# --------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One TicketEvent, reduced to what the timers read.

    `rule_kind` is `data["rule"]["kind"]` (the rule that made the change, if any);
    `automatic` marks an auto-reply (an out-of-office mail): it does not ask for a reply.
    `data` is kept for the `created` event only (its initial status and priority).
    """

    at_us: int
    kind: str
    field: str = ""
    new: str | None = None
    public: bool | None = None
    actor_role: str = ""
    via: str = ""
    rule_kind: str | None = None
    automatic: bool = False
    data: Mapping[str, Any] | None = None

    @classmethod
    def at(cls, at: datetime, kind: str, **kw: Any) -> HistoryEvent:
        return cls(to_epoch_us(at), kind, **kw)


@dataclass(frozen=True)
class PolicyTargets:
    """What a policy asks of a ticket: targets[(priority, metric)] = (minutes, business_hours).

    `calendar` counts the business-hours targets (the policy's calendar, else the ticket
    team's, else 24/7); calendar-hours targets always count on `CALENDAR_24_7`.
    """

    targets: Mapping[tuple[str, str], tuple[int, bool]]
    warn_percent: int = 75
    calendar: BusinessCalendar = CALENDAR_24_7
    policy_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class TicketFacts:
    """The ticket as policy conditions see it (its current state)."""

    priority: str
    type: str
    channel: str
    team_id: int | None
    organization_id: int | None
    brand_id: int | None
    tags: frozenset[str] = frozenset()
    custom_fields: Mapping[str, Any] = field(default_factory=dict)


def _text(value: Any) -> str | None:
    """A value as event text (doum.tickets.changes.event_text, for comparisons)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one_of(value: Any, allowed: Any) -> bool:
    options = allowed if isinstance(allowed, list | tuple) else [allowed]
    wanted = {_text(o) for o in options}
    if isinstance(value, list | tuple):
        return any(_text(v) in wanted for v in value) or (not value and None in wanted)
    return _text(value) in wanted


def conditions_match(conditions: Mapping[str, Any] | None, facts: TicketFacts) -> bool:
    """Whether a policy's conditions hold for the ticket (every given key must match; a list
    means "one of"; an empty object matches every ticket). An unknown key never matches, so a
    policy with a condition Doum does not understand applies to nothing rather than to all."""
    for key, allowed in (conditions or {}).items():
        if key in ("priority", "type", "channel", "team_id", "organization_id", "brand_id"):
            if not _one_of(getattr(facts, key), allowed):
                return False
        elif key == "tags_any":
            if not facts.tags & {str(t) for t in allowed or ()}:
                return False
        elif key == "tags_all":
            if not {str(t) for t in allowed or ()} <= facts.tags:
                return False
        elif key == "custom_fields":
            if not isinstance(allowed, Mapping):
                return False
            for name, values in allowed.items():
                if not _one_of(facts.custom_fields.get(name), values):
                    return False
        else:
            return False
    return True


# --------------------------------------------------------------------------------------------
# Replay


@dataclass(frozen=True)
class Cycle:
    metric: str
    number: int
    changes: tuple[tuple[int, str], ...]  # (instant us, state); the first is the start

    @property
    def start_us(self) -> int:
        return self.changes[0][0]

    @property
    def ended(self) -> bool:
        return self.changes[-1][1] in _ENDED


@dataclass(frozen=True)
class Replay:
    created_us: int
    cycles: tuple[Cycle, ...]
    priorities: tuple[tuple[int, str], ...]  # (instant, priority from that instant on)
    status: str  # at the end of the history

    def priority_at(self, at_us: int) -> str:
        times = [t for t, _ in self.priorities]
        return self.priorities[max(bisect_right(times, at_us) - 1, 0)][1]


class _Open:
    __slots__ = ("changes", "metric", "number", "terminal")

    def __init__(self, metric: str, number: int, at: int, state: str) -> None:
        self.metric = metric
        self.number = number
        self.changes: list[tuple[int, str]] = [(at, state)]
        self.terminal = False


def _derive(metric: str, status: str, merged: bool, suspended: bool) -> str:
    if merged or suspended:
        return STOPPED
    if status in ENDED_STATUSES:
        return FULFILLED if metric in STATUS_METRICS else STOPPED
    if status in PAUSED_IN[metric]:
        return PAUSED
    return COUNTING


def _is_agent_reply(e: HistoryEvent) -> bool:
    return (
        e.actor_role in _STAFF
        and e.via not in AUTOMATED_VIAS
        and (e.rule_kind is None or e.rule_kind not in AUTOMATED_RULES)
    )


def replay(events: Sequence[HistoryEvent]) -> Replay:
    """Cut a ticket's history (ordered by instant, then id) into cycles (see the module doc)."""
    if not events:
        raise ValueError("a ticket's history starts with its creation")
    status, priority = NEW, "normal"
    merged = spam = deleted = False
    cycles: list[_Open] = []
    live: list[_Open] = []  # cycles whose state may still change
    counts = dict.fromkeys(METRICS, 0)
    waiting_next: _Open | None = None
    waiting_periodic: _Open | None = None
    first: _Open | None = None
    # "wait": an agent opened the ticket with a public comment and no customer wrote since;
    # "running": the first reply is awaited; "done": it was given.
    first_state = "running"
    priorities: list[tuple[int, str]] = []
    created_us = events[0].at_us

    def open_cycle(metric: str, at: int) -> _Open | None:
        state = _derive(metric, status, merged, spam or deleted)
        if state == STOPPED:  # would end the instant it starts: not a cycle at all
            return None
        counts[metric] += 1
        cycle = _Open(metric, counts[metric], at, state)
        cycles.append(cycle)
        live.append(cycle)
        return cycle

    def fulfil(cycle: _Open, at: int) -> None:
        if cycle.changes[-1][0] == at:
            cycle.changes[-1] = (at, FULFILLED)
        else:
            cycle.changes.append((at, FULFILLED))
        cycle.terminal = True

    i, n = 0, len(events)
    while i < n:
        at = events[i].at_us
        created = False
        staff_public_at_creation = False
        comment: str | None = None  # "customer" | "agent"
        while i < n and events[i].at_us == at:
            e = events[i]
            kind = e.kind
            if kind == "created":
                created = True
                data = e.data or {}
                status = str(data.get("status") or NEW)
                priority = str(data.get("priority") or priority)
            elif kind == "field_changed":
                if e.field == "status" and e.new:
                    status = e.new
                elif e.field == "priority" and e.new:
                    priority = e.new
            elif kind == "comment_added" and e.public:
                if e.actor_role in _STAFF:
                    if created:
                        staff_public_at_creation = True
                    if _is_agent_reply(e):
                        comment = "agent"
                elif e.actor_role == _CUSTOMER and not e.automatic:
                    comment = "customer"
            elif kind == "merged_into":
                merged = True
            elif kind == "spam":
                spam = True
            elif kind == "deleted":
                deleted = True
            elif kind == "restored":
                spam = deleted = False
            i += 1

        if not priorities or priorities[-1][1] != priority:
            priorities.append((at, priority))

        if created:
            for metric in (REQUESTER_WAIT, AGENT_WORK, RESOLUTION):
                open_cycle(metric, at)
            if staff_public_at_creation:
                first_state = "wait"
            else:
                first = open_cycle(FIRST_REPLY, at)
                first_state = "running" if first is not None else "done"
            if comment == "agent":
                waiting_periodic = open_cycle(PERIODIC_UPDATE, at)
        elif comment == "customer":
            if first_state == "wait":
                first = open_cycle(FIRST_REPLY, at)
                first_state = "running" if first is not None else "wait"
            elif first_state == "done" and waiting_next is None:
                waiting_next = open_cycle(NEXT_REPLY, at)
        elif comment == "agent":
            if first_state == "running" and first is not None:
                fulfil(first, at)
                first_state = "done"
            if waiting_next is not None:
                fulfil(waiting_next, at)
                waiting_next = None
            if waiting_periodic is not None:
                fulfil(waiting_periodic, at)
            waiting_periodic = open_cycle(PERIODIC_UPDATE, at)

        still: list[_Open] = []
        for cycle in live:
            if not cycle.terminal:
                state = _derive(cycle.metric, status, merged, spam or deleted)
                last_at, last_state = cycle.changes[-1]
                if state != last_state:
                    if last_at == at:
                        cycle.changes[-1] = (at, state)
                    else:
                        cycle.changes.append((at, state))
                # Next-reply and periodic cycles end for good when stopped (a new comment
                # opens a new cycle); merged tickets never come back.
                if state == STOPPED and (cycle.metric in (NEXT_REPLY, PERIODIC_UPDATE) or merged):
                    cycle.terminal = True
            if cycle.terminal:
                if cycle is waiting_next:
                    waiting_next = None
                if cycle is waiting_periodic:
                    waiting_periodic = None
            else:
                still.append(cycle)
        live = still

    return Replay(
        created_us=created_us,
        cycles=tuple(Cycle(c.metric, c.number, tuple(c.changes)) for c in cycles),
        priorities=tuple(priorities),
        status=status,
    )


# --------------------------------------------------------------------------------------------
# Timers


@dataclass(frozen=True)
class TimerState:
    """One target's clock on one ticket, as of `now`.

    status: "active" (counting), "paused", "fulfilled", "stopped" or "breached" (the deadline
    was reached before the target was met; `fulfilled_at`/`stopped_at` then say whether and
    when it ended afterwards).
    deadline: when the counted time reaches the target (None while paused and not breached,
    or when the calendar never opens again); for a breached timer the breach instant; for an
    ended timer the deadline it had when it ended (None if it ended while paused).
    warn_at: when `warn_percent` of the target had elapsed (None while paused before it).
    remaining_seconds: while paused, the target time left (negative once breached).
    breach_seconds: calendar seconds from the breach to the end (or to `now` while not ended).
    since: the instant the current status began (start, resume, pause, end or breach).
    """

    metric: str
    cycle: int
    status: str
    target_minutes: int
    business_hours: bool
    started_at: datetime
    deadline: datetime | None
    warn_at: datetime | None
    remaining_seconds: int | None
    fulfilled_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    breach_seconds: int | None
    since: datetime

    @property
    def ended(self) -> bool:
        return self.fulfilled_at is not None or self.stopped_at is not None

    @property
    def paused(self) -> bool:
        return not self.ended and self.remaining_seconds is not None

    @property
    def phase(self) -> str:
        """The state an SLA event names: active, paused, breached (still waiting), fulfilled or
        stopped (a breached timer that ends becomes fulfilled or stopped here; its status
        stays "breached")."""
        if self.fulfilled_at is not None:
            return FULFILLED
        if self.stopped_at is not None:
            return STOPPED
        if self.remaining_seconds is not None:
            return PAUSED
        return self.status

    @property
    def running(self) -> bool:
        """Counting now (active, or breached and still unanswered and not paused)."""
        return not self.ended and self.remaining_seconds is None

    def at_risk(self, now: datetime) -> bool:
        return self.status == ACTIVE and self.warn_at is not None and self.warn_at <= now


def _us_or_none(us: int | None) -> datetime | None:
    return None if us is None else from_epoch_us(us)


def _timer(
    cycle: Cycle,
    minutes: int,
    business_hours: bool,
    warn_percent: int,
    calendar: BusinessCalendar,
    now_us: int,
) -> TimerState:
    changes = cycle.changes
    target = minutes * 60 * _US
    rem = target
    warn_rem = target * warn_percent // 100
    warn_at: int | None = None
    deadline: int | None = None
    breached = False
    last = len(changes) - 1
    last_state = changes[last][1]
    ended = last_state in _ENDED
    in_force: int | None = None  # the deadline of the last counting span, if it ran to the end
    for k, (start, state) in enumerate(changes):
        if state != COUNTING:
            continue
        if k == last:  # counting now: open-ended
            try:
                if warn_at is None:
                    warn_at = calendar.add_us(start, warn_rem)
                deadline = calendar.add_us(start, rem)
            except NoBusinessTimeError:
                deadline = None
            breached = deadline is not None and deadline <= now_us
            break
        end = changes[k + 1][0]
        span = calendar.duration_us(start, end)
        if warn_at is None:
            if span >= warn_rem:
                warn_at = calendar.add_us(start, warn_rem)
            else:
                warn_rem -= span
        if span >= rem:
            deadline = calendar.add_us(start, rem)
            # Reached while still waiting (not at the very instant it was met or stopped).
            breached = deadline < end or changes[k + 1][1] not in _ENDED
            breached = breached and deadline <= now_us
            break
        if k + 1 == last and ended:
            try:
                in_force = calendar.add_us(start, rem)
            except NoBusinessTimeError:
                in_force = None
        rem -= span

    end_at = changes[last][0] if ended else None
    remaining: int | None = None
    if last_state == PAUSED:
        counted = sum(
            calendar.duration_us(s, changes[k + 1][0])
            for k, (s, st) in enumerate(changes[:last])
            if st == COUNTING
        )
        remaining = (target - counted) // _US if target >= counted else -((counted - target) // _US)
    if breached:
        assert deadline is not None
        status = BREACHED
        since = deadline
        shown_deadline: int | None = deadline
        breach_seconds = ((end_at if end_at is not None else now_us) - deadline) // _US
    else:
        status = {COUNTING: ACTIVE, PAUSED: PAUSED, FULFILLED: FULFILLED, STOPPED: STOPPED}[
            last_state
        ]
        since = changes[last][0]
        breach_seconds = None
        if ended:
            shown_deadline = deadline if deadline is not None else in_force
        elif last_state == PAUSED:
            shown_deadline = None
        else:
            shown_deadline = deadline
    return TimerState(
        metric=cycle.metric,
        cycle=cycle.number,
        status=status,
        target_minutes=minutes,
        business_hours=business_hours,
        started_at=from_epoch_us(changes[0][0]),
        deadline=_us_or_none(shown_deadline),
        warn_at=_us_or_none(warn_at),
        remaining_seconds=remaining,
        fulfilled_at=_us_or_none(end_at) if last_state == FULFILLED else None,
        stopped_at=_us_or_none(end_at) if last_state == STOPPED else None,
        breached_at=_us_or_none(deadline) if breached else None,
        breach_seconds=breach_seconds,
        since=from_epoch_us(since),
    )


def compute_timers(
    history: Replay | Sequence[HistoryEvent], policy: PolicyTargets | None, now: datetime
) -> list[TimerState]:
    """Every target's timer on the ticket as of `now`, in (metric, cycle) order.

    A cycle whose priority (when it ended, or now) has no target in the policy has no timer.
    """
    if policy is None:
        return []
    played = history if isinstance(history, Replay) else replay(history)
    now_us = to_epoch_us(now)
    timers: list[TimerState] = []
    order = {m: i for i, m in enumerate(METRICS)}
    for cycle in sorted(played.cycles, key=lambda c: (order[c.metric], c.number)):
        at = cycle.changes[-1][0] if cycle.ended else now_us
        target = policy.targets.get((played.priority_at(at), cycle.metric))
        if target is None:
            continue
        minutes, business_hours = target
        calendar = policy.calendar if business_hours else CALENDAR_24_7
        timers.append(_timer(cycle, minutes, business_hours, policy.warn_percent, calendar, now_us))
    return timers
