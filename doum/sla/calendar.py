"""Business calendars and business-time arithmetic: the one place Doum computes business time.

Pure Python (no Django, no models): the SLA policies, timers and metrics build a
`CalendarSpec` from their rows and ask a `BusinessCalendar` (or `get_calendar(spec)`, which
caches one per spec).

Describing a calendar
---------------------
`Period(start, end)`
    Wall-clock hours in the calendar's time zone, half-open: open at `start`, closed at `end`.
    `end <= start` means the period crosses midnight and ends on the next day: `22:00-06:00`
    is a night shift, `09:00-00:00` closes at midnight, `00:00-00:00` is the whole day
    (and `09:00-09:00` is 24 hours from 09:00). `Period.parse("09:00-12:00")` reads the
    `HH:MM[:SS]-HH:MM[:SS]` form (`24:00` is accepted as an end and means midnight).
    A period belongs to the date on which it starts: a holiday on Monday removes Monday's
    22:00-06:00 shift whole (including the hours after midnight); a holiday on Tuesday does
    not cut Monday's shift short, it removes Tuesday's own periods.
`PartialDay(day, periods)`
    Custom hours for one date (a half day such as "closes at 13:00 on Dec 31", or a working
    Saturday); `periods=()` closes the date. A partial day wins over holidays and weekly hours.
`CalendarSpec(time_zone, weekly, country_holidays, custom_holidays, partial_days)`
    `time_zone` is an IANA name ("Asia/Seoul"); `weekly` maps a weekday (0 = Monday ...
    6 = Sunday) to its periods (missing days are closed); `country_holidays` are
    `HolidaySource`s from the `holidays` package (doum.sla.holidays); `custom_holidays` are
    extra closed dates. Overlapping periods simply add up to their union. Specs are frozen and
    hashable (`get_calendar(spec)` caches calendars by spec).
`SPEC_24_7` / `CALENDAR_24_7`
    Always open: "calendar hours" targets use the very same interface.

Wall time and daylight saving
-----------------------------
A wall time on a date is the *first instant at which the local clock shows it*:
* an ambiguous time (fall back) is its first occurrence, so `01:00-03:00` in New York on
  2026-11-01 is open 3 real hours; an ambiguous closing time closes at its first occurrence;
* a time skipped by a spring-forward change is the instant of the change, so `01:00-03:00` on
  2026-03-08 is open 1 real hour and `02:30-04:00` opens at 03:00 EDT.
This map is monotone, so every period has a non-negative, real elapsed length.

Arithmetic (instants are aware datetimes; results are aware UTC datetimes)
-------------------------------------------------------------------------
Let F(t) be the business time elapsed up to instant t; an instant t is *open* when it lies in
an open period [opening, closing). Everything is exact to the microsecond.

`is_open(at) -> bool`
`duration(start, end) -> timedelta`
    F(end) - F(start): the open time inside [start, end). Signed: `duration(b, a) ==
    -duration(a, b)`, so durations add up over any split, in any order:
    `duration(a, c) == duration(a, b) + duration(b, c)`. 0 when start == end.
`duration_seconds(start, end) -> int`
    The same in whole seconds, truncated toward zero.
`add(start, amount) -> datetime`
    `amount` is a non-negative timedelta or int seconds (negative -> ValueError). The
    earliest instant x >= start with `duration(start, x) == amount`. So `add(a, 0) == a`,
    and for amount > 0 the result is the moment the business time runs out: inside an open
    period or at a closing instant (17:30 + 30 min on a day that closes at 18:00 is 18:00,
    not the next opening). Consequently `add(a, duration(a, b)) == b` when b is open and not
    an opening instant; otherwise it is the last closing at or before b (or a, if there was no
    business time in between).
    A calendar that has no business time after `start` raises `NoBusinessTimeError` for an
    amount > 0 (a zero-hour calendar always does); it never loops forever.
`next_opening(at) -> datetime | None`
    The earliest open instant >= at (`at` itself when open), None when the calendar never
    opens again.
`open_intervals(start, end) -> Iterator[tuple[datetime, datetime]]`
    The open intervals clipped to [start, end), maximal (touching periods are merged).
Naive datetimes raise ValueError. Supported instants: years 1 to 9999, a few days off each
end.

Fast path: each method has an `_us` twin working on integer UTC epoch microseconds
(`to_epoch_us`, `from_epoch_us` convert), for bulk work that should not create datetimes.

How it is fast
--------------
Time is cut into fixed UTC blocks (~1 year). Per calendar, a block's open intervals are
computed once, lazily, as a flat sorted list of epoch-microsecond bounds with the cumulative
open time at each bound; blocks are kept in a bounded cache. `duration`, `is_open`, `add` and
`next_opening` are then one or two `bisect`s: O(log n) and no datetime in the hot loop.
Holiday sets are cached per (source, year) (doum.sla.holidays).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from doum.sla.holidays import HolidaySource, holiday_dates

__all__ = [
    "CALENDAR_24_7",
    "SPEC_24_7",
    "BusinessCalendar",
    "CalendarSpec",
    "HolidaySource",
    "NoBusinessTimeError",
    "PartialDay",
    "Period",
    "from_epoch_us",
    "get_calendar",
    "to_epoch_us",
    "weekly_hours",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)
_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_ONE_DAY = timedelta(days=1)

# Block length: 365 days of UTC time, aligned on the epoch.
_BLOCK_US = 365 * _US_PER_DAY
_MAX_CACHED_BLOCKS = 64
# Past the last dated entry of a spec, this many consecutive empty blocks (years) prove that a
# calendar with weekly hours will not open again (country holidays never fill a year).
_MAX_EMPTY_BLOCKS = 3

# Supported instants: keep a margin from date.min/date.max for time-zone offsets and
# periods that cross midnight.
_MIN_DAY = date.min + timedelta(days=3)
_MAX_DAY = date.max - timedelta(days=3)
_MAX_US = (_MAX_DAY.toordinal() - 1 - _EPOCH_ORDINAL) * _US_PER_DAY


class NoBusinessTimeError(ValueError):
    """The calendar has no (more) business time: a positive amount cannot be added."""


# --------------------------------------------------------------------------------------------
# Conversions


def to_epoch_us(at: datetime) -> int:
    """An aware datetime as integer microseconds since 1970-01-01 UTC (naive -> ValueError)."""
    try:
        elapsed = at - _EPOCH
    except TypeError:
        if isinstance(at, datetime):
            raise ValueError(
                f"business time needs a timezone-aware datetime, got naive {at!r}"
            ) from None
        raise TypeError(f"expected an aware datetime, got {type(at).__name__}") from None
    return (elapsed.days * 86_400 + elapsed.seconds) * _US_PER_SECOND + elapsed.microseconds


def from_epoch_us(us: int) -> datetime:
    """Integer microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + _ONE_US * us


def _amount_us(amount: timedelta | int) -> int:
    if isinstance(amount, timedelta):
        us = amount // _ONE_US
    elif isinstance(amount, int) and not isinstance(amount, bool):
        us = amount * _US_PER_SECOND
    else:
        raise TypeError(f"amount must be a timedelta or int seconds, got {type(amount).__name__}")
    if us < 0:
        raise ValueError(f"cannot add a negative business time ({amount!r})")
    return us


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


def _wall_us(day: date, t: time) -> int:
    """The wall time `day t` read as if it were UTC, in epoch microseconds."""
    return (day.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY + _time_us(t)


# --------------------------------------------------------------------------------------------
# Specs

_PERIOD_RE = re.compile(
    r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*-\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$"
)


@dataclass(frozen=True, order=True)
class Period:
    """Open from `start` to `end`, wall-clock; `end <= start` crosses midnight (see module doc)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time):
                raise TypeError(f"Period.{name} must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(f"Period.{name} is a wall-clock time: no tzinfo ({value!r})")
        # fold has no meaning for a period; drop it so equal periods compare equal.
        object.__setattr__(self, "start", self.start.replace(fold=0))
        object.__setattr__(self, "end", self.end.replace(fold=0))

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    @property
    def nominal_length(self) -> timedelta:
        """The length on a day without a time-zone change."""
        length = _time_us(self.end) - _time_us(self.start)
        if length <= 0:
            length += _US_PER_DAY
        return timedelta(microseconds=length)

    @classmethod
    def parse(cls, text: str) -> Period:
        """`"09:00-12:00"`, `"22:00-06:00"`, `"13:00:30-18:00"`; `24:00` as end is midnight."""
        match = _PERIOD_RE.match(text)
        if match is None:
            raise ValueError(f"not a period (expected HH:MM-HH:MM): {text!r}")
        sh, sm, ss, eh, em, es = (int(g) if g else 0 for g in match.groups())
        if (eh, em, es) == (24, 0, 0):
            eh = 0
        try:
            return cls(time(sh, sm, ss), time(eh, em, es))
        except ValueError:
            raise ValueError(f"not a period (time out of range): {text!r}") from None

    def __str__(self) -> str:
        def fmt(t: time) -> str:
            if t.microsecond:
                return t.isoformat()
            return t.isoformat(timespec="seconds" if t.second else "minutes")

        end = "24:00" if self.end == time(0) and self.start != time(0) else fmt(self.end)
        return f"{fmt(self.start)}-{end}"


def _periods(value: Iterable[Period], where: str) -> tuple[Period, ...]:
    periods = tuple(value)
    for period in periods:
        if not isinstance(period, Period):
            raise TypeError(f"{where}: expected Period, got {period!r}")
    return tuple(sorted(set(periods)))


@dataclass(frozen=True)
class PartialDay:
    """Custom hours for one date; `periods=()` closes it. Wins over holidays and weekly hours."""

    day: date
    periods: Sequence[Period] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise TypeError(f"PartialDay.day must be a date, got {self.day!r}")
        object.__setattr__(self, "periods", _periods(self.periods, f"PartialDay({self.day})"))


def weekly_hours(days: Iterable[int], *periods: Period) -> dict[int, tuple[Period, ...]]:
    """The same periods on each of `days` (0 = Monday): `weekly_hours(range(5), p1, p2)`."""
    return {day: tuple(periods) for day in days}


@dataclass(frozen=True)
class CalendarSpec:
    """A business calendar's definition (see the module docstring)."""

    time_zone: str
    # Normalized to a read-only mapping with all 7 weekdays; excluded from the hash only
    # (a mapping is not hashable); equality still compares it.
    weekly: Mapping[int, Sequence[Period]] = field(hash=False)
    country_holidays: tuple[HolidaySource, ...] = ()
    custom_holidays: frozenset[date] = frozenset()
    partial_days: tuple[PartialDay, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown time zone: {self.time_zone!r}") from None
        weekly: dict[int, tuple[Period, ...]] = {day: () for day in range(7)}
        for day, periods in self.weekly.items():
            if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
                raise ValueError(f"weekly: weekday must be 0 (Monday) to 6 (Sunday), got {day!r}")
            weekly[day] = _periods(periods, f"weekly[{day}]")
        object.__setattr__(self, "weekly", MappingProxyType(weekly))

        sources = tuple(self.country_holidays)
        for source in sources:
            if not isinstance(source, HolidaySource):
                raise TypeError(f"country_holidays: expected HolidaySource, got {source!r}")
        object.__setattr__(self, "country_holidays", sources)

        custom = frozenset(self.custom_holidays)
        for holiday in custom:
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise TypeError(f"custom_holidays: expected dates, got {holiday!r}")
        object.__setattr__(self, "custom_holidays", custom)

        partial = tuple(sorted(self.partial_days, key=lambda p: p.day))
        seen: set[date] = set()
        for item in partial:
            if not isinstance(item, PartialDay):
                raise TypeError(f"partial_days: expected PartialDay, got {item!r}")
            if item.day in seen:
                raise ValueError(f"partial_days: {item.day} is given twice")
            if item.day in custom:
                raise ValueError(f"{item.day} is both a custom holiday and a partial day")
            seen.add(item.day)
        object.__setattr__(self, "partial_days", partial)

    @property
    def has_weekly_hours(self) -> bool:
        return any(self.weekly.values())


SPEC_24_7 = CalendarSpec(time_zone="UTC", weekly=weekly_hours(range(7), Period(time(0), time(0))))


# --------------------------------------------------------------------------------------------
# The engine


class _Block:
    """Open time inside UTC [start, start + _BLOCK_US).

    `bounds` is [start, start, s0, e0, s1, e1, ...]: a zero-length sentinel interval, then the
    maximal open intervals, sorted; `cum[j]` is the open time in [start, bounds[j]). For an
    instant x in the block, j = bisect_right(bounds, x) >= 2; x is open iff j is odd, and
    F(x) = cum[j - 1] + (x - bounds[j - 1] if j is odd else 0).
    """

    __slots__ = ("bounds", "cum", "start", "total")

    def __init__(self, start: int, intervals: Sequence[tuple[int, int]]) -> None:
        bounds = [start, start]
        cum = [0, 0]
        total = 0
        for lo, hi in intervals:
            bounds.append(lo)
            cum.append(total)
            total += hi - lo
            bounds.append(hi)
            cum.append(total)
        self.start = start
        self.bounds = bounds
        self.cum = cum
        self.total = total


class BusinessCalendar:
    """Business-time arithmetic on one `CalendarSpec` (see the module docstring)."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.time_zone = ZoneInfo(spec.time_zone)
        self._weekly: tuple[tuple[tuple[time, time, bool], ...], ...] = tuple(
            tuple((p.start, p.end, p.crosses_midnight) for p in spec.weekly[day])
            for day in range(7)
        )
        self._partial: dict[date, tuple[tuple[time, time, bool], ...]] = {
            item.day: tuple((p.start, p.end, p.crosses_midnight) for p in item.periods)
            for item in spec.partial_days
        }
        self._recurring = spec.has_weekly_hours
        open_partial = [item.day for item in spec.partial_days if item.periods]
        self._never_open = not self._recurring and not open_partial
        self._always_open = (
            all(any(start == end for start, end, _ in day) for day in self._weekly)
            and not spec.country_holidays
            and not spec.custom_holidays
            and not spec.partial_days
        )
        # After this block, no dated entry (custom holiday, partial day) has any effect.
        dated = [*spec.custom_holidays, *(item.day for item in spec.partial_days)]
        self._last_dated_block = _block_of_day(max(dated) + timedelta(days=3)) if dated else None
        self._last_open_block = (
            _block_of_day(max(open_partial) + timedelta(days=3)) if open_partial else None
        )
        self._blocks: dict[int, _Block] = {}
        self._totals: dict[int, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.spec.time_zone}>"

    # ---- public API on datetimes ----------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether `at` lies in an open period."""
        return self.is_open_us(to_epoch_us(at))

    def duration(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); negative when end < start."""
        return _ONE_US * self.duration_us(to_epoch_us(start), to_epoch_us(end))

    def duration_seconds(self, start: datetime, end: datetime) -> int:
        """`duration` in whole seconds, truncated toward zero."""
        us = self.duration_us(to_epoch_us(start), to_epoch_us(end))
        return us // _US_PER_SECOND if us >= 0 else -(-us // _US_PER_SECOND)

    def add(self, start: datetime, amount: timedelta | int) -> datetime:
        """The instant when `amount` (timedelta or int seconds) of business time has elapsed."""
        return from_epoch_us(self.add_us(to_epoch_us(start), _amount_us(amount)))

    def next_opening(self, at: datetime) -> datetime | None:
        """The earliest open instant at or after `at`; None if the calendar never opens again."""
        us = self.next_opening_us(to_epoch_us(at))
        return None if us is None else from_epoch_us(us)

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The maximal open intervals inside [start, end), clipped, in order."""
        intervals = self.open_intervals_us(to_epoch_us(start), to_epoch_us(end))  # checks now
        return ((from_epoch_us(lo), from_epoch_us(hi)) for lo, hi in intervals)

    # ---- the same on epoch microseconds ---------------------------------------------------

    def is_open_us(self, at: int) -> bool:
        if self._always_open:
            return True
        if self._never_open:
            return False
        block = self._blocks.get(at // _BLOCK_US) or self._block(at // _BLOCK_US)
        return bool(bisect_right(block.bounds, at) & 1)

    def duration_us(self, start: int, end: int) -> int:
        if self._always_open:
            return end - start
        if start > end:
            return -self.duration_us(end, start)
        if self._never_open:
            return 0
        k0 = start // _BLOCK_US
        k1 = end // _BLOCK_US
        block = self._blocks.get(k0) or self._block(k0)
        bounds = block.bounds
        cum = block.cum
        j = bisect_right(bounds, start)
        f0 = cum[j - 1] + (start - bounds[j - 1] if j & 1 else 0)
        if k0 == k1:
            j = bisect_right(bounds, end, j - 1)
            return cum[j - 1] + (end - bounds[j - 1] if j & 1 else 0) - f0
        result = block.total - f0
        totals = self._totals
        for k in range(k0 + 1, k1):
            total = totals.get(k)
            result += self._block(k).total if total is None else total
        block = self._blocks.get(k1) or self._block(k1)
        bounds = block.bounds
        j = bisect_right(bounds, end)
        return result + block.cum[j - 1] + (end - bounds[j - 1] if j & 1 else 0)

    def add_us(self, start: int, amount: int) -> int:
        if amount < 0:
            raise ValueError(f"cannot add a negative business time ({amount} µs)")
        if amount == 0:
            return start
        if self._always_open:
            return start + amount
        if self._never_open:
            raise NoBusinessTimeError(
                f"{self!r} has no business hours: cannot add {timedelta(microseconds=amount)}"
            )
        k = start // _BLOCK_US
        block = self._blocks.get(k) or self._block(k)
        bounds = block.bounds
        cum = block.cum
        j = bisect_right(bounds, start)
        target = cum[j - 1] + (start - bounds[j - 1] if j & 1 else 0) + amount
        empty = 0
        while target > block.total:
            target -= block.total
            empty = empty + 1 if self._empty_past_dated(k, block) else 0
            k += 1
            if (k + 1) * _BLOCK_US > _MAX_US:
                raise OverflowError(
                    f"adding {timedelta(microseconds=amount)} of business time to "
                    f"{from_epoch_us(start)} goes past the year 9999"
                )
            if self._exhausted(k, empty):
                raise NoBusinessTimeError(
                    f"{self!r} has no business hours after {from_epoch_us(k * _BLOCK_US)}: "
                    f"cannot add {timedelta(microseconds=amount)} "
                    f"to {from_epoch_us(start)}"
                )
            block = self._blocks.get(k) or self._block(k)
            j = 2
        cum = block.cum
        i = bisect_left(cum, target, j - 1)
        return block.bounds[i - 1] + (target - cum[i - 1])

    def next_opening_us(self, at: int) -> int | None:
        if self._always_open:
            return at
        if self._never_open:
            return None
        k = at // _BLOCK_US
        block = self._blocks.get(k) or self._block(k)
        j = bisect_right(block.bounds, at)
        if j & 1:
            return at
        empty = 0
        while j >= len(block.bounds):
            empty = empty + 1 if self._empty_past_dated(k, block) else 0
            k += 1
            if self._exhausted(k, empty):
                return None
            block = self._blocks.get(k) or self._block(k)
            j = 2
        return block.bounds[j]

    def open_intervals_us(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        if start >= end or self._never_open:
            return
        if self._always_open:
            yield start, end
            return
        pending: tuple[int, int] | None = None
        for k in range(start // _BLOCK_US, (end - 1) // _BLOCK_US + 1):
            bounds = self._block(k).bounds
            first = max(2, bisect_right(bounds, start) & ~1)
            for i in range(first, len(bounds), 2):
                lo, hi = max(bounds[i], start), min(bounds[i + 1], end)
                if lo >= end:
                    break
                if pending is not None and pending[1] == lo:
                    pending = (pending[0], hi)
                    continue
                if pending is not None:
                    yield pending
                pending = (lo, hi)
        if pending is not None:
            yield pending

    # ---- blocks ---------------------------------------------------------------------------

    def _empty_past_dated(self, k: int, block: _Block) -> bool:
        """Whether block k is empty and lies after every dated entry of the spec."""
        return block.total == 0 and (self._last_dated_block is None or k > self._last_dated_block)

    def _exhausted(self, k: int, empty_blocks: int) -> bool:
        """Whether no open time can exist from block k on.

        `empty_blocks` counts the consecutive empty blocks just before k that lie after every
        dated entry: with weekly hours, that many empty years mean the holidays close every
        open weekday, which no real holiday set does; it stops the search all the same.
        """
        if (k + 1) * _BLOCK_US > _MAX_US:  # the end of supported time
            return True
        if not self._recurring:
            return self._last_open_block is None or k > self._last_open_block
        return empty_blocks >= _MAX_EMPTY_BLOCKS

    def _block(self, k: int) -> _Block:
        block = self._blocks.get(k)
        if block is not None:
            return block
        block = _Block(k * _BLOCK_US, self._intervals(k * _BLOCK_US, (k + 1) * _BLOCK_US))
        with self._lock:
            if len(self._blocks) >= _MAX_CACHED_BLOCKS:
                # Evict the oldest-built block (dicts keep insertion order).
                self._blocks.pop(next(iter(self._blocks)), None)
            self._blocks[k] = block
            self._totals[k] = block.total
        return block

    def _intervals(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The maximal open intervals clipped to [lo, hi), sorted."""
        first_ordinal = max(lo // _US_PER_DAY + _EPOCH_ORDINAL - 3, _MIN_DAY.toordinal())
        last_ordinal = min(hi // _US_PER_DAY + _EPOCH_ORDINAL + 1, _MAX_DAY.toordinal())
        if first_ordinal > last_ordinal:
            return []
        first, last = date.fromordinal(first_ordinal), date.fromordinal(last_ordinal)
        closed: set[date] = set(self.spec.custom_holidays)
        for source in self.spec.country_holidays:
            for year in range(first.year, last.year + 1):
                closed |= holiday_dates(source, year)
        raw: list[tuple[int, int]] = []
        day = first
        while day <= last:
            periods = self._partial.get(day)
            if periods is None:
                periods = () if day in closed else self._weekly[day.weekday()]
            for start, end, crosses in periods:
                s = self._local_to_us(day, start)
                e = self._local_to_us(day + _ONE_DAY if crosses else day, end)
                s, e = max(s, lo), min(e, hi)
                if s < e:
                    raw.append((s, e))
            day += _ONE_DAY
        raw.sort()
        merged: list[tuple[int, int]] = []
        for s, e in raw:
            if merged and s <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        return merged

    def _local_to_us(self, day: date, t: time) -> int:
        """The first instant at which the local clock shows `day t` (see the module doc)."""
        wall = _wall_us(day, t)
        naive = datetime.combine(day, t)
        tz = self.time_zone
        before = tz.utcoffset(naive.replace(fold=0))
        after = tz.utcoffset(naive.replace(fold=1))
        if before is None or after is None:  # pragma: no cover - ZoneInfo always answers
            raise ValueError(f"time zone {self.spec.time_zone} gives no UTC offset")
        before_us = before // _ONE_US
        after_us = after // _ONE_US
        if before_us >= after_us:
            # Existing wall time (or ambiguous: fold=0 is its first occurrence).
            return wall - before_us
        # Skipped by a forward change: the instant of the change, i.e. the first instant whose
        # local wall time is >= `wall`. It lies in [wall - after, wall - before].
        low, high = wall - after_us, wall - before_us
        while low < high:
            mid = (low + high) // 2
            local = from_epoch_us(mid).astimezone(tz)
            offset = local.utcoffset()
            if offset is not None and mid + offset // _ONE_US >= wall:
                high = mid
            else:
                low = mid + 1
        return low


def _block_of_day(day: date) -> int:
    return ((day.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY) // _BLOCK_US


CALENDAR_24_7 = BusinessCalendar(SPEC_24_7)


@lru_cache(maxsize=256)
def get_calendar(spec: CalendarSpec) -> BusinessCalendar:
    """The shared `BusinessCalendar` of `spec` (cached: its interval cache is reused)."""
    return BusinessCalendar(spec)
