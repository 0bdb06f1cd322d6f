"""Two agents save the same ticket at the same moment: one wins, the other gets a conflict."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from doum.core.errors import Conflict
from doum.tickets import actions
from doum.tickets.models import Ticket, TicketEvent, Via
from tests.personas import build_world


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_never_overwrite_silently() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs a server database: the SQLite test database is one shared in-memory file"
        )
    world = build_world()
    version = world.ticket.version
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(name: str, priority: str) -> None:
        try:
            ticket = Ticket.objects.get(pk=world.ticket.pk)
            user = world.agent if name == "agent" else world.lead
            barrier.wait(timeout=10)
            actions.do_update_ticket(
                ticket, actor=user, via=Via.WEB, changes={"priority": priority},
                expected_version=version,
            )  # fmt: skip
            outcomes[name] = "saved"
        except Conflict:
            outcomes[name] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=("agent", "high")),
        threading.Thread(target=save, args=("lead", "urgent")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert ticket.version == version + 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    assert ticket.priority == {"agent": "high", "lead": "urgent"}[winner]
    changes = TicketEvent.objects.filter(ticket=ticket, field="priority")
    assert changes.count() == 1
