"""The SLA sweep: warnings and breaches fire exactly once, at the right instant, even when
nothing swept for hours, and with several sweeps at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from doum.core import scheduler
from doum.mail.models import OutboundKind, OutboundMessage
from doum.sla import sweep as sla_sweep
from doum.sla.models import Metric, SlaEscalationLog, TimerStatus
from doum.sla.tasks import sweep_task
from doum.tickets import actions as tickets
from doum.tickets.models import EventKind, Priority, Ticket, TicketEvent, Via
from tests.personas import World
from tests.sla.test_timers_support import (
    Actions,
    Capture,
    at,
    kst,
    make_calendar,
    make_policy,
    sla_events,
    sla_of,
    timer,
)

FIRST = Metric.FIRST_REPLY
NORMAL, HIGH = Priority.NORMAL, Priority.HIGH
DEADLINE = kst(2026, 3, 4, 13, 20)  # 30 business minutes after Wed 11:50, across lunch
WARNING = kst(2026, 3, 4, 13, 12) + timedelta(seconds=30)


@pytest.fixture
def act(django_capture_on_commit_callbacks: Capture) -> Actions:
    return Actions(django_capture_on_commit_callbacks)


def breach_ticket(act: Actions, world: World, **policy: object) -> Ticket:
    make_policy({(NORMAL, FIRST): 30, (HIGH, FIRST): 15}, calendar=make_calendar(), **policy)  # type: ignore[arg-type]
    ticket = act(
        kst(2026, 3, 4, 11, 50), tickets.do_create_ticket, actor=world.customer,
        via=Via.PORTAL, subject="Broken", body="It is broken.",
    )  # fmt: skip
    act(
        kst(2026, 3, 4, 11, 51), tickets.do_assign, ticket, actor=world.lead, via=Via.WEB,
        assignee_id=world.agent.pk, team_id=world.billing.pk,
    )  # fmt: skip
    return ticket


def run_sweep(act: Actions, moment: datetime) -> sla_sweep.SweepResult:
    return act(moment, sla_sweep.sweep)


def escalation_mails(ticket: Ticket) -> list[list[str]]:
    return list(
        OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.ESCALATION).values_list(
            "to", flat=True
        )
    )


def test_a_breach_during_downtime_fires_once_with_the_deadline_as_its_instant(
    world: World, act: Actions
) -> None:
    ticket = breach_ticket(act, world)
    # Nothing swept from before the warning (13:12:30) until three hours after the deadline.
    result = run_sweep(act, DEADLINE + timedelta(hours=3))
    assert (result.breaches, result.warnings) == (1, 0)
    first = timer(ticket.pk, FIRST)
    assert first.status == TimerStatus.BREACHED
    assert first.breached_at == DEADLINE
    assert first.breach_fired_at == DEADLINE + timedelta(hours=3)
    assert first.warned_at is not None  # the warning is past: claimed, not escalated
    assert first.next_check_at is None
    assert first.breach_seconds == 3 * 3600
    assert sla_of(ticket.pk).breached is True
    assert sla_events(ticket.pk, FIRST) == [(FIRST, None, "active"), (FIRST, "active", "breached")]
    breach_event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.SLA, new_value="breached")
    assert breach_event.at == DEADLINE + timedelta(hours=3)  # when it was recorded
    happened = datetime.fromisoformat(breach_event.data["at"])
    assert happened == datetime.fromisoformat(breach_event.data["breached_at"]) == DEADLINE
    assert breach_event.version == Ticket.objects.get(pk=ticket.pk).version
    logs = list(SlaEscalationLog.objects.filter(timer=first))
    assert [(log.kind, log.fired_at) for log in logs] == [("breach", DEADLINE + timedelta(hours=3))]
    assert len(escalation_mails(ticket)) == 1  # the assignee

    # The next sweeps find nothing: no second escalation, no second event.
    again = run_sweep(act, DEADLINE + timedelta(hours=3, minutes=1))
    assert (again.tickets, again.breaches, again.warnings) == (0, 0, 0)
    run_sweep(act, DEADLINE + timedelta(days=2))
    assert SlaEscalationLog.objects.filter(timer=first).count() == 1
    assert len(sla_events(ticket.pk, FIRST)) == 2
    assert len(escalation_mails(ticket)) == 1


def test_the_warning_fires_at_its_percentage_then_the_breach(world: World, act: Actions) -> None:
    ticket = breach_ticket(act, world)
    assert run_sweep(act, WARNING - timedelta(seconds=1)).tickets == 0
    warned = run_sweep(act, WARNING)
    assert (warned.warnings, warned.breaches) == (1, 0)
    first = timer(ticket.pk, FIRST)
    assert first.warned_at == WARNING
    assert first.next_check_at == DEADLINE
    assert sla_of(ticket.pk).at_risk is True
    assert run_sweep(act, WARNING + timedelta(minutes=1)).warnings == 0
    breached = run_sweep(act, DEADLINE)
    assert (breached.warnings, breached.breaches) == (0, 1)
    assert [log.kind for log in SlaEscalationLog.objects.order_by("id")] == ["warning", "breach"]
    assert sla_events(ticket.pk, FIRST) == [
        (FIRST, None, "active"),
        (FIRST, "active", "at_risk"),
        (FIRST, "active", "breached"),
    ]
    summary = sla_of(ticket.pk)
    assert (summary.at_risk, summary.breached) == (False, True)


def test_a_reply_before_the_deadline_leaves_nothing_to_fire(world: World, act: Actions) -> None:
    ticket = breach_ticket(act, world)
    act(
        kst(2026, 3, 4, 13, 0), tickets.do_add_comment, ticket, actor=world.agent,
        via=Via.WEB, body="On it.",
    )  # fmt: skip
    assert timer(ticket.pk, FIRST).next_check_at is None
    assert run_sweep(act, DEADLINE + timedelta(hours=1)).tickets == 0
    assert not SlaEscalationLog.objects.exists()


def test_two_sweeps_at_once_fire_the_breach_once(world: World, act: Actions) -> None:
    ticket = breach_ticket(act, world)
    now = DEADLINE + timedelta(minutes=5)
    # Worker A takes the due timers; worker B, sweeping at the same moment, finds none.
    assert sla_sweep.lease_due(now) == [ticket.pk]
    assert run_sweep(act, now).tickets == 0
    with at(now):
        fired = sla_sweep.fire_ticket(ticket.pk, now)
    assert [f.kind for f in fired] == ["breach"]
    # B reaches the ticket anyway (it read it before A's lease): the claim stops it.
    with at(now):
        assert sla_sweep.fire_ticket(ticket.pk, now) == []
    assert SlaEscalationLog.objects.count() == 1
    first = timer(ticket.pk, FIRST)
    assert sla_sweep.claim(first.pk, "breach", now, None) is False


def test_a_sweep_that_dies_leaves_its_timers_to_a_later_one(world: World, act: Actions) -> None:
    ticket = breach_ticket(act, world)
    now = DEADLINE + timedelta(minutes=1)
    assert sla_sweep.lease_due(now) == [ticket.pk]  # ... and the worker is killed here
    assert run_sweep(act, now + timedelta(minutes=1)).tickets == 0
    later = now + sla_sweep.LEASE + timedelta(seconds=1)
    assert run_sweep(act, later).breaches == 1
    first = timer(ticket.pk, FIRST)
    assert (first.breached_at, first.breach_fired_at) == (DEADLINE, later)
    assert [found for found, _ in sla_sweep.due_timers(later + timedelta(days=1))] == []


def test_the_claim_is_a_conditional_update(world: World, act: Actions) -> None:
    ticket = breach_ticket(act, world)
    first = timer(ticket.pk, FIRST)
    now = DEADLINE + timedelta(minutes=1)
    assert sla_sweep.claim(first.pk, "warning", now, DEADLINE) is True
    assert sla_sweep.claim(first.pk, "warning", now, DEADLINE) is False
    assert sla_sweep.claim(first.pk, "breach", now, None) is True
    assert sla_sweep.claim(first.pk, "breach", now, None) is False


def test_breach_escalation_effects_run_as_the_policy(world: World, act: Actions) -> None:
    ticket = breach_ticket(
        act, world,
        escalations={"breach": [{"type": "raise_priority"},
                                {"type": "add_tags", "tags": ["sla-breached"]}]},
    )  # fmt: skip
    run_sweep(act, DEADLINE + timedelta(minutes=1))
    ticket.refresh_from_db()
    assert ticket.priority == HIGH
    assert list(ticket.tags.values_list("name", flat=True)) == ["sla-breached"]
    changed = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELD_CHANGED, field="priority")
    assert changed.via == Via.SYSTEM
    assert changed.data["rule"]["kind"] == "sla"
    log = SlaEscalationLog.objects.get()
    assert "effects" in log.outcome and "failed" not in log.outcome
    # The raised priority re-targets the (already breached) timer: still breached, once.
    first = timer(ticket.pk, FIRST)
    assert (first.status, first.target_minutes, first.breached_at) == (
        "breached",
        15,
        kst(2026, 3, 4, 13, 5),
    )
    assert run_sweep(act, DEADLINE + timedelta(minutes=2)).breaches == 0


def test_a_failing_effect_is_logged_and_the_breach_still_recorded(
    world: World, act: Actions
) -> None:
    ticket = breach_ticket(act, world, escalations={"breach": [{"type": "no_such_effect"}]})
    assert run_sweep(act, DEADLINE + timedelta(minutes=1)).breaches == 1
    log = SlaEscalationLog.objects.get()
    assert "effects failed" in log.outcome
    assert timer(ticket.pk, FIRST).breach_fired_at is not None
    assert len(escalation_mails(ticket)) == 1  # the default notice still went out


def test_the_sweep_is_a_scheduled_background_task(world: World, act: Actions) -> None:
    job = {j.name: j for j in scheduler.jobs()}["sla.sweep"]
    assert (job.seconds, job.task) == (60, "doum.sla.tasks.sweep_task")
    task = scheduler._task(job.task)
    assert task is sweep_task
    ticket = breach_ticket(act, world)
    assert act(DEADLINE + timedelta(minutes=1), sweep_task.call) == {
        "tickets": 1, "warnings": 0, "breaches": 1, "failed": 0,
    }  # fmt: skip
    assert timer(ticket.pk, FIRST).breach_fired_at == DEADLINE + timedelta(minutes=1)


def test_the_log_says_when_a_notice_was_suppressed(world: World, act: Actions) -> None:
    from doum.accounts.actions import do_record_bounce

    ticket = breach_ticket(act, world)
    assert do_record_bounce(address=world.agent.email or "", reason="550 gone", permanent=True)
    run_sweep(act, DEADLINE + timedelta(minutes=1))
    log = SlaEscalationLog.objects.get()
    assert f"notice to {world.agent.pk}: suppressed" in log.outcome, log.outcome
    assert escalation_mails(ticket) == [[world.agent.email]]  # kept in the log, not sent


def test_the_log_says_a_notice_was_queued(world: World, act: Actions) -> None:
    breach_ticket(act, world)
    run_sweep(act, DEADLINE + timedelta(minutes=1))
    assert f"notice to {world.agent.pk}: queued" in SlaEscalationLog.objects.get().outcome
