"""Each ticket's stored SLA state, recomputed from its history.

`recompute(ticket_id)` runs after every ticket change (the `doum.tickets.hooks` listener
registered in `SlaConfig.ready()`), from the sweep, and from `do_apply_policy`. In one
transaction, holding the ticket's row lock so two recomputes of one ticket never interleave
(and a ticket action waits for it), it:

1. picks the policy (`selectors.select_policy`: pinned, else the first active match);
2. loads the ticket's events once and computes every timer (`timers.compute_timers`);
3. upserts the `SlaTimer` rows (one per metric and cycle) with their `next_check_at` (the
   warning, then the deadline, then nothing: see `next_check`), marks rows whose target no
   longer applies as stopped, and upserts `TicketSla` (policy, next deadline, at risk,
   breached);
4. writes one `TicketEvent(kind=SLA)` per timer that changed phase (field = the metric,
   old/new = the phases: active, paused, breached, fulfilled, stopped; `at` = when Doum
   recorded it, so a ticket's events stay in time order, and `data["at"]` = the instant of
   the transition itself, e.g. the deadline for a breach) and one per policy change (field
   "policy"). These events carry the ticket's current version and do not bump it.

About ten queries per change; two when no policy applies and the ticket never had one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from doum.core import clock
from doum.sla import selectors
from doum.sla.calendar import to_epoch_us
from doum.sla.models import SlaPolicy, SlaTimer, TicketSla, TimerStatus
from doum.sla.timers import HistoryEvent, TimerState, compute_timers
from doum.tickets import hooks
from doum.tickets.models import EventKind, Ticket, TicketEvent, Via

log = logging.getLogger(__name__)

_HISTORY_FIELDS = (
    "ticket_id",
    "at",
    "kind",
    "field",
    "new_value",
    "is_public",
    "actor_role",
    "via",
    "data",
    "comment__metadata__email__automatic",
)


def history_event(row: Sequence[Any]) -> HistoryEvent:
    """A `_HISTORY_FIELDS` row as the engine's event."""
    _, at, kind, field, new, public, role, via, data, automatic = row
    rule = data.get("rule") if isinstance(data, dict) else None
    return HistoryEvent(
        at_us=to_epoch_us(at),
        kind=kind,
        field=field,
        new=new,
        public=public,
        actor_role=role,
        via=via,
        rule_kind=rule.get("kind") if isinstance(rule, dict) else None,
        automatic=automatic is True,
        data=data if kind == EventKind.CREATED else None,
    )


def history_rows(ticket_ids: Iterable[int]) -> Any:
    """The events the timers read, of some tickets, in order (SLA events left out)."""
    return (
        TicketEvent.objects.filter(ticket_id__in=list(ticket_ids))
        .exclude(kind=EventKind.SLA)
        .order_by("ticket_id", "at", "id")
        .values_list(*_HISTORY_FIELDS)
    )


def load_history(ticket_id: int) -> list[HistoryEvent]:
    rows = (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .exclude(kind=EventKind.SLA)
        .order_by("at", "id")
        .values_list(*_HISTORY_FIELDS)
    )
    return [history_event(r) for r in rows]


def phase_of(row: SlaTimer) -> str:
    """The phase a stored timer is in (the values SLA events name)."""
    if row.fulfilled_at is not None:
        return TimerStatus.FULFILLED
    if row.stopped_at is not None:
        return TimerStatus.STOPPED
    if row.remaining_seconds is not None:
        return TimerStatus.PAUSED
    return row.status


def next_check(
    timer: TimerState, warned_at: datetime | None, breach_fired_at: datetime | None
) -> datetime | None:
    """When the sweep must next look at a timer: its warning (if not fired), then its deadline
    (if the breach has not fired), then never. A breach found while the timer still waits
    (counting or paused) is due at once; an ended timer has nothing left to fire."""
    if timer.ended:
        return None
    if timer.status == TimerStatus.BREACHED:
        return timer.breached_at if breach_fired_at is None else None
    if timer.status != TimerStatus.ACTIVE or timer.deadline is None:
        return None
    if warned_at is None and timer.warn_at is not None and timer.warn_at < timer.deadline:
        return timer.warn_at
    return timer.deadline if breach_fired_at is None else None


def _values(timer: TimerState, policy_id: int | None, row: SlaTimer | None) -> dict[str, Any]:
    return {
        "policy_id": policy_id,
        "status": timer.status,
        "target_minutes": timer.target_minutes,
        "business_hours": timer.business_hours,
        "started_at": timer.started_at,
        "deadline": timer.deadline,
        "warn_at": timer.warn_at,
        "remaining_seconds": timer.remaining_seconds,
        "fulfilled_at": timer.fulfilled_at,
        "stopped_at": timer.stopped_at,
        "breached_at": timer.breached_at,
        "breach_seconds": timer.breach_seconds,
        "next_check_at": next_check(
            timer,
            row.warned_at if row else None,
            row.breach_fired_at if row else None,
        ),
    }


_TIMER_FIELDS = [
    "policy_id", "status", "target_minutes", "business_hours", "started_at", "deadline",
    "warn_at", "remaining_seconds", "fulfilled_at", "stopped_at", "breached_at",
    "breach_seconds", "next_check_at", "updated_at",
]  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def sla_event(
    ticket: Ticket,
    *,
    field: str,
    old: str | None,
    new: str | None,
    at: datetime,
    data: dict[str, Any],
    actor: Any = None,
    via: str = Via.SYSTEM,
) -> TicketEvent:
    """An SLA event at the ticket's current version (it does not change the ticket)."""
    return TicketEvent(
        ticket_id=ticket.pk,
        kind=EventKind.SLA,
        field=field,
        old_value=old,
        new_value=new,
        actor=actor,
        actor_role=actor.role if actor is not None else "",
        via=via,
        at=at,
        version=ticket.version,
        data=data,
    )


def _timer_data(row: SlaTimer, policy: SlaPolicy | None) -> dict[str, Any]:
    return {
        "cycle": row.cycle,
        "status": row.status,
        "policy": policy.pk if policy is not None else row.policy_id,
        "policy_name": policy.name if policy is not None else "",
        "target_minutes": row.target_minutes,
        "business_hours": row.business_hours,
        "deadline": _iso(row.deadline),
        "breached_at": _iso(row.breached_at),
        "breach_seconds": row.breach_seconds,
    }


@dataclass(frozen=True)
class Recomputed:
    ticket: Ticket
    sla: TicketSla | None
    policy: SlaPolicy | None
    timers: list[SlaTimer]  # every stored timer of the ticket, after the recompute
    events: list[TicketEvent]  # the SLA events written


def recompute(ticket_id: int, *, now: datetime | None = None) -> Recomputed | None:
    """Recompute and store one ticket's SLA state (see the module doc). None when the ticket
    does not exist."""
    now = now or clock.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return None
        sla = TicketSla.objects.filter(ticket_id=ticket_id).first()
        policies = selectors.active_policies()
        policy = selectors.select_policy(
            ticket, policies, sla.pinned_policy_id if sla is not None else None
        )
        if policy is None and sla is None:
            return Recomputed(ticket, None, None, [], [])
        stored = {(r.metric, r.cycle): r for r in SlaTimer.objects.filter(ticket_id=ticket_id)}
        timers: list[TimerState] = []
        if policy is not None:
            history = load_history(ticket_id)
            if history:
                targets = selectors.policy_targets(policy, ticket.team_id)
                timers = compute_timers(history, targets, now)

        events: list[TicketEvent] = []
        new_rows: list[SlaTimer] = []
        changed: list[SlaTimer] = []
        rows: list[SlaTimer] = []
        seen = set()
        policy_id = policy.pk if policy is not None else None
        for timer in timers:
            key = (timer.metric, timer.cycle)
            seen.add(key)
            row = stored.get(key)
            old_phase = phase_of(row) if row is not None else None
            values = _values(timer, policy_id, row)
            if row is None:
                row = SlaTimer(
                    ticket_id=ticket_id, metric=timer.metric, cycle=timer.cycle,
                    updated_at=now, **values,
                )  # fmt: skip
                new_rows.append(row)
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_at = now
                changed.append(row)
            rows.append(row)
            if old_phase != timer.phase:
                events.append(
                    sla_event(
                        ticket,
                        field=timer.metric,
                        old=old_phase,
                        new=timer.phase,
                        at=now,
                        data={**_timer_data(row, policy), "at": _iso(timer.since)},
                    )
                )
        for key, row in stored.items():
            if key in seen:
                continue
            rows.append(row)
            if row.fulfilled_at is not None or row.stopped_at is not None:
                continue
            # Its target no longer applies (no policy, or none for this priority): it stops.
            old_phase = phase_of(row)
            if row.status != TimerStatus.BREACHED:
                row.status = TimerStatus.STOPPED
            row.stopped_at = now
            row.remaining_seconds = None
            row.next_check_at = None
            row.updated_at = now
            changed.append(row)
            events.append(
                sla_event(
                    ticket,
                    field=row.metric,
                    old=old_phase,
                    new=TimerStatus.STOPPED,
                    at=now,
                    data={**_timer_data(row, None), "reason": "no_target", "at": _iso(now)},
                )
            )
        if new_rows:
            SlaTimer.objects.bulk_create(new_rows)
        if changed:
            SlaTimer.objects.bulk_update(changed, _TIMER_FIELDS)

        running = [t.deadline for t in timers if t.running and t.deadline is not None]
        summary = {
            "policy_id": policy_id,
            "next_deadline": min(running) if running else None,
            "at_risk": any(t.at_risk(now) for t in timers),
            "breached": any(r.status == TimerStatus.BREACHED for r in rows),
            "computed_version": ticket.version,
        }
        old_policy_id = sla.policy_id if sla is not None else None
        if sla is None:
            sla = TicketSla.objects.create(ticket_id=ticket_id, updated_at=now, **summary)
        elif any(getattr(sla, k) != v for k, v in summary.items()):
            for k, v in summary.items():
                setattr(sla, k, v)
            sla.updated_at = now
            sla.save(update_fields=[*summary, "updated_at"])
        if old_policy_id != policy_id:
            events.insert(
                0,
                sla_event(
                    ticket, field="policy",
                    old=str(old_policy_id) if old_policy_id is not None else None,
                    new=str(policy_id) if policy_id is not None else None, at=now,
                    data={
                        "policy_name": policy.name if policy is not None else "",
                        "pinned": policy_id is not None and policy_id == sla.pinned_policy_id,
                    },
                ),
            )  # fmt: skip
        if events:
            TicketEvent.objects.bulk_create(events)
        return Recomputed(ticket, sla, policy, rows, events)


def recompute_many(ticket_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Recompute several tickets (after a policy or calendar edit, or demo seeding), each in
    its own transaction; failures are logged and skipped. The number recomputed."""
    done = 0
    for ticket_id in ticket_ids:
        try:
            recompute(ticket_id, now=now)
        except Exception:
            log.exception("sla: could not recompute #%s", ticket_id)
            continue
        done += 1
    return done


def on_ticket_changed(change: hooks.TicketChange) -> None:
    """The after-commit listener: recompute the changed ticket's SLA state."""
    if change.historical:
        return
    recompute(change.ticket_id)


def recompute_open(*, now: datetime | None = None) -> int:
    """Recompute every ticket that is not solved or closed and not deleted (in id order)."""
    ids = (
        Ticket.objects.exclude(status__in=["solved", "closed"])
        .filter(deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=2000)
    )
    return recompute_many(ids, now=now)
