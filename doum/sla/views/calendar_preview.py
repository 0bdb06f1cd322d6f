"""What a calendar's page previews: the open hours of the next 14 days and this year's holidays
with their names (in the viewer's language where the `holidays` package has it), so a team
lead sees at a glance that Seollal and Chuseok are closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from doum.core import clock
from doum.sla.calendar import CalendarSpec, get_calendar
from doum.sla.holidays import HolidaySource, holiday_names

PREVIEW_DAYS = 14


@dataclass(frozen=True)
class PreviewDay:
    day: date
    weekday: str
    periods: list[str]  # "09:00-12:00" in the calendar's time zone
    hours: str  # "8:00"
    notes: list[str]  # holiday names, "partial day"
    is_today: bool


@dataclass(frozen=True)
class HolidayRow:
    day: date
    weekday: str
    name: str
    source: str  # "KR", "US-CA" or "custom"
    past: bool


def _package_language(source: HolidaySource) -> str | None:
    """The package's language code for the active language, when the country has it."""
    import holidays as holidays_package

    language = (get_language() or "en").lower()
    try:
        supported = holidays_package.country_holidays(source.country).supported_languages
    except (NotImplementedError, ValueError, AttributeError):
        return None
    wanted = ["ko"] if language.startswith("ko") else ["en_US", "en_GB", "en"]
    return next((code for code in wanted if code in supported), None)


@lru_cache(maxsize=256)
def _names_in(source: HolidaySource, year: int, language: str) -> dict[date, str]:
    import holidays as holidays_package

    computed = holidays_package.country_holidays(
        source.country,
        subdiv=source.subdivision,
        years=year,
        categories=source.categories or None,
        language=language,
    )
    return {day: str(name) for day, name in computed.items()}


def localized_holiday_names(source: HolidaySource, year: int) -> dict[date, str]:
    """The holidays of ``source`` in ``year`` with names in the viewer's language if possible."""
    language = _package_language(source)
    if language is None:
        return dict(holiday_names(source, year))
    return _names_in(source, year, language)


def _hhmm(moment: datetime, next_day: datetime) -> str:
    """A wall time of the day; the next midnight is 24:00."""
    if moment >= next_day:
        return "24:00"
    return moment.strftime("%H:%M")


def preview_days(spec: CalendarSpec, *, days: int = PREVIEW_DAYS) -> list[PreviewDay]:
    """The open periods of the next ``days`` days, in the calendar's own time zone."""
    calendar = get_calendar(spec)
    zone = ZoneInfo(spec.time_zone)
    today = clock.now().astimezone(zone).date()
    partial = {p.day for p in spec.partial_days}
    out = []
    names_by_year: dict[int, dict[date, list[str]]] = {}
    for offset in range(days):
        day = today + timedelta(days=offset)
        if day.year not in names_by_year:
            names_by_year[day.year] = _holidays_of_year(spec, day.year)
        start = datetime.combine(day, time(0), zone)
        end = datetime.combine(day + timedelta(days=1), time(0), zone)
        periods = []
        total = timedelta(0)
        for lo, hi in calendar.open_intervals(start, end):
            local_lo, local_hi = lo.astimezone(zone), hi.astimezone(zone)
            periods.append(f"{_hhmm(local_lo, end)}-{_hhmm(local_hi, end)}")
            total += hi - lo
        notes = list(names_by_year[day.year].get(day, []))
        if day in partial:
            notes.append(_("partial day"))
        minutes = int(total.total_seconds() // 60)
        out.append(
            PreviewDay(
                day=day,
                weekday=str(WEEKDAYS[day.weekday()]),
                periods=periods,
                hours=f"{minutes // 60}:{minutes % 60:02d}",
                notes=notes,
                is_today=offset == 0,
            )
        )
    return out


def _holidays_of_year(spec: CalendarSpec, year: int) -> dict[date, list[str]]:
    names: dict[date, list[str]] = {}
    for source in spec.country_holidays:
        for day, name in localized_holiday_names(source, year).items():
            names.setdefault(day, []).append(name)
    for day in spec.custom_holidays:
        if day.year == year:
            names.setdefault(day, []).append(_("custom holiday"))
    return names


def year_holidays(spec: CalendarSpec, year: int | None = None) -> list[HolidayRow]:
    """Every holiday of the calendar in ``year`` (this year by default), in date order."""
    today = clock.now().astimezone(ZoneInfo(spec.time_zone)).date()
    year = year or today.year
    rows = []
    for source in spec.country_holidays:
        label = source.country + (f"-{source.subdivision}" if source.subdivision else "")
        for day, name in localized_holiday_names(source, year).items():
            rows.append(HolidayRow(day, str(WEEKDAYS[day.weekday()]), name, label, day < today))
    for day in spec.custom_holidays:
        if day.year == year:
            rows.append(
                HolidayRow(
                    day, str(WEEKDAYS[day.weekday()]), _("custom holiday"), _("custom"), day < today
                )
            )
    return sorted(rows, key=lambda r: (r.day, r.source))
