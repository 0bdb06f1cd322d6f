"""The read API: rollup path == exact path, backlog, filters and scoping."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from doum.metrics import queries, refresh
from doum.metrics.queries import FilterError, Filters
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.metrics.test_refresh import Store, make_tickets, store  # noqa: F401 - fixture
from tests.metrics.test_rollups import NEW_YORK, SEOUL, fabricate
from tests.personas import World


@pytest.fixture
def history(world: World, store: Store) -> Store:  # noqa: F811
    rng = random.Random(21)
    ids = make_tickets(world, 40)
    teams = [world.billing.pk, world.technical.pk, None]
    agents = [world.agent.pk, world.tech_agent.pk, None]
    for tid in ids:
        store.values[tid] = fabricate(tid, rng, teams=teams, agents=agents)
    refresh.mark(ids)
    refresh.run()
    return store


def whole_days(zone: str, first: date, last: date, **kw: Any) -> Filters:
    return Filters(
        start=queries.local_midnight(first, zone),
        end=queries.local_midnight(last, zone),
        zone=zone,
        **kw,
    )


def strip(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: strip(v) for k, v in dataclasses.asdict(value).items() if k != "source"}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def both_paths(settings: Any, fn: Any, zone: str) -> tuple[Any, Any]:
    rolled = fn()
    configured = settings.DOUM_METRICS_TIME_ZONES
    # The viewer's zone without rollups: the exact path (the backlog, which does not depend
    # on the zone, still comes from the other zone's rollups).
    settings.DOUM_METRICS_TIME_ZONES = [z for z in configured if z != zone]
    try:
        exact = fn()
    finally:
        settings.DOUM_METRICS_TIME_ZONES = configured
    return rolled, exact


@pytest.mark.parametrize("zone", [SEOUL, NEW_YORK])
def test_rollup_path_equals_exact_path(
    history: Store, world: World, settings: Any, zone: str
) -> None:
    variants = [
        {},
        {"team_ids": (world.billing.pk,)},
        {"team_ids": (world.billing.pk, world.technical.pk), "agent_ids": (world.agent.pk,)},
        {"channels": ("email", "web")},
        {"priorities": ("high",), "business": True},
    ]
    for kw in variants:
        filters = whole_days(zone, date(2026, 3, 2), date(2026, 3, 25), **kw)
        rolled, exact = both_paths(settings, lambda f=filters: queries.summary(f), zone)
        assert rolled.source == "rollup" and exact.source == "exact"
        assert strip(rolled) == strip(exact)
        assert rolled.created > 0
        for metric, period in [
            ("created", "day"), ("solved", "week"), ("first_reply@median", "week"),
            ("full_resolution@p90", "month"), ("sla_rate", "week"), ("backlog", "day"),
        ]:  # fmt: skip
            rolled_s, exact_s = both_paths(
                settings, lambda f=filters, m=metric, p=period: queries.series(f, m, p), zone
            )
            assert strip(rolled_s) == strip(exact_s), (kw, metric)
        rolled_h, exact_h = both_paths(settings, lambda f=filters: queries.heatmap(f), zone)
        assert rolled_h.counts == exact_h.counts
    filters = whole_days(zone, date(2026, 3, 1), date(2026, 4, 1))
    for by in ("team", "agent", "channel", "priority"):
        rolled_b, exact_b = both_paths(settings, lambda b=by: queries.breakdown(filters, b), zone)
        assert [r.key for r in rolled_b] == [r.key for r in exact_b], by
        for a, b in zip(rolled_b, exact_b, strict=True):
            assert a.label == b.label
            assert strip(a.summary) == strip(b.summary), (by, a.key)
        assert rolled_b[0].summary.source == "rollup"
    # Dimensions without rollups always take the exact path.
    typed = dataclasses.replace(filters, types=("incident",))
    assert queries.summary(typed).source == "exact"
    assert sum(r.summary.created for r in queries.breakdown(filters, "type")) == (
        queries.summary(filters).created
    )


def test_rollup_summary_costs_a_fixed_number_of_queries(
    history: Store, django_assert_num_queries: Any
) -> None:
    filters = whole_days(SEOUL, date(2026, 3, 1), date(2026, 4, 1))
    with django_assert_num_queries(3):
        queries.summary(filters)
    with django_assert_num_queries(3):
        queries.backlog_at(filters, datetime(2026, 3, 10, 5, 17, tzinfo=UTC))
    with django_assert_num_queries(1):
        queries.heatmap(filters)
    with django_assert_num_queries(1):
        queries.series(filters, "first_reply@median", "week")


def brute_backlog(history: Store, at: datetime, team: int | None = None) -> tuple[int, list[int]]:
    t = at.timestamp()
    ages = []
    for values in history.values.values():
        if values.excluded:
            continue
        if team is not None and values.team_id != team:
            continue
        for start, end in values.unsolved_spans:
            if start is not None and start <= t and (end is None or t < end):
                ages.append(t - values.created_at.timestamp())
    return len(ages), sorted(ages)


@pytest.mark.parametrize("zone", [SEOUL, NEW_YORK, "Europe/Berlin"])
def test_backlog_at_past_instants_matches_the_spans(
    history: Store, world: World, zone: str
) -> None:
    rng = random.Random(1)
    instants = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(35 * 86400)) for _ in range(12)]  # fmt: skip
    for value in list(history.values.values())[:5]:  # exactly at a span's edges too
        for start, end in value.unsolved_spans:
            instants += [datetime.fromtimestamp(start or 0, UTC)]
            if end is not None:
                instants += [datetime.fromtimestamp(end, UTC)]
    for at in instants:
        for team in (None, world.billing.pk):
            filters = whole_days(
                zone, date(2026, 3, 1), date(2026, 3, 2),
                team_ids=(team,) if team else (),
            )  # fmt: skip
            found = queries.backlog_at(filters, at)
            total, ages = brute_backlog(history, at, team)
            assert found.total == total, at
            bounds = [low for _label, low in queries.AGE_BUCKETS] + [10**12]
            expected = [sum(1 for a in ages if bounds[i] <= a < bounds[i + 1]) for i in range(6)]
            assert [count for _l, _low, count in found.ages] == expected
            assert found.source == "rollup"


def test_drill_down_lists_the_tickets_behind_a_figure(history: Store, world: World) -> None:
    filters = whole_days(SEOUL, date(2026, 3, 1), date(2026, 3, 15))
    created = set(
        queries.drill_down(world.manager, filters, "created").values_list("pk", flat=True)
    )
    assert len(created) == queries.summary(filters).created
    solved = queries.drill_down(world.manager, filters, "solved")
    assert solved.count() == queries.summary(filters).solved
    backlog = queries.drill_down(world.manager, filters, "backlog")
    assert backlog.count() == queries.backlog_at(filters, filters.end).total
    # Only what the viewer may see: the technical agent never sees Billing's tickets.
    seen = queries.drill_down(world.tech_agent, filters, "created")
    assert not seen.filter(team=world.billing).exists()
    assert queries.drill_down(world.manager, filters, "first_reply").exists()
    with pytest.raises(FilterError):
        queries.drill_down(world.manager, filters, "nonsense")


@pytest.mark.parametrize("zone", [SEOUL, NEW_YORK])
def test_drill_down_in_sql_lists_the_same_tickets_as_reading_every_item(
    history: Store, world: World, zone: str
) -> None:
    """Each metric's SQL condition selects exactly the tickets whose items count it."""
    variants = [
        {},
        {"team_ids": (world.billing.pk,)},
        {"agent_ids": (world.agent.pk,), "channels": ("email", "web")},
    ]
    seen_any: set[str] = set()
    for kw in variants:
        for first, last in [
            (date(2026, 3, 1), date(2026, 3, 15)),
            (date(2026, 3, 9), date(2026, 3, 10)),
        ]:
            filters = whole_days(zone, first, last, **kw)
            for metric in queries.DRILL_METRICS:
                if metric == "backlog":
                    continue
                in_sql = set(
                    queries.drill_down(world.manager, filters, metric).values_list("pk", flat=True)
                )
                by_items = set(queries._drill_by_items(filters, metric))
                assert in_sql == by_items, (metric, kw, first)
                if in_sql:
                    seen_any.add(metric)
    # The fixture's history reaches every metric, so the comparison is not between empties.
    assert seen_any >= {"created", "solved", "first_reply", "full_resolution", "sla_met"}


def test_drill_rows_are_the_rows_of_the_drill_down_tickets(history: Store, world: World) -> None:
    """What a histogram aggregates is exactly the drill-down's tickets, for a viewer who sees
    everything (rows read directly) and for one who sees only their team's."""
    filters = whole_days(SEOUL, date(2026, 3, 1), date(2026, 3, 20))
    # Some tickets go to Billing, which the technical agent may not see.
    for ticket in Ticket.objects.order_by("pk")[:10]:
        tickets.do_update_ticket(
            ticket, actor=world.manager, via=Via.WEB, changes={"team_id": world.billing.pk}
        )
    checked = 0
    for viewer in (world.manager, world.tech_agent):
        for metric in queries.DRILL_METRICS:
            if metric == "backlog":
                continue
            rows = queries.drill_rows(viewer, filters, metric)
            if rows is None:  # next replies on SQLite: no SQL condition
                continue
            listed = set(queries.drill_down(viewer, filters, metric).values_list("pk", flat=True))
            assert set(rows.values_list("ticket_id", flat=True)) == listed, (viewer, metric)
            checked += len(listed)
    assert checked > 0

    def created(viewer: Any) -> set[int]:
        rows = queries.drill_rows(viewer, filters, "created")
        assert rows is not None
        return set(rows.values_list("ticket_id", flat=True))

    assert created(world.tech_agent) < created(world.manager)  # not Billing's
    with pytest.raises(FilterError):
        queries.drill_rows(world.manager, filters, "backlog")


def test_parse_filters_presets_and_errors(world: World) -> None:
    now = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)  # Wednesday 12:00 in Seoul
    f = queries.parse_filters({"period": "this_week"}, viewer=world.manager, now=now)
    assert f.zone == "Asia/Seoul"
    assert f.start == datetime(2026, 5, 10, 15, 0, tzinfo=UTC)  # Monday 00:00 KST
    assert f.end == datetime(2026, 5, 13, 15, 0, tzinfo=UTC)
    last_quarter = queries.parse_filters({"period": "last_quarter"}, viewer=world.manager, now=now)
    assert last_quarter.start == queries.local_midnight(date(2026, 1, 1), "Asia/Seoul")
    assert last_quarter.end == queries.local_midnight(date(2026, 4, 1), "Asia/Seoul")
    custom = queries.parse_filters(
        {"period": "custom", "from": "2026-01-01", "to": "2026-01-31", "team": str(world.billing.pk), "channel": "email", "hours": "business"},
        viewer=world.manager, now=now,
    )  # fmt: skip
    assert custom.team_ids == (world.billing.pk,) and custom.business
    assert custom.end == queries.local_midnight(date(2026, 2, 1), "Asia/Seoul")
    # Tags are normalised as tickets store them ("VIP customer" is the tag "vip_customer").
    tagged = queries.parse_filters({"tag": "VIP customer, refund ,"}, viewer=world.manager, now=now)
    assert tagged.tags == ("refund", "vip_customer")
    bad = [
        ({"tag": "x" * 81}, "tag"),
        ({"period": "forever"}, "period"),
        ({"period": "custom", "from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"period": "custom", "from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"period": "custom", "from": "1999-01-01", "to": "2000-01-01"}, "from"),
        ({"period": "custom", "from": "yesterday", "to": "2026-01-01"}, "from"),
        ({"team": "999999"}, "team"),
        ({"team": "1;drop"}, "team"),
        ({"agent": str(world.customer.pk)}, "agent"),
        ({"channel": "pigeon"}, "channel"),
        ({"custom": "nokey"}, "custom"),
        ({"hours": "sometimes"}, "hours"),
    ]
    for params, field in bad:
        with pytest.raises(FilterError) as caught:
            queries.parse_filters(params, viewer=world.manager, now=now)
        assert caught.value.field == field, params
        assert str(caught.value)


def test_scope_filters_keeps_agents_and_leads_to_their_teams(world: World) -> None:
    base = whole_days(SEOUL, date(2026, 3, 1), date(2026, 3, 2))
    assert queries.scope_filters(world.manager, base) == base
    assert queries.scope_filters(world.agent, base).team_ids == (world.billing.pk,)
    asked = dataclasses.replace(base, team_ids=(world.technical.pk,))
    assert queries.scope_filters(world.agent, asked).team_ids == (queries.NOTHING,)
    assert queries.scope_filters(world.lead, base).team_ids == (world.billing.pk,)
    assert queries.scope_filters(world.idle_agent, base).team_ids == (queries.NOTHING,)
    assert queries.scope_filters(world.customer, base).team_ids == (queries.NOTHING,)


def test_nothing_visible_means_zero(history: Store, world: World) -> None:
    base = whole_days(SEOUL, date(2026, 3, 1), date(2026, 4, 1))
    scoped = queries.scope_filters(world.idle_agent, base)
    assert queries.summary(scoped).created == 0
    assert queries.backlog_at(scoped, base.end).total == 0
    assert Ticket.objects.exists()
