"""Round-robin spreads tickets evenly: one after another, and when they arrive at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import pytest
from django.db import OperationalError, connections

from doum.routing import engine
from doum.tickets.models import Ticket
from tests.personas import build_world
from tests.routing.conftest import Capture, Support, arrive, make_support


def spread(support: Support) -> list[int]:
    counts = Counter(Ticket.objects.filter(team=support.team).values_list("assignee_id", flat=True))
    return [counts[a.pk] for a in support.agents]


def test_thirty_tickets_one_after_another_go_ten_to_each_of_three(
    world: object, support: Support, listeners: Capture
) -> None:
    for i in range(30):
        with listeners():
            arrive(world, support.team, f"Ticket {i}")  # type: ignore[arg-type]
    assert spread(support) == [10, 10, 10]


T = TypeVar("T")


def patiently(fn: Callable[[], T]) -> T:
    """Run `fn` again while SQLite answers "locked".

    The SQLite test database is one shared in-memory file whose table locks fail at once
    instead of waiting; the real database waits (busy_timeout, and PostgreSQL's row locks).
    Each attempt is one whole transaction, so a retry repeats nothing that was saved.
    """
    for _attempt in range(500):
        try:
            return fn()
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.002)
    raise AssertionError("the database stayed locked")


@pytest.mark.django_db(transaction=True)
def test_tickets_arriving_at_once_are_spread_evenly() -> None:
    """Six requests open five tickets each at the same moment. Routing runs after each
    commit in the request's thread, one team decision at a time (under the team's row lock),
    so the counts differ by at most one. (When the listener's own attempt meets a locked
    table on the in-memory test database, it is logged and the ticket waits; the thread then
    routes it the way the sweep would.)"""
    world = build_world()
    support = make_support(world)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_tickets(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(5):
                subject = f"Burst {n}.{i}"
                ticket = patiently(partial(arrive, world, support.team, subject))
                patiently(partial(engine.route_ticket, ticket.pk))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_tickets, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    counts = spread(support)
    assert sum(counts) == 30, "every ticket was routed"
    assert max(counts) - min(counts) <= 1, counts
