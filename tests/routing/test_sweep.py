"""The minute sweep: tickets left waiting are routed once someone can take them, and an absent
agent's tickets they have not answered move on after the team's reassign-after time."""

from __future__ import annotations

import datetime as dt

import time_machine
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from doum.accounts import actions as accounts
from doum.core import scheduler
from doum.routing import actions as routing
from doum.routing import engine
from doum.routing.tasks import sweep_task
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, TicketEvent, Via
from tests.personas import World
from tests.routing.calendars import SATURDAY_NOON, office_hours
from tests.routing.conftest import Capture, Support, arrive

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Seoul


def at(minutes: int) -> time_machine.travel:
    return time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False)


def run_default_tasks() -> list[DBTaskResult]:
    """Run the ready tasks of the "default" queue, like `db_worker --batch`."""
    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )  # fmt: skip
    ran = []
    for _ in range(20):
        task = DBTaskResult.objects.ready().filter(queue_name="default").first()
        if task is None:
            break
        task.claim("test-worker")
        worker.run_task(task)
        task.refresh_from_db()
        ran.append(task)
    assert all(t.status == "SUCCESSFUL" for t in ran), [t.traceback for t in ran]
    return ran


def assignee(ticket: Ticket) -> int | None:
    return Ticket.objects.values_list("assignee_id", flat=True).get(pk=ticket.pk)


def availability(world: World, support: Support, *states: str) -> None:
    for agent, state in zip(support.agents, states, strict=True):
        accounts.do_set_availability(agent, actor=agent, availability=state)


def test_waiting_tickets_are_routed_by_the_scheduled_sweep_once_an_agent_is_online(
    world: World, support: Support, listeners: Capture
) -> None:
    _a0, a1, _a2 = support.agents
    with at(0):
        availability(world, support, "offline", "offline", "offline")
        with listeners():
            first = arrive(world, support.team, "First")
            second = arrive(world, support.team, "Second")
        assert (assignee(first), assignee(second)) == (None, None)
        assert engine.sweep().as_dict() == {
            "routed": 0, "reassigned": 0, "unassigned": 0, "waiting": 2
        }  # fmt: skip
    with at(5):
        accounts.do_set_availability(a1, actor=a1, availability="online")
        # The scheduler enqueues the sweep every minute; a worker runs it.
        sweep_job = next(j for j in scheduler.jobs() if j.name == "routing.sweep")
        assert (sweep_job.seconds, sweep_job.task) == (60, "doum.routing.tasks.sweep_task")
        sweep_task.enqueue()
        [ran] = run_default_tasks()
        assert ran.return_value == {"routed": 2, "reassigned": 0, "unassigned": 0, "waiting": 0}
    # Oldest first, both to the only online agent.
    assert (assignee(first), assignee(second)) == (a1.pk, a1.pk)
    event = TicketEvent.objects.get(ticket=first, field="assignee")
    assert event.via == Via.SYSTEM and event.data["rule"]["kind"] == "routing"


def test_an_absent_agents_unanswered_tickets_move_after_the_reassign_time(
    world: World, support: Support, listeners: Capture
) -> None:
    a0, a1, a2 = support.agents
    routing.do_set_team_routing(
        support.team, actor=world.admin, mode="round_robin", reassign_offline_after_minutes=30
    )
    with at(0), listeners():
        quiet = arrive(world, support.team, "Nobody answered")  # -> a0
        answered = arrive(world, support.team, "Answered")  # -> a1
    assert (assignee(quiet), assignee(answered)) == (a0.pk, a1.pk)
    with at(1):
        tickets.do_add_comment(answered, actor=a1, via=Via.WEB, body="On it.", public=True)
    with at(5):
        availability(world, support, "offline", "away", "online")
    with at(34), listeners():  # a0 has been offline 29 minutes: not yet
        assert engine.sweep().reassigned == 0
    with at(36), listeners():
        result = engine.sweep()
    assert (result.reassigned, result.unassigned) == (1, 0)
    # The quiet ticket went to the one online agent; the answered one stays with a1.
    assert (assignee(quiet), assignee(answered)) == (a2.pk, a1.pk)
    moved = TicketEvent.objects.filter(ticket=quiet, field="assignee").order_by("id").last()
    assert moved is not None
    assert (moved.old_value, moved.new_value) == (str(a0.pk), str(a2.pk))
    assert (moved.via, moved.actor_id) == (Via.SYSTEM, None)
    assert moved.data["rule"] == {"kind": "routing", "id": support.team.pk, "name": "Support"}
    assert moved.at == T0 + dt.timedelta(minutes=36)


def test_with_nobody_to_take_them_the_tickets_go_back_to_the_queue_until_someone_is_online(
    world: World, support: Support, listeners: Capture
) -> None:
    a0, _a1, a2 = support.agents
    routing.do_set_team_routing(
        support.team, actor=world.admin, mode="least_loaded", reassign_offline_after_minutes=10
    )
    with at(0), listeners():
        ticket = arrive(world, support.team)
    assert assignee(ticket) == a0.pk
    with at(1):
        availability(world, support, "offline", "offline", "offline")
    with at(12), listeners():
        result = engine.sweep()
    assert (result.reassigned, result.unassigned, result.waiting) == (0, 1, 1)
    assert assignee(ticket) is None
    with at(13), listeners():
        accounts.do_set_availability(a0, actor=a0, availability="online")
        accounts.do_set_availability(a2, actor=a2, availability="online")
        assert engine.sweep().routed == 1
    assert assignee(ticket) == a2.pk  # a0 was routed to most recently


def test_a_ticket_given_to_an_absent_agent_lately_waits_the_full_time(
    world: World, support: Support, listeners: Capture
) -> None:
    a0, a1, _a2 = support.agents
    routing.do_set_team_routing(
        support.team, actor=world.admin, mode="round_robin", reassign_offline_after_minutes=30
    )
    with at(0):
        availability(world, support, "offline", "online", "online")
    with at(40), listeners():
        # A lead gives a0 a ticket by hand, though a0 has been offline for 40 minutes.
        ticket = arrive(world, support.team, assignee_id=a0.pk)
    with at(60), listeners():
        assert engine.sweep().reassigned == 0
    with at(71), listeners():
        assert engine.sweep().reassigned == 1
    assert assignee(ticket) == a1.pk


def test_the_sweep_leaves_manual_teams_deleted_and_closed_calendar_tickets_alone(
    world: World, support: Support, listeners: Capture
) -> None:
    with listeners():
        billing = arrive(world, world.billing)
        deleted = arrive(world, world.billing)
    tickets.do_delete_ticket(deleted, actor=world.manager, via=Via.WEB)
    accounts.do_set_availability(world.agent, actor=world.agent, availability="online")
    assert engine.sweep().routed == 0  # Billing is manual
    routing.do_set_team_routing(
        world.billing, actor=world.admin, mode="round_robin", reassign_offline_after_minutes=None
    )
    office_hours(world, support.team)  # Support works Monday to Friday, 09:00-18:00
    with time_machine.travel(SATURDAY_NOON, tick=False), listeners():
        closed = arrive(world, support.team)
        result = engine.sweep()
    assert result.routed == 1  # Billing's live ticket; the deleted one and Support's wait
    assert (assignee(billing), assignee(deleted), assignee(closed)) == (world.agent.pk, None, None)
