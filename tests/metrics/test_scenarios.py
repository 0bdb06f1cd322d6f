"""Hand-worked metric scenarios: each history is written through the real ticket actions at
chosen instants, and every expected figure below was worked out on paper (docs/metrics.md
holds the definitions). Calendars are 24/7 unless the test gives the team one."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from doum.metrics.loading import compute_many
from doum.sla import state
from doum.sla.models import Metric
from doum.tickets import actions as tickets
from doum.tickets.models import Via
from doum.tickets.rules import RuleRef, applied_by
from tests.metrics.scenario_helpers import (
    LUNCH_BREAK_WEEK,
    NINE_TO_FIVE,
    agent_reply,
    assign,
    at,
    customer_reply,
    customer_ticket,
    epoch,
    fresh,
    metrics_of,
    set_status,
    team_calendar,
    utc,
)
from tests.personas import World
from tests.sla.test_timers_support import make_policy

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
H = 3600


def test_an_agent_created_ticket_is_first_answered_by_the_second_public_agent_comment(
    world: World,
) -> None:
    # 10:00 the agent logs a phone call for the customer (a public description), 10:30 the
    # customer writes, 11:00 the agent answers: first reply time = 1 h, not 0.
    created = utc(2026, 3, 2, 10)
    ticket = at(
        created, tickets.do_create_ticket, actor=world.agent, via=Via.PHONE,
        subject="Phone call: refund", body="Customer called about a refund.",
        requester_id=world.customer.pk, assignee_id=world.agent.pk, team_id=world.billing.pk,
    )  # fmt: skip
    customer_reply(world, ticket, utc(2026, 3, 2, 10, 30))
    agent_reply(world, ticket, utc(2026, 3, 2, 11))
    customer_reply(world, ticket, utc(2026, 3, 2, 11, 15))
    agent_reply(world, ticket, utc(2026, 3, 2, 11, 45), status="solved")

    m = metrics_of(ticket)
    assert m.agent_created is True
    assert m.channel == "phone"
    assert m.first_reply_at == utc(2026, 3, 2, 11)
    assert (m.first_reply_s, m.first_reply_bs) == (H, H)
    # The 11:15 question waited 30 minutes for the 11:45 answer.
    assert m.next_replies == [[epoch(utc(2026, 3, 2, 11, 45)), 1800, 1800]]
    # The description is not a reply: two replies, a two-touch ticket.
    assert m.agent_replies == 2
    assert (m.one_touch, m.two_touch) == (False, True)
    assert m.full_resolution_s == m.first_resolution_s == H + 45 * 60
    assert m.requester_wait_s == m.agent_work_s == H + 45 * 60
    assert (m.agent_wait_s, m.on_hold_s) == (0, 0)
    assert m.status_seconds == {"new": 0, "open": 6300, "pending": 0, "on_hold": 0}
    assert (m.assignee_changes, m.team_changes, m.reopens) == (1, 0, 0)
    assert m.unsolved_spans == [[epoch(created), epoch(utc(2026, 3, 2, 11, 45))]]


def test_a_reopen_separates_first_and_full_resolution(world: World) -> None:
    created = utc(2026, 3, 3, 9)
    ticket = customer_ticket(world, created)
    assign(world, ticket, utc(2026, 3, 3, 9, 10))  # new 10 min
    agent_reply(world, ticket, utc(2026, 3, 3, 9, 30), status="solved")  # open 20 min
    customer_reply(world, ticket, utc(2026, 3, 3, 10))  # reopens; solved 30 min
    agent_reply(world, ticket, utc(2026, 3, 3, 11), status="solved")  # open 60 min

    m = metrics_of(ticket)
    assert m.reopens == 1
    assert (m.first_reply_s, m.first_resolution_s, m.full_resolution_s) == (1800, 1800, 2 * H)
    assert m.first_solved_at == utc(2026, 3, 3, 9, 30)
    assert m.solved_at == utc(2026, 3, 3, 11)
    # The customer's 10:00 message waited an hour for the 11:00 answer.
    assert m.next_replies == [[epoch(utc(2026, 3, 3, 11)), H, H]]
    # Waiting: 10 min new + 20 + 60 min open; the 30 solved minutes count nowhere.
    assert m.requester_wait_s == m.agent_work_s == 90 * 60
    assert m.status_seconds == {"new": 600, "open": 4800, "pending": 0, "on_hold": 0}
    assert m.agent_replies == 2
    assert (m.one_touch, m.two_touch) == (False, True)
    assert m.unsolved_spans == [
        [epoch(created), epoch(utc(2026, 3, 3, 9, 30))],
        [epoch(utc(2026, 3, 3, 10)), epoch(utc(2026, 3, 3, 11))],
    ]


def test_pending_is_agent_wait_and_on_hold_is_requester_wait(world: World) -> None:
    created = utc(2026, 3, 4, 9)
    ticket = customer_ticket(world, created)
    assign(world, ticket, utc(2026, 3, 4, 9, 5))  # new 5 min
    agent_reply(world, ticket, utc(2026, 3, 4, 9, 20), status="pending")  # open 15 min
    customer_reply(world, ticket, utc(2026, 3, 4, 12, 20))  # pending 3 h, back to open
    set_status(world, ticket, utc(2026, 3, 4, 12, 50), "on_hold")  # open 30 min
    agent_reply(world, ticket, utc(2026, 3, 4, 14, 50), status="solved")  # on-hold 2 h

    m = metrics_of(ticket)
    assert m.first_reply_s == 20 * 60
    assert m.next_replies == [[epoch(utc(2026, 3, 4, 14, 50)), 9000, 9000]]
    assert m.status_seconds == {"new": 300, "open": 2700, "pending": 3 * H, "on_hold": 2 * H}
    assert m.agent_wait_s == 3 * H
    assert m.on_hold_s == 2 * H
    assert m.requester_wait_s == 300 + 2700 + 2 * H
    assert m.agent_work_s == 300 + 2700
    assert m.full_resolution_s == 5 * H + 50 * 60 == m.requester_wait_s + m.agent_wait_s
    assert m.agent_replies == 2
    assert m.reopens == 0


def test_an_unsolved_ticket_has_no_resolution_figures_yet(world: World) -> None:
    created = utc(2026, 3, 5, 9)
    ticket = customer_ticket(world, created)
    agent_reply(world, ticket, utc(2026, 3, 5, 9, 45), status="pending")

    m = metrics_of(ticket)
    assert m.first_reply_s == 45 * 60
    assert m.solved_at is None and m.full_resolution_s is None
    assert m.requester_wait_s is None and m.agent_wait_s is None
    assert m.status_seconds == {}
    assert m.one_touch is None and m.two_touch is None
    assert m.unsolved_spans == [[epoch(created), None]]
    # Replying made the agent the assignee? No: a reply does not assign; nobody was assigned.
    assert m.assignee_changes == 0


def test_a_merged_ticket_is_never_solved_and_its_span_ends_at_the_merge(world: World) -> None:
    created = utc(2026, 3, 6, 9)
    source = customer_ticket(world, created)
    target = customer_ticket(world, utc(2026, 3, 6, 9, 5))
    assign(world, source, utc(2026, 3, 6, 9, 10))
    agent_reply(world, source, utc(2026, 3, 6, 9, 20))
    at(
        utc(2026, 3, 6, 10), tickets.do_merge_tickets, fresh(source), fresh(target),
        actor=world.agent, via=Via.WEB,
    )  # fmt: skip

    m = metrics_of(source)
    assert m.merged is True and m.excluded is False
    assert m.status == "closed"
    assert m.first_reply_s == 20 * 60  # the reply it had still happened
    assert m.solved_at is None and m.first_solved_at is None
    assert m.full_resolution_s is None and m.first_resolution_s is None
    assert m.requester_wait_s is None and m.status_seconds == {}
    assert m.one_touch is None
    assert m.reopens == 0
    assert m.unsolved_spans == [[epoch(created), epoch(utc(2026, 3, 6, 10))]]

    kept = metrics_of(target)
    assert kept.merged is False
    assert kept.unsolved_spans == [[epoch(utc(2026, 3, 6, 9, 5)), None]]
    assert kept.agent_replies == 0  # the merge note is internal


def test_spam_and_deleted_tickets_are_excluded(world: World) -> None:
    spam = customer_ticket(world, utc(2026, 3, 9, 9))
    gone = customer_ticket(world, utc(2026, 3, 9, 9, 1))
    at(utc(2026, 3, 9, 9, 30), tickets.do_mark_spam, fresh(spam), actor=world.agent, via=Via.WEB)
    at(utc(2026, 3, 9, 9, 30), tickets.do_delete_ticket, fresh(gone), actor=world.manager,
       via=Via.WEB)  # fmt: skip
    assert metrics_of(spam).excluded is True
    assert metrics_of(gone).excluded is True
    restored = at(
        utc(2026, 3, 9, 10), tickets.do_restore_ticket, fresh(gone), actor=world.manager,
        via=Via.WEB,
    )  # fmt: skip
    assert metrics_of(restored).excluded is False


def test_a_trigger_reply_is_not_an_agent_reply_but_a_macro_is(world: World) -> None:
    created = utc(2026, 3, 10, 9)
    ticket = customer_ticket(world, created)
    with applied_by(RuleRef("trigger", 7, "Acknowledge")):
        at(
            utc(2026, 3, 10, 9, 1), tickets.do_add_comment, fresh(ticket), actor=world.agent,
            via=Via.TRIGGER, body="We got your message.", public=True,
        )  # fmt: skip
    with applied_by(RuleRef("automation", 8, "Nudge")):
        at(
            utc(2026, 3, 10, 9, 10), tickets.do_add_comment, fresh(ticket), actor=world.agent,
            via=Via.AUTOMATION, body="Still looking.", public=True,
        )  # fmt: skip
    with applied_by(RuleRef("macro", 9, "Refund steps")):
        at(
            utc(2026, 3, 10, 9, 25), tickets.do_add_comment, fresh(ticket), actor=world.agent,
            via=Via.WEB, body="Here is how refunds work.", public=True, status="solved",
        )  # fmt: skip

    m = metrics_of(ticket)
    assert m.first_reply_at == utc(2026, 3, 10, 9, 25)
    assert m.first_reply_s == 25 * 60
    assert m.agent_replies == 1
    assert (m.one_touch, m.two_touch) == (True, False)


def test_business_hours_leave_out_the_lunch_break_and_the_night(world: World) -> None:
    team_calendar(world, name="Seoul office", time_zone="Asia/Seoul", weekly=LUNCH_BREAK_WEEK)
    # Wednesday 11:30 KST, answered 13:30, solved Thursday 10:00.
    created = datetime(2026, 3, 4, 11, 30, tzinfo=SEOUL)
    ticket = customer_ticket(world, created)
    assign(world, ticket, created)
    agent_reply(world, ticket, datetime(2026, 3, 4, 13, 30, tzinfo=SEOUL))
    customer_reply(world, ticket, datetime(2026, 3, 4, 17, 30, tzinfo=SEOUL))
    agent_reply(world, ticket, datetime(2026, 3, 5, 10, tzinfo=SEOUL), status="solved")

    m = metrics_of(ticket)
    # 11:30-12:00 and 13:00-13:30.
    assert (m.first_reply_s, m.first_reply_bs) == (2 * H, H)
    # Wed 17:30-18:00 and Thu 09:00-10:00.
    assert m.next_replies == [
        [epoch(datetime(2026, 3, 5, 10, tzinfo=SEOUL)), 16 * H + 1800, H + 1800]
    ]
    # Wed 11:30-12:00, 13:00-18:00, Thu 09:00-10:00 = 6.5 business hours of 22.5 hours.
    assert (m.full_resolution_s, m.full_resolution_bs) == (22 * H + 1800, 6 * H + 1800)
    assert (m.requester_wait_s, m.requester_wait_bs) == (22 * H + 1800, 6 * H + 1800)
    assert (m.agent_work_s, m.agent_work_bs) == (22 * H + 1800, 6 * H + 1800)
    assert (m.agent_wait_s, m.agent_wait_bs) == (0, 0)


def test_a_ticket_across_the_dst_change_counts_real_hours(world: World) -> None:
    team_calendar(
        world, name="New York office", time_zone="America/New_York", weekly=NINE_TO_FIVE,
        tech=True,
    )  # fmt: skip
    # Friday 2026-03-06 16:00 EST; clocks go forward on Sunday 2026-03-08; answered and solved
    # Monday 2026-03-09 10:00 EDT.
    created = datetime(2026, 3, 6, 16, tzinfo=NEW_YORK)
    solved = datetime(2026, 3, 9, 10, tzinfo=NEW_YORK)
    ticket = customer_ticket(world, created)
    assign(world, ticket, created, tech=True)
    agent_reply(world, ticket, solved, status="solved", tech=True)

    m = metrics_of(ticket)
    assert created.utcoffset() != solved.utcoffset()
    # Fri 21:00 UTC to Mon 14:00 UTC: 65 hours, not the 66 the wall clocks suggest.
    assert m.first_reply_s == m.full_resolution_s == 65 * H
    # Friday 16:00-17:00 EST and Monday 09:00-10:00 EDT.
    assert m.first_reply_bs == m.full_resolution_bs == 2 * H
    assert (m.one_touch, m.two_touch) == (True, False)
    assert m.team_id == world.technical.pk and m.assignee_id == world.tech_agent.pk


def test_sla_outcomes_are_those_the_sla_engine_recorded(world: World) -> None:
    policy = make_policy(
        {("normal", Metric.FIRST_REPLY): (30, False), ("normal", Metric.RESOLUTION): (240, False)}
    )
    created = utc(2026, 3, 11, 9)
    ticket = customer_ticket(world, created)
    assign(world, ticket, utc(2026, 3, 11, 9, 5))
    agent_reply(world, ticket, utc(2026, 3, 11, 9, 45))  # 15 minutes late
    agent_reply(world, ticket, utc(2026, 3, 11, 10), status="solved")  # well within 4 h
    # History written in the past is not timed by the listener; the SLA state is filled in.
    state.recompute_many([ticket.pk], now=utc(2026, 3, 11, 12))

    m = metrics_of(ticket)
    assert m.sla_policy_id == policy.pk
    assert m.sla == {"first_reply": "breached", "resolution": "met"}
    assert (m.sla_met, m.sla_breached) == (1, 1)


def test_a_batch_is_read_with_two_queries_and_one_per_team_calendar(
    world: World, django_assert_num_queries: Any
) -> None:
    ids = []
    for minute in range(3):
        ticket = customer_ticket(world, utc(2026, 3, 12, 9, minute))
        assign(world, ticket, utc(2026, 3, 12, 9, 30))
        ids.append(ticket.pk)
    with django_assert_num_queries(3):  # tickets, events, Billing's calendar
        found = compute_many([*ids, 999_999, ids[0]])
    assert [m.ticket_id for m in found] == ids  # missing skipped, repeats once, in order
    assert compute_many([]) == []
