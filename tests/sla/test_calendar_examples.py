"""Hand-worked business-time cases: each expected value below was worked out on paper."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from doum.sla.calendar import (
    CALENDAR_24_7,
    SPEC_24_7,
    BusinessCalendar,
    CalendarSpec,
    NoBusinessTimeError,
    PartialDay,
    Period,
    from_epoch_us,
    get_calendar,
    to_epoch_us,
    weekly_hours,
)
from doum.sla.holidays import HolidaySource

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


def p(text: str) -> Period:
    return Period.parse(text)


def kst(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SEOUL)


def nyc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK, fold=fold)


def seoul_office(**extra: object) -> BusinessCalendar:
    """Mon-Fri 09:00-12:00 and 13:00-18:00 KST, Korean public holidays."""
    return BusinessCalendar(
        CalendarSpec(
            time_zone="Asia/Seoul",
            weekly=weekly_hours(range(5), p("09:00-12:00"), p("13:00-18:00")),
            country_holidays=(HolidaySource("KR"),),
            **extra,  # type: ignore[arg-type]
        )
    )


# ---- Seoul -------------------------------------------------------------------------------------


def test_friday_evening_ticket_with_a_two_hour_target_is_due_monday_morning() -> None:
    calendar = seoul_office()
    created = kst(2026, 3, 6, 17, 30)  # Friday
    due = calendar.add(created, timedelta(hours=2))
    # 30 minutes on Friday (17:30-18:00), 90 on Monday (09:00-10:30).
    assert due == kst(2026, 3, 9, 10, 30)
    assert due.tzinfo is UTC
    assert calendar.duration(created, due) == 2 * HOUR
    assert calendar.duration_seconds(created, kst(2026, 3, 9, 9, 0)) == 30 * 60


@pytest.mark.parametrize(
    ("friday", "due", "why"),
    [
        (
            kst(2026, 2, 27, 17, 30),
            kst(2026, 3, 3, 10, 30),
            "Mar 2: alt. Independence Movement Day",
        ),
        (kst(2026, 5, 22, 17, 30), kst(2026, 5, 26, 10, 30), "May 25: alt. Buddha's Birthday"),
        (kst(2026, 8, 14, 17, 30), kst(2026, 8, 18, 10, 30), "Aug 17: alt. Liberation Day"),
    ],
)
def test_when_monday_is_a_holiday_it_is_due_tuesday(
    friday: datetime, due: datetime, why: str
) -> None:
    calendar = seoul_office()
    assert calendar.add(friday, 2 * 3600) == due, why
    monday = friday + timedelta(days=3)
    assert not calendar.is_open(monday.replace(hour=11))


def test_chuseok_2026_closes_thursday_to_saturday() -> None:
    calendar = seoul_office()
    # The holidays package: Sep 24 (Thu) the day preceding Chuseok, Sep 25 (Fri) Chuseok,
    # Sep 26 (Sat) its second day.
    created = kst(2026, 9, 23, 17, 0)  # Wednesday
    assert calendar.add(created, 2 * HOUR) == kst(2026, 9, 28, 10, 0)  # the next Monday
    assert calendar.duration(kst(2026, 9, 23, 18, 0), kst(2026, 9, 28, 9, 0)) == timedelta(0)
    assert not calendar.is_open(kst(2026, 9, 24, 10, 0))
    assert not calendar.is_open(kst(2026, 9, 25, 10, 0))
    assert calendar.next_opening(kst(2026, 9, 23, 18, 0)) == kst(2026, 9, 28, 9, 0)
    # The whole Chuseok week: Mon-Wed 8 hours each, then nothing.
    assert calendar.duration(kst(2026, 9, 21), kst(2026, 9, 28)) == 24 * HOUR


def test_seollal_2026_closes_monday_to_wednesday() -> None:
    calendar = seoul_office()
    # Feb 16-18 2026 (Mon-Wed): Korean New Year and the days around it.
    assert calendar.add(kst(2026, 2, 13, 17, 0), 2 * HOUR) == kst(2026, 2, 19, 10, 0)
    assert calendar.duration(kst(2026, 2, 16), kst(2026, 2, 19)) == timedelta(0)


def test_the_lunch_break_is_not_business_time() -> None:
    calendar = seoul_office()
    tuesday = (2026, 3, 10)
    assert calendar.add(kst(*tuesday, 11, 30), HOUR) == kst(*tuesday, 13, 30)
    assert calendar.duration(kst(*tuesday, 11, 0), kst(*tuesday, 14, 0)) == 2 * HOUR
    assert calendar.is_open(kst(*tuesday, 11, 59, 59))
    assert not calendar.is_open(kst(*tuesday, 12, 0))
    assert not calendar.is_open(kst(*tuesday, 12, 30))
    assert calendar.is_open(kst(*tuesday, 13, 0))
    assert calendar.next_opening(kst(*tuesday, 12, 30)) == kst(*tuesday, 13, 0)
    # Time runs out at the closing instant, not at the next opening.
    assert calendar.add(kst(*tuesday, 11, 0), HOUR) == kst(*tuesday, 12, 0)
    # add(a, 0) is a itself, open or not; one minute from lunch is 13:01.
    assert calendar.add(kst(*tuesday, 12, 30), 0) == kst(*tuesday, 12, 30)
    assert calendar.add(kst(*tuesday, 12, 30), 60) == kst(*tuesday, 13, 1)
    assert list(calendar.open_intervals(kst(*tuesday, 11, 0), kst(*tuesday, 14, 0))) == [
        (kst(*tuesday, 11, 0), kst(*tuesday, 12, 0)),
        (kst(*tuesday, 13, 0), kst(*tuesday, 14, 0)),
    ]


def test_half_day_on_december_31_then_new_year() -> None:
    calendar = seoul_office(
        partial_days=(PartialDay(date(2026, 12, 31), (p("09:00-13:00"),)),),
    )
    # Thursday Dec 31 closes at 13:00 and has no lunch break; Jan 1 2027 (Fri) is a holiday,
    # then the weekend: one hour on Dec 31, one on Monday Jan 4.
    assert calendar.add(kst(2026, 12, 31, 12, 0), 2 * HOUR) == kst(2027, 1, 4, 10, 0)
    assert calendar.duration(kst(2026, 12, 31), kst(2027, 1, 1)) == 4 * HOUR
    assert calendar.is_open(kst(2026, 12, 31, 12, 30))


def test_a_partial_day_opens_a_holiday_and_custom_holidays_close_a_day() -> None:
    calendar = seoul_office(
        partial_days=(PartialDay(date(2026, 10, 9), (p("10:00-15:00"),)),),  # Hangul Day
        custom_holidays=frozenset({date(2026, 10, 8)}),  # company holiday, Thursday
    )
    assert calendar.duration(kst(2026, 10, 8), kst(2026, 10, 10)) == 5 * HOUR
    assert calendar.next_opening(kst(2026, 10, 7, 18, 0)) == kst(2026, 10, 9, 10, 0)


# ---- daylight saving --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("America/New_York", date(2026, 3, 8), 1),  # spring forward: 02:00 -> 03:00
        ("America/New_York", date(2026, 3, 15), 2),
        ("America/New_York", date(2026, 11, 1), 3),  # fall back: 01:00-02:00 twice
        ("Europe/Berlin", date(2026, 3, 29), 1),  # spring forward: 02:00 -> 03:00
        ("Europe/Berlin", date(2026, 10, 25), 3),  # fall back: 02:00-03:00 twice
        ("Europe/Berlin", date(2026, 11, 1), 2),
    ],
)
def test_a_period_from_one_to_three_has_its_real_length_on_dst_days(
    zone: str, day: date, hours: int
) -> None:
    calendar = BusinessCalendar(CalendarSpec(time_zone=zone, weekly={6: (p("01:00-03:00"),)}))
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day, time(12), tzinfo=tz)
    assert calendar.duration(start, end) == hours * HOUR
    ((opens, closes),) = calendar.open_intervals(start, end)
    assert closes - opens == hours * HOUR
    # The first 01:00 (fold=0). Compared in UTC: Python never finds an ambiguous local time
    # equal to an instant of another zone.
    assert opens == datetime.combine(day, time(1), tzinfo=tz).astimezone(UTC)


def test_a_skipped_opening_time_opens_at_the_change_and_an_ambiguous_closing_at_first_sight() -> (
    None
):
    calendar = BusinessCalendar(
        CalendarSpec(time_zone="America/New_York", weekly={6: (p("02:30-04:00"),)})
    )
    # 02:30 does not exist on 2026-03-08: the office opens when the clock jumps to 03:00 EDT.
    assert calendar.next_opening(nyc(2026, 3, 8, 0, 0)) == nyc(2026, 3, 8, 3, 0)
    assert calendar.next_opening(nyc(2026, 3, 8, 0, 0)) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert calendar.duration(nyc(2026, 3, 8, 0, 0), nyc(2026, 3, 8, 12, 0)) == HOUR

    closing = BusinessCalendar(
        CalendarSpec(time_zone="America/New_York", weekly={6: (p("00:00-01:30"),)})
    )
    # 01:30 happens twice on 2026-11-01: closing is the first time, 01:30 EDT (05:30 UTC).
    ((opens, closes),) = closing.open_intervals(nyc(2026, 11, 1), nyc(2026, 11, 1, 12))
    assert (opens, closes) == (
        datetime(2026, 11, 1, 4, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    )
    assert not closing.is_open(nyc(2026, 11, 1, 1, 15, fold=1))  # the second 01:15 (EST)
    assert closing.is_open(nyc(2026, 11, 1, 1, 15, fold=0))


def test_new_york_business_day_across_the_spring_forward_weekend() -> None:
    calendar = BusinessCalendar(
        CalendarSpec(
            time_zone="America/New_York",
            weekly=weekly_hours(range(5), p("09:00-17:00")),
            country_holidays=(HolidaySource("US"),),
        )
    )
    created = nyc(2026, 3, 6, 16, 0)  # Friday, EST (UTC-5)
    due = calendar.add(created, 2 * HOUR)
    assert due == nyc(2026, 3, 9, 10, 0)  # Monday, EDT (UTC-4)
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    # Thanksgiving (Thu Nov 26 2026) is closed.
    assert calendar.add(nyc(2026, 11, 25, 16, 0), 2 * HOUR) == nyc(2026, 11, 27, 10, 0)


def test_a_night_shift_across_midnight_and_dst() -> None:
    calendar = BusinessCalendar(
        CalendarSpec(time_zone="America/New_York", weekly=weekly_hours(range(7), p("22:00-06:00")))
    )
    # Saturday night into the spring-forward Sunday lasts 7 real hours, into fall-back 9.
    assert calendar.duration(nyc(2026, 3, 7, 12), nyc(2026, 3, 8, 12)) == 7 * HOUR
    assert calendar.duration(nyc(2026, 10, 31, 12), nyc(2026, 11, 1, 12)) == 9 * HOUR
    assert calendar.duration(nyc(2026, 3, 14, 12), nyc(2026, 3, 15, 12)) == 8 * HOUR
    # 22:00 EST + 5 business hours = 04:00 EDT (08:00 UTC).
    assert calendar.add(nyc(2026, 3, 7, 22), 5 * HOUR) == nyc(2026, 3, 8, 4)
    assert calendar.is_open(nyc(2026, 3, 8, 5, 59))
    assert not calendar.is_open(nyc(2026, 3, 8, 6, 0))
    # 05:00 + 2 business hours: one until 06:00, then the next shift from 22:00.
    assert calendar.add(nyc(2026, 3, 10, 5), 2 * HOUR) == nyc(2026, 3, 10, 23)


# ---- midnight, year ends, 24/7, zero hours ----------------------------------------------------


def test_a_night_shift_belongs_to_the_day_it_starts_on_across_the_year_end() -> None:
    calendar = BusinessCalendar(
        CalendarSpec(
            time_zone="UTC",
            weekly=weekly_hours(range(7), p("22:00-06:00")),
            custom_holidays=frozenset({date(2027, 1, 1)}),
        )
    )
    utc = UTC
    # Dec 31's shift runs on into the Jan 1 holiday ...
    assert calendar.add(datetime(2026, 12, 31, 23, tzinfo=utc), 2 * HOUR) == datetime(
        2027, 1, 1, 1, tzinfo=utc
    )
    # ... and Jan 1's own shift (22:00 -> Jan 2 06:00) is cancelled.
    assert calendar.add(datetime(2027, 1, 1, 5, tzinfo=utc), 2 * HOUR) == datetime(
        2027, 1, 2, 23, tzinfo=utc
    )
    assert not calendar.is_open(datetime(2027, 1, 2, 3, tzinfo=utc))
    assert calendar.duration(
        datetime(2026, 12, 31, tzinfo=utc), datetime(2027, 1, 3, tzinfo=utc)
    ) == timedelta(hours=6 + 8 + 0 + 2)


def test_24_7_counts_calendar_hours() -> None:
    start = nyc(2026, 3, 7, 12)
    end = nyc(2026, 3, 8, 12)  # 23 hours later: the clock sprang forward
    assert CALENDAR_24_7.duration(start, end) == 23 * HOUR
    assert CALENDAR_24_7.add(start, 23 * HOUR) == end
    assert CALENDAR_24_7.add(datetime(2026, 12, 31, 23, tzinfo=UTC), 2 * 3600) == datetime(
        2027, 1, 1, 1, tzinfo=UTC
    )
    assert CALENDAR_24_7.is_open(start)
    assert CALENDAR_24_7.next_opening(start) == start
    assert CALENDAR_24_7.spec == SPEC_24_7
    # The general engine, on an equivalent spec that it cannot shortcut, agrees.
    general = BusinessCalendar(
        CalendarSpec(time_zone="Asia/Seoul", weekly=weekly_hours(range(7), p("09:00-09:00")))
    )
    ten_years = datetime(2036, 1, 1, tzinfo=UTC)
    assert general.duration(start, ten_years) == ten_years - start


def test_a_zero_hour_calendar_raises_instead_of_looping() -> None:
    calendar = BusinessCalendar(CalendarSpec(time_zone="Asia/Seoul", weekly={}))
    start = kst(2026, 3, 6, 17, 30)
    assert calendar.duration(start, start + timedelta(days=365)) == timedelta(0)
    assert not calendar.is_open(start)
    assert calendar.next_opening(start) is None
    assert calendar.add(start, 0) == start
    with pytest.raises(NoBusinessTimeError, match="no business hours"):
        calendar.add(start, 60)
    # Holidays that close every open day are no different: no business time.
    closed = BusinessCalendar(
        CalendarSpec(
            time_zone="UTC",
            weekly={},
            partial_days=(PartialDay(date(2026, 6, 1), (p("09:00-10:00"),)),),
        )
    )
    assert closed.add(datetime(2026, 5, 1, tzinfo=UTC), 3600) == datetime(
        2026, 6, 1, 10, tzinfo=UTC
    )
    with pytest.raises(NoBusinessTimeError):
        closed.add(datetime(2026, 5, 1, tzinfo=UTC), 3601)
    assert closed.next_opening(datetime(2026, 6, 1, 10, tzinfo=UTC)) is None


def test_a_calendar_whose_custom_holidays_close_years_still_opens_afterwards() -> None:
    years = {date(2026, 1, 1) + timedelta(days=n) for n in range(3 * 366)}
    calendar = BusinessCalendar(
        CalendarSpec(
            time_zone="UTC",
            weekly=weekly_hours(range(5), p("09:00-17:00")),
            custom_holidays=frozenset(years),
        )
    )
    reopening = calendar.next_opening(datetime(2026, 1, 1, tzinfo=UTC))
    assert max(years) == date(2029, 1, 2)
    assert reopening == datetime(2029, 1, 3, 9, tzinfo=UTC)  # Wednesday after the closure
    assert calendar.add(datetime(2026, 1, 1, tzinfo=UTC), 3600) == datetime(
        2029, 1, 3, 10, tzinfo=UTC
    )


def test_long_spans_add_up_year_by_year() -> None:
    calendar = seoul_office()
    years = [kst(year, 1, 1) for year in range(1995, 2076)]  # more years than the cache holds
    yearly = [calendar.duration(a, b) for a, b in pairwise(years)]
    assert calendar.duration(years[0], years[-1]) == sum(yearly, timedelta())
    assert calendar.duration(years[-1], years[0]) == -sum(yearly, timedelta())
    # About 250 business days of 8 hours a year.
    assert all(230 * 8 * HOUR < hours < 262 * 8 * HOUR for hours in yearly)


# ---- inputs and outputs -----------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    calendar = seoul_office()
    naive = datetime(2026, 3, 6, 17, 30)
    aware = kst(2026, 3, 6, 17, 30)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.is_open(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.duration(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.duration(naive, aware)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add(naive, 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.next_opening(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.open_intervals(naive, aware)  # refused at the call, not on iteration
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR_24_7.duration(naive, aware)


def test_adding_past_the_year_9999_overflows() -> None:
    calendar = seoul_office()
    with pytest.raises(OverflowError, match="9999"):
        calendar.add(kst(9990, 1, 1), timedelta(days=10 * 366))


def test_bad_amounts_are_refused() -> None:
    calendar = seoul_office()
    start = kst(2026, 3, 6, 17, 30)
    with pytest.raises(ValueError, match="negative"):
        calendar.add(start, -1)
    with pytest.raises(ValueError, match="negative"):
        calendar.add(start, timedelta(minutes=-5))
    with pytest.raises(TypeError):
        calendar.add(start, True)
    with pytest.raises(TypeError):
        calendar.add(start, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calendar.is_open(date(2026, 3, 6))  # type: ignore[arg-type]


def test_results_are_utc_and_inputs_may_use_any_zone() -> None:
    calendar = seoul_office()
    fixed = timezone(timedelta(hours=-3))
    created = kst(2026, 3, 6, 17, 30).astimezone(fixed)
    due = calendar.add(created, timedelta(hours=2))
    assert due == kst(2026, 3, 9, 10, 30)
    assert due.tzinfo is UTC
    opening = calendar.next_opening(created)
    assert opening is not None and opening.tzinfo is UTC
    assert all(t.tzinfo is UTC for pair in calendar.open_intervals(created, due) for t in pair)


def test_epoch_microseconds_round_trip() -> None:
    instant = datetime(2026, 3, 6, 8, 30, 0, 123_456, tzinfo=UTC)
    assert to_epoch_us(instant) == 1_772_785_800_123_456
    assert from_epoch_us(to_epoch_us(instant)) == instant
    assert to_epoch_us(instant.astimezone(SEOUL)) == to_epoch_us(instant)
    calendar = seoul_office()
    a, b = to_epoch_us(kst(2026, 3, 6, 17, 30)), to_epoch_us(kst(2026, 3, 9, 10, 30))
    assert calendar.duration_us(a, b) == 2 * 3_600_000_000
    assert calendar.add_us(a, 2 * 3_600_000_000) == b
    assert calendar.is_open_us(b - 1)
    assert calendar.next_opening_us(a + 1_800_000_000) == to_epoch_us(kst(2026, 3, 9, 9))


def test_get_calendar_shares_one_calendar_per_spec() -> None:
    def spec() -> CalendarSpec:
        return CalendarSpec(
            time_zone="Asia/Seoul",
            weekly={0: [p("09:00-18:00")]},
            country_holidays=(HolidaySource("kr"),),
        )

    assert spec() == spec()
    assert hash(spec()) == hash(spec())
    assert get_calendar(spec()) is get_calendar(spec())
    assert get_calendar(spec()) is not get_calendar(SPEC_24_7)
