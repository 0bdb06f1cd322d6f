"""Laws of business-time arithmetic, checked with hypothesis against a slow reference model.

The reference model (`Oracle`) shares no code with doum.sla.calendar: it walks local dates one
by one with plain datetime arithmetic, reads the `holidays` package directly, and finds the
instant of a spring-forward change by stepping minute by minute. The engine (per-year blocks,
bisect over cumulative sums, epoch microseconds) must agree with it exactly, to the
microsecond, and must obey the algebraic laws stated in the calendar module's docstring:

* duration(a, a) == 0, duration(b, a) == -duration(a, b), and durations add up over any
  split, in any order: duration(a, c) == duration(a, b) + duration(b, c);
* 0 <= duration(a, b) <= b - a for a <= b; is_open(t) iff duration(t, t + 1 µs) == 1 µs;
* add(a, n) is the earliest x >= a with duration(a, x) == n (so add(a, 0) == a);
* add(a, duration(a, b)) == b when b is open and not an opening instant, and otherwise the
  last closing instant at or before b (or a);
* add is monotone in both arguments and composes: add(add(a, m), n) == add(a, m + n);
* next_opening(a) is the earliest open instant >= a.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from doum.sla.calendar import (
    CALENDAR_24_7,
    BusinessCalendar,
    CalendarSpec,
    NoBusinessTimeError,
    PartialDay,
    Period,
    weekly_hours,
)
from doum.sla.holidays import HolidaySource

US = timedelta(microseconds=1)
LAWS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The instants under test: December 2025 to February 2027 (two year ends, all the 2026 DST
# changes, two of the engine's block boundaries).
RANGE_START = datetime(2025, 12, 1, tzinfo=UTC)
RANGE_END = datetime(2027, 2, 1, tzinfo=UTC)
# The engine cuts time into 365-day UTC blocks from the epoch; their edges are worth probing.
BLOCK_EDGES = [datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=365 * k) for k in (56, 57)]


def p(text: str) -> Period:
    return Period.parse(text)


SPECS: dict[str, CalendarSpec] = {
    # Seoul office: lunch break, Korean holidays (lunar ones included), a half day on Dec 31,
    # a company holiday.
    "seoul": CalendarSpec(
        time_zone="Asia/Seoul",
        weekly=weekly_hours(range(5), p("09:00-12:00"), p("13:00-18:00")),
        country_holidays=(HolidaySource("KR"),),
        custom_holidays=frozenset({date(2026, 4, 17)}),
        partial_days=(
            PartialDay(date(2025, 12, 31), (p("09:00-13:00"),)),
            PartialDay(date(2026, 10, 9), (p("10:00-15:00"),)),  # open on Hangul Day
            PartialDay(date(2026, 12, 31), (p("09:00-13:00"),)),
        ),
    ),
    # New York: a night shift every day across midnight and DST, day hours on weekdays,
    # US holidays, a closed Saturday and a working Sunday.
    "new_york": CalendarSpec(
        time_zone="America/New_York",
        weekly={
            **weekly_hours(range(7), p("22:00-06:00")),
            **weekly_hours(range(5), p("09:00-17:00"), p("22:00-06:00")),
            6: (p("01:00-03:00"), p("22:00-06:00")),
        },
        country_holidays=(HolidaySource("US"),),
        partial_days=(
            PartialDay(date(2026, 3, 14)),
            PartialDay(date(2026, 11, 8), (p("10:00-14:00"),)),
        ),
    ),
    # Berlin: hours around the 02:00/03:00 changes, Bavarian holidays.
    "berlin": CalendarSpec(
        time_zone="Europe/Berlin",
        weekly={
            **weekly_hours(range(6), p("08:00-12:30"), p("13:15-19:45")),
            # Ambiguous ends and starts on 2026-10-25; skipped ones on 2026-03-29.
            6: (p("01:00-02:10"), p("02:30-04:00"), p("02:40-02:50")),
        },
        country_holidays=(HolidaySource("DE", subdivision="BY"),),
    ),
    # Havana changes at midnight: 00:00 does not exist on 2026-03-08 and happens twice on
    # 2026-11-01.
    "havana": CalendarSpec(
        time_zone="America/Havana",
        weekly=weekly_hours(range(7), p("00:00-06:00"), p("18:00-00:00")),
    ),
    # Overlapping and touching periods, 24-hour periods, a microsecond-precise period.
    "overlaps": CalendarSpec(
        time_zone="Australia/Lord_Howe",
        weekly={
            0: (p("09:00-12:00"), p("11:00-14:00"), p("14:00-15:00")),
            1: (p("00:00-00:00"),),
            2: (p("23:00-23:00"),),
            4: (Period(time(8, 0, 0, 250_000), time(8, 0, 1, 1)),),
        },
    ),
    # No weekly hours: open only on a few dated days, then never again.
    "sparse": CalendarSpec(
        time_zone="Europe/London",
        weekly={},
        partial_days=(
            PartialDay(date(2026, 3, 29), (p("00:30-02:30"),)),
            PartialDay(date(2026, 6, 1), (p("09:00-17:00"),)),
        ),
    ),
    "always": CalendarSpec(
        time_zone="Asia/Kolkata", weekly=weekly_hours(range(7), p("06:00-06:00"))
    ),
    "never": CalendarSpec(time_zone="UTC", weekly={}),
}
CALENDARS = {name: BusinessCalendar(spec) for name, spec in SPECS.items()}
CALENDARS["24_7"] = CALENDAR_24_7


# --------------------------------------------------------------------------------------------
# The reference model


@cache
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _first_instant_showing(tz: ZoneInfo, day: date, t: time) -> datetime:
    """The first instant at which the local clock shows `day t`."""
    naive = datetime.combine(day, t)
    existing = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == naive:
            existing.append(instant)
    if existing:
        return min(existing)
    # Skipped by a forward change: step from before the change to the first minute whose
    # wall time has passed `naive` (real changes happen on whole minutes).
    instant = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    instant -= timedelta(seconds=instant.second, microseconds=instant.microsecond)
    while instant.astimezone(tz).replace(tzinfo=None) < naive:
        instant += timedelta(minutes=1)
    return instant


class Oracle:
    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.time_zone)

    def intervals(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        """Maximal open intervals clipped to [lo, hi)."""
        if lo >= hi:
            return []
        partial = {item.day: item.periods for item in self.spec.partial_days}
        raw = []
        day = lo.astimezone(self.tz).date() - timedelta(days=2)
        while day <= hi.astimezone(self.tz).date() + timedelta(days=1):
            periods = partial.get(day)
            if periods is None:
                closed = day in self.spec.custom_holidays or any(
                    day in _holiday_dates(src.country, src.subdivision, day.year)
                    for src in self.spec.country_holidays
                )
                periods = () if closed else self.spec.weekly.get(day.weekday(), ())
            for period in periods:
                start = _first_instant_showing(self.tz, day, period.start)
                end_day = day + timedelta(days=1) if period.end <= period.start else day
                end = _first_instant_showing(self.tz, end_day, period.end)
                start, end = max(start, lo), min(end, hi)
                if start < end:
                    raw.append((start, end))
            day += timedelta(days=1)
        merged: list[tuple[datetime, datetime]] = []
        for start, end in sorted(raw):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def duration(self, a: datetime, b: datetime) -> timedelta:
        if b < a:
            return -self.duration(b, a)
        return sum((end - start for start, end in self.intervals(a, b)), timedelta())

    def is_open(self, t: datetime) -> bool:
        return bool(self.intervals(t, t + US))

    def _intervals_after(self, a: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals from `a` on, for 3 years, 30 days at a time."""
        for chunk in range(37):
            yield from self.intervals(
                a + timedelta(days=30 * chunk), a + timedelta(days=30 * chunk + 30)
            )

    def add(self, a: datetime, amount: timedelta) -> datetime | None:
        """None when there is not that much business time in the next 3 years."""
        if not amount:
            return a
        left = amount
        for start, end in self._intervals_after(a):
            if end - start >= left:
                return start + left
            left -= end - start
        return None

    def next_opening(self, a: datetime) -> datetime | None:
        return next((start for start, _ in self._intervals_after(a)), None)


ORACLES = {name: Oracle(spec) for name, spec in SPECS.items()}
ORACLES["24_7"] = Oracle(CALENDAR_24_7.spec)


# --------------------------------------------------------------------------------------------
# Strategies


@cache
def _edges(name: str) -> list[datetime]:
    """Opening and closing instants of the calendar in the range, plus the block edges."""
    found = [t for interval in ORACLES[name].intervals(RANGE_START, RANGE_END) for t in interval]
    return sorted({*found, *BLOCK_EDGES, RANGE_START})


@cache
def _special_instants(name: str) -> list[datetime]:
    """Where calendars go wrong: the zone's offset changes, dated entries, holidays, year ends."""
    spec = ORACLES[name].spec
    tz = ZoneInfo(spec.time_zone)
    found = []
    t, offset = RANGE_START, RANGE_START.astimezone(tz).utcoffset()
    while t < RANGE_END:
        t += timedelta(hours=1)
        if t.astimezone(tz).utcoffset() != offset:
            offset = t.astimezone(tz).utcoffset()
            found.append(t)
    days = {date(2025, 12, 31), date(2026, 12, 31), *spec.custom_holidays}
    days |= {item.day for item in spec.partial_days}
    for source in spec.country_holidays:
        for year in (2025, 2026, 2027):
            days |= _holiday_dates(source.country, source.subdivision, year)
    for day in days:
        noon = datetime.combine(day, time(12), tzinfo=tz).astimezone(UTC)
        if RANGE_START + timedelta(days=2) <= noon <= RANGE_END - timedelta(days=2):
            found.append(noon)
    return sorted(found)


NUDGES = [timedelta(0), US, -US, timedelta(seconds=1), -timedelta(minutes=1), timedelta(hours=1)]


@cache
def instants(name: str) -> st.SearchStrategy[datetime]:
    span_us = (RANGE_END - RANGE_START) // US
    anywhere = st.integers(0, span_us).map(lambda us: RANGE_START + US * us)
    whole_minutes = st.integers(0, span_us // 60_000_000).map(
        lambda m: RANGE_START + timedelta(minutes=m)
    )
    near_edges = st.builds(
        lambda edge, nudge: edge + nudge, st.sampled_from(_edges(name)), st.sampled_from(NUDGES)
    )
    near_special = [
        st.builds(
            lambda spot, us: spot + US * us,
            st.sampled_from(_special_instants(name)),
            st.integers(-width, width),
        )
        for width in (12 * 3_600_000_000, 3 * 86_400_000_000)
    ]
    return st.one_of(anywhere, whole_minutes, near_edges, *near_special)


def shortly_after(name: str, days: int = 40) -> Callable[[datetime], st.SearchStrategy[datetime]]:
    """An instant up to `days` after a given one, often an edge."""

    def strategy(a: datetime) -> st.SearchStrategy[datetime]:
        all_edges = _edges(name)
        edges = all_edges[
            bisect_left(all_edges, a) : bisect_right(all_edges, a + timedelta(days=days))
        ]
        offset = st.one_of(
            st.integers(0, days * 86_400_000_000), st.integers(0, 2 * 86_400_000_000)
        ).map(lambda us: a + US * us)
        if not edges:
            return offset
        near = st.builds(
            lambda e, n: max(a, e + n), st.sampled_from(edges), st.sampled_from(NUDGES)
        )
        return st.one_of(offset, near)

    return strategy


AMOUNTS = st.one_of(
    st.integers(0, 30 * 86_400).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 5_000).map(lambda m: timedelta(minutes=m)),
    st.integers(0, 10**8).map(lambda us: US * us),
)

NAMES = sorted(CALENDARS)


@st.composite
def calendar_and_instant(draw: st.DrawFn) -> tuple[str, datetime]:
    name = draw(st.sampled_from(NAMES))
    return name, draw(instants(name))


@st.composite
def calendar_and_pair(draw: st.DrawFn, days: int = 40) -> tuple[str, datetime, datetime]:
    name = draw(st.sampled_from(NAMES))
    a = draw(instants(name))
    b = draw(shortly_after(name, days)(a))
    return name, a, b


# --------------------------------------------------------------------------------------------
# Agreement with the reference model


@LAWS
@given(calendar_and_pair(), st.booleans())
def test_duration_agrees_with_the_reference_model(
    case: tuple[str, datetime, datetime], swap: bool
) -> None:
    name, a, b = case
    if swap:
        a, b = b, a
    assert CALENDARS[name].duration(a, b) == ORACLES[name].duration(a, b)


@LAWS
@given(calendar_and_instant())
def test_is_open_agrees_with_the_reference_model(case: tuple[str, datetime]) -> None:
    name, t = case
    calendar = CALENDARS[name]
    assert calendar.is_open(t) == ORACLES[name].is_open(t)
    # An instant is open iff the microsecond that starts there is business time.
    assert calendar.is_open(t) == (calendar.duration(t, t + US) == US)


@LAWS
@given(calendar_and_pair(days=20))
def test_open_intervals_agree_with_the_reference_model(
    case: tuple[str, datetime, datetime],
) -> None:
    name, a, b = case
    assert list(CALENDARS[name].open_intervals(a, b)) == ORACLES[name].intervals(a, b)


@LAWS
@given(calendar_and_instant(), AMOUNTS)
def test_add_agrees_with_the_reference_model(case: tuple[str, datetime], amount: timedelta) -> None:
    name, a = case
    expected = ORACLES[name].add(a, amount)
    if expected is None:
        with pytest.raises(NoBusinessTimeError):
            CALENDARS[name].add(a, amount)
    else:
        assert CALENDARS[name].add(a, amount) == expected


@LAWS
@given(calendar_and_instant())
def test_next_opening_agrees_with_the_reference_model(case: tuple[str, datetime]) -> None:
    name, a = case
    assert CALENDARS[name].next_opening(a) == ORACLES[name].next_opening(a)


SPECIAL_CASES = [(name, spot) for name in sorted(ORACLES) for spot in _special_instants(name)]


@pytest.mark.parametrize(("name", "spot"), SPECIAL_CASES, ids=lambda v: str(v)[:16])
def test_agrees_with_the_reference_model_around_every_special_day(
    name: str, spot: datetime
) -> None:
    """Exhaustively, at every opening and closing within two days of a special instant."""
    calendar, oracle = CALENDARS[name], ORACLES[name]
    lo, hi = spot - timedelta(days=2), spot + timedelta(days=2)
    expected = oracle.intervals(lo, hi)
    assert list(calendar.open_intervals(lo, hi)) == expected
    ahead = oracle.intervals(lo, hi + timedelta(days=60))
    for edge in sorted({t for interval in expected for t in interval}):
        for t in (edge - US, edge, edge + US):
            if t < lo:
                continue
            before = [(start, min(end, t)) for start, end in ahead if start < t]
            business = sum((end - start for start, end in before), timedelta())
            assert calendar.is_open(t) == any(start <= t < end for start, end in ahead)
            assert calendar.duration(lo, t) == business
            # The earliest instant with that much business time: t, or the closing before it.
            assert calendar.add(lo, business) == (before[-1][1] if before else lo)
            later = [max(start, t) for start, end in ahead if end > t]
            expected_opening = later[0] if later else oracle.next_opening(t)
            assert calendar.next_opening(t) == expected_opening


# --------------------------------------------------------------------------------------------
# Algebraic laws (engine only: spans can be long)


@st.composite
def calendar_and_three(draw: st.DrawFn) -> tuple[str, datetime, datetime, datetime]:
    name = draw(st.sampled_from(NAMES))
    a, b, c = (draw(instants(name)) for _ in range(3))
    return name, a, b, c


@LAWS
@given(calendar_and_three())
def test_durations_add_up_over_any_split(case: tuple[str, datetime, datetime, datetime]) -> None:
    name, a, b, c = case
    calendar = CALENDARS[name]
    assert calendar.duration(a, a) == timedelta(0)
    assert calendar.duration(b, a) == -calendar.duration(a, b)
    assert calendar.duration(a, c) == calendar.duration(a, b) + calendar.duration(b, c)


@LAWS
@given(calendar_and_pair(days=400))
def test_duration_is_between_zero_and_elapsed_time(case: tuple[str, datetime, datetime]) -> None:
    name, a, b = case
    duration = CALENDARS[name].duration(a, b)
    assert timedelta(0) <= duration <= b - a
    seconds = CALENDARS[name].duration_seconds(a, b)
    assert seconds == duration // timedelta(seconds=1)
    assert CALENDARS[name].duration_seconds(b, a) == -seconds


@LAWS
@given(calendar_and_instant(), AMOUNTS)
def test_add_is_the_earliest_instant_with_that_much_business_time(
    case: tuple[str, datetime], amount: timedelta
) -> None:
    name, a = case
    calendar = CALENDARS[name]
    try:
        x = calendar.add(a, amount)
    except NoBusinessTimeError:
        assert name in {"never", "sparse"}
        assert calendar.duration(a, RANGE_END + timedelta(days=400)) < amount
        return
    assert x.tzinfo is UTC
    assert x >= a
    assert calendar.duration(a, x) == amount
    if amount:
        # Minimal: a microsecond earlier, not enough business time had elapsed yet.
        assert calendar.duration(a, x - US) < amount
        assert calendar.is_open(x - US)
    else:
        assert x == a


@LAWS
@given(calendar_and_pair(days=400))
def test_add_of_the_duration_comes_back(case: tuple[str, datetime, datetime]) -> None:
    name, a, b = case
    calendar = CALENDARS[name]
    back = calendar.add(a, calendar.duration(a, b))
    assert a <= back <= b
    assert calendar.duration(back, b) == timedelta(0)
    if calendar.is_open(b) and calendar.is_open(b - US):
        assert back == b  # b inside an open period, not at its opening
    else:
        # b closed or an opening: the last closing at or before b (or a itself).
        assert back == a or not calendar.is_open(back)
        assert back == a or calendar.is_open(back - US)


@LAWS
@given(calendar_and_pair(days=400), AMOUNTS, AMOUNTS)
def test_add_is_monotone_and_composes(
    case: tuple[str, datetime, datetime], m: timedelta, n: timedelta
) -> None:
    name, a1, a2 = case
    calendar = CALENDARS[name]
    assume(name not in {"never", "sparse"})
    small, large = sorted((m, n))
    assert calendar.add(a1, small) <= calendar.add(a1, large)
    assert calendar.add(a1, n) <= calendar.add(a2, n)
    assert calendar.add(calendar.add(a1, m), n) == calendar.add(a1, m + n)


@LAWS
@given(calendar_and_instant(), AMOUNTS)
def test_next_opening_is_the_earliest_open_instant(
    case: tuple[str, datetime], amount: timedelta
) -> None:
    name, a = case
    calendar = CALENDARS[name]
    opening = calendar.next_opening(a)
    if opening is None:
        assert name in {"never", "sparse"}
        assert calendar.duration(a, RANGE_END + timedelta(days=400)) == timedelta(0)
        return
    assert opening >= a
    assert calendar.is_open(opening)
    assert calendar.duration(a, opening) == timedelta(0)
    assert (opening == a) == calendar.is_open(a)
    if opening > a:
        assert not calendar.is_open(opening - US)
    if amount and calendar.duration(a, RANGE_END + timedelta(days=400)) >= amount:
        assert calendar.add(a, amount) > opening


@LAWS
@given(calendar_and_pair(days=400), st.sampled_from(["Asia/Seoul", "America/Los_Angeles", "UTC"]))
def test_the_time_zone_of_the_input_does_not_matter(
    case: tuple[str, datetime, datetime], zone: str
) -> None:
    name, a, b = case
    calendar = CALENDARS[name]
    tz = ZoneInfo(zone)
    local_a, local_b = a.astimezone(tz), b.astimezone(tz)
    assert calendar.duration(local_a, local_b) == calendar.duration(a, b)
    assert calendar.is_open(local_a) == calendar.is_open(a)
    assert calendar.next_opening(local_a) == calendar.next_opening(a)
    if name not in {"never", "sparse"}:
        result = calendar.add(local_a, 3600)
        assert result == calendar.add(a, timedelta(hours=1))
        assert result.tzinfo is UTC


@LAWS
@given(calendar_and_pair(days=400), AMOUNTS)
def test_24_7_is_elapsed_time(case: tuple[str, datetime, datetime], amount: timedelta) -> None:
    _, a, b = case
    for calendar in (CALENDAR_24_7, CALENDARS["always"]):
        assert calendar.duration(a, b) == b - a
        assert calendar.add(a, amount) == a + amount
        assert calendar.is_open(a)
        assert calendar.next_opening(a) == a
        assert list(calendar.open_intervals(a, b)) == ([(a, b)] if a < b else [])


@LAWS
@given(calendar_and_pair(days=4000), AMOUNTS)
def test_a_zero_hour_calendar_has_no_business_time(
    case: tuple[str, datetime, datetime], amount: timedelta
) -> None:
    _, a, b = case
    calendar = CALENDARS["never"]
    assert calendar.duration(a, b) == timedelta(0)
    assert not calendar.is_open(a)
    assert calendar.next_opening(a) is None
    assert list(calendar.open_intervals(a, b)) == []
    assert calendar.add(a, 0) == a
    if amount:
        with pytest.raises(NoBusinessTimeError, match="no business hours"):
            calendar.add(a, amount)
