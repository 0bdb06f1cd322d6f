"""Keeping the derived tables current: dirty marks, batches, diffs, rebuilds.

`compute` (the definitions work) may not be there yet: these tests feed the engine metric
values built by hand through `Store`, which stands in for `loading.compute_many` only.
The end-to-end check with real events is tests/metrics/test_rebuild_equality.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command

from doum.core import clock
from doum.metrics import refresh, rollups
from doum.metrics.definitions import TicketMetricValues
from doum.metrics.models import BacklogSpan, MetricsDirty, Rollup, TicketMetrics
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.metrics.test_rollups import NEW_YORK, SEOUL, fabricate
from tests.personas import World


class Store:
    """Metric values per ticket, served as `compute_many` would."""

    def __init__(self) -> None:
        self.values: dict[int, TicketMetricValues] = {}

    def compute_many(self, ticket_ids: Sequence[int]) -> list[TicketMetricValues]:
        return [self.values[i] for i in ticket_ids if i in self.values]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Store]:
    settings.DOUM_METRICS_TIME_ZONES = [SEOUL, NEW_YORK]
    found = Store()
    monkeypatch.setattr(refresh, "_compute", found.compute_many)
    yield found


def make_tickets(world: World, n: int) -> list[int]:
    ids = []
    for i in range(n):
        ticket = tickets.do_create_ticket(
            actor=world.customer, via=Via.PORTAL, subject=f"question {i}", body="hello"
        )
        ids.append(ticket.pk)
    return ids


def snapshot() -> dict[str, Any]:
    rollup_rows = {
        (r.zone, r.grain, r.period, r.day, r.team_key, r.agent_key, r.channel, r.priority): (
            rollups.delta_of_row(r),
            r.net_backlog,
        )
        for r in Rollup.objects.all()
    }
    metric_rows = {
        r["ticket_id"]: {k: v for k, v in r.items() if k != "computed_at"}
        for r in TicketMetrics.objects.values()
    }
    spans = sorted(
        BacklogSpan.objects.values_list(
            "ticket_id",
            "start",
            "end",
            "ticket_created_at",
            "team_key",
            "agent_key",
            "channel",
            "priority",
        )
    )
    return {"rollups": rollup_rows, "metrics": metric_rows, "spans": spans}


def test_every_change_marks_the_ticket_even_historical_ones(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    MetricsDirty.objects.all().delete()
    with (
        clock.at(datetime(2024, 5, 1, 9, tzinfo=UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        old = tickets.do_create_ticket(
            actor=world.agent, via=Via.PHONE, subject="imported", body="from the past",
            requester_id=world.customer.pk,
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="more")
    assert set(MetricsDirty.objects.values_list("ticket_id", flat=True)) == {
        old.pk,
        world.ticket.pk,
    }
    refresh.mark([old.pk, old.pk])  # marking again is one row, not an error
    assert MetricsDirty.objects.count() == 2


def test_refresh_applies_diffs_and_equals_rebuild(world: World, store: Store) -> None:
    rng = random.Random(11)
    ids = make_tickets(world, 30)
    teams = [world.billing.pk, world.technical.pk, None]
    agents = [world.agent.pk, world.tech_agent.pk, None]
    MetricsDirty.objects.all().delete()
    for round_ in range(4):
        changed = ids if round_ == 0 else rng.sample(ids, 10)
        for tid in changed:
            store.values[tid] = fabricate(tid, rng, teams=teams, agents=agents)
        refresh.mark(changed)
        assert refresh.run(batch=7) == len(changed)
        assert MetricsDirty.objects.count() == 0
    incremental = snapshot()
    assert incremental["rollups"] and incremental["spans"]
    assert refresh.rebuild(batch=9) == Ticket.objects.count()
    assert snapshot() == incremental


def test_two_runs_never_double_count(world: World, store: Store) -> None:
    rng = random.Random(5)
    ids = make_tickets(world, 8)
    for tid in ids:
        store.values[tid] = fabricate(tid, rng, teams=[world.billing.pk], agents=[None])
    refresh.mark(ids)
    refresh.run()
    once = snapshot()
    refresh.mark(ids)  # marked again with nothing changed
    assert refresh.run() == len(ids)
    assert refresh.run() == 0
    assert snapshot() == once
    created = sum(
        r.c_created for r in Rollup.objects.filter(zone=SEOUL, grain="team", period="day")
    )
    assert created == sum(1 for tid in ids if not store.values[tid].excluded)


def test_a_ticket_that_disappears_leaves_the_rollups(world: World, store: Store) -> None:
    rng = random.Random(2)
    (tid,) = make_tickets(world, 1)
    store.values[tid] = fabricate(tid, rng, teams=[world.billing.pk], agents=[None])
    store.values[tid].excluded = False
    refresh.mark([tid])
    refresh.run()
    assert Rollup.objects.exists()
    store.values[tid].excluded = True  # marked as spam: counts nothing any more
    refresh.mark([tid])
    refresh.run()
    assert not Rollup.objects.exists()
    assert not BacklogSpan.objects.filter(ticket_id=tid).exists()
    del store.values[tid]  # gone entirely
    refresh.mark([tid])
    refresh.run()
    assert not TicketMetrics.objects.filter(ticket_id=tid).exists()


def test_limit_and_the_command(world: World, store: Store, capsys: Any) -> None:
    rng = random.Random(9)
    ids = make_tickets(world, 5)
    for tid in ids:
        store.values[tid] = fabricate(tid, rng, teams=[None], agents=[None])
    MetricsDirty.objects.all().delete()
    refresh.mark(ids)
    assert refresh.run(limit=2, batch=1) == 2
    assert MetricsDirty.objects.count() == 3
    call_command("metrics", "status")
    out = capsys.readouterr().out
    assert "dirty: 3" in out and f"zones: {SEOUL}, {NEW_YORK}" in out
    call_command("metrics", "refresh")
    assert "refreshed metrics of 3 tickets" in capsys.readouterr().out
    call_command("metrics", "rebuild", "--batch", "2")
    assert f"rebuilt metrics of {Ticket.objects.count()} tickets" in capsys.readouterr().out


def test_active_until_bounds_every_item(world: World) -> None:
    rng = random.Random(4)
    for i in range(50):
        values = fabricate(i, rng, teams=[None], agents=[None])
        until = rollups.active_until(values)
        if until is None:
            assert any(end is None for _s, end in values.unsolved_spans)
            continue
        assert all(item.at <= until.timestamp() for item in rollups.items(values))


def test_connect_registers_the_listener_and_the_job() -> None:
    from doum.core import scheduler
    from doum.tickets import hooks

    refresh.connect()  # idempotent: ready() already did it
    assert hooks._listeners.count(refresh.on_ticket_changed) == 1
    job = next(j for j in scheduler.jobs() if j.name == "metrics.refresh")
    assert (job.seconds, job.task) == (30, "doum.metrics.tasks.refresh_task")
