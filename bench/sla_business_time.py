"""Business-time arithmetic throughput (doum.sla.calendar), one process, one thread.

    python bench/sla_business_time.py [--pairs 200000] [--seed 7]

Calendar: Asia/Seoul, Mon-Fri 09:00-12:00 and 13:00-18:00, Korean public holidays from the
`holidays` package, a custom holiday and a half day on Dec 31. Random (start, end) pairs lie
within a 90-day window (start uniform over 2026, end up to 90 days later), at microsecond
resolution; add amounts are 1 minute to 5 business days, in whole minutes.

Measured, after one warm-up pass (the lazily built per-year interval blocks are cached, as in
a long-running worker):
* duration_per_s: `calendar.duration(start, end)` on aware datetimes (the public API);
* duration_us_per_s: `calendar.duration_us(...)` on epoch microseconds (the bulk fast path);
* add_minutes_per_s / add_us_per_s: the same for `add(start, timedelta(minutes=n))`;
* duration_24_7_per_s: the calendar-hours calendar;
* cold_block_build_ms: building one year of intervals for the calendar (first call).
Prints one JSON object on stdout. No timed asserts: the target (over 200,000 durations/s) is
read from the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from doum.sla.calendar import (
    CALENDAR_24_7,
    BusinessCalendar,
    CalendarSpec,
    PartialDay,
    Period,
    from_epoch_us,
    to_epoch_us,
    weekly_hours,
)
from doum.sla.holidays import HolidaySource


def seoul_calendar() -> BusinessCalendar:
    return BusinessCalendar(
        CalendarSpec(
            time_zone="Asia/Seoul",
            weekly=weekly_hours(range(5), Period.parse("09:00-12:00"), Period.parse("13:00-18:00")),
            country_holidays=(HolidaySource("KR"),),
            custom_holidays=frozenset({date(2026, 4, 17)}),
            partial_days=(
                PartialDay(date(2026, 12, 31), (Period.parse("09:00-13:00"),)),
                PartialDay(date(2027, 12, 31), (Period.parse("09:00-13:00"),)),
            ),
        )
    )


def rate(fn: Callable[[], int], count: int) -> float:
    started = time.perf_counter()
    fn()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    window_lo = to_epoch_us(datetime(2026, 1, 1, tzinfo=UTC))
    year_us = 365 * 86_400 * 1_000_000
    ninety_days_us = 90 * 86_400 * 1_000_000
    starts_us = [window_lo + rng.randrange(year_us) for _ in range(args.pairs)]
    ends_us = [s + rng.randrange(ninety_days_us) for s in starts_us]
    starts = [from_epoch_us(s) for s in starts_us]
    ends = [from_epoch_us(e) for e in ends_us]
    minutes = [rng.randint(1, 5 * 8 * 60) for _ in range(args.pairs)]
    amounts = [timedelta(minutes=m) for m in minutes]
    amounts_us = [m * 60_000_000 for m in minutes]

    cold = seoul_calendar()
    started = time.perf_counter()
    cold.duration_us(window_lo, window_lo + 1)
    cold_block_ms = (time.perf_counter() - started) * 1000

    calendar = seoul_calendar()
    pairs = list(zip(starts, ends, strict=True))
    pairs_us = list(zip(starts_us, ends_us, strict=True))
    adds = list(zip(starts, amounts, strict=True))
    adds_us = list(zip(starts_us, amounts_us, strict=True))

    def durations() -> int:
        duration = calendar.duration
        return len([duration(a, b) for a, b in pairs])

    def durations_us() -> int:
        duration_us = calendar.duration_us
        return len([duration_us(a, b) for a, b in pairs_us])

    def add_minutes() -> int:
        add = calendar.add
        return len([add(a, n) for a, n in adds])

    def add_us() -> int:
        add = calendar.add_us
        return len([add(a, n) for a, n in adds_us])

    def durations_24_7() -> int:
        duration = CALENDAR_24_7.duration
        return len([duration(a, b) for a, b in pairs])

    for warm in (durations, add_minutes):  # build and cache every block touched
        warm()

    count = args.pairs
    figures = {
        "benchmark": "sla_business_time",
        "calendar": "Asia/Seoul Mon-Fri 09-12,13-18, KR holidays, half day Dec 31",
        "pairs": count,
        "window_days": 90,
        "duration_per_s": round(rate(durations, count)),
        "duration_us_per_s": round(rate(durations_us, count)),
        "add_minutes_per_s": round(rate(add_minutes, count)),
        "add_us_per_s": round(rate(add_us, count)),
        "duration_24_7_per_s": round(rate(durations_24_7, count)),
        "cold_block_build_ms": round(cold_block_ms, 2),
        "target_duration_per_s": 200_000,
        "python": platform.python_version(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
