"""SLA reads: calendars, policies and a ticket's SLA state."""

from __future__ import annotations

from datetime import date
from typing import Any

from doum.sla.calendar import (
    CALENDAR_24_7,
    BusinessCalendar,
    CalendarSpec,
    HolidaySource,
    PartialDay,
    Period,
    get_calendar,
)
from doum.sla.models import Calendar, TeamCalendar


def calendar_spec(row: Calendar) -> CalendarSpec:
    """The arithmetic's description of a stored calendar (ValueError when the row is invalid;
    the actions validate before saving, so stored rows build)."""
    return spec_from_parts(
        row.time_zone, row.weekly, row.country_holidays, row.custom_holidays, row.partial_days
    )


def spec_from_parts(
    time_zone: str, weekly: Any, country_holidays: Any, custom_holidays: Any, partial_days: Any
) -> CalendarSpec:
    return CalendarSpec(
        time_zone=time_zone,
        weekly={
            int(day): tuple(Period.parse(p) for p in periods)
            for day, periods in dict(weekly or {}).items()
        },
        country_holidays=tuple(
            HolidaySource(
                country=h["country"],
                subdivision=h.get("subdivision") or None,
                categories=tuple(h.get("categories") or ()),
            )
            for h in country_holidays or ()
        ),
        custom_holidays=frozenset(date.fromisoformat(d) for d in custom_holidays or ()),
        partial_days=tuple(
            PartialDay(
                day=date.fromisoformat(p["day"]),
                periods=tuple(Period.parse(x) for x in p.get("periods") or ()),
            )
            for p in partial_days or ()
        ),
    )


def business_calendar(row: Calendar | None) -> BusinessCalendar:
    """The computing calendar of a stored one (24/7 for None)."""
    return CALENDAR_24_7 if row is None else get_calendar(calendar_spec(row))


def team_calendar(team_id: int | None) -> BusinessCalendar:
    """The business calendar a team works by (24/7 when it has none)."""
    if team_id is None:
        return CALENDAR_24_7
    link = TeamCalendar.objects.filter(team_id=team_id).select_related("calendar").first()
    return business_calendar(link.calendar if link else None)
