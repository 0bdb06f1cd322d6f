"""Assignment rules, tags and followers, each change with its events."""

from __future__ import annotations

import pytest

from doum.accounts import actions as accounts
from doum.core.errors import InvalidInput
from doum.tickets import actions as tickets
from doum.tickets.models import (
    EventKind,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketTag,
    Via,
)
from tests.personas import World


def portal_ticket(world: World) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="Login fails", body="Error 500 on login."
    )


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def last_events(ticket: Ticket) -> list[tuple[str, str, str | None, str | None]]:
    version = fresh(ticket).version
    return [
        (e.kind, e.field, e.old_value, e.new_value)
        for e in TicketEvent.objects.filter(ticket=ticket, version=version).order_by("id")
    ]


def tags_of(ticket: Ticket) -> list[str]:
    return sorted(TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True))


def followers_of(ticket: Ticket) -> set[int]:
    return set(TicketFollower.objects.filter(ticket=ticket).values_list("user_id", flat=True))


# --- assignment -----------------------------------------------------------------------------


def test_assigning_a_new_ticket_routes_it_to_the_assignees_team_and_opens_it(world: World) -> None:
    ticket = portal_ticket(world)
    tickets.do_assign(ticket, actor=world.lead, via=Via.WEB, assignee_id=world.tech_agent.pk)
    assigned = fresh(ticket)
    assert assigned.assignee == world.tech_agent
    assert assigned.team == world.technical
    assert assigned.status == Status.OPEN
    assert last_events(ticket) == [
        (EventKind.FIELD_CHANGED, "assignee", None, str(world.tech_agent.pk)),
        (EventKind.FIELD_CHANGED, "team", None, str(world.technical.pk)),
        (EventKind.FIELD_CHANGED, "status", Status.NEW, Status.OPEN),
    ]


def test_reassigning_within_the_team_keeps_the_team(world: World) -> None:
    tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=world.lead.pk)
    assert fresh(world.ticket).team == world.billing
    assert last_events(world.ticket) == [
        (EventKind.FIELD_CHANGED, "assignee", str(world.agent.pk), str(world.lead.pk))
    ]


def test_an_assignee_from_another_team_moves_the_ticket_to_their_team(world: World) -> None:
    tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=world.tech_agent.pk)
    moved = fresh(world.ticket)
    assert moved.assignee == world.tech_agent
    assert moved.team == world.technical


def test_an_assignee_outside_the_given_team_is_an_error(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_assign(
            world.ticket,
            actor=world.lead,
            via=Via.WEB,
            assignee_id=world.tech_agent.pk,
            team_id=world.billing.pk,
        )
    assert excinfo.value.field == "assignee"
    unchanged = fresh(world.ticket)
    assert (unchanged.assignee, unchanged.team, unchanged.version) == (
        world.agent,
        world.billing,
        4,
    )


def test_moving_an_assigned_ticket_to_a_team_its_assignee_is_not_in_is_an_error(
    world: World,
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            world.ticket, actor=world.lead, via=Via.WEB, changes={"team_id": world.technical.pk}
        )
    assert excinfo.value.field == "assignee"
    # Unassigning in the same change makes the move possible.
    tickets.do_update_ticket(
        world.ticket,
        actor=world.lead,
        via=Via.WEB,
        changes={"team_id": world.technical.pk, "assignee_id": None},
    )
    moved = fresh(world.ticket)
    assert (moved.team, moved.assignee) == (world.technical, None)


def test_an_assignee_with_no_team_takes_the_ticket_out_of_any_team(world: World) -> None:
    # The rule is "an assignee belongs to the ticket's team"; someone in no team leaves it unrouted.
    tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=world.idle_agent.pk)
    moved = fresh(world.ticket)
    assert moved.assignee == world.idle_agent
    assert moved.team is None


def test_the_assignee_must_be_a_ticket_editing_staff_member(world: World) -> None:
    for person in (world.customer, world.qa, world.director, world.outsider):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=person.pk)
        assert excinfo.value.field == "assignee"
    assert fresh(world.ticket).version == 4


def test_the_assignee_must_be_active_and_exist(world: World) -> None:
    accounts.do_deactivate_user(world.tech_agent, actor=world.manager)
    for assignee_id in (world.tech_agent.pk, 10**9):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=assignee_id)
        assert excinfo.value.field == "assignee"


def test_an_unknown_team_is_an_error(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            world.ticket, actor=world.lead, via=Via.WEB, changes={"team_id": 10**9}
        )
    assert excinfo.value.field == "team"


def test_unassigning_keeps_the_team(world: World) -> None:
    tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=None)
    unassigned = fresh(world.ticket)
    assert unassigned.assignee is None
    assert unassigned.team == world.billing
    assert last_events(world.ticket) == [
        (EventKind.FIELD_CHANGED, "assignee", str(world.agent.pk), None)
    ]


def test_routing_to_a_team_without_an_assignee(world: World) -> None:
    ticket = portal_ticket(world)
    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"team_id": world.technical.pk}
    )
    routed = fresh(ticket)
    assert routed.team == world.technical
    assert routed.status == Status.NEW  # routing is not working on it
    assert last_events(ticket) == [(EventKind.FIELD_CHANGED, "team", None, str(world.technical.pk))]


def test_unknown_fields_cannot_be_changed(world: World) -> None:
    for name in ("requester_id", "version", "deleted_at", "is_spam"):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_update_ticket(
                world.ticket, actor=world.admin, via=Via.WEB, changes={name: 1}
            )
        assert excinfo.value.field == name


# --- tags -----------------------------------------------------------------------------------


def test_tags_are_added_removed_and_replaced_with_events(world: World) -> None:
    ticket = world.ticket
    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["Refund", "VIP customer"]}
    )
    assert tags_of(ticket) == ["refund", "vip_customer"]
    assert last_events(ticket) == [
        (EventKind.TAG_ADDED, "tags", None, "refund"),
        (EventKind.TAG_ADDED, "tags", None, "vip_customer"),
    ]

    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"remove_tags": ["REFUND"]}
    )
    assert tags_of(ticket) == ["vip_customer"]
    assert last_events(ticket) == [(EventKind.TAG_REMOVED, "tags", "refund", None)]

    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"tags": ["vip_customer", "chargeback"]}
    )
    assert tags_of(ticket) == ["chargeback", "vip_customer"]
    assert last_events(ticket) == [(EventKind.TAG_ADDED, "tags", None, "chargeback")]

    tickets.do_update_ticket(ticket, actor=world.agent, via=Via.WEB, changes={"tags": []})
    assert tags_of(ticket) == []
    assert last_events(ticket) == [
        (EventKind.TAG_REMOVED, "tags", "chargeback", None),
        (EventKind.TAG_REMOVED, "tags", "vip_customer", None),
    ]
    assert fresh(ticket).version == 8


def test_adding_a_tag_the_ticket_has_changes_nothing(world: World) -> None:
    tickets.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["a"]}
    )
    version = fresh(world.ticket).version
    tickets.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["A", "a"]}
    )
    assert fresh(world.ticket).version == version


def test_tags_are_shared_rows(world: World) -> None:
    other = portal_ticket(world)
    for t in (world.ticket, other):
        tickets.do_update_ticket(
            t, actor=world.agent, via=Via.WEB, changes={"add_tags": ["shared"]}
        )
    assert Tag.objects.filter(name="shared").count() == 1
    assert set(Tag.objects.get(name="shared").tickets.all()) == {world.ticket, other}


BAD_TAGS: dict[str, list[object]] = {
    "too long": ["a" * 81],
    "comma": ["a,b"],
    "angle brackets": ["<b>"],
    "double quote": ['say "hi"'],
    "apostrophe": ["it's"],
    "backtick": ["`x`"],
    "not text": [42],
    "too many": [f"t{i}" for i in range(51)],
}


def test_bad_tags_are_rejected(world: World, subtests: pytest.Subtests) -> None:
    for name, bad in BAD_TAGS.items():
        with subtests.test(name):
            with pytest.raises(InvalidInput) as excinfo:
                tickets.do_update_ticket(
                    world.ticket, actor=world.agent, via=Via.WEB, changes={"tags": bad}
                )
            assert excinfo.value.field == "tags"
            assert tags_of(world.ticket) == []


def test_eighty_character_tags_and_fifty_tags_are_fine(world: World) -> None:
    names = ["x" * 80] + [f"t{i:02d}" for i in range(49)]
    tickets.do_update_ticket(world.ticket, actor=world.agent, via=Via.WEB, changes={"tags": names})
    assert len(tags_of(world.ticket)) == 50
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["one_more"]}
        )
    assert excinfo.value.field == "tags"


def test_blank_tags_are_ignored(world: World) -> None:
    tickets.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["", "  ", "ok"]}
    )
    assert tags_of(world.ticket) == ["ok"]


# --- followers ------------------------------------------------------------------------------


def test_followers_are_added_and_removed_with_events(world: World) -> None:
    ticket = world.ticket
    tickets.do_update_ticket(
        ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"add_follower_ids": [world.lead.pk, world.colleague.pk, world.lead.pk]},
    )
    assert followers_of(ticket) == {world.lead.pk, world.colleague.pk}
    assert last_events(ticket) == [
        (EventKind.FOLLOWER_ADDED, "followers", None, str(world.lead.pk)),
        (EventKind.FOLLOWER_ADDED, "followers", None, str(world.colleague.pk)),
    ]

    # Adding someone who already follows is not a change.
    version = fresh(ticket).version
    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"add_follower_ids": [world.lead.pk]}
    )
    assert fresh(ticket).version == version

    tickets.do_update_ticket(
        ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"remove_follower_ids": [world.lead.pk, world.outsider.pk]},
    )
    assert followers_of(ticket) == {world.colleague.pk}
    assert last_events(ticket) == [
        (EventKind.FOLLOWER_REMOVED, "followers", str(world.lead.pk), None)
    ]


def test_followers_must_be_active_people(world: World) -> None:
    accounts.do_deactivate_user(world.outsider, actor=world.manager)
    for uid in (world.outsider.pk, 10**9):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_update_ticket(
                world.ticket, actor=world.agent, via=Via.WEB, changes={"add_follower_ids": [uid]}
            )
        assert excinfo.value.field == "followers"
    assert followers_of(world.ticket) == set()
