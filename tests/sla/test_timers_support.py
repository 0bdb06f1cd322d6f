"""Shared helpers of the SLA timer tests (no tests here): calendars and policies as rows, the
clock, and running ticket actions with their after-commit listeners (the SLA recompute)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import time_machine
from django.db.models import QuerySet

from doum.core import clock
from doum.sla.models import Calendar, SlaPolicy, SlaTarget, SlaTimer, TicketSla
from doum.tickets.models import EventKind, Ticket, TicketEvent

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
LUNCH_BREAK_WEEK = {str(day): ["09:00-12:00", "13:00-18:00"] for day in range(5)}
NINE_TO_FIVE = {str(day): ["09:00-17:00"] for day in range(5)}

T = TypeVar("T")


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SEOUL)


def make_calendar(
    name: str = "Seoul office",
    *,
    time_zone: str = "Asia/Seoul",
    weekly: Mapping[str, list[str]] | None = None,
    countries: tuple[str, ...] = ("KR",),
) -> Calendar:
    now = clock.now()
    return Calendar.objects.create(
        name=name,
        time_zone=time_zone,
        weekly=dict(weekly if weekly is not None else LUNCH_BREAK_WEEK),
        country_holidays=[{"country": c, "subdivision": None, "categories": []} for c in countries],
        created_at=now,
        updated_at=now,
    )


def make_policy(
    targets: Mapping[tuple[str, str], int | tuple[int, bool]],
    *,
    name: str = "Standard",
    calendar: Calendar | None = None,
    conditions: dict[str, Any] | None = None,
    warn_percent: int = 75,
    escalations: dict[str, Any] | None = None,
    position: int = 0,
) -> SlaPolicy:
    """targets[(priority, metric)] = minutes (business hours) or (minutes, business_hours)."""
    now = clock.now()
    policy = SlaPolicy.objects.create(
        name=name,
        position=position,
        conditions=conditions or {},
        calendar=calendar,
        warn_percent=warn_percent,
        escalations=escalations or {},
        created_at=now,
        updated_at=now,
    )
    for (priority, metric), value in targets.items():
        minutes, business = value if isinstance(value, tuple) else (value, True)
        SlaTarget.objects.create(
            policy=policy, priority=priority, metric=metric, minutes=minutes,
            business_hours=business,
        )  # fmt: skip
    return policy


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Stand still at `moment` (the wall clock every action and the sweep read)."""
    with time_machine.travel(moment, tick=False):
        yield


Capture = Callable[..., AbstractContextManager[Any]]


class Actions:
    """Runs an action at an instant and then its after-commit listeners, as a request would."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def __call__(self, moment: datetime, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        with at(moment), self.capture(execute=True):
            return fn(*args, **kw)


def timer(ticket_id: int, metric: str, cycle: int = 1) -> SlaTimer:
    return SlaTimer.objects.get(ticket_id=ticket_id, metric=metric, cycle=cycle)


def timers_of(ticket: Ticket) -> QuerySet[SlaTimer]:
    return SlaTimer.objects.filter(ticket_id=ticket.pk)


def sla_of(ticket_id: int) -> TicketSla:
    return TicketSla.objects.get(ticket_id=ticket_id)


def sla_events(ticket_id: int, field: str | None = None) -> list[tuple[str, str | None, str]]:
    """(field, old, new) of the ticket's SLA events in order."""
    rows = TicketEvent.objects.filter(ticket_id=ticket_id, kind=EventKind.SLA)
    if field is not None:
        rows = rows.filter(field=field)
    return [(e.field, e.old_value, e.new_value or "") for e in rows.order_by("id")]
