"""`definitions.compute` on hand-built histories (no database): the rules one at a time, the
SLA outcomes, and properties over random histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from doum.metrics.definitions import (
    DEFINITIONS_VERSION,
    EventFacts,
    TicketFacts,
    TicketMetricValues,
    compute,
)
from doum.sla.calendar import CALENDAR_24_7, CalendarSpec, Period, get_calendar

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
LUNCH = get_calendar(
    CalendarSpec(
        time_zone="Asia/Seoul",
        weekly={d: (Period.parse("09:00-12:00"), Period.parse("13:00-18:00")) for d in range(5)},
    )
)


class History:
    """A ticket's events, written in minutes after T0."""

    def __init__(self, *, status: str = "new", assignee: int | None = None,
                 team: int | None = None, by: str = "customer", requester: int = 1,
                 submitter: int = 1) -> None:  # fmt: skip
        self.events: list[EventFacts] = []
        self.add(0, "created", data={
            "status": status, "assignee": assignee, "team": team, "requester": requester,
            "submitter": submitter,
        }, role=by, actor=submitter)  # fmt: skip
        self.add(0, "comment_added", public=True, role=by, actor=submitter)

    def add(self, minute: float, kind: str, *, field: str = "", old: str | None = None,
            new: str | None = None, role: str = "agent", via: str = "web",
            public: bool | None = None, data: dict[str, Any] | None = None,
            actor: int | None = 2, automatic: bool = False) -> History:  # fmt: skip
        self.events.append(
            EventFacts(
                id=len(self.events) + 1, kind=kind, field=field, old_value=old, new_value=new,
                actor_id=actor, actor_role=role, via=via,
                at=T0 + timedelta(minutes=minute), is_public=public, imported=False,
                data=data or {}, automatic=automatic,
            )
        )  # fmt: skip
        return self

    def status(self, minute: float, old: str, new: str) -> History:
        return self.add(minute, "field_changed", field="status", old=old, new=new)

    def reply(self, minute: float, **kw: Any) -> History:
        return self.add(minute, "comment_added", public=True, **kw)

    def customer(self, minute: float, **kw: Any) -> History:
        return self.add(minute, "comment_added", public=True, role="customer", actor=1, **kw)

    def compute(self, calendar: Any = CALENDAR_24_7, **facts: Any) -> TicketMetricValues:
        ticket = TicketFacts(**{
            "id": 1, "created_at": T0, "status": "new", "channel": "web", "priority": "normal",
            "type": "question", "brand_id": 1, "team_id": None, "assignee_id": None,
            "organization_id": None, "requester_id": 1, "submitter_id": 1, "is_spam": False,
            "deleted": False, "merged_into_id": None, "version": len(self.events), **facts,
        })  # fmt: skip
        return compute(ticket, self.events, calendar)


def test_the_definitions_are_version_one() -> None:
    assert DEFINITIONS_VERSION == 1


def test_compute_is_pure_and_ignores_event_order_given() -> None:
    h = History().status(5, "new", "open").reply(10).status(20, "open", "solved")
    first = h.compute(status="solved")
    h.events.reverse()
    assert h.compute(status="solved") == first


def test_an_internal_note_and_a_customer_comment_are_not_replies() -> None:
    h = History().add(5, "comment_added", public=False).customer(6).reply(30)
    m = h.compute()
    assert m.first_reply_s == 30 * 60
    assert m.agent_replies == 1
    assert m.next_replies == []  # the 6-minute comment came before any reply


def test_a_reply_by_the_system_or_a_routing_rule_is_not_an_agent_reply() -> None:
    h = History().reply(1, via="system").reply(2, data={"rule": {"kind": "routing", "id": 1}})
    h.reply(3, data={"rule": {"kind": "sla", "id": 1}}).reply(9, via="import")
    m = h.compute()
    assert m.first_reply_s == 9 * 60  # imported replies count like live ones
    assert m.agent_replies == 1


def test_an_automatic_customer_mail_does_not_start_a_wait() -> None:
    h = History().reply(10).customer(20, automatic=True).reply(25).customer(30).reply(50)
    m = h.compute()
    assert [r[1] for r in m.next_replies] == [20 * 60]


def test_later_customer_comments_join_the_waiting_one() -> None:
    h = History().reply(10).customer(20).customer(40).reply(60).customer(70)
    m = h.compute()
    assert m.next_replies == [[int((T0 + timedelta(minutes=60)).timestamp()), 2400, 2400]]


def test_a_wait_ended_by_a_solve_without_a_reply_is_not_a_next_reply() -> None:
    h = History().status(0, "new", "open").reply(10).customer(20).status(30, "open", "solved")
    m = h.compute(status="solved")
    assert m.next_replies == []
    assert (m.one_touch, m.two_touch) == (True, False)


def test_solved_without_any_reply_is_one_touch() -> None:
    m = History().status(5, "new", "solved").compute(status="solved")
    assert m.agent_replies == 0
    assert m.one_touch is True
    assert m.first_reply_s is None


def test_a_ticket_created_solved_has_no_unsolved_span() -> None:
    h = History(by="agent", requester=1, submitter=2).status(0, "new", "solved")
    m = h.compute(status="solved")
    assert m.agent_created is True
    assert m.unsolved_spans == []
    assert m.full_resolution_s == 0


def test_staff_opening_a_ticket_for_themselves_is_not_agent_created() -> None:
    m = History(by="agent", requester=2, submitter=2).reply(10).compute()
    assert m.agent_created is False
    assert m.first_reply_s == 600  # their own description is still no reply


def test_assignee_and_team_stations() -> None:
    h = History(assignee=10, team=100)
    for minute, field, new in [
        (1, "assignee", "11"), (2, "team", "200"), (3, "assignee", None),
        (4, "assignee", "11"), (5, "assignee", "10"), (6, "team", "100"), (7, "team", "100"),
    ]:  # fmt: skip
        h.add(minute, "field_changed", field=field, new=new)
    m = h.compute()
    assert m.assignee_changes == 3  # 10, 11, (none), 11 again is no new station, 10
    assert m.team_changes == 2  # 100 -> 200 -> 100


def test_closing_after_a_solve_is_not_a_second_solve() -> None:
    h = History().status(0, "new", "open").status(60, "open", "solved")
    h.status(60 * 24 * 4, "solved", "closed")
    m = h.compute(status="closed")
    assert m.full_resolution_s == 3600
    assert m.reopens == 0


def test_sla_outcomes_come_from_the_sla_events() -> None:
    h = History()

    def sla(minute: float, field: str, old: str | None, new: str, **data: Any) -> None:
        h.add(minute, "sla", field=field, old=old, new=new, role="", via="system", data=data)

    sla(0, "policy", None, "4")
    sla(0, "first_reply", None, "active", cycle=1, status="active")
    sla(30, "first_reply", "active", "breached", cycle=1, status="breached")
    sla(40, "first_reply", "breached", "fulfilled", cycle=1, status="breached")
    sla(50, "next_reply", None, "fulfilled", cycle=1, status="fulfilled")
    sla(60, "next_reply", None, "breached", cycle=2, status="breached")
    sla(60, "resolution", "active", "fulfilled", cycle=1, status="fulfilled")
    sla(60, "requester_wait", "active", "paused", cycle=1, status="active")
    sla(61, "agent_work", "active", "fulfilled", cycle=1, status="fulfilled")
    sla(62, "agent_work", "fulfilled", "active", cycle=1, status="active")  # a reopen
    m = h.compute()
    assert m.sla_policy_id == 4
    assert m.sla == {"first_reply": "breached", "next_reply": "breached", "resolution": "met"}
    assert (m.sla_met, m.sla_breached) == (1, 2)
    assert m.first_reply_s is None  # SLA events are not comments


def test_business_seconds_use_the_given_calendar() -> None:
    # 2026-03-02 00:00 UTC is 09:00 in Seoul: reply at 04:00 UTC (13:00 KST, after lunch).
    m = History().reply(4 * 60).compute(calendar=LUNCH)
    assert (m.first_reply_s, m.first_reply_bs) == (4 * 3600, 3 * 3600)


# --- properties ------------------------------------------------------------------------------

UNSOLVED = ["open", "pending", "on_hold"]
steps = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=60 * 30),  # minutes since the previous step
        st.sampled_from(["open", "pending", "on_hold", "solved", "reply", "customer"]),
    ),
    max_size=25,
)


def _history(plan: list[tuple[int, str]]) -> tuple[History, str]:
    h, status, minute = History(), "new", 0
    for gap, what in plan:
        minute += gap
        if what == "reply":
            h.reply(minute)
        elif what == "customer":
            h.customer(minute)
        elif what != status:
            h.status(minute, status, what)
            status = what
    return h, status


@settings(max_examples=150, deadline=None)
@given(plan=steps, lunch=st.booleans())
def test_the_waits_add_up_to_the_resolution(plan: list[tuple[int, str]], lunch: bool) -> None:
    h, status = _history(plan)
    m = h.compute(calendar=LUNCH if lunch else CALENDAR_24_7, status=status)
    spans = m.unsolved_spans
    assert all(end is None or (start is not None and start < end) for start, end in spans)
    assert len(spans) == m.reopens + 1  # every history starts unsolved
    if status != "solved":
        assert m.full_resolution_s is None and m.status_seconds == {}
        assert spans and spans[-1][1] is None
        return
    assert m.full_resolution_s is not None and m.first_resolution_s is not None
    assert m.requester_wait_s is not None and m.agent_wait_s is not None
    assert m.on_hold_s is not None and m.agent_work_s is not None
    # Every second until the last solve is unsolved (one of the waits) or solved (between a
    # solve and a reopen).
    solved_gaps = sum((spans[i + 1][0] or 0) - (spans[i][1] or 0) for i in range(len(spans) - 1))
    assert m.requester_wait_s + m.agent_wait_s + solved_gaps == m.full_resolution_s
    assert sum(m.status_seconds.values()) == m.requester_wait_s + m.agent_wait_s
    assert m.agent_work_s + m.on_hold_s == m.requester_wait_s
    assert m.first_resolution_s <= m.full_resolution_s
    for seconds, business in [
        (m.full_resolution_s, m.full_resolution_bs), (m.first_resolution_s, m.first_resolution_bs),
        (m.requester_wait_s, m.requester_wait_bs), (m.agent_wait_s, m.agent_wait_bs),
        (m.first_reply_s, m.first_reply_bs),
    ]:  # fmt: skip
        if seconds is not None:
            assert business is not None and 0 <= business <= seconds
        if not lunch:
            assert business == seconds
    for _at, seconds, business in m.next_replies:
        assert 0 <= business <= seconds
    assert m.one_touch == (m.agent_replies <= 1)
    assert m.two_touch == (m.agent_replies == 2)
