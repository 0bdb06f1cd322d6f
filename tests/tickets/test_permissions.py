"""Who sees and who may change the customer's Billing ticket, persona by persona.

What a person may not see does not exist for them (NotFound, never Forbidden); what they may
see but not do is Forbidden.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from doum.accounts import actions as accounts
from doum.accounts.models import User
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.tickets import actions as tickets
from doum.tickets.models import Comment, Priority, Status, Ticket, Via
from doum.tickets.selectors import (
    TicketFilters,
    access_ticket,
    filter_tickets,
    ticket_events,
    visible_comments,
    visible_tickets,
)
from tests.personas import World

EVERYONE = [
    "admin", "manager", "director", "qa", "lead", "agent",
    "tech_agent", "idle_agent", "customer", "colleague", "outsider",
]  # fmt: skip
SEES_THE_BILLING_TICKET = {"admin", "manager", "director", "qa", "lead", "agent", "customer"}
REPLIES_PUBLICLY = {"admin", "manager", "lead", "agent", "customer"}
WRITES_NOTES = {"admin", "manager", "lead", "agent", "qa"}
CHANGES_FIELDS = {"admin", "manager", "lead", "agent"}
VISIBLE = [w for w in EVERYONE if w in SEES_THE_BILLING_TICKET]


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_who_sees_the_billing_ticket(world: World, subtests: pytest.Subtests) -> None:
    for who in EVERYONE:
        with subtests.test(who):
            viewer = getattr(world, who)
            if who in SEES_THE_BILLING_TICKET:
                assert access_ticket(viewer, world.ticket.pk) == world.ticket
                assert world.ticket in visible_tickets(viewer)
            else:
                with pytest.raises(NotFound) as excinfo:
                    access_ticket(viewer, world.ticket.pk)
                assert type(excinfo.value) is NotFound
                assert excinfo.value.status_code == 404
                assert world.ticket not in visible_tickets(viewer)


def test_a_ticket_that_does_not_exist_looks_like_one_you_may_not_see(world: World) -> None:
    hidden = {}
    for who in EVERYONE:
        with pytest.raises(NotFound) as missing:
            access_ticket(getattr(world, who), 10**9)
        assert missing.value.as_dict() == {
            "code": "not_found",
            "message": "No such ticket.",
            "field": "ticket",
        }
        if who not in SEES_THE_BILLING_TICKET:
            with pytest.raises(NotFound) as invisible:
                access_ticket(getattr(world, who), world.ticket.pk)
            hidden[who] = invisible.value.as_dict()
            assert hidden[who] == missing.value.as_dict()
    assert set(hidden) == {"tech_agent", "idle_agent", "colleague", "outsider"}


def test_who_may_reply_publicly(world: World, subtests: pytest.Subtests) -> None:
    for who in VISIBLE:
        with subtests.test(who):
            actor = getattr(world, who)
            ticket = access_ticket(actor, world.ticket.pk)
            before = fresh(ticket).version
            if who in REPLIES_PUBLICLY:
                comment = tickets.do_add_comment(ticket, actor=actor, via=Via.WEB, body="Reply")
                assert comment.is_public is True
                assert fresh(ticket).version == before + 1
            else:
                with pytest.raises(Forbidden):
                    tickets.do_add_comment(ticket, actor=actor, via=Via.WEB, body="Reply")
                assert fresh(ticket).version == before


def test_who_may_add_internal_notes(world: World, subtests: pytest.Subtests) -> None:
    for who in VISIBLE:
        with subtests.test(who):
            actor = getattr(world, who)
            ticket = access_ticket(actor, world.ticket.pk)
            before = Comment.objects.filter(ticket=ticket).count()
            if who in WRITES_NOTES:
                note = tickets.do_add_comment(
                    ticket, actor=actor, via=Via.WEB, body="Note", public=False
                )
                assert note.is_public is False
                assert Comment.objects.filter(ticket=ticket).count() == before + 1
            else:
                with pytest.raises(Forbidden):
                    tickets.do_add_comment(
                        ticket, actor=actor, via=Via.WEB, body="Note", public=False
                    )
                assert Comment.objects.filter(ticket=ticket).count() == before


def billing_ticket(world: World) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.admin,
        via=Via.WEB,
        subject="Billing question",
        body="Body",
        requester_id=world.customer.pk,
        assignee_id=world.agent.pk,
    )


def edits_by(world: World, actor: User, ticket: Ticket) -> list[Callable[[], object]]:
    """Four different changes, each a real change on a fresh Billing ticket."""
    return [
        lambda: tickets.do_update_ticket(
            ticket, actor=actor, via=Via.WEB, changes={"priority": Priority.HIGH}
        ),
        lambda: tickets.do_change_status(ticket, actor=actor, via=Via.WEB, status=Status.PENDING),
        lambda: tickets.do_assign(ticket, actor=actor, via=Via.WEB, assignee_id=world.lead.pk),
        lambda: tickets.do_update_ticket(
            ticket, actor=actor, via=Via.WEB, changes={"add_tags": ["x"]}
        ),
    ]


def test_who_may_change_fields_status_and_assignment(
    world: World, subtests: pytest.Subtests
) -> None:
    for who in VISIBLE:
        with subtests.test(who):
            actor = getattr(world, who)
            ticket = access_ticket(actor, billing_ticket(world).pk)
            for attempt in edits_by(world, actor, ticket):
                if who in CHANGES_FIELDS:
                    attempt()
                else:
                    with pytest.raises(Forbidden):
                        attempt()
            assert fresh(ticket).version == (5 if who in CHANGES_FIELDS else 1)


def test_customers_never_see_internal_notes(world: World) -> None:
    bodies = [c.body_text for c in visible_comments(world.customer, world.ticket)]
    assert bodies == ["주문을 취소하고 싶어요.", "Looking into it."]
    for who in ("agent", "lead", "qa", "director", "admin"):
        staff_bodies = [c.body_text for c in visible_comments(getattr(world, who), world.ticket)]
        assert staff_bodies == [*bodies[:2], "SECRET internal: card fraud check"]


def test_the_event_trail_is_for_staff_only(world: World) -> None:
    for who in ("agent", "lead", "qa", "director", "manager", "admin"):
        assert ticket_events(getattr(world, who), world.ticket).count() == 7
    for who in ("customer", "colleague", "outsider"):
        with pytest.raises(NotFound):
            ticket_events(getattr(world, who), world.ticket)


def test_customers_cannot_change_their_own_tickets_fields(world: World) -> None:
    with pytest.raises(Forbidden):
        tickets.do_change_status(
            world.ticket, actor=world.customer, via=Via.PORTAL, status="solved"
        )
    with pytest.raises(Forbidden):
        tickets.do_add_comment(
            world.ticket, actor=world.customer, via=Via.PORTAL, body="Done", status="solved"
        )
    with pytest.raises(Forbidden) as excinfo:
        tickets.do_add_comment(
            world.ticket, actor=world.customer, via=Via.PORTAL, body="Hidden?", public=False
        )
    assert excinfo.value.field == "public"
    assert fresh(world.ticket).version == 4


def test_a_customer_who_is_not_a_participant_may_not_reply(world: World) -> None:
    # Reached only by a channel that skipped access_ticket: the action still refuses.
    for who in ("colleague", "outsider"):
        with pytest.raises(Forbidden):
            tickets.do_add_comment(
                world.ticket, actor=getattr(world, who), via=Via.EMAIL, body="Me too"
            )
    assert fresh(world.ticket).version == 4


# --- customers and organizations ------------------------------------------------------------


def colleague_ticket(world: World) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.colleague, via=Via.PORTAL, subject="Invoice address", body="Please update."
    )


def test_customers_see_their_own_tickets_not_their_colleagues(world: World) -> None:
    theirs = colleague_ticket(world)
    assert list(visible_tickets(world.customer)) == [world.ticket]
    assert list(visible_tickets(world.colleague)) == [theirs]
    assert list(visible_tickets(world.outsider)) == []
    with pytest.raises(NotFound):
        access_ticket(world.customer, theirs.pk)


def test_a_sharing_organization_lets_colleagues_see_and_reply(world: World) -> None:
    theirs = colleague_ticket(world)
    accounts.do_update_organization(world.acme, actor=world.agent, changes={"shared_tickets": True})
    world.customer.refresh_from_db()
    world.colleague.refresh_from_db()

    assert set(visible_tickets(world.customer)) == {world.ticket, theirs}
    assert set(visible_tickets(world.colleague)) == {world.ticket, theirs}
    assert list(visible_tickets(world.outsider)) == []
    ticket = access_ticket(world.colleague, world.ticket.pk)
    tickets.do_add_comment(ticket, actor=world.colleague, via=Via.PORTAL, body="Same for me.")
    # Still no internal notes, and no internal history.
    assert all(c.is_public for c in visible_comments(world.colleague, ticket))
    with pytest.raises(NotFound):
        ticket_events(world.colleague, ticket)

    accounts.do_update_organization(
        world.acme, actor=world.agent, changes={"shared_tickets": False}
    )
    with pytest.raises(NotFound):
        access_ticket(world.colleague, world.ticket.pk)


def test_a_customer_who_follows_a_ticket_sees_it(world: World) -> None:
    tickets.do_update_ticket(
        world.ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"add_follower_ids": [world.outsider.pk]},
    )
    assert list(visible_tickets(world.outsider)) == [world.ticket]
    tickets.do_add_comment(world.ticket, actor=world.outsider, via=Via.EMAIL, body="cc'd reply")
    # Following together with owning does not list the ticket twice.
    tickets.do_update_ticket(
        world.ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"add_follower_ids": [world.customer.pk]},
    )
    assert list(filter_tickets(world.customer, TicketFilters())) == [world.ticket]


def test_inactive_people_see_nothing(world: World) -> None:
    accounts.do_deactivate_user(world.customer, actor=world.manager)
    accounts.do_deactivate_user(world.agent, actor=world.manager)
    world.customer.refresh_from_db()
    world.agent.refresh_from_db()
    for viewer in (world.customer, world.agent):
        assert not visible_tickets(viewer).exists()
        with pytest.raises(NotFound):
            access_ticket(viewer, world.ticket.pk)


# --- agents and teams -----------------------------------------------------------------------


def make(world: World, subject: str, **kw: object) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.admin,
        via=Via.WEB,
        subject=subject,
        body="Body",
        requester_id=world.outsider.pk,
        **kw,  # type: ignore[arg-type]
    )


def test_agents_see_their_teams_their_own_and_the_unrouted_queue(world: World) -> None:
    billing = make(world, "Billing queue", team_id=world.billing.pk)
    technical = make(world, "Technical queue", team_id=world.technical.pk)
    unrouted = make(world, "Unrouted")
    everything = {world.ticket, billing, technical, unrouted}

    def seen(who: str) -> set[Ticket]:
        return set(filter_tickets(getattr(world, who), TicketFilters()))

    assert seen("agent") == {world.ticket, billing, unrouted}
    assert seen("lead") == {world.ticket, billing, unrouted}
    assert seen("tech_agent") == {technical, unrouted}
    assert seen("idle_agent") == {unrouted}
    for who in ("qa", "director", "manager", "admin"):
        assert seen(who) == everything
    with pytest.raises(NotFound):
        access_ticket(world.tech_agent, billing.pk)
    with pytest.raises(NotFound):
        access_ticket(world.agent, technical.pk)


def test_an_agent_sees_tickets_assigned_to_them_in_a_team_they_left(world: World) -> None:
    accounts.do_remove_team_member(world.billing, actor=world.lead, user=world.agent)
    assert access_ticket(world.agent, world.ticket.pk) == world.ticket  # still the assignee
    other = make(world, "Billing, not assigned", team_id=world.billing.pk)
    with pytest.raises(NotFound):
        access_ticket(world.agent, other.pk)


def test_a_lead_sees_the_team_they_lead_even_without_membership(world: World) -> None:
    accounts.do_set_team_lead(world.technical, actor=world.manager, lead=world.lead)
    accounts.do_remove_team_member(world.technical, actor=world.manager, user=world.lead)
    technical = make(world, "Technical queue", team_id=world.technical.pk)
    assert access_ticket(world.lead, technical.pk) == technical
    # An agent who is not a lead gets nothing from team.lead.
    with pytest.raises(NotFound):
        access_ticket(world.agent, technical.pk)


def test_moving_a_ticket_to_another_team_hides_it_from_the_old_team(world: World) -> None:
    tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=world.tech_agent.pk)
    with pytest.raises(NotFound):
        access_ticket(world.agent, world.ticket.pk)
    assert access_ticket(world.tech_agent, world.ticket.pk) == world.ticket


def test_customers_cannot_see_each_others_tickets_through_filters(world: World) -> None:
    colleague_ticket(world)
    found = filter_tickets(world.customer, TicketFilters(requester_id=world.colleague.pk))
    assert list(found) == []
    found = filter_tickets(world.customer, TicketFilters(organization_id=world.acme.pk))
    assert list(found) == [world.ticket]


def test_setting_unknown_status_is_invalid_not_forbidden_for_editors(world: World) -> None:
    with pytest.raises(InvalidInput):
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="nope")


def test_team_restricted_agent_cannot_act_on_another_teams_ticket_through_actions(
    world: World,
) -> None:
    """Channels that skip access_ticket (mail, import) still cannot reach other teams' tickets."""
    with pytest.raises(NotFound):
        tickets.do_add_comment(
            world.ticket, actor=world.tech_agent, via=Via.EMAIL, body="hi", public=False
        )
    with pytest.raises(NotFound):
        tickets.do_update_ticket(
            world.ticket, actor=world.tech_agent, via=Via.API, changes={"priority": "low"}
        )
    assert Ticket.objects.get(pk=world.ticket.pk).priority == "normal"


def test_deleted_tickets_refuse_changes_until_restored(world: World) -> None:
    tickets.do_delete_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    with pytest.raises(InvalidInput):
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="x")
    tickets.do_restore_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="x")


def test_action_visibility_check_agrees_with_the_list_scope(world: World) -> None:
    """permissions.check_can_see decides from the row; selectors.ticket_scope in SQL."""
    from doum.tickets.permissions import check_can_see
    from doum.tickets.selectors import ticket_scope

    unrouted = tickets.do_create_ticket(actor=world.outsider, via=Via.PORTAL, subject="u", body="b")
    technical = tickets.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject="t", body="b",
        requester_id=world.customer.pk, team_id=world.technical.pk,
    )  # fmt: skip
    assigned_across = tickets.do_create_ticket(
        actor=world.admin, via=Via.WEB, subject="x", body="b", requester_id=world.customer.pk,
        team_id=world.technical.pk, assignee_id=world.tech_agent.pk,
    )  # fmt: skip
    staff = [world.agent, world.tech_agent, world.idle_agent, world.lead, world.qa, world.manager]
    for ticket in (world.ticket, unrouted, technical, assigned_across):
        for user in staff:
            in_scope = Ticket.objects.filter(ticket_scope(user), pk=ticket.pk).exists()
            fresh = Ticket.objects.get(pk=ticket.pk)
            try:
                check_can_see(user, fresh)
                allowed = True
            except NotFound:
                allowed = False
            assert allowed == in_scope, (user.name, ticket.subject)
