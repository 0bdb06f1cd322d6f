"""Business calendars: create, change and delete them, and choose the calendar a team works by.

Managers and admins only. Each writer validates every value and raises InvalidInput naming the
field at fault with a sentence that says exactly what is wrong (which weekday, which line,
which period); nothing is saved unless everything is valid. Each writes one audit row.

Stored shapes (see doum.sla.models.Calendar):
    weekly            {"0": ["09:00-12:00", "13:00-18:00"], ..., "6": []}  (all seven days)
    country_holidays  [{"country": "KR", "subdivision": None, "categories": []}]
    custom_holidays   ["2026-12-24", ...]                                   (sorted, unique)
    partial_days      [{"day": "2026-12-31", "periods": ["09:00-13:00"]}]   (periods [] = closed)

The writers take the same shapes, with two conveniences: a weekday's periods may be one
comma-separated string ("09:00-12:00, 13:00-18:00"), and weekdays may be keyed by int or str.
Error fields: "name", "time_zone", "weekly" or "weekly.<0-6>", "country_holidays",
"custom_holidays", "partial_days", "team", "calendar".
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.models import Team, User
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.sla.calendar import Period
from doum.sla.holidays import HolidaySource
from doum.sla.models import Calendar, SlaPolicy, TeamCalendar
from doum.sla.selectors import spec_from_parts

log = logging.getLogger(__name__)

NAME_MAX = 100
TIME_ZONE_MAX = 64
MAX_PERIODS_PER_DAY = 12
MAX_COUNTRY_SETS = 10
MAX_CUSTOM_HOLIDAYS = 1000
MAX_PARTIAL_DAYS = 500
FIRST_YEAR = 1970
LAST_YEAR = 2200

_PERIOD_FORM = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?\s*-\s*\d{1,2}:\d{2}(:\d{2})?$")
_COUNTRY_FORM = re.compile(r"^[A-Za-z]{2,3}$")


@dataclass(frozen=True)
class CalendarValues:
    """A calendar's validated, normalised values (what is stored)."""

    time_zone: str
    weekly: dict[str, list[str]]
    country_holidays: list[dict[str, Any]]
    custom_holidays: list[str]
    partial_days: list[dict[str, Any]]


def recompute_open_tickets_after_commit() -> None:
    """After commit, queue the recompute of every open ticket's SLA (doum.sla.tasks): a ticket's
    SLA changes only when it changes, or when the rules it is measured by change."""

    def enqueue() -> None:
        from doum.sla.tasks import recompute_open_task

        try:
            recompute_open_task.enqueue()
        except Exception:
            log.exception("sla: could not queue the recompute of open tickets")

    transaction.on_commit(enqueue)


def _require_manager(actor: User | None) -> None:
    require_role(
        actor, roles.MANAGES_PEOPLE, _("Only managers and admins may change business calendars.")
    )


# --- time zones -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """The time zones a calendar may use (IANA names, as the profile page offers them)."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def clean_time_zone(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(_("Choose the calendar's time zone."), field="time_zone")
    if len(text) > TIME_ZONE_MAX or text not in time_zones():
        raise InvalidInput(
            _("“%(zone)s” is not a time zone. Choose one from the list, such as Asia/Seoul.")
            % {"zone": text[:TIME_ZONE_MAX]},
            field="time_zone",
        )
    return text


# --- periods ----------------------------------------------------------------------------------


def _split_periods(raw: object, *, where: str, field: str) -> list[str]:
    """A list of period strings from a list or a comma-separated string."""
    if raw is None:
        return []
    if isinstance(raw, str):
        items: list[object] = [p for p in re.split(r"[,;\n]", raw)]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise InvalidInput(
            _("%(where)s: give the opening hours as a list of periods such as 09:00-18:00.")
            % {"where": where},
            field=field,
        )
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(
                _("%(where)s: give the opening hours as a list of periods such as 09:00-18:00.")
                % {"where": where},
                field=field,
            )
        text = item.strip().replace("–", "-").replace("~", "-")
        if text:
            out.append(text)
    return out


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def clean_periods(raw: object, *, where: str, field: str) -> list[str]:
    """Periods "HH:MM-HH:MM" for one day, normalised and sorted; overlaps are refused.

    ``where`` names the day in the messages ("Monday", "Partial day 2026-12-31").
    """
    texts = _split_periods(raw, where=where, field=field)
    if len(texts) > MAX_PERIODS_PER_DAY:
        raise InvalidInput(
            _("%(where)s: at most %(max)d periods a day.")
            % {"where": where, "max": MAX_PERIODS_PER_DAY},
            field=field,
        )
    periods: list[Period] = []
    for text in texts:
        if len(text) > 40 or not _PERIOD_FORM.match(text):
            raise InvalidInput(
                _(
                    "%(where)s: “%(period)s” is not a period of opening hours. "
                    "Write it as HH:MM-HH:MM, such as 09:00-18:00."
                )
                % {"where": where, "period": text[:40]},
                field=field,
            )
        try:
            period = Period.parse(text)
        except ValueError:
            raise InvalidInput(
                _(
                    "%(where)s: “%(period)s” has a time that does not exist "
                    "(hours 00 to 23, or 24:00 as a closing time; minutes 00 to 59)."
                )
                % {"where": where, "period": text},
                field=field,
            ) from None
        periods.append(period)
    spans: list[tuple[int, int, Period]] = []
    for period in sorted(set(periods)):
        start = _minutes(period.start)
        end = start + int(period.nominal_length.total_seconds() // 60)
        for other_start, other_end, other in spans:
            if start < other_end and other_start < end:
                raise InvalidInput(
                    _("%(where)s: “%(period)s” overlaps “%(other)s”. Join them into one period.")
                    % {"where": where, "period": str(period), "other": str(other)},
                    field=field,
                )
        spans.append((start, end, period))
    return [str(p) for _start, _end, p in spans]


def weekday_name(day: int) -> str:
    return str(WEEKDAYS[day])


def clean_weekly(raw: object) -> dict[str, list[str]]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            _("Give the weekly hours per weekday (0 = Monday to 6 = Sunday)."), field="weekly"
        )
    weekly: dict[str, list[str]] = {str(day): [] for day in range(7)}
    for key, value in raw.items():
        text = str(key).strip() if isinstance(key, str | int) and not isinstance(key, bool) else ""
        if text not in weekly:
            raise InvalidInput(
                _("“%(day)s” is not a weekday: use 0 (Monday) to 6 (Sunday).")
                % {"day": str(key)[:20]},
                field="weekly",
            )
        day = int(text)
        weekly[text] = clean_periods(value, where=weekday_name(day), field=f"weekly.{day}")
    return weekly


# --- holidays ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def supported_countries() -> dict[str, tuple[str, ...]]:
    """Country code -> its subdivision codes, as the `holidays` package knows them."""
    import holidays as holidays_package

    return {
        code: tuple(subdivisions)
        for code, subdivisions in holidays_package.list_supported_countries().items()
    }


def _clean_country_set(raw: object) -> dict[str, Any]:
    if isinstance(raw, str):
        parts = re.split(r"[-/\s]+", raw.strip(), maxsplit=1)
        raw = {"country": parts[0], "subdivision": parts[1] if len(parts) > 1 else None}
    if not isinstance(raw, Mapping) or set(raw) - {"country", "subdivision", "categories"}:
        raise InvalidInput(
            _("Name each country's holidays by a two-letter country code, such as KR or US."),
            field="country_holidays",
        )
    country = raw.get("country")
    subdivision = raw.get("subdivision") or None
    categories = raw.get("categories") or []
    country_text = country.strip().upper() if isinstance(country, str) else ""
    countries = supported_countries()
    if not _COUNTRY_FORM.match(country_text) or country_text not in countries:
        raise InvalidInput(
            _(
                "“%(country)s” is not a country with a holiday calendar. "
                "Use a two-letter country code such as KR, US or JP."
            )
            % {"country": str(country)[:20]},
            field="country_holidays",
        )
    if subdivision is not None:
        if not isinstance(subdivision, str):
            subdivision = str(subdivision)
        known = countries[country_text]
        match = next((s for s in known if s.upper() == subdivision.strip().upper()), None)
        if match is None:
            if known:
                message = _(
                    "“%(subdivision)s” is not a region of %(country)s with its own holidays "
                    "(known: %(known)s)."
                ) % {
                    "subdivision": subdivision[:20],
                    "country": country_text,
                    "known": ", ".join(known[:60]),
                }
            else:
                message = _(
                    "%(country)s has no regional holiday sets; give the country code alone."
                ) % {"country": country_text}
            raise InvalidInput(message, field="country_holidays")
        subdivision = match
    if not isinstance(categories, list | tuple) or not all(
        isinstance(c, str) and 0 < len(c) <= 40 for c in categories
    ):
        raise InvalidInput(
            _("Holiday categories are a list of names, such as public."),
            field="country_holidays",
        )
    try:
        source = HolidaySource(country_text, subdivision, tuple(categories))
    except ValueError:
        raise InvalidInput(
            _("The holiday calendar of %(country)s has no such categories: %(categories)s.")
            % {"country": country_text, "categories": ", ".join(categories)},
            field="country_holidays",
        ) from None
    return {
        "country": source.country,
        "subdivision": source.subdivision,
        "categories": list(source.categories),
    }


def clean_country_holidays(raw: object) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise InvalidInput(
            _("Name each country's holidays by a two-letter country code, such as KR or US."),
            field="country_holidays",
        )
    if len(raw) > MAX_COUNTRY_SETS:
        raise InvalidInput(
            _("At most %(max)d countries' holidays.") % {"max": MAX_COUNTRY_SETS},
            field="country_holidays",
        )
    out: list[dict[str, Any]] = []
    for item in raw:
        cleaned = _clean_country_set(item)
        if cleaned not in out:
            out.append(cleaned)
    return out


def clean_date(raw: object, *, field: str) -> date:
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(
            _("“%(value)s” is not a date. Write dates as YYYY-MM-DD, such as 2026-12-24.")
            % {"value": str(raw)[:40]},
            field=field,
        )
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            _("%(date)s is out of range: use dates from %(first)d to %(last)d.")
            % {"date": day.isoformat(), "first": FIRST_YEAR, "last": LAST_YEAR},
            field=field,
        )
    return day


def clean_custom_holidays(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [p for p in re.split(r"[\s,;]+", raw) if p]
    if not isinstance(raw, list | tuple):
        raise InvalidInput(
            _("Custom holidays are a list of dates (YYYY-MM-DD)."), field="custom_holidays"
        )
    if len(raw) > MAX_CUSTOM_HOLIDAYS:
        raise InvalidInput(
            _("At most %(max)d custom holidays.") % {"max": MAX_CUSTOM_HOLIDAYS},
            field="custom_holidays",
        )
    days = {clean_date(item, field="custom_holidays") for item in raw}
    return [d.isoformat() for d in sorted(days)]


def clean_partial_days(raw: object, custom_holidays: list[str]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise InvalidInput(
            _("Partial days are a list of dates, each with its opening hours."),
            field="partial_days",
        )
    if len(raw) > MAX_PARTIAL_DAYS:
        raise InvalidInput(
            _("At most %(max)d partial days.") % {"max": MAX_PARTIAL_DAYS}, field="partial_days"
        )
    seen: dict[date, list[str]] = {}
    for item in raw:
        if not isinstance(item, Mapping) or set(item) - {"day", "periods"}:
            raise InvalidInput(
                _("Partial days are a list of dates, each with its opening hours."),
                field="partial_days",
            )
        day = clean_date(item.get("day"), field="partial_days")
        if day in seen:
            raise InvalidInput(
                _("%(day)s is given twice as a partial day; give it once with all its hours.")
                % {"day": day.isoformat()},
                field="partial_days",
            )
        if day.isoformat() in custom_holidays:
            raise InvalidInput(
                _(
                    "%(day)s is both a custom holiday and a partial day; keep one of them "
                    "(a partial day without hours is closed all day)."
                )
                % {"day": day.isoformat()},
                field="partial_days",
            )
        where = _("Partial day %(day)s") % {"day": day.isoformat()}
        seen[day] = clean_periods(item.get("periods"), where=where, field="partial_days")
    return [{"day": d.isoformat(), "periods": seen[d]} for d in sorted(seen)]


# --- the whole calendar -----------------------------------------------------------------------


def clean_calendar_values(
    *,
    time_zone: object,
    weekly: object,
    country_holidays: object,
    custom_holidays: object,
    partial_days: object,
) -> CalendarValues:
    """Every value of a calendar, validated and normalised (InvalidInput names the field)."""
    zone = clean_time_zone(time_zone)
    week = clean_weekly(weekly)
    countries = clean_country_holidays(country_holidays)
    custom = clean_custom_holidays(custom_holidays)
    partial = clean_partial_days(partial_days, custom)
    if not any(week.values()):
        raise InvalidInput(
            _(
                "The calendar has no business hours: give at least one weekday its opening "
                "hours, such as 09:00-18:00."
            ),
            field="weekly",
        )
    try:
        spec_from_parts(zone, week, countries, custom, partial)
    except (ValueError, TypeError, KeyError) as exc:  # the checks above should catch all
        raise InvalidInput(
            _("This calendar cannot be used: %(reason)s") % {"reason": str(exc)[:200]},
            field="weekly",
        ) from exc
    return CalendarValues(zone, week, countries, custom, partial)


def _clean_calendar_name(value: object, *, exclude_pk: int | None) -> str:
    name = clean_name(value if isinstance(value, str) else "", field="name", max_length=NAME_MAX)
    taken = Calendar.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidInput(
            _("Another calendar is named “%(name)s”.") % {"name": name}, field="name"
        )
    return name


def _audit_data(calendar: Calendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "weekly": calendar.weekly,
        "country_holidays": calendar.country_holidays,
        "custom_holidays": calendar.custom_holidays,
        "partial_days": calendar.partial_days,
    }


def _save(calendar: Calendar, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            calendar.save(**kwargs)
    except IntegrityError as exc:  # a concurrent write with the same name
        raise InvalidInput(
            _("Another calendar is named “%(name)s”.") % {"name": calendar.name}, field="name"
        ) from exc


@transaction.atomic
def do_create_calendar(
    *,
    actor: User | None,
    name: str,
    time_zone: str = "Asia/Seoul",
    weekly: object = None,
    country_holidays: object = None,
    custom_holidays: object = None,
    partial_days: object = None,
) -> Calendar:
    _require_manager(actor)
    clean = _clean_calendar_name(name, exclude_pk=None)
    values = clean_calendar_values(
        time_zone=time_zone,
        weekly=weekly,
        country_holidays=country_holidays,
        custom_holidays=custom_holidays,
        partial_days=partial_days,
    )
    at = clock.now()
    calendar = Calendar(
        name=clean,
        time_zone=values.time_zone,
        weekly=values.weekly,
        country_holidays=values.country_holidays,
        custom_holidays=values.custom_holidays,
        partial_days=values.partial_days,
        created_at=at,
        updated_at=at,
    )
    _save(calendar, force_insert=True)
    audit(actor, "calendar.created", calendar, **_audit_data(calendar))
    return calendar


_UNSET: Any = object()


@transaction.atomic
def do_update_calendar(
    calendar: Calendar,
    *,
    actor: User | None,
    name: object = _UNSET,
    time_zone: object = _UNSET,
    weekly: object = _UNSET,
    country_holidays: object = _UNSET,
    custom_holidays: object = _UNSET,
    partial_days: object = _UNSET,
) -> Calendar:
    """Change the given values (the others stay); the whole calendar is checked again."""
    _require_manager(actor)
    current = Calendar.objects.select_for_update().get(pk=calendar.pk)
    before = _audit_data(current)

    def pick(value: object, stored: object) -> object:
        return stored if value is _UNSET else value

    new_name = current.name if name is _UNSET else _clean_calendar_name(name, exclude_pk=current.pk)
    values = clean_calendar_values(
        time_zone=pick(time_zone, current.time_zone),
        weekly=pick(weekly, current.weekly),
        country_holidays=pick(country_holidays, current.country_holidays),
        custom_holidays=pick(custom_holidays, current.custom_holidays),
        partial_days=pick(partial_days, current.partial_days),
    )
    current.name = new_name
    current.time_zone = values.time_zone
    current.weekly = values.weekly
    current.country_holidays = values.country_holidays
    current.custom_holidays = values.custom_holidays
    current.partial_days = values.partial_days
    after = _audit_data(current)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return current
    current.updated_at = clock.now()
    _save(current)
    audit(
        actor,
        "calendar.updated",
        current,
        name=current.name,
        changed=changed,
        before={k: before[k] for k in changed},
    )
    if set(changed) - {"name"} and any(calendar_users(current)):
        recompute_open_tickets_after_commit()
    return current


def calendar_users(calendar: Calendar) -> tuple[list[str], list[str]]:
    """The names of the teams and SLA policies that use a calendar."""
    teams = list(
        TeamCalendar.objects.filter(calendar=calendar)
        .order_by("team__name")
        .values_list("team__name", flat=True)
    )
    policies = list(
        SlaPolicy.objects.filter(calendar=calendar).order_by("name").values_list("name", flat=True)
    )
    return teams, policies


@transaction.atomic
def do_delete_calendar(calendar: Calendar, *, actor: User | None) -> None:
    """Delete a calendar no team and no SLA policy uses (InvalidInput names who uses it)."""
    _require_manager(actor)
    current = Calendar.objects.select_for_update().filter(pk=calendar.pk).first()
    if current is None:
        return
    teams, policies = calendar_users(current)
    if teams or policies:
        users = []
        if teams:
            users.append(_("teams: %(names)s") % {"names": ", ".join(teams)})
        if policies:
            users.append(_("SLA policies: %(names)s") % {"names": ", ".join(policies)})
        raise InvalidInput(
            _(
                "The calendar “%(name)s” is in use (%(users)s). Choose another calendar "
                "for them first."
            )
            % {"name": current.name, "users": "; ".join(users)},
            field="calendar",
        )
    audit(actor, "calendar.deleted", current, **_audit_data(current))
    current.delete()


@transaction.atomic
def do_set_team_calendar(
    *, actor: User | None, team_id: object, calendar_id: object
) -> TeamCalendar | None:
    """The calendar a team works by; ``calendar_id`` None: none (the team works 24/7)."""
    _require_manager(actor)
    team = (
        Team.objects.filter(pk=team_id).first()
        if isinstance(team_id, int) and not isinstance(team_id, bool)
        else None
    )
    if team is None:
        raise InvalidInput(_("No such team."), field="team")
    calendar: Calendar | None = None
    if calendar_id is not None:
        if isinstance(calendar_id, int) and not isinstance(calendar_id, bool):
            calendar = Calendar.objects.filter(pk=calendar_id).first()
        if calendar is None:
            raise InvalidInput(_("No such calendar."), field="calendar")
    link = TeamCalendar.objects.select_for_update().filter(team=team).first()
    before = link.calendar_id if link else None
    if before == (calendar.pk if calendar else None):
        return link
    if calendar is None:
        assert link is not None
        link.delete()
        link = None
    elif link is None:
        link = TeamCalendar.objects.create(team=team, calendar=calendar)
    else:
        link.calendar = calendar
        link.save(update_fields=["calendar"])
    audit(
        actor,
        "team.calendar_changed",
        team,
        name=team.name,
        calendar=calendar.pk if calendar else None,
        calendar_name=calendar.name if calendar else None,
        before=before,
    )
    recompute_open_tickets_after_commit()
    return link
