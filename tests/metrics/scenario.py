"""A small, known week of tickets for the analytics page and browser tests, written through
the real actions at real (travelled) times, then folded into the metrics by refresh.run().

Monday 2026-11-16, Asia/Seoul (the default zone). Billing (Ari Agent, led by Lee Lead):
  * "Card declined"  09:00 created, 09:30 first reply, 10:00 solved   (one touch, FRT 30m)
  * "Double charge"  09:00 created, 11:00 first reply, 12:00 reply, 13:00 solved (FRT 2h)
  * the world's ticket (refund), open, one reply
Technical (Taehee Tech):
  * "App crashes" tagged "crash&bug", 09:00 created, 10:00 first reply, 11:00 solved
The clock then stands at Wednesday 2026-11-18 12:00 KST.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from doum.metrics import refresh
from doum.tickets import actions
from doum.tickets.models import Ticket, Via
from tests.personas import World, build_world

SEOUL = ZoneInfo("Asia/Seoul")
HOSTILE_TAG = "crash&bug"


def kst(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SEOUL)


NOW = kst(18, 12)


@dataclass
class Scenario:
    world: World
    card: Ticket
    double: Ticket
    crash: Ticket


def _solve(t: Ticket, w: World, agent: object, team_id: int, times: list[datetime],
           traveller: object) -> Ticket:  # fmt: skip
    traveller.move_to(times[0])  # type: ignore[attr-defined]
    actions.do_assign(t, actor=w.lead if team_id == w.billing.pk else w.manager, via=Via.WEB,
                      assignee_id=agent.pk, team_id=team_id)  # type: ignore[attr-defined]  # fmt: skip
    for at in times[1:-1]:
        traveller.move_to(at)  # type: ignore[attr-defined]
        actions.do_add_comment(t, actor=agent, via=Via.WEB, body="On it.", public=True)  # type: ignore[arg-type]
    traveller.move_to(times[-1])  # type: ignore[attr-defined]
    actions.do_change_status(t, actor=agent, via=Via.WEB, status="solved")  # type: ignore[arg-type]
    t.refresh_from_db()
    return t


def build() -> Iterator[Scenario]:
    with time_machine.travel(kst(16, 8, 55), tick=False) as traveller:
        w = build_world()
        traveller.move_to(kst(16, 9))
        card = actions.do_create_ticket(
            actor=w.customer, via=Via.PORTAL, subject="Card declined", body="My card"
        )
        double = actions.do_create_ticket(
            actor=w.customer, via=Via.PORTAL, subject="Double charge", body="Twice"
        )
        crash = actions.do_create_ticket(
            actor=w.outsider, via=Via.EMAIL, subject="App crashes", body="Boom"
        )
        actions.do_update_ticket(
            crash, actor=w.manager, via=Via.WEB, changes={"tags": [HOSTILE_TAG]}
        )
        card = _solve(
            card, w, w.agent, w.billing.pk, [kst(16, 9, 1), kst(16, 9, 30), kst(16, 10)], traveller
        )
        double = _solve(double, w, w.agent, w.billing.pk,
                        [kst(16, 9, 1), kst(16, 11), kst(16, 12), kst(16, 13)], traveller)  # fmt: skip
        crash = _solve(crash, w, w.tech_agent, w.technical.pk,
                       [kst(16, 9, 1), kst(16, 10), kst(16, 11)], traveller)  # fmt: skip
        traveller.move_to(NOW)
        refresh.rebuild()  # (a test transaction never commits, so nothing marked them)
        yield Scenario(w, card, double, crash)


@pytest.fixture
def scenario(db: None) -> Iterator[Scenario]:
    yield from build()
