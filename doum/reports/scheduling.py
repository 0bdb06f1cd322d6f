"""When a scheduled report goes out next, computed in the report's own time zone.

The wall-clock time (hour:minute) is kept across daylight-saving changes: a daily 08:00
report in Europe/Berlin goes out at 08:00 local on both sides of the change. A time that does
not exist on a given day (inside a spring-forward gap) is sent at the same distance after the
gap starts (02:30 becomes 03:30); a time that happens twice (fall back) is sent once, at its
first occurrence. A monthly report on day 29–31 goes out on the last day of shorter months.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils.translation import gettext as _

from doum.core.errors import InvalidInput

MAX_LOOKAHEAD_DAYS = 400


@dataclass(frozen=True)
class Schedule:
    frequency: str  # "daily", "weekly", "monthly"
    hour: int
    minute: int
    time_zone: str
    weekday: int | None = None  # 0 = Monday
    day_of_month: int | None = None  # 1–31; beyond a month's end = its last day


def zone_of(name: str) -> ZoneInfo:
    if not name or len(name) > 64 or name not in _zones():
        raise InvalidInput(
            _("“%(zone)s” is not a known time zone.") % {"zone": name[:64]}, field="time_zone"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(
            _("“%(zone)s” is not a known time zone.") % {"zone": name[:64]}, field="time_zone"
        ) from error


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def validate(schedule: Schedule) -> Schedule:
    """The schedule, or InvalidInput naming the field that is wrong."""
    if schedule.frequency not in ("daily", "weekly", "monthly"):
        raise InvalidInput(_("Choose daily, weekly or monthly."), field="frequency")
    if not 0 <= schedule.hour <= 23:
        raise InvalidInput(_("The hour must be between 0 and 23."), field="hour")
    if not 0 <= schedule.minute <= 59:
        raise InvalidInput(_("The minute must be between 0 and 59."), field="minute")
    zone_of(schedule.time_zone)
    weekday, day = schedule.weekday, schedule.day_of_month
    if schedule.frequency == "weekly":
        if weekday is None or not 0 <= weekday <= 6:
            raise InvalidInput(_("Choose the day of the week."), field="weekday")
        day = None
    elif schedule.frequency == "monthly":
        if day is None or not 1 <= day <= 31:
            raise InvalidInput(
                _("The day of the month must be between 1 and 31."), field="day_of_month"
            )
        weekday = None
    else:
        weekday = day = None
    return Schedule(
        schedule.frequency, schedule.hour, schedule.minute, schedule.time_zone, weekday, day
    )


def _matches(schedule: Schedule, day: date) -> bool:
    if schedule.frequency == "weekly":
        return day.weekday() == schedule.weekday
    if schedule.frequency == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(schedule.day_of_month or 1, last)
    return True


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `zone` (gap: shifted forward; repeated
    time: its first occurrence)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    back = first.astimezone(zone).replace(tzinfo=None)
    if back != naive:  # in a gap: fold=0 used the offset from before the change
        later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        return max(first, later)
    return first


def next_run(schedule: Schedule, after: datetime) -> datetime:
    """The first run strictly after `after` (aware), as an aware UTC datetime."""
    zone = zone_of(schedule.time_zone)
    at = time(schedule.hour, schedule.minute)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _step in range(MAX_LOOKAHEAD_DAYS):
        if _matches(schedule, day):
            instant = local_instant(day, at, zone)
            if instant > after:
                return instant
        day += timedelta(days=1)
    raise InvalidInput(_("This schedule never comes due."), field="frequency")
