"""The timer engine (doum.sla.timers) as a pure function, its laws (hypothesis), the stored
state's bookkeeping, pinning a policy, and the what-if replay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doum.core import clock
from doum.core.errors import InvalidInput
from doum.sla import state, timers
from doum.sla.actions import do_apply_policy
from doum.sla.calendar import BusinessCalendar, CalendarSpec, Period, to_epoch_us, weekly_hours
from doum.sla.engine import ProposedPolicy, what_if
from doum.sla.holidays import HolidaySource
from doum.sla.models import Metric, TimerStatus
from doum.sla.timers import HistoryEvent, PolicyTargets, TicketFacts, compute_timers
from doum.tickets import actions as tickets
from doum.tickets.models import EventKind, Priority, Status, Ticket, TicketEvent, Via
from tests.personas import World
from tests.sla.test_timers_support import (
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

SEOUL_CAL = BusinessCalendar(
    CalendarSpec(
        time_zone="Asia/Seoul",
        weekly=weekly_hours(range(5), Period.parse("09:00-12:00"), Period.parse("13:00-18:00")),
        country_holidays=(HolidaySource("KR"),),
    )
)
NORMAL, HIGH = str(Priority.NORMAL), str(Priority.HIGH)


@pytest.fixture
def act(django_capture_on_commit_callbacks: Capture) -> Actions:
    return Actions(django_capture_on_commit_callbacks)


def test_the_engine_speaks_the_models_values() -> None:
    assert set(timers.METRICS) == set(Metric.values)
    assert {timers.ACTIVE, timers.PAUSED, timers.FULFILLED, timers.STOPPED, timers.BREACHED} == set(
        TimerStatus.values
    )
    assert {timers.NEW, timers.OPEN, timers.PENDING, timers.ON_HOLD, timers.SOLVED} | {
        timers.CLOSED
    } == set(Status.values)
    assert set(Via.values) >= timers.AUTOMATED_VIAS


# --- the pure engine ----------------------------------------------------------------------------


def created(at: datetime, *, role: str = "customer", public: bool = True) -> list[HistoryEvent]:
    return [
        HistoryEvent.at(at, "created", data={"status": "new", "priority": "normal"}),
        HistoryEvent.at(at, "comment_added", public=public, actor_role=role, via="portal"),
    ]


def status(at: datetime, value: str) -> HistoryEvent:
    return HistoryEvent.at(at, "field_changed", field="status", new=value, actor_role="agent")


def comment(at: datetime, role: str, via: str = "web", rule: str | None = None) -> HistoryEvent:
    return HistoryEvent.at(
        at, "comment_added", public=True, actor_role=role, via=via, rule_kind=rule
    )


def policy(targets: dict[tuple[str, str], tuple[int, bool]], warn: int = 75) -> PolicyTargets:
    return PolicyTargets(targets=targets, warn_percent=warn, calendar=SEOUL_CAL)


def test_a_breached_timer_keeps_its_breach_when_the_reply_comes() -> None:
    events = [*created(kst(2026, 3, 9, 9)), comment(kst(2026, 3, 9, 11), "agent")]
    [first] = compute_timers(
        events, policy({(NORMAL, "first_reply"): (60, True)}), kst(2026, 3, 9, 12)
    )
    assert first.status == "breached"
    assert (first.breached_at, first.fulfilled_at) == (kst(2026, 3, 9, 10), kst(2026, 3, 9, 11))
    assert first.breach_seconds == 3600
    assert first.phase == "fulfilled"


def test_a_reply_exactly_at_the_deadline_meets_it() -> None:
    events = [*created(kst(2026, 3, 9, 9)), comment(kst(2026, 3, 9, 10), "agent")]
    [first] = compute_timers(
        events, policy({(NORMAL, "first_reply"): (60, True)}), kst(2026, 3, 9, 12)
    )
    assert (first.status, first.deadline) == ("fulfilled", kst(2026, 3, 9, 10))


def test_rule_made_replies_are_not_agent_replies() -> None:
    events = [
        *created(kst(2026, 3, 9, 9)),
        comment(kst(2026, 3, 9, 9, 1), "agent", via="web", rule="trigger"),
        comment(kst(2026, 3, 9, 9, 2), "agent", via="system"),
        # A macro is an agent's own reply.
        comment(kst(2026, 3, 9, 9, 3), "agent", via="web", rule="macro"),
    ]
    [first] = compute_timers(
        events, policy({(NORMAL, "first_reply"): (60, True)}), kst(2026, 3, 9, 12)
    )
    assert first.fulfilled_at == kst(2026, 3, 9, 9, 3)


def test_a_solve_without_a_reply_stops_the_first_reply_and_a_reopen_resumes_it() -> None:
    events = [
        *created(kst(2026, 3, 9, 9)),
        status(kst(2026, 3, 9, 9, 20), "solved"),
        comment(kst(2026, 3, 9, 10), "customer"),
        status(kst(2026, 3, 9, 10), "open"),
    ]
    target = policy({(NORMAL, "first_reply"): (60, True)})
    [stopped] = compute_timers(events[:3], target, kst(2026, 3, 9, 9, 30))
    assert (stopped.status, stopped.stopped_at) == ("stopped", kst(2026, 3, 9, 9, 20))
    [resumed] = compute_timers(events, target, kst(2026, 3, 9, 10, 5))
    # 20 minutes counted before the solve, 40 left from 10:00.
    assert (resumed.status, resumed.deadline) == ("active", kst(2026, 3, 9, 10, 40))


def test_an_automatic_customer_mail_does_not_open_a_next_reply_cycle() -> None:
    events = [
        *created(kst(2026, 3, 9, 9)),
        comment(kst(2026, 3, 9, 9, 10), "agent"),
        HistoryEvent.at(
            kst(2026, 3, 9, 9, 11),
            "comment_added",
            public=True,
            actor_role="customer",
            via="email",
            automatic=True,
        ),
    ]
    found = compute_timers(
        events, policy({(NORMAL, "next_reply"): (30, True)}), kst(2026, 3, 9, 12)
    )
    assert found == []


def test_conditions_match_the_ticket_as_it_is() -> None:
    facts = TicketFacts(
        priority="high", type="incident", channel="email", team_id=3, organization_id=None,
        brand_id=1, tags=frozenset({"vip", "refund"}), custom_fields={"plan": "gold", "n": 3},
    )  # fmt: skip
    match = timers.conditions_match
    assert match({}, facts)
    assert match({"priority": ["high", "urgent"], "team_id": [3]}, facts)
    assert not match({"priority": ["low"]}, facts)
    assert match({"organization_id": [None]}, facts)
    assert match({"tags_any": ["vip", "x"], "tags_all": ["vip", "refund"]}, facts)
    assert not match({"tags_all": ["vip", "x"]}, facts)
    assert match({"custom_fields": {"plan": ["gold"], "n": [3]}}, facts)
    assert not match({"custom_fields": {"plan": ["silver"]}}, facts)
    assert not match({"no_such_key": [1]}, facts)


# --- the laws -------------------------------------------------------------------------------------

STEPS = ("open", "pending", "on_hold", "solved", "customer", "agent", "high", "normal")
START = datetime(2026, 1, 1, tzinfo=UTC)
TARGETS: dict[tuple[str, str], tuple[int, bool]] = {
    (NORMAL, "first_reply"): (4 * 60, True),
    (HIGH, "first_reply"): (60, True),
    (NORMAL, "next_reply"): (2 * 60, True),
    (NORMAL, "periodic_update"): (6 * 60, True),
    (HIGH, "periodic_update"): (3 * 60, True),
    (NORMAL, "requester_wait"): (16 * 60, True),
    (HIGH, "requester_wait"): (8 * 60, True),
    (NORMAL, "agent_work"): (8 * 60, True),
    (HIGH, "agent_work"): (4 * 60, True),
    (NORMAL, "resolution"): (40 * 60, True),
    (HIGH, "resolution"): (20 * 60, False),
}
NOT_COUNTING = {metric: {*paused, "solved"} for metric, paused in timers.PAUSED_IN.items()}


def _counted(
    calendar: BusinessCalendar,
    statuses: list[tuple[int, str]],
    metric: str,
    start: int,
    end: int,
) -> int:
    """The business time in [start, end) while the ticket's status counts for `metric`
    (worked from the status history alone, independently of the engine)."""
    total = calendar.duration_us(start, end)
    for k, (at, value) in enumerate(statuses):
        upto = statuses[k + 1][0] if k + 1 < len(statuses) else end
        lo, hi = max(at, start), min(upto, end)
        if value in NOT_COUNTING[metric] and lo < hi:
            total -= calendar.duration_us(lo, hi)
    return total


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start_minutes=st.integers(0, 300 * 24 * 60),
    steps=st.lists(st.tuples(st.integers(1, 4000), st.sampled_from(STEPS)), max_size=12),
    tail=st.integers(0, 6000),
)
def test_deadlines_are_the_target_plus_exactly_the_paused_business_time(
    start_minutes: int, steps: list[tuple[int, str]], tail: int
) -> None:
    t = START + timedelta(minutes=start_minutes)
    events = created(t)
    statuses = [(to_epoch_us(t), "new")]
    priorities = [(to_epoch_us(t), str(NORMAL))]
    for gap, step in steps:
        t += timedelta(minutes=gap)
        if step in ("customer", "agent"):
            events.append(comment(t, step))
            if step == "customer" and statuses[-1][1] in ("pending", "solved"):
                events.append(status(t, "open"))
                statuses.append((to_epoch_us(t), "open"))
        elif step in ("high", "normal"):
            events.append(HistoryEvent.at(t, "field_changed", field="priority", new=step))
            priorities.append((to_epoch_us(t), step))
        elif step != statuses[-1][1]:
            events.append(status(t, step))
            statuses.append((to_epoch_us(t), step))
    now = t + timedelta(minutes=tail)
    now_us = to_epoch_us(now)

    def priority_at(us: int) -> str:
        return [p for at, p in priorities if at <= us][-1]

    for found in compute_timers(events, policy(TARGETS), now):
        end = found.fulfilled_at or found.stopped_at
        minutes, business = TARGETS[
            (priority_at(to_epoch_us(end) if end else now_us), found.metric)
        ]
        assert (found.target_minutes, found.business_hours) == (minutes, business)
        calendar = SEOUL_CAL if business else timers.CALENDAR_24_7
        target_us = minutes * 60_000_000
        start = to_epoch_us(found.started_at)
        if found.status == "active":
            assert found.deadline is not None and found.deadline > now
            deadline = to_epoch_us(found.deadline)
            counted = _counted(calendar, statuses, found.metric, start, deadline)
            assert counted == target_us
            if counted == calendar.duration_us(start, deadline):  # never paused: target + 0
                assert calendar.duration(found.started_at, found.deadline) == timedelta(
                    minutes=minutes
                )
            assert found.warn_at is not None
            warned = _counted(calendar, statuses, found.metric, start, to_epoch_us(found.warn_at))
            assert warned == target_us * 75 // 100
        elif found.status == "breached":
            assert found.breached_at is not None and found.breached_at <= now
            breached = to_epoch_us(found.breached_at)
            assert _counted(calendar, statuses, found.metric, start, breached) == target_us
        elif found.status == "paused":
            assert found.deadline is None and found.remaining_seconds is not None
            counted = _counted(calendar, statuses, found.metric, start, now_us)
            assert found.remaining_seconds == (target_us - counted) // 1_000_000
        elif found.status == "fulfilled":
            assert end is not None
            assert _counted(calendar, statuses, found.metric, start, to_epoch_us(end)) <= target_us


# --- the stored state ---------------------------------------------------------------------------


def test_recomputing_without_a_change_writes_nothing(world: World, act: Actions) -> None:
    make_policy({(NORMAL, "first_reply"): 60, (NORMAL, "resolution"): 600},
                calendar=make_calendar())  # fmt: skip
    ticket = act(
        kst(2026, 3, 9, 9), tickets.do_create_ticket, actor=world.customer, via=Via.PORTAL,
        subject="Hi", body="Help",
    )  # fmt: skip
    events = sla_events(ticket.pk)
    assert events == [
        ("policy", None, str(sla_of(ticket.pk).policy_id)),
        ("first_reply", None, "active"),
        ("resolution", None, "active"),
    ]
    version = Ticket.objects.get(pk=ticket.pk).version
    for minute in (1, 2):
        state.recompute(ticket.pk, now=kst(2026, 3, 9, 9, minute))
    assert sla_events(ticket.pk) == events
    assert Ticket.objects.get(pk=ticket.pk).version == version  # SLA events never bump it
    assert {e.version for e in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA)} == {
        version
    }


def test_history_written_in_the_past_is_left_to_an_explicit_recompute(world: World) -> None:
    make_policy({(NORMAL, "first_reply"): 60}, calendar=make_calendar())
    with clock.at(kst(2026, 3, 9, 9)):
        ticket = tickets.do_create_ticket(
            actor=world.customer, via=Via.PORTAL, subject="Old", body="From the import"
        )
    assert not timers_of(ticket).exists()
    state.recompute_many([ticket.pk], now=kst(2026, 3, 9, 9, 30))
    assert timer(ticket.pk, "first_reply").deadline == kst(2026, 3, 9, 10)


def test_the_first_matching_policy_applies_and_follows_the_ticket(
    world: World, act: Actions
) -> None:
    calendar = make_calendar()
    vip = make_policy({(NORMAL, "first_reply"): 30}, name="VIP", calendar=calendar,
                      conditions={"tags_any": ["vip"]}, position=1)  # fmt: skip
    standard = make_policy({(NORMAL, "first_reply"): 120}, calendar=calendar, position=2)
    ticket = act(
        kst(2026, 3, 9, 9), tickets.do_create_ticket, actor=world.customer, via=Via.PORTAL,
        subject="Hi", body="Help",
    )  # fmt: skip
    assert sla_of(ticket.pk).policy_id == standard.pk
    assert timer(ticket.pk, "first_reply").deadline == kst(2026, 3, 9, 11)
    act(kst(2026, 3, 9, 9, 10), tickets.do_update_ticket, ticket, actor=world.agent,
        via=Via.WEB, changes={"add_tags": ["vip"]})  # fmt: skip
    assert sla_of(ticket.pk).policy_id == vip.pk
    assert timer(ticket.pk, "first_reply").deadline == kst(2026, 3, 9, 9, 30)
    assert sla_events(ticket.pk, "policy")[-1] == ("policy", str(standard.pk), str(vip.pk))


def test_pinning_a_policy(world: World, act: Actions) -> None:
    calendar = make_calendar()
    make_policy({(NORMAL, "first_reply"): 120}, calendar=calendar, position=1)
    urgent = make_policy({(NORMAL, "first_reply"): 15}, name="Escalated", calendar=calendar,
                         conditions={"priority": ["urgent"]}, position=2)  # fmt: skip
    ticket = act(
        kst(2026, 3, 9, 9), tickets.do_create_ticket, actor=world.customer, via=Via.PORTAL,
        subject="Hi", body="Help",
    )  # fmt: skip
    act(kst(2026, 3, 9, 9, 5), do_apply_policy, ticket.pk, urgent.pk, actor=world.agent,
        via=Via.WEB)  # fmt: skip
    assert (sla_of(ticket.pk).policy_id, sla_of(ticket.pk).pinned_policy_id) == (
        urgent.pk,
        urgent.pk,
    )
    assert timer(ticket.pk, "first_reply").deadline == kst(2026, 3, 9, 9, 15)
    pinned = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA, field="policy").last()
    assert pinned is not None
    assert (pinned.actor_id, pinned.via, pinned.data["pinned"]) == (world.agent.pk, "web", True)

    # Pinning it again changes nothing and records nothing.
    before = len(sla_events(ticket.pk))
    act(kst(2026, 3, 9, 9, 6), do_apply_policy, ticket.pk, urgent.pk, actor=world.agent,
        via=Via.WEB)  # fmt: skip
    assert len(sla_events(ticket.pk)) == before
    with pytest.raises(InvalidInput):
        do_apply_policy(ticket.pk, 999_999, actor=world.agent, via=Via.WEB)
    urgent.is_active = False
    urgent.save()
    with pytest.raises(InvalidInput):
        do_apply_policy(ticket.pk, urgent.pk, actor=world.agent, via=Via.WEB)
    # An inactive pinned policy no longer applies: the ordered matching takes over.
    state.recompute(ticket.pk, now=kst(2026, 3, 9, 9, 6))
    assert timer(ticket.pk, "first_reply").target_minutes == 120


def test_a_target_that_no_longer_applies_stops(world: World, act: Actions) -> None:
    make_policy({(NORMAL, "first_reply"): 60}, calendar=make_calendar())
    ticket = act(
        kst(2026, 3, 9, 9), tickets.do_create_ticket, actor=world.customer, via=Via.PORTAL,
        subject="Hi", body="Help",
    )  # fmt: skip
    act(kst(2026, 3, 9, 9, 10), tickets.do_update_ticket, ticket, actor=world.agent,
        via=Via.WEB, changes={"priority": "low"})  # fmt: skip
    first = timer(ticket.pk, "first_reply")
    assert (first.status, first.stopped_at) == ("stopped", kst(2026, 3, 9, 9, 10))
    assert sla_of(ticket.pk).next_deadline is None


# --- what-if --------------------------------------------------------------------------------------


def test_what_if_replays_past_tickets_against_a_proposed_policy(world: World, act: Actions) -> None:
    calendar = make_calendar()
    make_policy({(NORMAL, "first_reply"): 120}, calendar=calendar)
    # Replies after 20 minutes, 60 minutes and 3 hours (business time, Monday morning).
    for day, minutes in ((9, 20), (10, 60), (11, 180)):
        ticket = act(
            kst(2026, 3, day, 9), tickets.do_create_ticket, actor=world.customer,
            via=Via.PORTAL, subject=f"Case {day}", body="Help",
        )  # fmt: skip
        reply_at = SEOUL_CAL.add(kst(2026, 3, day, 9), timedelta(minutes=minutes))
        act(reply_at, tickets.do_add_comment, ticket, actor=world.agent, via=Via.WEB,
            body="Answer")  # fmt: skip
    proposed = ProposedPolicy(
        targets={(NORMAL, "first_reply"): (30, True)}, calendar_id=calendar.pk
    )
    with clock.at(kst(2026, 3, 20)):
        result = what_if(start=kst(2026, 3, 1), end=kst(2026, 4, 1), proposed=proposed)
    assert (result.tickets, result.truncated) == (3, False)
    first = {a.metric: a for a in result.proposed}["first_reply"]
    assert (first.fulfilled, first.breached, first.percent) == (1, 2, 33.33)
    now_first = {a.metric: a for a in result.current}["first_reply"]
    assert (now_first.fulfilled, now_first.breached, now_first.percent) == (2, 1, 66.67)
    assert (result.overall_proposed, result.overall_current) == (33.33, 66.67)
    assert {a.metric: a.percent for a in result.proposed}["resolution"] is None

    with clock.at(kst(2026, 3, 20)):
        limited = what_if(start=kst(2026, 3, 1), end=kst(2026, 4, 1), proposed=proposed, limit=2)
        none = what_if(
            start=kst(2026, 3, 1), end=kst(2026, 4, 1),
            proposed=ProposedPolicy(targets=proposed.targets, conditions={"priority": ["high"]}),
        )  # fmt: skip
        empty = what_if(start=kst(2026, 4, 1), end=kst(2026, 5, 1), proposed=proposed)
    assert (limited.tickets, limited.truncated) == (2, True)
    assert (none.tickets, none.overall_proposed) == (0, None)
    assert empty.tickets == 0


def test_what_if_of_a_period_without_tickets_on_a_holiday(world: World) -> None:
    result = what_if(
        start=datetime.combine(date(2026, 9, 25), datetime.min.time(), tzinfo=UTC),
        end=datetime.combine(date(2026, 9, 26), datetime.min.time(), tzinfo=UTC),
        proposed=ProposedPolicy(targets={(NORMAL, "first_reply"): (30, True)}),
    )
    assert result.tickets == 0 and result.proposed[0].percent is None
