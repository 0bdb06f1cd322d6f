"""The SLA sweep: fire each warning and each breach exactly once, even after downtime.

`sweep()` runs every minute (`doum.sla.tasks.sweep_task`, registered with the scheduler in
`SlaConfig.ready()`). It takes the timers that are due, `next_check_at <= now`, through the
partial index on `next_check_at` (never a scan of all timers), oldest first, a batch at a
time: `lease_due` moves their next check a few minutes ahead in the same statement, so
sweeps running side by side on several workers share the work instead of queueing on the
same tickets (and a sweep that dies leaves them to the next one when the lease runs out).
Then for each of their tickets (`fire_ticket`), in one transaction holding the ticket's row
lock:

1. recompute the ticket's state as of now (`state.recompute`): a deadline that passed turns
   the timer into "breached" with `breached_at` = the deadline (not the sweep's time: a
   sweep that runs three hours late records the same breach), its SLA event and
   `TicketSla.breached`;
2. claim each due firing with a conditional UPDATE (`breach_fired_at IS NULL` / `warned_at
   IS NULL`): with several workers, or a sweep that overlaps another, exactly one claims it;
3. for each claim: write the warning event (a breach's event came with step 1), run the
   policy's escalation effects (`doum.automation.effects.apply_effects`, as the rule
   `RuleRef("sla", policy)`, via system), send the default notice (the assignee, else the
   team lead) unless the effects send mail themselves, queue `sla.warning`/`sla.breached` for
   subscribed webhooks, and log an `SlaEscalationLog` row.

The claim and the escalation commit together: if anything fails before the commit nothing is
claimed and the next sweep tries again. A failing escalation effect does not undo the claim
(its failure is logged in the escalation log). Once a timer's breach (or warning) has fired it
never fires again for that timer, even if a priority change moves its deadline. A warning
that is due together with its breach (Doum was down through both) is claimed without
escalating: only the breach escalates. Escalations run only for targets still waiting (a
reply that came after the deadline records the breach, but there is nobody left to chase).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from doum.accounts.models import Team, User
from doum.core import clock
from doum.sla import state
from doum.sla.models import Metric, SlaEscalationLog, SlaPolicy, SlaTimer, TimerStatus
from doum.tickets.models import Ticket, Via
from doum.tickets.rules import RuleRef

log = logging.getLogger(__name__)

_STATE_TEXT = {"warning": _("at risk"), "breach": _("breached")}

BATCH = 100  # due timers leased at a time
LEASE = timedelta(minutes=5)  # how long a leased timer stays out of other sweeps' view
BUDGET_SECONDS = 50.0  # a sweep takes no new batch after this long (it runs every 60 s)
MAX_TICKETS_PER_SWEEP = 20_000


@dataclass
class SweepResult:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    failed: list[int] = field(default_factory=list)  # ticket ids left for the next sweep


@dataclass(frozen=True)
class Firing:
    timer_id: int
    kind: str  # "warning" | "breach"


def due_timers(now: datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """(timer id, ticket id) of timers due at `now`, the most overdue first (index range)."""
    return list(
        SlaTimer.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("id", "ticket_id")[:limit]
    )


def claim(timer_id: int, kind: str, now: datetime, next_check_at: datetime | None) -> bool:
    """Claim one firing: True for exactly one caller however many try."""
    rows = SlaTimer.objects.filter(pk=timer_id)
    if kind == "breach":
        return (
            rows.filter(breach_fired_at__isnull=True).update(
                breach_fired_at=now,
                warned_at=Coalesce("warned_at", now),
                next_check_at=None,
            )
            == 1
        )
    claimed = rows.filter(warned_at__isnull=True).update(warned_at=now, next_check_at=next_check_at)
    return claimed == 1


def lease_sql() -> str:
    """The lease statement (params: lease end, now, limit, now)."""
    table = connection.ops.quote_name(SlaTimer._meta.db_table)
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    return (
        f"UPDATE {table} SET next_check_at = %s WHERE id IN ("  # noqa: S608 (names only)
        f"SELECT id FROM {table} WHERE next_check_at <= %s ORDER BY next_check_at LIMIT %s{lock}"
        ") AND next_check_at <= %s RETURNING ticket_id"
    )


def lease_due(now: datetime, limit: int = BATCH) -> list[int]:
    """Take the next `limit` due timers for this sweep: move their `next_check_at` to
    `now + LEASE` and return their tickets' ids (the most overdue are taken first).

    One statement: the subquery reads the partial index on `next_check_at` (on PostgreSQL
    with `FOR UPDATE SKIP LOCKED`, so concurrent sweeps take disjoint batches without waiting
    for each other); the UPDATE returns exactly the rows this caller moved. A leased timer
    drops out of the other sweeps' view; `fire_ticket` sets its real next check again. If
    the sweep dies first, the lease runs out and a later sweep takes it again.
    """
    sql = lease_sql()
    with transaction.atomic(), connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value  # as the ORM stores instants
        cursor.execute(sql, [adapt(now + LEASE), adapt(now), limit, adapt(now)])
        return list(dict.fromkeys(row[0] for row in cursor.fetchall()))


def sweep(
    now: datetime | None = None, *, batch: int = BATCH, budget_seconds: float = BUDGET_SECONDS
) -> SweepResult:
    """Fire everything due (see the module doc). `now` fixes the instant (tests); otherwise
    each ticket is fired as of the moment it is reached. Stops taking new batches after
    `budget_seconds`: the next sweep carries on where this one stopped."""
    result = SweepResult()
    started = time.monotonic()
    while result.tickets + len(result.failed) < MAX_TICKETS_PER_SWEEP:
        if time.monotonic() - started > budget_seconds:
            break
        tickets = lease_due(now or clock.now(), batch)
        if not tickets:
            break
        for ticket_id in tickets:
            try:
                fired = fire_ticket(ticket_id, now or clock.now())
            except Exception:
                # Its lease runs out and a later sweep tries again.
                log.exception("sla sweep: ticket #%s failed; left for a later sweep", ticket_id)
                result.failed.append(ticket_id)
                continue
            result.tickets += 1
            result.warnings += sum(1 for f in fired if f.kind == "warning")
            result.breaches += sum(1 for f in fired if f.kind == "breach")
    return result


def fire_ticket(ticket_id: int, now: datetime) -> list[Firing]:
    """Recompute one ticket as of `now` and fire what is due on it, once."""
    fired: list[Firing] = []
    with transaction.atomic():
        done = state.recompute(ticket_id, now=now)
        if done is None:
            return fired
        ticket, policy = done.ticket, done.policy
        for timer in done.timers:
            if timer.next_check_at is None or timer.next_check_at > now:
                continue
            if timer.status == TimerStatus.BREACHED:
                if claim(timer.pk, "breach", now, None):
                    fired.append(Firing(timer.pk, "breach"))
                    _escalate(ticket, timer, policy, "breach", now)
            elif (
                timer.status == TimerStatus.ACTIVE
                and timer.warn_at is not None
                and timer.warn_at <= now
                and timer.warned_at is None
                and claim(timer.pk, "warning", now, timer.deadline)
            ):
                fired.append(Firing(timer.pk, "warning"))
                state.sla_event(
                    ticket, field=timer.metric, old=TimerStatus.ACTIVE, new="at_risk", at=now,
                    data={
                        "cycle": timer.cycle, "policy": timer.policy_id, "warning": True,
                        "at": timer.warn_at.isoformat(),
                        "deadline": timer.deadline.isoformat() if timer.deadline else None,
                    },
                ).save()  # fmt: skip
                _escalate(ticket, timer, policy, "warning", now)
    return fired


# --- escalation ---------------------------------------------------------------------------------


def _recipient(ticket: Ticket) -> User | None:
    """Who gets the default notice: the assignee, else the team's lead."""
    if ticket.assignee_id is not None:
        return User.objects.filter(pk=ticket.assignee_id, is_active=True).first()
    if ticket.team_id is not None:
        lead_id = Team.objects.filter(pk=ticket.team_id).values_list("lead_id", flat=True).first()
        if lead_id is not None:
            return User.objects.filter(pk=lead_id, is_active=True).first()
    return None


def _deadline_text(deadline: datetime | None, recipient: User) -> str:
    if deadline is None:
        return "-"
    try:
        zone = ZoneInfo(recipient.time_zone or settings.TIME_ZONE)
    except Exception:
        zone = ZoneInfo("UTC")
    return deadline.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _notify(ticket: Ticket, timer: SlaTimer, kind: str) -> str:
    from doum.mail.notify import send_escalation_notice

    recipient = _recipient(ticket)
    if recipient is None:
        return "no one to notify"
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        target = str(Metric(timer.metric).label)
        state_text = str(_STATE_TEXT[kind])
    result = send_escalation_notice(
        ticket, recipient, target=target, state=state_text,
        deadline=_deadline_text(timer.deadline, recipient),
    )  # fmt: skip
    return f"notice to {recipient.pk}: {result}"


def _escalate(
    ticket: Ticket, timer: SlaTimer, policy: SlaPolicy | None, kind: str, now: datetime
) -> None:
    outcome: list[str] = []
    policy = (
        policy
        if policy is not None and policy.pk == timer.policy_id
        else (SlaPolicy.objects.filter(pk=timer.policy_id).first() if timer.policy_id else None)
    )
    escalations = policy.escalations if policy is not None else {}
    effects = escalations.get(kind) if isinstance(escalations, dict) else None
    effects = effects if isinstance(effects, list) else []
    if effects and policy is not None:
        try:
            from doum.automation.effects import apply_effects, validate_effects

            with transaction.atomic():
                cleaned = validate_effects(effects)
                changed = apply_effects(
                    ticket.pk, cleaned, rule=RuleRef("sla", policy.pk, policy.name),
                    via=Via.SYSTEM,
                )  # fmt: skip
            outcome.append("effects: " + (", ".join(changed) or "no change"))
        except Exception as exc:
            log.exception("sla: escalation effects of policy %s failed", policy.pk)
            outcome.append(f"effects failed: {type(exc).__name__}: {exc}"[:500])
    mails_itself = any(isinstance(e, dict) and e.get("type") in ("notify", "mail") for e in effects)
    if not mails_itself:
        try:
            with transaction.atomic():
                ticket.refresh_from_db()
                outcome.append(_notify(ticket, timer, kind))
        except Exception as exc:
            log.exception("sla: escalation notice failed on #%s", ticket.pk)
            outcome.append(f"notice failed: {type(exc).__name__}")
    try:
        from doum.webhooks.actions import queue_event

        with transaction.atomic():
            queued = queue_event(
                "sla.breached" if kind == "breach" else "sla.warning",
                ticket_id=ticket.pk,
                payload={
                    "ticket_id": ticket.pk, "metric": timer.metric, "cycle": timer.cycle,
                    "policy_id": timer.policy_id, "deadline": timer.deadline,
                    "breached_at": timer.breached_at, "warn_at": timer.warn_at,
                },
            )  # fmt: skip
        if queued:
            outcome.append(f"webhooks: {len(queued)}")
    except Exception as exc:
        log.exception("sla: webhook events failed on #%s", ticket.pk)
        outcome.append(f"webhooks failed: {type(exc).__name__}")
    SlaEscalationLog.objects.create(
        timer=timer, kind=kind, fired_at=now, outcome="; ".join(outcome)[:2000]
    )


__all__ = ["Firing", "SweepResult", "claim", "due_timers", "fire_ticket", "sweep"]
