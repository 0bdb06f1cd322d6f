"""Each routing mode picks the agent it promises, only among eligible agents (team members who
may edit tickets, online, below capacity, qualified), and writes the assignment as a system
change that names the routing rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction

from doum.accounts import actions as accounts
from doum.core import clock
from doum.routing import actions as routing
from doum.routing import engine
from doum.routing.models import AgentRoutingState, Skill, TeamRouting
from doum.tickets import actions as tickets
from doum.tickets import hooks
from doum.tickets.models import EventKind, Status, Ticket, TicketEvent, Via
from doum.tickets.rules import RuleRef, applied_by
from tests.personas import World, build_world
from tests.routing.calendars import MONDAY_0901, SATURDAY_NOON, office_hours
from tests.routing.conftest import Capture, Support, add_member, arrive, make_support


def assignees(ticket_ids: list[int]) -> list[int | None]:
    found = dict(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "assignee_id"))
    return [found[t] for t in ticket_ids]


def test_round_robin_takes_turns_and_the_event_names_the_rule(
    world: World, support: Support, listeners: Capture
) -> None:
    ids = []
    for i in range(6):
        with listeners():
            ids.append(arrive(world, support.team, f"Question {i}").pk)
    a = [u.pk for u in support.agents]
    assert assignees(ids) == [a[0], a[1], a[2], a[0], a[1], a[2]]
    assert TeamRouting.objects.get(team=support.team).last_assigned_user_id == a[2]

    event = TicketEvent.objects.get(ticket_id=ids[0], field="assignee")
    assert event.kind == EventKind.FIELD_CHANGED
    assert (event.via, event.actor_id, event.old_value) == (Via.SYSTEM, None, None)
    assert event.new_value == str(a[0])
    assert event.data["rule"] == {"kind": "routing", "id": support.team.pk, "name": "Support"}
    # Assigning a new ticket opens it (the ticket actions' rule), in the same version.
    status = TicketEvent.objects.get(ticket_id=ids[0], field="status")
    assert (status.new_value, status.version, status.via) == ("open", event.version, "system")
    assert status.data["rule"]["kind"] == "routing"


def test_a_manual_team_and_an_assigned_ticket_are_left_alone(
    world: World, support: Support, listeners: Capture
) -> None:
    with listeners():
        billing = arrive(world, world.billing)  # Billing has no routing settings: manual
        mine = arrive(world, support.team, assignee_id=support.agents[2].pk)
    assert assignees([billing.pk, mine.pk]) == [None, support.agents[2].pk]
    routing.do_set_team_routing(
        support.team, actor=world.admin, mode="manual", reassign_offline_after_minutes=None
    )
    with listeners():
        manual = arrive(world, support.team)
    assert assignees([manual.pk]) == [None]
    assert not TicketEvent.objects.filter(via=Via.SYSTEM).exists()


def test_a_ticket_moved_into_a_routed_team_is_routed(
    world: World, support: Support, listeners: Capture
) -> None:
    with listeners():
        ticket = arrive(world, world.billing)
    assert assignees([ticket.pk]) == [None]
    with listeners():
        tickets.do_update_ticket(
            ticket, actor=world.lead, via=Via.WEB, changes={"team_id": support.team.pk}
        )
    assert assignees([ticket.pk]) == [support.agents[0].pk]


def test_history_written_in_the_past_is_not_routed(
    world: World, support: Support, listeners: Capture
) -> None:
    with listeners(), clock.at(dt.datetime(2024, 1, 5, 9, tzinfo=dt.UTC)):
        ticket = arrive(world, support.team)
    assert assignees([ticket.pk]) == [None]


def test_least_loaded_picks_the_fewest_then_the_longest_since_routed(
    world: World, support: Support, listeners: Capture
) -> None:
    routing.do_set_team_routing(
        support.team, actor=world.admin, mode="least_loaded", reassign_offline_after_minutes=None
    )
    a0, a1, a2 = (u.pk for u in support.agents)
    for assignee in (a0, a0, a1):  # assigned by hand: a0 has 2, a1 has 1
        arrive(world, support.team, assignee_id=assignee)
    picked = []
    for _ in range(4):
        with listeners():
            ticket = arrive(world, support.team)
        picked.append(assignees([ticket.pk])[0])
    # a2 (0 open); a1 and a2 tie at 1, a1 never routed; a2 (1); all at 2, a0 never routed.
    assert picked == [a2, a1, a2, a0]
    assert AgentRoutingState.objects.filter(user_id__in=[a0, a1, a2]).count() == 3


def test_solved_tickets_do_not_count_as_load(
    world: World, support: Support, listeners: Capture
) -> None:
    routing.do_set_team_routing(
        support.team, actor=world.admin, mode="least_loaded", reassign_offline_after_minutes=None
    )
    a0, a1, _a2 = support.agents
    for assignee in (a0, a0, a1):
        t = arrive(world, support.team, assignee_id=assignee.pk)
        tickets.do_change_status(t, actor=assignee, via=Via.WEB, status=Status.SOLVED)
    arrive(world, support.team, assignee_id=a1.pk)
    deleted = arrive(world, support.team, assignee_id=a0.pk)
    tickets.do_delete_ticket(deleted, actor=world.manager, via=Via.WEB)
    with listeners():
        ticket = arrive(world, support.team)
    # a0's tickets are solved or deleted: 0 open, like a2; a0 has the lower id.
    assert assignees([ticket.pk]) == [a0.pk]


def test_nobody_offline_away_at_capacity_or_unable_to_edit_gets_a_ticket(
    world: World, support: Support, listeners: Capture, settings: Any
) -> None:
    a0, a1, a2 = support.agents
    accounts.do_set_availability(a0, actor=a0, availability="offline")
    accounts.do_set_availability(a1, actor=a1, availability="away")
    # A QA reviewer in the team, online, may not edit tickets; a deactivated member neither.
    accounts.do_add_team_member(support.team, actor=world.admin, user=world.qa)
    accounts.do_set_availability(world.qa, actor=world.qa, availability="online")
    gone = add_member(world, support.team, "Gone")
    accounts.do_deactivate_user(gone, actor=world.admin)
    routing.do_set_agent_capacity(a2, actor=world.admin, capacities={"any": 2, "email": 0})
    with listeners():
        email = arrive(world, support.team, channel="email")
    with listeners():
        first = arrive(world, support.team)
    with listeners():
        second = arrive(world, support.team)
    with listeners():
        third = arrive(world, support.team)  # a2 is at 2 now
    assert assignees([email.pk, first.pk, second.pk, third.pk]) == [None, a2.pk, a2.pk, None]
    # Without an "any" row of their own, the default capacity applies.
    settings.DOUM_ROUTING_DEFAULT_CAPACITY = 1
    routing.do_set_agent_capacity(a2, actor=world.admin, capacities={"any": None})
    accounts.do_set_availability(a1, actor=a1, availability="online")
    with listeners():
        fourth = arrive(world, support.team)
    with listeners():
        fifth = arrive(world, support.team)
    assert assignees([fourth.pk, fifth.pk]) == [a1.pk, None]
    assert not Ticket.objects.filter(assignee__in=[a0, world.qa, gone]).exists()


def test_skills_mode_gives_tickets_only_to_qualified_agents(
    world: World, listeners: Capture
) -> None:
    support = make_support(world, mode="skills")
    a0, a1, a2 = support.agents
    for name in ("korean", "billing"):
        routing.do_create_skill(actor=world.admin, name=name)
    ids = dict(Skill.objects.values_list("name", "id"))
    routing.do_set_agent_skills(a0, actor=world.admin, levels={ids["korean"]: 2})
    routing.do_set_agent_skills(a1, actor=world.admin, levels={ids["korean"]: 4, ids["billing"]: 1})

    def needing(*skills: str) -> int | None:
        # The trigger that sets the skills runs before routing sees the ticket (one commit).
        with listeners(), transaction.atomic():
            ticket = arrive(world, support.team)
            routing.do_set_required_skills(ticket.pk, list(skills), actor=None, via=Via.TRIGGER)
        return assignees([ticket.pk])[0]

    assert needing("korean:3") == a1.pk  # only a1 is at level 3 or above
    assert needing("korean") == a0.pk  # a0 and a1 qualify; a0 has fewer open tickets
    assert needing("korean") == a1.pk  # 1 open each: the higher level wins the tie
    assert needing("billing:2") is None  # nobody is at level 2
    assert needing() == a2.pk  # no requirement: the least-loaded of everyone


@pytest.mark.django_db(transaction=True)
def test_routing_waits_until_every_trigger_has_had_its_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two triggers, each its own transaction: one moves the ticket to Support, the next
    requires Korean at level 3. Routing decides once both are done. (Real commits: each
    trigger's commit notifies the listeners at once, as in production.)"""
    world = build_world()
    support = make_support(world, mode="skills")
    korean = routing.do_create_skill(actor=world.admin, name="korean")
    routing.do_set_agent_skills(support.agents[2], actor=world.admin, levels={korean.pk: 3})

    def triggers(change: hooks.TicketChange) -> None:  # stands in for doum.automation
        if change.via == Via.TRIGGER:
            return
        ticket = Ticket.objects.get(pk=change.ticket_id)
        with applied_by(RuleRef("trigger", 1, "Korean to Support")):
            tickets.do_update_ticket(
                ticket, actor=None, via=Via.TRIGGER, changes={"team_id": support.team.pk}
            )
        with applied_by(RuleRef("trigger", 2, "Korean needs level 3")):
            routing.do_set_required_skills(ticket.pk, ["korean:3"], actor=None, via=Via.TRIGGER)

    # Listeners run in registration order; the trigger engine is registered before routing.
    monkeypatch.setattr(hooks, "_listeners", [triggers, *hooks._listeners])
    ticket = arrive(world, world.billing, "한국어 문의")
    assert assignees([ticket.pk]) == [support.agents[2].pk]


def test_route_ticket_refuses_what_needs_no_routing(world: World, support: Support) -> None:
    # No listeners run here: the engine is called directly.
    ticket = arrive(world, support.team, assignee_id=support.agents[1].pk)
    assert engine.route_ticket(ticket.pk) is None
    assert engine.route_ticket(world.ticket.pk) is None  # Billing is manual
    assert engine.route_ticket(10**9) is None
    spam = arrive(world, support.team)
    tickets.do_mark_spam(spam, actor=world.admin, via=Via.WEB)
    assert engine.route_ticket(spam.pk) is None
    fresh = arrive(world, support.team)
    assert engine.route_ticket(fresh.pk) == support.agents[0].pk


@pytest.mark.parametrize("mode", ["round_robin", "least_loaded", "skills"])
def test_every_mode_waits_for_the_team_calendar_to_open(
    world: World, listeners: Capture, mode: str
) -> None:
    support = make_support(world, mode=mode)
    office_hours(world, support.team)  # Monday to Friday, 09:00-18:00 in Seoul
    with time_machine.travel(SATURDAY_NOON, tick=False):
        with listeners():
            ticket = arrive(world, support.team)
        assert not engine.calendar_open(support.team.pk, clock.now())
        assert engine.sweep().routed == 0
    assert assignees([ticket.pk]) == [None]  # everyone is online, but it is the weekend
    with time_machine.travel(MONDAY_0901, tick=False), listeners():
        assert engine.sweep().routed == 1
    assert assignees([ticket.pk]) == [support.agents[0].pk]


def test_an_agent_another_team_filled_meanwhile_is_passed_over(
    world: World, support: Support, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two teams share an agent with room for one more ticket. While this team's router
    chooses, another team's router gives that agent a ticket (a real assignment, made between
    the choice and the check under the agent's lock): this router must pick someone else."""
    a0, a1, _a2 = support.agents
    routing.do_set_agent_capacity(a0, actor=world.admin, capacities={"any": 1})
    other = accounts.do_create_team(actor=world.admin, name="Other")
    accounts.do_add_team_member(other, actor=world.admin, user=a0)
    elsewhere = arrive(world, other, "Other team's ticket")
    ticket = arrive(world, support.team)
    real = engine.eligible_agents
    calls: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> list[engine.Candidate]:
        found = real(*args, **kwargs)
        calls.append(len(found))
        if len(calls) == 1:  # the other router wins the race for a0 right after our look
            tickets.do_assign(elsewhere, actor=None, via=Via.SYSTEM, assignee_id=a0.pk)
        return found

    monkeypatch.setattr(engine, "eligible_agents", racing)
    assert engine.route_ticket(ticket.pk) == a1.pk
    assert Ticket.objects.filter(assignee=a0).count() == 1  # a0 stayed within capacity
    assert calls[0] == 3 and calls[1] == 2  # a0 looked free, then was full under the lock
