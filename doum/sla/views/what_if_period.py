"""The period a what-if replays: dates in the viewer's time zone, the end date included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from doum.core import clock
from doum.core.errors import InvalidInput
from doum.sla.calendar_actions import clean_date

DEFAULT_DAYS = 30
MAX_DAYS = 366


def default_period() -> tuple[date, date]:
    """The last 30 days, today included."""
    today = timezone.localtime(clock.now()).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def parse_period(start_text: str | None, end_text: str | None) -> tuple[date, date]:
    """The first and last day of the period (InvalidInput names "start" or "end")."""
    default_start, default_end = default_period()
    start = clean_date(start_text, field="start") if start_text else default_start
    end = clean_date(end_text, field="end") if end_text else default_end
    if end < start:
        raise InvalidInput(
            _("The period ends (%(end)s) before it starts (%(start)s).")
            % {"start": start.isoformat(), "end": end.isoformat()},
            field="end",
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(
            _("Replay at most %(max)d days at a time.") % {"max": MAX_DAYS}, field="start"
        )
    return start, end


def period_instants(start: date, end: date) -> tuple[datetime, datetime]:
    """[the first day's midnight, the midnight after the last day) in the viewer's zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time(0), zone),
        datetime.combine(end + timedelta(days=1), time(0), zone),
    )
