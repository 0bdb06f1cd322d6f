"""Describing a calendar: periods, specs, holiday sources and their validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from doum.sla.calendar import SPEC_24_7, CalendarSpec, PartialDay, Period, weekly_hours
from doum.sla.holidays import HolidaySource, holiday_dates, holiday_names


@pytest.mark.parametrize(
    ("text", "start", "end", "hours", "crosses"),
    [
        ("09:00-12:00", time(9), time(12), 3, False),
        ("22:00-06:00", time(22), time(6), 8, True),
        ("09:00-24:00", time(9), time(0), 15, True),
        ("00:00-24:00", time(0), time(0), 24, True),
        ("00:00-00:00", time(0), time(0), 24, True),
        ("13:00:30-18:00", time(13, 0, 30), time(18), 5 - 30 / 3600, False),
        (" 9:05 - 9:35 ", time(9, 5), time(9, 35), 0.5, False),
    ],
)
def test_period_parse(text: str, start: time, end: time, hours: float, crosses: bool) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)
    assert period.nominal_length == timedelta(hours=hours)
    assert period.crosses_midnight is crosses
    assert Period.parse(str(period)) == period


@pytest.mark.parametrize("text", ["", "9-12", "09:00", "25:00-26:00", "09:60-10:00", "24:30-01:00"])
def test_period_parse_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a period"):
        Period.parse(text)


def test_period_times_are_wall_clock() -> None:
    with pytest.raises(ValueError, match="wall-clock"):
        Period(time(9, tzinfo=UTC), time(12))
    with pytest.raises(TypeError):
        Period("09:00", time(12))  # type: ignore[arg-type]
    assert Period(time(9, fold=1), time(12)) == Period(time(9), time(12))
    assert str(Period(time(9), time(0))) == "09:00-24:00"


def test_spec_normalizes_weekly_hours() -> None:
    spec = CalendarSpec(
        time_zone="Asia/Seoul",
        weekly={
            0: (
                Period.parse("13:00-18:00"),
                Period.parse("09:00-12:00"),
                Period.parse("09:00-12:00"),
            )
        },
    )
    assert dict(spec.weekly) == {
        0: (Period.parse("09:00-12:00"), Period.parse("13:00-18:00")),
        **{day: () for day in range(1, 7)},
    }
    with pytest.raises(TypeError):
        spec.weekly[1] = ()  # type: ignore[index]
    assert spec.has_weekly_hours
    assert not CalendarSpec(time_zone="UTC", weekly={}).has_weekly_hours
    assert dict(SPEC_24_7.weekly) == weekly_hours(range(7), Period(time(0), time(0)))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, ValueError, "unknown time zone"),
        ({"time_zone": "../etc/passwd"}, ValueError, "unknown time zone"),
        ({"weekly": {7: ()}}, ValueError, "weekday"),
        ({"weekly": {0: ("09:00-12:00",)}}, TypeError, "expected Period"),
        ({"custom_holidays": frozenset({datetime(2026, 1, 1, tzinfo=UTC)})}, TypeError, "dates"),
        ({"country_holidays": ("KR",)}, TypeError, "HolidaySource"),
        (
            {"partial_days": (PartialDay(date(2026, 12, 31)), PartialDay(date(2026, 12, 31)))},
            ValueError,
            "twice",
        ),
        (
            {
                "partial_days": (PartialDay(date(2026, 12, 31)),),
                "custom_holidays": frozenset({date(2026, 12, 31)}),
            },
            ValueError,
            "both",
        ),
    ],
)
def test_spec_validation(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    arguments: dict[str, object] = {"time_zone": "Asia/Seoul", "weekly": {}, **kwargs}
    with pytest.raises(error, match=message):
        CalendarSpec(**arguments)  # type: ignore[arg-type]


def test_partial_day_validation() -> None:
    with pytest.raises(TypeError):
        PartialDay(datetime(2026, 12, 31, tzinfo=UTC))
    assert PartialDay(date(2026, 12, 31)).periods == ()


def test_holiday_sources_are_validated_by_the_holidays_package() -> None:
    assert HolidaySource("kr") == HolidaySource("KR")
    assert str(HolidaySource("US", "CA")) == "US-CA"
    with pytest.raises(ValueError, match="unknown holiday set"):
        HolidaySource("XX")
    with pytest.raises(ValueError, match="unknown holiday set"):
        HolidaySource("US", subdivision="ZZ")
    with pytest.raises(ValueError, match="unknown holiday set"):
        HolidaySource("KR", categories=("nope",))


def test_korean_lunar_holidays_come_from_the_package() -> None:
    names = holiday_names(HolidaySource("KR"), 2026)
    chuseok = {day for day, name in names.items() if "Chuseok" in name}
    seollal = {day for day, name in names.items() if "Korean New Year" in name}
    assert chuseok == {date(2026, 9, 24), date(2026, 9, 25), date(2026, 9, 26)}
    assert seollal == {date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18)}
    assert date(2026, 3, 2) in holiday_dates(HolidaySource("KR"), 2026)  # alternative holiday
    assert {date(2027, 9, 14), date(2027, 9, 15), date(2027, 9, 16)} <= holiday_dates(
        HolidaySource("KR"), 2027
    )
    with pytest.raises(TypeError):
        names[date(2026, 1, 2)] = "Not a holiday"  # type: ignore[index]


def test_us_holidays_include_observed_days_and_subdivisions() -> None:
    us = holiday_dates(HolidaySource("US"), 2026)
    assert {date(2026, 11, 26), date(2026, 7, 3), date(2026, 12, 25)} <= us
    bavaria = holiday_dates(HolidaySource("DE", "BY"), 2026)
    assert date(2026, 1, 6) in bavaria  # Epiphany: Bavaria, not Berlin
    assert date(2026, 1, 6) not in holiday_dates(HolidaySource("DE", "BE"), 2026)
