"""When a scheduled report runs next: daily, weekly, monthly (day 31 = last day), across DST
changes, in the report's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doum.core.errors import InvalidInput
from doum.reports.scheduling import Schedule, next_run, validate

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")


def test_daily_in_seoul() -> None:
    s = Schedule("daily", 8, 0, "Asia/Seoul")
    after = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)  # 09:00 in Seoul: today's 08:00 has passed
    assert next_run(s, after) == datetime(2025, 6, 3, 8, 0, tzinfo=SEOUL)
    assert next_run(s, datetime(2025, 6, 1, 22, 0, tzinfo=UTC)) == datetime(
        2025, 6, 2, 8, 0, tzinfo=SEOUL
    )


def test_weekly_on_friday() -> None:
    s = Schedule("weekly", 17, 30, "Asia/Seoul", weekday=4)
    got = next_run(s, datetime(2025, 6, 2, tzinfo=UTC))  # a Monday
    assert got == datetime(2025, 6, 6, 17, 30, tzinfo=SEOUL)


def test_monthly_day_31_is_the_last_day_of_short_months() -> None:
    s = Schedule("monthly", 9, 0, "Asia/Seoul", day_of_month=31)
    got = next_run(s, datetime(2025, 2, 1, tzinfo=UTC))
    assert got == datetime(2025, 2, 28, 9, 0, tzinfo=SEOUL)
    got = next_run(s, got)
    assert got == datetime(2025, 3, 31, 9, 0, tzinfo=SEOUL)
    got = next_run(s, got)
    assert got == datetime(2025, 4, 30, 9, 0, tzinfo=SEOUL)
    leap = next_run(s, datetime(2024, 2, 10, tzinfo=UTC))
    assert leap == datetime(2024, 2, 29, 9, 0, tzinfo=SEOUL)


def test_daily_keeps_the_wall_clock_across_dst() -> None:
    s = Schedule("daily", 8, 0, "America/New_York")
    before = next_run(s, datetime(2025, 3, 8, 12, 0, tzinfo=UTC))  # 07:00 EST
    after = next_run(s, before)
    assert before.astimezone(NEW_YORK).hour == 8 and after.astimezone(NEW_YORK).hour == 8
    assert (after - before).total_seconds() == 23 * 3600  # the spring-forward day is short


def test_a_time_in_the_spring_forward_gap_runs_just_after_it() -> None:
    s = Schedule("daily", 2, 30, "America/New_York")
    got = next_run(s, datetime(2025, 3, 9, 5, 0, tzinfo=UTC))  # 00:00 EST on the change day
    local = got.astimezone(NEW_YORK)
    assert (local.date().isoformat(), local.hour, local.minute) == ("2025-03-09", 3, 30)


def test_a_repeated_time_runs_once_on_fall_back() -> None:
    s = Schedule("daily", 1, 30, "America/New_York")
    first = next_run(s, datetime(2025, 11, 2, 4, 0, tzinfo=UTC))  # 00:00 EDT
    assert first == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first one
    second = next_run(s, first)
    assert second.astimezone(NEW_YORK).date().isoformat() == "2025-11-03"


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from(["Asia/Seoul", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(1, 31),
)
def test_monthly_runs_are_always_later_and_on_the_right_day(
    after: datetime, zone: str, hour: int, minute: int, day: int
) -> None:
    s = Schedule("monthly", hour, minute, zone, day_of_month=day)
    got = next_run(s, after)
    assert got > after
    local = got.astimezone(ZoneInfo(zone))
    import calendar

    last = calendar.monthrange(local.year, local.month)[1]
    assert local.day == min(day, last)
    assert (got - after).days <= 62


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        (Schedule("hourly", 8, 0, "Asia/Seoul"), "frequency"),
        (Schedule("daily", 24, 0, "Asia/Seoul"), "hour"),
        (Schedule("daily", 8, 60, "Asia/Seoul"), "minute"),
        (Schedule("daily", 8, 0, "Mars/Olympus_Mons"), "time_zone"),
        (Schedule("daily", 8, 0, "../../etc/passwd"), "time_zone"),
        (Schedule("weekly", 8, 0, "UTC"), "weekday"),
        (Schedule("weekly", 8, 0, "UTC", weekday=7), "weekday"),
        (Schedule("monthly", 8, 0, "UTC", day_of_month=0), "day_of_month"),
        (Schedule("monthly", 8, 0, "UTC", day_of_month=32), "day_of_month"),
    ],
)
def test_bad_schedules_name_their_field(schedule: Schedule, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(schedule)
    assert caught.value.field == field
