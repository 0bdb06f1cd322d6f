"""Helpers of the hand-worked metric scenarios (no tests here): write a ticket's history
through the real ticket actions at chosen instants (`clock.at`), then read its metrics the way
the refresh does (`loading.compute_many`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from doum.core import clock
from doum.metrics.definitions import TicketMetricValues
from doum.metrics.loading import compute_many
from doum.sla import calendar_actions
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.personas import World

T = TypeVar("T")

LUNCH_BREAK_WEEK = {str(day): ["09:00-12:00", "13:00-18:00"] for day in range(5)}
NINE_TO_FIVE = {str(day): ["09:00-17:00"] for day in range(5)}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def at(moment: datetime, action: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run one ticket action as if it were `moment`."""
    with clock.at(moment):
        return action(*args, **kw)


def metrics_of(ticket: Ticket) -> TicketMetricValues:
    (values,) = compute_many([ticket.pk])
    return values


def fresh(ticket: Ticket) -> Ticket:
    ticket.refresh_from_db()
    return ticket


def customer_ticket(world: World, moment: datetime, **kw: Any) -> Ticket:
    return at(
        moment, tickets.do_create_ticket, actor=world.customer, via=Via.PORTAL,
        subject="Where is my order?", body="It has not arrived.", **kw,
    )  # fmt: skip


def assign(world: World, ticket: Ticket, moment: datetime, *, tech: bool = False) -> Ticket:
    agent, team = (world.tech_agent, world.technical) if tech else (world.agent, world.billing)
    return at(
        moment, tickets.do_assign, fresh(ticket), actor=world.manager, via=Via.WEB,
        assignee_id=agent.pk, team_id=team.pk,
    )  # fmt: skip


def agent_reply(
    world: World, ticket: Ticket, moment: datetime, status: str | None = None, *, tech: bool = False
) -> None:
    at(
        moment, tickets.do_add_comment, fresh(ticket),
        actor=world.tech_agent if tech else world.agent, via=Via.WEB, body="Here is the answer.",
        public=True, status=status,
    )  # fmt: skip


def customer_reply(world: World, ticket: Ticket, moment: datetime) -> None:
    at(
        moment, tickets.do_add_comment, fresh(ticket), actor=world.customer, via=Via.PORTAL,
        body="Thanks, one more question.",
    )  # fmt: skip


def set_status(world: World, ticket: Ticket, moment: datetime, status: str) -> None:
    at(moment, tickets.do_change_status, fresh(ticket), actor=world.agent, via=Via.WEB,
       status=status)  # fmt: skip


def team_calendar(world: World, *, name: str, time_zone: str, weekly: dict[str, list[str]],
                  tech: bool = False) -> None:  # fmt: skip
    """Give Billing (or Technical) a business calendar without public holidays."""
    calendar = calendar_actions.do_create_calendar(
        actor=world.manager, name=name, time_zone=time_zone, weekly=weekly, country_holidays=[]
    )
    team = world.technical if tech else world.billing
    calendar_actions.do_set_team_calendar(
        actor=world.manager, team_id=team.pk, calendar_id=calendar.pk
    )
