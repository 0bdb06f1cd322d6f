"""Time-based automations: the hourly run closes solved tickets after 4 days, fires at most
once per ticket and episode (two workers never fire twice), counts business hours by the
team's calendar, and refuses an automation that its own effects would not switch off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from doum.automation import actions, runner
from doum.automation.conditions import AUTOMATION, TRIGGER, clean_conditions, nullified
from doum.automation.effects import validate_effects
from doum.automation.models import Automation, AutomationRun, Trigger
from doum.core import clock, scheduler
from doum.core.errors import InvalidInput
from doum.mail.models import OutboundKind, OutboundMessage
from doum.sla.calendar_actions import do_create_calendar, do_set_team_calendar
from doum.tickets import actions as tickets
from doum.tickets.models import Comment, EventKind, Status, Ticket, TicketEvent, Via
from tests.automation.conftest import Commit, automation
from tests.personas import World

CLOSE = "Close solved tickets after 4 days"
ESCALATE = "Escalate unassigned tickets after 2 business hours"


def turn_on(world: World, name: str) -> Automation:
    found = Automation.objects.get(name=name)
    return actions.do_set_automation_active(found, actor=world.admin, active=True)


def run_at(instant: datetime) -> dict[int, int]:
    with time_machine.travel(instant, tick=False):
        return runner.run_automations()


def status_of(ticket: Ticket) -> str:
    ticket.refresh_from_db()
    return ticket.status


def test_solved_tickets_close_after_four_days_once(world: World) -> None:
    close = turn_on(world, CLOSE)
    solved_at = clock.now() + timedelta(days=1)
    with time_machine.travel(solved_at, tick=False):
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    other = tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="Still open", body="x"
    )
    assert run_at(solved_at + timedelta(hours=95)) == {close.pk: 0}
    assert status_of(world.ticket) == Status.SOLVED
    assert run_at(solved_at + timedelta(hours=96, minutes=1)) == {close.pk: 1}
    assert status_of(world.ticket) == Status.CLOSED
    assert status_of(other) == Status.NEW
    event = TicketEvent.objects.get(ticket=world.ticket, field="status", new_value="closed")
    assert event.via == Via.AUTOMATION and event.actor_id is None
    assert event.data["rule"] == {"kind": "automation", "id": close.pk, "name": CLOSE}
    assert AutomationRun.objects.filter(automation=close, ticket=world.ticket).count() == 1
    assert run_at(solved_at + timedelta(hours=120)) == {close.pk: 0}
    close.refresh_from_db()
    assert close.fire_count == 1


def test_an_automation_fires_once_per_episode(world: World) -> None:
    nudge = automation(
        world, "Nudge pending",
        {"all": [{"field": "status", "op": "is", "value": ["pending"]},
                 {"field": "hours_since_pending", "op": "greater_than", "value": 24},
                 {"field": "priority", "op": "is", "value": ["normal"]}]},
        [{"type": "raise_priority"},
         {"type": "note", "body": "{{requester.name}} has not answered for a day."}],
    )  # fmt: skip
    t0 = clock.now() + timedelta(days=1)

    def at(hours: float) -> time_machine.travel:
        return time_machine.travel(t0 + timedelta(hours=hours), tick=False)

    with at(0):
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="pending")
    assert run_at(t0 + timedelta(hours=23)) == {nudge.pk: 0}
    assert run_at(t0 + timedelta(hours=25)) == {nudge.pk: 1}
    world.ticket.refresh_from_db()
    assert world.ticket.priority == "high"
    note = Comment.objects.filter(ticket=world.ticket, is_public=False).latest("id")
    assert note.body_text == "Kim Customer has not answered for a day."
    with at(26):  # an agent undoes it: same pending period, so no second nudge
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"priority": "normal"}
        )
    assert run_at(t0 + timedelta(hours=27)) == {nudge.pk: 0}
    with at(28):
        tickets.do_add_comment(world.ticket, actor=world.customer, via=Via.PORTAL, body="Here")
    with at(29):
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="pending")
    assert run_at(t0 + timedelta(hours=40)) == {nudge.pk: 0}
    assert run_at(t0 + timedelta(hours=54)) == {nudge.pk: 1}  # a new pending period
    assert AutomationRun.objects.filter(automation=nudge).count() == 2


def test_a_ticket_claimed_by_another_worker_is_not_fired_twice(world: World) -> None:
    close = turn_on(world, CLOSE)
    solved_at = clock.now() + timedelta(days=1)
    with time_machine.travel(solved_at, tick=False):
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    later = solved_at + timedelta(days=5)
    conditions = clean_conditions(close.conditions, kind=AUTOMATION)
    anchors = {"solved"}
    with time_machine.travel(later, tick=False):
        facts = runner.facts_for([Ticket.objects.get(pk=world.ticket.pk)], anchors, later)[0]
        # Another worker inserted the run row (and is still applying the effects).
        AutomationRun.objects.create(
            automation=close, ticket=world.ticket, episode=runner.episode_of(anchors, facts),
            fired_at=later,
        )  # fmt: skip
        assert runner._fire(close, conditions, world.ticket.pk, anchors, later) is False
    assert status_of(world.ticket) == Status.SOLVED


def test_unassigned_tickets_escalate_after_two_business_hours(
    world: World, committed: Commit
) -> None:
    escalate = turn_on(world, ESCALATE)
    calendar = do_create_calendar(
        actor=world.admin, name="Seoul weekdays", time_zone="Asia/Seoul",
        weekly={str(d): ["09:00-18:00"] for d in range(5)},
    )  # fmt: skip
    do_set_team_calendar(actor=world.admin, team_id=world.billing.pk, calendar_id=calendar.pk)
    friday_17_kst = datetime(2027, 3, 5, 8, 0, tzinfo=UTC)
    with time_machine.travel(friday_17_kst, tick=False):
        ticket = tickets.do_create_ticket(
            actor=world.agent, via=Via.PHONE, subject="No one took this", body="x",
            requester_id=world.customer.pk, team_id=world.billing.pk,
        )  # fmt: skip
    # Friday 22:00: five calendar hours, one business hour.
    assert run_at(friday_17_kst + timedelta(hours=5)) == {escalate.pk: 0}
    # Monday 10:30: 2.5 business hours.
    with committed():  # the notification is queued after commit
        assert run_at(datetime(2027, 3, 8, 1, 30, tzinfo=UTC)) == {escalate.pk: 1}
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert set(ticket.tags.values_list("name", flat=True)) == {"escalated_unassigned"}
    mail = OutboundMessage.objects.get(ticket=ticket, kind=OutboundKind.RULE)
    assert mail.to == ["lead@doum.test"] and mail.is_automatic
    assert "no assignee for 2 business hours" in mail.body_text
    assert run_at(datetime(2027, 3, 8, 5, 0, tzinfo=UTC)) == {escalate.pk: 0}


def test_an_automation_must_switch_itself_off(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        automation(
            world, "Tag old solved tickets",
            {"all": [{"field": "status", "op": "is", "value": ["solved"]},
                     {"field": "hours_since_solved", "op": "greater_than", "value": 96}]},
            [{"type": "add_tags", "tags": ["old"]}],
        )  # fmt: skip
    assert "must become false through the automation's own effects" in caught.value.message
    assert not Automation.objects.filter(name="Tag old solved tickets").exists()
    automation(
        world, "Tag old solved tickets",
        {"all": [{"field": "status", "op": "is", "value": ["solved"]},
                 {"field": "hours_since_solved", "op": "greater_than", "value": 96},
                 {"field": "tags", "op": "excludes", "value": ["old"]}]},
        [{"type": "add_tags", "tags": ["old"]}],
    )  # fmt: skip


def test_the_rules_a_fresh_doum_ships_with_are_valid(db: None) -> None:
    rows: list[tuple[str, Any]] = [
        *((AUTOMATION, a) for a in Automation.objects.all()),
        *((TRIGGER, t) for t in Trigger.objects.all()),
    ]
    assert len(rows) == 5  # 3 automations, the pending-reminder trigger, the survey trigger
    for kind, rule in rows:
        cleaned = clean_conditions(rule.conditions, kind=kind)
        effects = validate_effects(rule.effects)
        assert cleaned == rule.conditions and effects == rule.effects
        if kind == AUTOMATION:
            assert nullified(cleaned, effects)
    assert Automation.objects.get(name=CLOSE).position == 0


def run_default_queue() -> list[DBTaskResult]:
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


def test_the_scheduler_runs_automations_every_hour(world: World) -> None:
    job = next(j for j in scheduler.jobs() if j.name == "automation.hourly")
    assert job.seconds == 3600 and job.task == "doum.automation.tasks.run_automations_task"
    turn_on(world, CLOSE)
    solved_at = clock.now() - timedelta(days=5)
    with time_machine.travel(solved_at, tick=False):
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    assert "automation.hourly" in scheduler.tick()
    ran = [t for t in run_default_queue() if t.task_path.endswith("run_automations_task")]
    assert len(ran) == 1 and ran[0].return_value == 1
    assert status_of(world.ticket) == Status.CLOSED
    assert "automation.hourly" not in scheduler.tick()  # not due again for an hour
    assert TicketEvent.objects.filter(
        ticket=world.ticket, kind=EventKind.FIELD_CHANGED, via=Via.AUTOMATION
    ).exists()
