"""Opening tickets through every door: the portal, an agent logging a call, an agent's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from doum.accounts import actions as accounts
from doum.core.errors import Forbidden, InvalidInput
from doum.tickets import actions as tickets
from doum.tickets.models import (
    Channel,
    Comment,
    EventKind,
    SearchEntry,
    Status,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketType,
    Via,
)
from tests.personas import World


def events_of(ticket: Ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))


def tag_names(ticket: Ticket) -> list[str]:
    return sorted(ticket.tags.values_list("name", flat=True))


def test_customer_opens_a_ticket_on_the_portal(world: World) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="Card charged twice", body="Hello,\nhelp."
    )
    ticket.refresh_from_db()

    assert ticket.status == Status.NEW
    assert ticket.requester == world.customer
    assert ticket.submitter == world.customer
    assert ticket.organization == world.acme
    assert ticket.brand == world.brand
    assert ticket.channel == Channel.PORTAL
    assert ticket.assignee is None
    assert ticket.team is None
    assert ticket.version == 1
    assert ticket.created_at == ticket.updated_at

    created, commented = events_of(ticket)
    assert created.kind == EventKind.CREATED
    assert created.new_value == Status.NEW
    assert created.data["requester"] == world.customer.pk
    assert created.data["submitter"] == world.customer.pk
    assert commented.kind == EventKind.COMMENT_ADDED
    for event in (created, commented):
        assert event.version == 1
        assert event.actor == world.customer
        assert event.actor_role == "customer"
        assert event.via == Via.PORTAL
        assert event.at == ticket.created_at
        assert event.imported is False

    comment = Comment.objects.get(ticket=ticket)
    assert commented.comment == comment
    assert commented.is_public is True
    assert comment.author == world.customer
    assert comment.is_public is True
    assert comment.body_text == "Hello,\nhelp."
    assert comment.body_html == "<p>Hello,<br>help.</p>"
    # One search entry for the subject, one for the first message.
    assert SearchEntry.objects.filter(ticket=ticket).count() == 2


def test_agent_logs_a_phone_call_on_behalf_of_a_customer(world: World) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.PHONE,
        subject="Asked about the March invoice",
        body="Customer called about the invoice total.",
        requester_id=world.customer.pk,
        comment_metadata={"call": {"duration_seconds": 312, "direction": "inbound"}},
    )
    ticket.refresh_from_db()

    assert ticket.requester == world.customer
    assert ticket.submitter == world.agent
    assert ticket.organization == world.acme
    assert ticket.channel == Channel.PHONE
    assert ticket.status == Status.NEW  # nobody assigned yet

    comment = Comment.objects.get(ticket=ticket)
    assert comment.author == world.agent
    assert comment.via == Via.PHONE
    assert comment.metadata == {"call": {"duration_seconds": 312, "direction": "inbound"}}
    events = events_of(ticket)
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.COMMENT_ADDED]
    assert {(e.actor_id, e.actor_role, e.via, e.version) for e in events} == {
        (world.agent.pk, "agent", Via.PHONE, 1)
    }


def test_agent_created_ticket_with_an_assignee_starts_open_in_one_version(world: World) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.WEB,
        subject="Refund for order 1001",
        body="Processing the refund.",
        requester_id=world.customer.pk,
        assignee_id=world.agent.pk,
        tags=["Refund", "VIP customer"],
        follower_ids=[world.lead.pk],
    )
    ticket.refresh_from_db()

    assert ticket.status == Status.OPEN
    assert ticket.assignee == world.agent
    assert ticket.team == world.billing  # the assignee's team
    assert ticket.version == 1
    assert tag_names(ticket) == ["refund", "vip_customer"]
    assert list(TicketFollower.objects.filter(ticket=ticket).values_list("user_id", flat=True)) == [
        world.lead.pk
    ]
    events = events_of(ticket)
    assert [(e.kind, e.field, e.old_value, e.new_value) for e in events] == [
        (EventKind.CREATED, "", None, Status.NEW),
        (EventKind.COMMENT_ADDED, "", None, None),
        (EventKind.FIELD_CHANGED, "status", Status.NEW, Status.OPEN),
        (EventKind.FOLLOWER_ADDED, "followers", None, str(world.lead.pk)),
    ]
    assert {e.version for e in events} == {1}
    assert events[0].data["tags"] == ["refund", "vip_customer"]
    assert events[0].data["assignee"] == world.agent.pk
    assert events[0].data["team"] == world.billing.pk


def test_agent_can_open_a_ticket_with_an_internal_first_note(world: World) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.WEB,
        subject="Proactive: failed payment",
        body="Internal: check the gateway logs first.",
        requester_id=world.customer.pk,
        public=False,
    )
    comment = Comment.objects.get(ticket=ticket)
    assert comment.is_public is False
    assert SearchEntry.objects.get(ticket=ticket, comment=comment).is_public is False


def test_agent_can_open_a_task_with_a_due_date(world: World) -> None:
    due = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.WEB,
        subject="Call back",
        body="Call the customer back.",
        requester_id=world.customer.pk,
        type=TicketType.TASK,
        due_at=due,
    )
    ticket.refresh_from_db()
    assert ticket.type == TicketType.TASK
    assert ticket.due_at == due


def test_solving_on_creation_assigns_the_creating_agent(world: World) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.PHONE,
        subject="Password reset",
        body="Reset it during the call.",
        requester_id=world.customer.pk,
        status=Status.SOLVED,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.assignee == world.agent
    assert ticket.team == world.billing
    assert ticket.solved_at == ticket.created_at
    assert {e.version for e in events_of(ticket)} == {1}


CUSTOMER_MAY_NOT_SET: list[tuple[str, Callable[[World], dict[str, Any]], str]] = [
    ("assignee", lambda w: {"assignee_id": w.agent.pk}, "assignee"),
    ("team", lambda w: {"team_id": w.billing.pk}, "team"),
    ("status", lambda w: {"status": Status.OPEN}, "status"),
    ("tags", lambda w: {"tags": ["urgent"]}, "tags"),
    ("followers", lambda w: {"follower_ids": [w.colleague.pk]}, "followers"),
    ("someone else as requester", lambda w: {"requester_id": w.colleague.pk}, "requester"),
    ("internal first message", lambda w: {"public": False}, "public"),
]


def test_customer_may_not_set_what_staff_decide(world: World, subtests: pytest.Subtests) -> None:
    before = Ticket.objects.count()
    for name, make_kwargs, field in CUSTOMER_MAY_NOT_SET:
        with subtests.test(name):
            with pytest.raises(InvalidInput) as excinfo:
                tickets.do_create_ticket(
                    actor=world.customer,
                    via=Via.PORTAL,
                    subject="Hi",
                    body="Hi",
                    **make_kwargs(world),
                )
            assert excinfo.value.field == field
    assert Ticket.objects.count() == before


def test_roles_that_do_not_edit_tickets_cannot_open_them(world: World) -> None:
    for actor in (world.director, world.qa):
        with pytest.raises(Forbidden):
            tickets.do_create_ticket(
                actor=actor, via=Via.WEB, subject="Hi", body="Hi", requester_id=world.customer.pk
            )


def test_inactive_people_cannot_open_tickets(world: World) -> None:
    accounts.do_deactivate_user(world.outsider, actor=world.manager)
    world.outsider.refresh_from_db()
    with pytest.raises(Forbidden):
        tickets.do_create_ticket(actor=world.outsider, via=Via.PORTAL, subject="Hi", body="Hi")


def test_agent_must_name_an_active_requester(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_create_ticket(actor=world.agent, via=Via.WEB, subject="Hi", body="Hi")
    assert excinfo.value.field == "requester"

    accounts.do_deactivate_user(world.outsider, actor=world.manager)
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_create_ticket(
            actor=world.agent, via=Via.WEB, subject="Hi", body="Hi", requester_id=world.outsider.pk
        )
    assert excinfo.value.field == "requester"

    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_create_ticket(
            actor=world.agent, via=Via.WEB, subject="Hi", body="Hi", requester_id=10**9
        )
    assert excinfo.value.field == "requester"


INVALID_CREATION_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"subject": ""}, "subject"),
    ({"subject": " \r\n\t "}, "subject"),
    ({"body": ""}, "body"),
    ({"body": "   \n\n "}, "body"),
    ({"priority": "critical"}, "priority"),
    ({"type": "bug"}, "type"),
    ({"channel": "pigeon"}, "channel"),
    ({"status": "archived"}, "status"),
    ({"status": Status.CLOSED}, "status"),
    ({"type": TicketType.TASK}, "due_at"),
    ({"due_at": datetime(2030, 1, 1, tzinfo=UTC)}, "due_at"),
    ({"type": TicketType.TASK, "due_at": datetime(2030, 1, 1)}, "due_at"),
    ({"team_id": 10**9}, "team"),
    ({"brand_id": 10**9}, "brand"),
    ({"tags": ["a,b"]}, "tags"),
    ({"custom_fields": {"nope": 1}}, "custom_fields.nope"),
    ({"follower_ids": [10**9]}, "followers"),
]


def test_invalid_creation_input_names_the_field_and_writes_nothing(
    world: World, subtests: pytest.Subtests
) -> None:
    counts = (Ticket.objects.count(), Comment.objects.count(), TicketEvent.objects.count())
    for kwargs, field in INVALID_CREATION_INPUT:
        with subtests.test(field=field, kwargs=kwargs):
            params: dict[str, Any] = {"subject": "Subject", "body": "Body", **kwargs}
            with pytest.raises(InvalidInput) as excinfo:
                tickets.do_create_ticket(
                    actor=world.agent, via=Via.WEB, requester_id=world.customer.pk, **params
                )
            assert excinfo.value.field == field
            assert (
                Ticket.objects.count(),
                Comment.objects.count(),
                TicketEvent.objects.count(),
            ) == counts


def test_external_ids_are_unique(world: World) -> None:
    first = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.API,
        subject="Imported",
        body="From the old desk",
        requester_id=world.customer.pk,
        external_id="legacy-42",
    )
    assert first.external_id == "legacy-42"
    assert first.channel == Channel.API
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_create_ticket(
            actor=world.agent,
            via=Via.API,
            subject="Imported again",
            body="From the old desk",
            requester_id=world.customer.pk,
            external_id="legacy-42",
        )
    assert excinfo.value.field == "external_id"


def test_via_that_is_not_a_channel_falls_back_to_web(world: World) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.TRIGGER,
        subject="Made by a trigger",
        body="Body",
        requester_id=world.customer.pk,
    )
    assert ticket.channel == Channel.WEB
    assert {e.via for e in events_of(ticket)} == {Via.TRIGGER}


def test_customers_cannot_claim_staff_fields_on_create(world: World) -> None:
    for field_name, value in (
        ("priority", "urgent"), ("type", "problem"), ("channel", "phone"),
        ("external_id", "zendesk-123"),
    ):  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            tickets.do_create_ticket(
                actor=world.customer, via=Via.PORTAL, subject="x", body="y", **{field_name: value}
            )
        assert caught.value.field == field_name
