"""Incremental == rebuild, on a history written through the real actions.

About 40 tickets get random replies, status changes, reopens and reassignments at travelled
times (clock.at); the refresh runs after every few changes (from the dirty marks the ticket
listener writes); then Rollup, TicketMetrics and BacklogSpan are compared with a rebuild
from scratch.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doum.core import clock
from doum.core.errors import DoumError
from doum.metrics import loading, queries, refresh
from doum.metrics.models import MetricsDirty
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, TicketEvent, Via
from tests.metrics.test_refresh import snapshot
from tests.metrics.test_rollups import NEW_YORK, SEOUL
from tests.personas import World


def _compute_ready() -> bool:
    if not hasattr(loading, "compute_many"):
        return False
    try:
        loading.compute_many([])
    except NotImplementedError:
        return False
    return True


def test_incremental_equals_rebuild_on_a_generated_history(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    if not _compute_ready():
        pytest.skip("definitions.compute / loading.compute_many are not there yet")
    settings.DOUM_METRICS_TIME_ZONES = [SEOUL, NEW_YORK]
    rng = random.Random(2026)
    staff = [(world.agent, world.billing), (world.tech_agent, world.technical)]
    moment = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # across the US DST change
    ids: list[int] = []
    refresh.mark(list(Ticket.objects.values_list("pk", flat=True)))  # the world's own ticket
    refresh.run()
    changes = 0
    for step in range(220):
        moment += timedelta(minutes=rng.randrange(5, 240))
        with clock.at(moment), django_capture_on_commit_callbacks(execute=True):
            try:
                if len(ids) < 40 and (not ids or rng.random() < 0.3):
                    ticket = tickets.do_create_ticket(
                        actor=world.customer, via=Via.PORTAL, subject=f"help {step}",
                        body="it broke", priority=rng.choice(["low", "normal", "high"]),
                    )  # fmt: skip
                    ids.append(ticket.pk)
                else:
                    ticket = Ticket.objects.get(pk=rng.choice(ids))
                    _random_change(ticket, world, staff, rng)
                changes += 1
            except DoumError:
                pass  # a change the rules refuse (e.g. solving a closed ticket) is skipped
        if step % 5 == 4:
            refresh.run()
    refresh.run()
    assert changes > 150
    assert not MetricsDirty.objects.exists()
    incremental = snapshot()
    assert incremental["rollups"]
    refresh.rebuild(batch=13)
    assert snapshot() == incremental
    # And the figures read back agree between the paths.
    filters = queries.Filters(
        start=queries.local_midnight(datetime(2026, 3, 2).date(), SEOUL),
        end=queries.local_midnight((moment + timedelta(days=2)).date(), SEOUL),
        zone=SEOUL,
    )
    rolled = queries.summary(filters)
    assert rolled.source == "rollup"
    assert rolled.created == len(ids)  # none is spam or deleted
    settings.DOUM_METRICS_TIME_ZONES = [NEW_YORK]  # Seoul has no rollups now: exact path
    exact = queries.summary(filters)
    assert exact.source == "exact"
    assert dataclasses.replace(exact, source="rollup") == rolled
    settings.DOUM_METRICS_TIME_ZONES = [SEOUL, NEW_YORK]
    # The backlog at past instants, against a replay of the status events.
    start = datetime(2026, 3, 2, tzinfo=UTC)
    for _ in range(15):
        at = start + (moment - start) * rng.random()
        assert queries.backlog_at(filters, at).total == _backlog_from_events(at), at


def _backlog_from_events(at: datetime) -> int:
    unsolved = {"new", "open", "pending", "on_hold"}
    status: dict[int, str] = {}
    for event in TicketEvent.objects.filter(at__lte=at).order_by("at", "id"):
        if event.kind == "created":
            status[event.ticket_id] = event.data.get("status", "new")
        elif event.kind == "field_changed" and event.field == "status" and event.new_value:
            status[event.ticket_id] = event.new_value
    return sum(1 for value in status.values() if value in unsolved)


def _random_change(ticket: Ticket, world: World, staff: list[Any], rng: random.Random) -> None:
    agent, team = rng.choice(staff)
    choice = rng.random()
    if choice < 0.25:
        tickets.do_assign(ticket, actor=world.manager, via=Via.WEB, assignee_id=agent.pk,
                          team_id=team.pk)  # fmt: skip
    elif choice < 0.5:
        assignee = ticket.assignee or agent
        tickets.do_add_comment(
            ticket, actor=assignee if ticket.assignee else world.manager, via=Via.WEB,
            body="on it", public=True,
            status=rng.choice([None, "pending", "solved"]) if ticket.assignee else None,
        )  # fmt: skip
    elif choice < 0.7:
        tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="any news?")
    elif choice < 0.9:
        if ticket.assignee is None:
            tickets.do_assign(ticket, actor=world.manager, via=Via.WEB, assignee_id=agent.pk,
                              team_id=team.pk)  # fmt: skip
        tickets.do_change_status(
            Ticket.objects.get(pk=ticket.pk), actor=world.manager, via=Via.WEB,
            status=rng.choice(["solved", "pending", "on_hold", "open"]),
        )  # fmt: skip
    else:
        tickets.do_add_comment(ticket, actor=world.manager, via=Via.WEB, body="note", public=False)
