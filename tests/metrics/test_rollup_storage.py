"""How the rollups are stored and read: typed columns, compact sketches, day/week/month rows.

The rollup path must give exactly what the exact path gives over any whole-day period, now
that it reads months and weeks where they fit; week and month rows are exactly the sums of
their day rows; a stored sketch round-trips; SLA attainment counted by the database equals
the row-by-row count.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doum.metrics import queries, refresh, rollups, sketch
from doum.metrics.models import Rollup, TicketMetrics
from doum.metrics.rollups import Delta
from tests.metrics.test_queries import both_paths, strip, whole_days
from tests.metrics.test_refresh import Store, make_tickets, store  # noqa: F401 - fixture
from tests.metrics.test_rollups import NEW_YORK, SEOUL, fabricate
from tests.personas import World

START = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def long_history(world: World, store: Store) -> Store:  # noqa: F811
    """60 tickets created over four months (so periods hold whole months and weeks)."""
    rng = random.Random(8)
    ids = make_tickets(world, 60)
    teams = [world.billing.pk, world.technical.pk, None]
    agents = [world.agent.pk, world.tech_agent.pk, None]
    for tid in ids:
        created = START + timedelta(seconds=rng.randrange(110 * 86400))
        store.values[tid] = fabricate(tid, rng, teams=teams, agents=agents, created_at=created)
    refresh.mark(ids)
    refresh.run(batch=13)
    return store


def test_a_cover_reads_whole_months_then_weeks_then_days() -> None:
    # 2026-01-28 (Wed) .. 2026-04-15 (Wed): 78 days in 15 rows.
    pieces = queries._cover(date(2026, 1, 28), date(2026, 4, 16))
    assert pieces == [
        *[("day", date(2026, 1, d)) for d in range(28, 32)],
        ("month", date(2026, 2, 1)),
        ("month", date(2026, 3, 1)),
        *[("day", date(2026, 4, d)) for d in range(1, 6)],
        ("week", date(2026, 4, 6)),
        *[("day", date(2026, 4, d)) for d in range(13, 16)],
    ]
    # A week that runs into a month read whole is read as days, then the month.
    assert queries._cover(date(2026, 6, 29), date(2026, 8, 1)) == [
        ("day", date(2026, 6, 29)),
        ("day", date(2026, 6, 30)),
        ("month", date(2026, 7, 1)),
    ]


@given(
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    length=st.integers(min_value=0, max_value=800),
)
def test_a_cover_is_exact_and_never_overlaps(first: date, length: int) -> None:
    end = first + timedelta(days=length)
    covered: list[date] = []
    for period, start in queries._cover(first, end):
        assert rollups.period_start(start, period) == start  # a real row's first day
        after = (
            start + timedelta(days=1 if period == "day" else 7)
            if period != "month"
            else queries._add_months(start, 1)
        )
        covered += [start + timedelta(days=i) for i in range((after - start).days)]
    assert covered == [first + timedelta(days=i) for i in range(length)]


@pytest.mark.parametrize("zone", [SEOUL, NEW_YORK])
def test_long_periods_read_from_weeks_and_months_equal_the_exact_path(
    long_history: Store, world: World, settings: Any, zone: str
) -> None:
    for first, last, kw in [
        (date(2026, 1, 5), date(2026, 4, 27), {}),  # whole months and weeks
        (date(2026, 1, 28), date(2026, 4, 16), {"team_ids": (world.billing.pk,)}),
        (date(2026, 2, 1), date(2026, 3, 1), {"agent_ids": (world.agent.pk,)}),
        (date(2026, 1, 9), date(2026, 5, 2), {"channels": ("email",), "business": True}),
    ]:
        filters = whole_days(zone, first, last, **kw)
        rolled, exact = both_paths(settings, lambda f=filters: queries.summary(f), zone)
        assert rolled.source == "rollup" and exact.source == "exact"
        assert rolled.created > 0 and rolled.solved > 0
        assert strip(rolled) == strip(exact), kw
        for metric, period in [
            ("created", "day"), ("solved", "week"), ("first_reply@median", "week"),
            ("full_resolution@p90", "month"), ("one_touch_rate", "quarter"),
            ("backlog", "week"), ("next_reply@mean", "month"),
        ]:  # fmt: skip
            rolled_s, exact_s = both_paths(
                settings, lambda f=filters, m=metric, p=period: queries.series(f, m, p), zone
            )
            assert rolled_s.source == "rollup"
            assert strip(rolled_s) == strip(exact_s), (kw, metric, period)
        rolled_h, exact_h = both_paths(settings, lambda f=filters: queries.heatmap(f), zone)
        assert rolled_h.counts == exact_h.counts
        for by in ("agent", "priority"):
            if kw.get("agent_ids") and by == "priority":
                continue
            rolled_b, exact_b = both_paths(
                settings,
                lambda f=filters, b=by: queries.breakdown(f, b, durations=queries.AGENT_TABLE),
                zone,
            )
            assert [strip(r.summary) for r in rolled_b] == [strip(r.summary) for r in exact_b]


def test_week_and_month_rows_are_the_sums_of_their_day_rows(long_history: Store) -> None:
    days: dict[tuple[Any, ...], Delta] = defaultdict(Delta)
    coarse: dict[tuple[Any, ...], Delta] = {}
    for row in Rollup.objects.all():
        key = (row.zone, row.grain, row.team_key, row.agent_key, row.channel, row.priority)
        if row.period == "day":
            for period in ("week", "month"):
                days[(*key, period, rollups.period_start(row.day, period))].add(
                    rollups.delta_of_row(row)
                )
        else:
            coarse[(*key, row.period, row.day)] = rollups.delta_of_row(row)
            assert row.day == rollups.period_start(row.day, row.period)
    assert {p for *_k, p, _d in coarse} == {"week", "month"}
    assert {k: d for k, d in days.items() if not d.is_zero()} == coarse


def test_a_stored_row_holds_typed_figures(long_history: Store) -> None:
    row = Rollup.objects.filter(period="month", grain="team", c_solved__gt=0).first()
    assert row is not None
    delta = rollups.delta_of_row(row)
    assert delta.counts["solved"] == row.c_solved
    assert delta.sums["full_resolution_s"] == [row.full_resolution_s_n, row.full_resolution_s_sum]
    assert sketch.count(delta.sketches["full_resolution_s"]) == row.full_resolution_s_n
    assert sum(getattr(row, h) for h in rollups.HOUR_COLUMNS) == row.c_created
    assert row.net_backlog == row.c_unsolved_in - row.c_unsolved_out


def test_a_figure_that_is_not_a_column_is_refused() -> None:
    with pytest.raises(ValueError, match="not a rollup figure"):
        rollups.row_fields(Delta(counts={"created": 1, "<script>": 1}))


def test_sketch_bytes_round_trip_and_refuse_garbage() -> None:
    values = [0, 0, 1, 59, 60, 3600, 86399, 10**9]
    stored = sketch.encode(sketch.of(values))
    assert stored is not None and len(stored) == 6 * len(sketch.of(values))
    assert sketch.decode(stored) == sketch.of(values)
    assert sketch.decode(memoryview(stored)) == sketch.of(values)  # as PostgreSQL returns it
    acc: sketch.Accumulator = {}
    sketch.add_encoded(acc, stored)
    sketch.add_encoded(acc, stored)
    assert sketch.of_accumulator(acc) == sketch.of(values + values)
    assert sketch.encode({}) is None and sketch.decode(None) == {}
    with pytest.raises(ValueError):
        sketch.decode(b"\x00\x01\x02")  # not whole (index, count) pairs


@given(
    st.lists(st.integers(min_value=0, max_value=10**8), max_size=40),
    st.lists(st.integers(min_value=0, max_value=10**8), max_size=40),
)
def test_merging_into_stored_bytes_equals_merging_the_sketches(
    stored_values: list[int], added_values: list[int]
) -> None:
    """The writers' merge on stored bytes gives what decoding, merging and encoding gives;
    taking away what was added gives the stored sketch back, and taking everything leaves
    nothing (None)."""
    stored = sketch.encode(sketch.of(stored_values))
    added = sketch.of(added_values)
    merged = sketch.merge_encoded(stored, added)
    assert merged == sketch.encode(sketch.merge(sketch.of(stored_values), added))
    assert sketch.merge_encoded(merged, added, -1) == stored
    assert sketch.merge_encoded(stored, sketch.of(stored_values), -1) is None


def test_sla_attainment_counted_by_the_database_equals_a_row_by_row_count(
    long_history: Store, world: World
) -> None:
    filters = whole_days(SEOUL, date(2026, 2, 1), date(2026, 4, 1))
    rows = queries.sla_attainment(filters)
    assert rows and sum(r.met + r.breached for r in rows) > 0
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    start, end = filters.start, filters.end
    for m in TicketMetrics.objects.filter(excluded=False, merged=False):
        at = m.solved_at if m.solved_at is not None else m.created_at
        if start <= at < end:
            for target, outcome in m.sla.items():
                expected[target][0 if outcome == "met" else 1] += 1
    assert {r.target: [r.met, r.breached] for r in rows} == dict(expected)
    # A target the SLA engine does not know (old data): still counted, row by row.
    odd = TicketMetrics.objects.filter(
        excluded=False, merged=False, solved_at__gte=start, solved_at__lt=end
    ).first()
    assert odd is not None
    odd.sla = {**odd.sla, "legacy_target": "breached"}
    odd.sla_breached += 1
    odd.save()
    again = {r.target: [r.met, r.breached] for r in queries.sla_attainment(filters)}
    assert again["legacy_target"] == [0, 1]
    assert again["first_reply"] == expected["first_reply"]
