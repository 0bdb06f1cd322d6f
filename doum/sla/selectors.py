"""SLA reads: calendars, policies and a ticket's SLA state."""

from __future__ import annotations

from doum.sla.calendar import BusinessCalendar


def team_calendar(team_id: int | None) -> BusinessCalendar:
    """The business calendar a team works by (24/7 when it has none)."""
    raise NotImplementedError
