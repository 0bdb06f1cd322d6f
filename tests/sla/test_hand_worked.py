"""Hand-worked SLA cases through the real ticket actions: every expected instant below was
worked out on paper (calendar: Seoul office, Mon-Fri 09:00-12:00 and 13:00-18:00, Korean
public holidays, unless the test says otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doum.sla.models import Metric, TimerStatus
from doum.sla.selectors import business_calendar, ticket_sla_summary
from doum.tickets import actions as tickets
from doum.tickets.models import Priority, Status, Ticket, Via
from tests.personas import World
from tests.sla.test_timers_support import (
    NEW_YORK,
    NINE_TO_FIVE,
    Actions,
    Capture,
    kst,
    make_calendar,
    make_policy,
    sla_events,
    sla_of,
    timer,
    timers_of,
)

FIRST, NEXT, PERIODIC = Metric.FIRST_REPLY, Metric.NEXT_REPLY, Metric.PERIODIC_UPDATE
WAIT, WORK, RESOLUTION = Metric.REQUESTER_WAIT, Metric.AGENT_WORK, Metric.RESOLUTION
NORMAL, HIGH = str(Priority.NORMAL), str(Priority.HIGH)


@pytest.fixture
def act(django_capture_on_commit_callbacks: Capture) -> Actions:
    return Actions(django_capture_on_commit_callbacks)


def open_ticket(act: Actions, world: World, moment: datetime, **kw: Any) -> Ticket:
    return act(
        moment, tickets.do_create_ticket, actor=world.customer, via=Via.PORTAL,
        subject="도와주세요", body="주문이 안 와요.", **kw,
    )  # fmt: skip


def assign(act: Actions, world: World, ticket: Ticket, moment: datetime) -> None:
    act(
        moment, tickets.do_assign, ticket, actor=world.lead, via=Via.WEB,
        assignee_id=world.agent.pk, team_id=world.billing.pk,
    )  # fmt: skip


def reply(
    act: Actions, world: World, ticket: Ticket, moment: datetime, status: str | None = None
) -> None:
    act(
        moment, tickets.do_add_comment, ticket, actor=world.agent, via=Via.WEB,
        body="Looking into it.", public=True, status=status,
    )  # fmt: skip


def customer_reply(act: Actions, world: World, ticket: Ticket, moment: datetime) -> None:
    act(
        moment, tickets.do_add_comment, ticket, actor=world.customer, via=Via.PORTAL,
        body="Any news?",
    )  # fmt: skip


def set_status(act: Actions, world: World, ticket: Ticket, moment: datetime, status: str) -> None:
    act(moment, tickets.do_change_status, ticket, actor=world.agent, via=Via.WEB, status=status)


def test_lunch_break_moves_a_first_reply_deadline_past_lunch(world: World, act: Actions) -> None:
    make_policy({(NORMAL, FIRST): 30}, calendar=make_calendar())
    # Wednesday 11:50: 10 minutes before lunch, 20 after it.
    ticket = open_ticket(act, world, kst(2026, 3, 4, 11, 50))
    first = timer(ticket.pk, FIRST)
    assert first.status == TimerStatus.ACTIVE
    assert first.deadline == kst(2026, 3, 4, 13, 20)
    # 75 % of 30 minutes = 22.5: 10 before lunch, 12.5 after it.
    assert first.warn_at == kst(2026, 3, 4, 13, 12) + timedelta(seconds=30)
    assert first.next_check_at == first.warn_at
    assert sla_of(ticket.pk).next_deadline == kst(2026, 3, 4, 13, 20)

    reply(act, world, ticket, kst(2026, 3, 4, 13, 15))
    first = timer(ticket.pk, FIRST)
    assert first.status == TimerStatus.FULFILLED
    assert first.fulfilled_at == kst(2026, 3, 4, 13, 15)
    assert first.next_check_at is None
    assert sla_of(ticket.pk).next_deadline is None
    assert sla_events(ticket.pk, FIRST) == [
        (FIRST, None, "active"),
        (FIRST, "active", "fulfilled"),
    ]


def test_chuseok_and_the_weekend_are_not_business_time(world: World, act: Actions) -> None:
    make_policy({(NORMAL, FIRST): 5 * 60}, calendar=make_calendar())
    # Wed 2026-09-23 17:00: one hour on Wednesday; Thu 24 - Sat 26 are Chuseok, then Sunday;
    # Monday 28: 09-12 (3 h) and 13-14 (1 h).
    ticket = open_ticket(act, world, kst(2026, 9, 23, 17, 0))
    assert timer(ticket.pk, FIRST).deadline == kst(2026, 9, 28, 14, 0)


def test_a_weekend_is_skipped(world: World, act: Actions) -> None:
    make_policy({(NORMAL, FIRST): 60}, calendar=make_calendar())
    # Friday 17:30: 30 minutes on Friday, 30 on Monday morning.
    ticket = open_ticket(act, world, kst(2026, 3, 6, 17, 30))
    assert timer(ticket.pk, FIRST).deadline == kst(2026, 3, 9, 9, 30)


def test_pending_moves_the_deadline_by_exactly_the_paused_business_time(
    world: World, act: Actions
) -> None:
    calendar = make_calendar()
    make_policy({(NORMAL, WAIT): 4 * 60, (NORMAL, RESOLUTION): 16 * 60}, calendar=calendar)
    # Monday 2026-03-09 09:00: 4 business hours -> 14:00 (09-12, 13-14).
    ticket = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    assign(act, world, ticket, kst(2026, 3, 9, 9, 0))
    assert timer(ticket.pk, WAIT).deadline == kst(2026, 3, 9, 14, 0)

    # 10:00 the agent asks a question and waits for the customer: 1 h counted, 3 h left.
    reply(act, world, ticket, kst(2026, 3, 9, 10, 0), status=Status.PENDING)
    wait = timer(ticket.pk, WAIT)
    assert wait.status == TimerStatus.PAUSED
    assert wait.deadline is None
    assert wait.remaining_seconds == 3 * 3600
    assert wait.next_check_at is None
    # Total resolution does not pause.
    assert timer(ticket.pk, RESOLUTION).status == TimerStatus.ACTIVE

    # Tuesday 10:30 the customer answers: paused Mon 10-12, 13-18 and Tue 09-10:30 = 8.5 h.
    customer_reply(act, world, ticket, kst(2026, 3, 10, 10, 30))
    wait = timer(ticket.pk, WAIT)
    assert wait.status == TimerStatus.ACTIVE
    # 3 h left from Tue 10:30: 10:30-12:00 and 13:00-14:30.
    assert wait.deadline == kst(2026, 3, 10, 14, 30)
    cal = business_calendar(calendar)
    paused = cal.duration(kst(2026, 3, 9, 10, 0), kst(2026, 3, 10, 10, 30))
    assert paused == timedelta(hours=8, minutes=30)
    assert cal.add(kst(2026, 3, 9, 14, 0), paused) == wait.deadline
    assert sla_events(ticket.pk, WAIT) == [
        (WAIT, None, "active"),
        (WAIT, "active", "paused"),
        (WAIT, "paused", "active"),
    ]


def test_on_hold_pauses_agent_work_but_not_requester_wait(world: World, act: Actions) -> None:
    make_policy({(NORMAL, WAIT): 4 * 60, (NORMAL, WORK): 2 * 60}, calendar=make_calendar())
    ticket = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    assign(act, world, ticket, kst(2026, 3, 9, 9, 0))
    set_status(act, world, ticket, kst(2026, 3, 9, 10, 0), Status.ON_HOLD)
    work, wait = timer(ticket.pk, WORK), timer(ticket.pk, WAIT)
    assert (work.status, work.remaining_seconds, work.deadline) == ("paused", 3600, None)
    assert (wait.status, wait.deadline) == ("active", kst(2026, 3, 9, 14, 0))
    assert sla_of(ticket.pk).next_deadline == kst(2026, 3, 9, 14, 0)

    # Back to open at 15:00: agent work has 1 h left -> 16:00; requester wait breached at 14:00.
    set_status(act, world, ticket, kst(2026, 3, 9, 15, 0), Status.OPEN)
    work, wait = timer(ticket.pk, WORK), timer(ticket.pk, WAIT)
    assert (work.status, work.deadline) == ("active", kst(2026, 3, 9, 16, 0))
    assert (wait.status, wait.breached_at) == ("breached", kst(2026, 3, 9, 14, 0))
    assert wait.breach_seconds == 3600
    assert sla_of(ticket.pk).breached is True


def test_a_reopen_resumes_resolution_with_its_remaining_time(world: World, act: Actions) -> None:
    make_policy({(NORMAL, RESOLUTION): 8 * 60}, calendar=make_calendar())
    ticket = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    assign(act, world, ticket, kst(2026, 3, 9, 9, 0))
    reply(act, world, ticket, kst(2026, 3, 9, 11, 0), status=Status.SOLVED)
    resolution = timer(ticket.pk, RESOLUTION)
    assert (resolution.status, resolution.fulfilled_at) == ("fulfilled", kst(2026, 3, 9, 11, 0))
    # Reopened by the customer on Tuesday 09:30 with 6 h left: 09:30-12:00, 13:00-16:30.
    customer_reply(act, world, ticket, kst(2026, 3, 10, 9, 30))
    resolution = timer(ticket.pk, RESOLUTION)
    assert resolution.status == TimerStatus.ACTIVE
    assert resolution.fulfilled_at is None
    assert resolution.deadline == kst(2026, 3, 10, 16, 30)
    assert sla_events(ticket.pk, RESOLUTION) == [
        (RESOLUTION, None, "active"),
        (RESOLUTION, "active", "fulfilled"),
        (RESOLUTION, "fulfilled", "active"),
    ]


def test_a_priority_change_retargets_a_running_timer_from_its_start(
    world: World, act: Actions
) -> None:
    make_policy({(NORMAL, FIRST): 4 * 60, (HIGH, FIRST): 60}, calendar=make_calendar())
    ticket = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    assert timer(ticket.pk, FIRST).deadline == kst(2026, 3, 9, 14, 0)
    act(
        kst(2026, 3, 9, 9, 30), tickets.do_update_ticket, ticket, actor=world.agent,
        via=Via.WEB, changes={"priority": HIGH},
    )  # fmt: skip
    first = timer(ticket.pk, FIRST)
    assert (first.target_minutes, first.deadline) == (60, kst(2026, 3, 9, 10, 0))
    assert sla_of(ticket.pk).next_deadline == kst(2026, 3, 9, 10, 0)


def test_new_york_business_hours_across_the_daylight_saving_change(
    world: World, act: Actions
) -> None:
    new_york = make_calendar(
        "New York", time_zone="America/New_York", weekly=NINE_TO_FIVE, countries=("US",)
    )
    make_policy({(NORMAL, FIRST): 120}, calendar=new_york)
    # Friday 2026-03-06 16:00 EST: 1 h on Friday; clocks spring forward on Sunday 8 March;
    # Monday 09:00 EDT is 13:00 UTC (not 14:00), so the deadline is 10:00 EDT = 14:00 UTC.
    ticket = open_ticket(act, world, datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK))
    deadline = timer(ticket.pk, FIRST).deadline
    assert deadline == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert deadline == datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)


def test_a_calendar_hours_target_ignores_lunch_and_nights(world: World, act: Actions) -> None:
    make_policy({(NORMAL, FIRST): (30, False), (NORMAL, WAIT): (24 * 60, False)},
                calendar=make_calendar())  # fmt: skip
    ticket = open_ticket(act, world, kst(2026, 3, 4, 11, 50))
    first = timer(ticket.pk, FIRST)
    assert (first.business_hours, first.deadline) == (False, kst(2026, 3, 4, 12, 20))
    assert timer(ticket.pk, WAIT).deadline == kst(2026, 3, 5, 11, 50)


def test_trigger_and_automation_replies_do_not_fulfil_the_first_reply(
    world: World, act: Actions
) -> None:
    make_policy({(NORMAL, FIRST): 60, (NORMAL, PERIODIC): 120}, calendar=make_calendar())
    ticket = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    for minute, via in ((5, Via.TRIGGER), (6, Via.AUTOMATION)):
        act(
            kst(2026, 3, 9, 9, minute), tickets.do_add_comment, ticket, actor=world.agent,
            via=via, body="We received your request.", public=True,
        )  # fmt: skip
    assert timer(ticket.pk, FIRST).status == TimerStatus.ACTIVE
    assert not timers_of(ticket).filter(metric=PERIODIC).exists()
    # An internal note does not either.
    act(
        kst(2026, 3, 9, 9, 10), tickets.do_add_comment, ticket, actor=world.agent,
        via=Via.WEB, body="checking", public=False,
    )  # fmt: skip
    assert timer(ticket.pk, FIRST).status == TimerStatus.ACTIVE
    reply(act, world, ticket, kst(2026, 3, 9, 9, 40))
    assert timer(ticket.pk, FIRST).fulfilled_at == kst(2026, 3, 9, 9, 40)
    assert timer(ticket.pk, PERIODIC).deadline == kst(2026, 3, 9, 11, 40)


def test_next_reply_cycles_and_periodic_updates(world: World, act: Actions) -> None:
    make_policy(
        {(NORMAL, FIRST): 60, (NORMAL, NEXT): 30, (NORMAL, PERIODIC): 120},
        calendar=make_calendar(),
    )
    ticket = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    # A second customer message before the first reply is still first-reply time.
    customer_reply(act, world, ticket, kst(2026, 3, 9, 9, 10))
    assert not timers_of(ticket).filter(metric=NEXT).exists()
    reply(act, world, ticket, kst(2026, 3, 9, 9, 20))
    customer_reply(act, world, ticket, kst(2026, 3, 9, 10, 0))
    customer_reply(act, world, ticket, kst(2026, 3, 9, 10, 5))  # the same cycle
    assert timer(ticket.pk, NEXT, 1).deadline == kst(2026, 3, 9, 10, 30)
    reply(act, world, ticket, kst(2026, 3, 9, 10, 20))
    customer_reply(act, world, ticket, kst(2026, 3, 9, 11, 50))
    # Cycle 2 from 11:50: 10 minutes before lunch, 20 after -> 13:20.
    assert timer(ticket.pk, NEXT, 1).fulfilled_at == kst(2026, 3, 9, 10, 20)
    assert timer(ticket.pk, NEXT, 2).deadline == kst(2026, 3, 9, 13, 20)
    # Periodic updates: one cycle per agent reply, each met by the next.
    assert timer(ticket.pk, PERIODIC, 1).fulfilled_at == kst(2026, 3, 9, 10, 20)
    assert timer(ticket.pk, PERIODIC, 2).deadline == kst(2026, 3, 9, 13, 20)
    summary = ticket_sla_summary(ticket.pk, now=kst(2026, 3, 9, 12, 0))
    assert summary is not None
    assert [(t.metric, t.cycle) for t in summary.current] == [(FIRST, 1), (NEXT, 2), (PERIODIC, 2)]
    assert summary.next_deadline == kst(2026, 3, 9, 13, 20)


def test_an_agent_created_ticket_waits_for_the_customer_before_first_reply(
    world: World, act: Actions
) -> None:
    make_policy({(NORMAL, FIRST): 60}, calendar=make_calendar())
    ticket = act(
        kst(2026, 3, 9, 9, 0), tickets.do_create_ticket, actor=world.agent, via=Via.PHONE,
        subject="Call back", body="As discussed on the phone...", requester_id=world.customer.pk,
    )  # fmt: skip
    assert not timers_of(ticket).filter(metric=FIRST).exists()
    customer_reply(act, world, ticket, kst(2026, 3, 9, 11, 30))
    # From the customer's message: 11:30-12:00, 13:00-13:30.
    assert timer(ticket.pk, FIRST).deadline == kst(2026, 3, 9, 13, 30)


def test_merged_and_deleted_tickets_stop_their_timers(world: World, act: Actions) -> None:
    make_policy({(NORMAL, FIRST): 60, (NORMAL, RESOLUTION): 600}, calendar=make_calendar())
    source = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    target = open_ticket(act, world, kst(2026, 3, 9, 9, 5))
    act(kst(2026, 3, 9, 9, 30), tickets.do_merge_tickets, source, target, actor=world.agent,
        via=Via.WEB)  # fmt: skip
    assert {t.metric: t.status for t in timers_of(source).all()} == {
        FIRST: "stopped",
        RESOLUTION: "stopped",
    }
    assert timer(source.pk, FIRST).stopped_at == kst(2026, 3, 9, 9, 30)
    assert sla_of(source.pk).next_deadline is None
    act(kst(2026, 3, 9, 9, 40), tickets.do_delete_ticket, target, actor=world.manager,
        via=Via.WEB)  # fmt: skip
    assert timer(target.pk, FIRST).status == TimerStatus.STOPPED
    act(kst(2026, 3, 9, 10, 0), tickets.do_restore_ticket, target, actor=world.manager,
        via=Via.WEB)  # fmt: skip
    # Restored: it resumes with its remaining time (35 min counted, 25 left from 10:00).
    assert timer(target.pk, FIRST).deadline == kst(2026, 3, 9, 10, 25)


def test_no_policy_means_no_sla_state(world: World, act: Actions) -> None:
    ticket = open_ticket(act, world, kst(2026, 3, 9, 9, 0))
    assert not timers_of(ticket).exists()
    assert ticket_sla_summary(ticket.pk) is None
