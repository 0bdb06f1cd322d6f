"""A ticket's life through the actions: replies, status rules, versions and conflicts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from doum.accounts import actions as accounts
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import Conflict, Forbidden, InvalidInput
from doum.tickets import actions as tickets
from doum.tickets.models import (
    Comment,
    CustomField,
    EventKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    Via,
)
from tests.personas import World


def portal_ticket(world: World, subject: str = "Where is my parcel?") -> Ticket:
    return tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject=subject, body="It has been a week."
    )


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def events_at(ticket: Ticket, version: int) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (e.kind, e.field, e.old_value, e.new_value)
        for e in TicketEvent.objects.filter(ticket=ticket, version=version).order_by("id")
    ]


def require_on_solve(key: str = "resolution_code") -> CustomField:
    # Field definitions are instance settings; there is no ticket action for them.
    return CustomField.objects.create(
        key=key,
        label="Resolution code",
        field_type=CustomField.FieldType.DROPDOWN,
        options=[{"value": "fixed", "label": "Fixed"}, {"value": "wontfix", "label": "Won't fix"}],
        required_on_solve=True,
        created_at=clock.now(),
    )


# --- versions and events --------------------------------------------------------------------


def test_the_world_ticket_history_has_one_version_per_action(world: World) -> None:
    ticket = world.ticket
    assert ticket.version == 4
    assert events_at(ticket, 1) == [
        (EventKind.CREATED, "", None, Status.NEW),
        (EventKind.COMMENT_ADDED, "", None, None),
    ]
    assert events_at(ticket, 2) == [
        (EventKind.FIELD_CHANGED, "assignee", None, str(world.agent.pk)),
        (EventKind.FIELD_CHANGED, "team", None, str(world.billing.pk)),
        (EventKind.FIELD_CHANGED, "status", Status.NEW, Status.OPEN),
    ]
    assert events_at(ticket, 3) == [(EventKind.COMMENT_ADDED, "", None, None)]
    assert events_at(ticket, 4) == [(EventKind.COMMENT_ADDED, "", None, None)]
    roles_by_version = dict(
        TicketEvent.objects.filter(ticket=ticket).values_list("version", "actor_role").distinct()
    )
    assert roles_by_version == {1: "customer", 2: "team_lead", 3: "agent", 4: "agent"}
    note = TicketEvent.objects.get(ticket=ticket, version=4)
    assert note.is_public is False
    assert note.comment is not None and note.comment.is_public is False


def test_every_action_bumps_the_version_by_exactly_one(world: World) -> None:
    ticket = portal_ticket(world)
    steps = [
        lambda t: tickets.do_assign(t, actor=world.agent, via=Via.WEB, assignee_id=world.agent.pk),
        lambda t: tickets.do_add_comment(t, actor=world.agent, via=Via.WEB, body="On it."),
        lambda t: tickets.do_update_ticket(
            t,
            actor=world.agent,
            via=Via.WEB,
            changes={"priority": Priority.HIGH, "add_tags": ["parcel", "late"]},
        ),
        lambda t: tickets.do_add_comment(t, actor=world.qa, via=Via.WEB, body="QA", public=False),
        lambda t: tickets.do_change_status(
            t, actor=world.agent, via=Via.API, status=Status.PENDING
        ),
        lambda t: tickets.do_add_comment(t, actor=world.customer, via=Via.EMAIL, body="Thanks"),
        lambda t: tickets.do_change_status(t, actor=world.agent, via=Via.WEB, status=Status.SOLVED),
        lambda t: tickets.do_change_status(t, actor=world.agent, via=Via.WEB, status=Status.CLOSED),
    ]
    for expected, step in enumerate(steps, start=2):
        before = TicketEvent.objects.filter(ticket=ticket).count()
        step(fresh(ticket))
        current = fresh(ticket)
        assert current.version == expected
        new_events = TicketEvent.objects.filter(ticket=ticket).order_by("id")[before:]
        assert new_events, f"step {expected} wrote no event"
        assert {e.version for e in new_events} == {expected}
        assert len({e.at for e in new_events}) == 1
        assert current.updated_at == new_events[0].at
    assert fresh(ticket).status == Status.CLOSED


def test_an_update_that_changes_nothing_writes_nothing(world: World) -> None:
    ticket = world.ticket
    before = TicketEvent.objects.count()
    tickets.do_update_ticket(
        ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"priority": ticket.priority, "subject": ticket.subject, "tags": []},
    )
    assert fresh(ticket).version == 4
    assert TicketEvent.objects.count() == before


def test_actor_role_is_a_snapshot_that_a_promotion_does_not_rewrite(world: World) -> None:
    ticket = world.ticket
    tickets.do_add_comment(ticket, actor=world.agent, via=Via.WEB, body="Before promotion")
    accounts.do_change_role(world.agent, actor=world.admin, role=Role.TEAM_LEAD)
    world.agent.refresh_from_db()
    tickets.do_add_comment(fresh(ticket), actor=world.agent, via=Via.WEB, body="After promotion")

    replies = TicketEvent.objects.filter(
        ticket=ticket, actor=world.agent, kind=EventKind.COMMENT_ADDED
    ).order_by("id")
    assert [e.actor_role for e in replies] == ["agent", "agent", "agent", "team_lead"]


def test_field_changes_record_old_and_new_values_as_text(world: World) -> None:
    ticket = world.ticket
    tickets.do_update_ticket(
        ticket,
        actor=world.agent,
        via=Via.API,
        changes={"priority": Priority.URGENT, "subject": "Refund, urgent", "status": "pending"},
    )
    assert events_at(ticket, 5) == [
        (EventKind.FIELD_CHANGED, "subject", "환불 요청 — refund please", "Refund, urgent"),
        (EventKind.FIELD_CHANGED, "priority", Priority.NORMAL, Priority.URGENT),
        (EventKind.FIELD_CHANGED, "status", Status.OPEN, Status.PENDING),
    ]
    assert set(
        TicketEvent.objects.filter(version=5, ticket=ticket).values_list("via", flat=True)
    ) == {Via.API}


# --- status rules ---------------------------------------------------------------------------


def test_a_ticket_cannot_go_back_to_new(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status=Status.NEW)
    assert excinfo.value.field == "status"
    assert fresh(world.ticket).status == Status.OPEN


def test_unknown_status_is_rejected(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="done")
    assert excinfo.value.field == "status"


def test_only_solved_tickets_can_be_closed(world: World) -> None:
    for start in (Status.OPEN, Status.PENDING, Status.ON_HOLD):
        if start != Status.OPEN:
            tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status=start)
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_change_status(
                world.ticket, actor=world.agent, via=Via.WEB, status=Status.CLOSED
            )
        assert excinfo.value.field == "status"
        assert fresh(world.ticket).status == start


def test_closed_tickets_reject_comments_and_updates(world: World) -> None:
    ticket = world.ticket
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.CLOSED)
    closed = fresh(ticket)
    assert closed.status == Status.CLOSED
    assert closed.solved_at is not None  # closing keeps when it was solved
    comments = Comment.objects.count()

    for actor, public in ((world.customer, True), (world.agent, True), (world.agent, False)):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_add_comment(closed, actor=actor, via=Via.WEB, body="Hello?", public=public)
        assert excinfo.value.field == "status"
    for changes in ({"priority": Priority.HIGH}, {"status": Status.OPEN}, {"add_tags": ["x"]}):
        with pytest.raises(InvalidInput):
            tickets.do_update_ticket(closed, actor=world.admin, via=Via.WEB, changes=changes)
    assert Comment.objects.count() == comments
    assert fresh(ticket).version == closed.version


def test_solving_requires_the_fields_required_on_solve(world: World) -> None:
    require_on_solve()
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    assert excinfo.value.field == "custom_fields.resolution_code"
    assert fresh(world.ticket).status == Status.OPEN

    # Filling the field in the same update is enough.
    tickets.do_update_ticket(
        world.ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"custom_fields": {"resolution_code": "fixed"}, "status": Status.SOLVED},
    )
    solved = fresh(world.ticket)
    assert solved.status == Status.SOLVED
    assert solved.custom_fields == {"resolution_code": "fixed"}


def test_merging_closes_without_the_solve_checks(world: World) -> None:
    require_on_solve()
    duplicate = portal_ticket(world, "Refund again")
    tickets.do_merge_tickets(duplicate, world.ticket, actor=world.agent, via=Via.WEB)
    assert fresh(duplicate).status == Status.CLOSED


def test_solving_an_unassigned_ticket_assigns_the_solving_agent(world: World) -> None:
    ticket = portal_ticket(world)
    with clock.at(datetime(2030, 3, 1, 12, 0, tzinfo=UTC)):
        tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    solved = fresh(ticket)
    assert solved.status == Status.SOLVED
    assert solved.assignee == world.agent
    assert solved.team == world.billing
    assert solved.solved_at == datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
    assert events_at(ticket, 2) == [
        (EventKind.FIELD_CHANGED, "assignee", None, str(world.agent.pk)),
        (EventKind.FIELD_CHANGED, "team", None, str(world.billing.pk)),
        (EventKind.FIELD_CHANGED, "status", Status.NEW, Status.SOLVED),
    ]


def test_a_system_change_cannot_solve_an_unassigned_ticket(world: World) -> None:
    ticket = portal_ticket(world)
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_change_status(ticket, actor=None, via=Via.AUTOMATION, status=Status.SOLVED)
    assert excinfo.value.field == "assignee"


def test_a_customer_reply_reopens_a_solved_ticket(world: World) -> None:
    ticket = world.ticket
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    assert fresh(ticket).solved_at is not None

    tickets.do_add_comment(ticket, actor=world.customer, via=Via.EMAIL, body="Still broken.")
    reopened = fresh(ticket)
    assert reopened.status == Status.OPEN
    assert reopened.solved_at is None
    assert events_at(ticket, 6) == [
        (EventKind.COMMENT_ADDED, "", None, None),
        (EventKind.FIELD_CHANGED, "status", Status.SOLVED, Status.OPEN),
    ]
    status_event = TicketEvent.objects.get(ticket=ticket, version=6, field="status")
    assert status_event.actor == world.customer
    assert status_event.actor_role == "customer"
    assert status_event.via == Via.EMAIL


def test_a_customer_reply_moves_a_pending_ticket_to_open(world: World) -> None:
    ticket = world.ticket
    tickets.do_add_comment(
        ticket, actor=world.agent, via=Via.WEB, body="Which order?", status=Status.PENDING
    )
    assert fresh(ticket).status == Status.PENDING
    tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="Order 1001.")
    assert fresh(ticket).status == Status.OPEN
    assert (EventKind.FIELD_CHANGED, "status", Status.PENDING, Status.OPEN) in events_at(ticket, 6)


def test_a_customer_reply_leaves_on_hold_and_open_tickets_alone(world: World) -> None:
    ticket = world.ticket
    tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="Any news?")
    assert fresh(ticket).status == Status.OPEN
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.ON_HOLD)
    tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="Any news now?")
    assert fresh(ticket).status == Status.ON_HOLD


def test_the_agents_first_public_reply_opens_a_new_ticket(world: World) -> None:
    ticket = portal_ticket(world)
    tickets.do_add_comment(ticket, actor=world.agent, via=Via.WEB, body="Note", public=False)
    assert fresh(ticket).status == Status.NEW  # an internal note is not a reply
    tickets.do_add_comment(ticket, actor=world.agent, via=Via.WEB, body="Hello, Kim!")
    opened = fresh(ticket)
    assert opened.status == Status.OPEN
    assert opened.assignee is None  # replying does not assign
    assert events_at(ticket, 3) == [
        (EventKind.COMMENT_ADDED, "", None, None),
        (EventKind.FIELD_CHANGED, "status", Status.NEW, Status.OPEN),
    ]


def test_a_reply_can_set_the_status_in_the_same_version(world: World) -> None:
    ticket = portal_ticket(world)
    comment = tickets.do_add_comment(
        ticket, actor=world.agent, via=Via.WEB, body="Done!", status=Status.SOLVED
    )
    solved = fresh(ticket)
    assert solved.status == Status.SOLVED
    assert solved.version == 2
    assert solved.assignee == world.agent
    kinds = [k for k, *_ in events_at(ticket, 2)]
    assert kinds[0] == EventKind.COMMENT_ADDED
    assert (
        TicketEvent.objects.get(ticket=ticket, version=2, kind="comment_added").comment == comment
    )


def test_reopening_by_an_agent_clears_solved_at(world: World) -> None:
    ticket = world.ticket
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.OPEN)
    assert fresh(ticket).solved_at is None


# --- version conflicts ----------------------------------------------------------------------


def test_a_write_against_a_stale_version_gets_a_conflict_with_the_changes(world: World) -> None:
    opened_at_version = world.ticket.version  # 4: what the agent's screen shows
    tickets.do_update_ticket(
        world.ticket, actor=world.lead, via=Via.WEB, changes={"priority": Priority.HIGH}
    )
    tickets.do_add_comment(world.ticket, actor=world.customer, via=Via.PORTAL, body="Hello?")
    comments = Comment.objects.count()

    with pytest.raises(Conflict) as excinfo:
        tickets.do_add_comment(
            world.ticket,
            actor=world.agent,
            via=Via.WEB,
            body="Replying to an old screen",
            expected_version=opened_at_version,
        )
    error = excinfo.value
    assert error.status_code == 409
    assert error.field == "version"
    assert error.extra["current_version"] == 6
    changes = error.extra["changes"]
    assert [(c["version"], c["kind"], c["field"]) for c in changes] == [
        (5, EventKind.FIELD_CHANGED, "priority"),
        (6, EventKind.COMMENT_ADDED, None),
    ]
    assert changes[0]["old"] == Priority.NORMAL
    assert changes[0]["new"] == Priority.HIGH
    assert changes[0]["actor_id"] == world.lead.pk
    assert changes[1]["actor_id"] == world.customer.pk
    assert Comment.objects.count() == comments
    assert error.as_dict()["code"] == "conflict"

    with pytest.raises(Conflict):
        tickets.do_update_ticket(
            world.ticket,
            actor=world.agent,
            via=Via.WEB,
            changes={"priority": Priority.LOW},
            expected_version=opened_at_version,
        )
    assert fresh(world.ticket).priority == Priority.HIGH


def test_a_write_against_the_current_version_succeeds(world: World) -> None:
    current = fresh(world.ticket)
    tickets.do_update_ticket(
        current,
        actor=world.agent,
        via=Via.WEB,
        changes={"priority": Priority.LOW},
        expected_version=current.version,
    )
    after = fresh(world.ticket)
    assert after.priority == Priority.LOW
    assert after.version == current.version + 1
    tickets.do_add_comment(
        after, actor=world.agent, via=Via.WEB, body="ok", expected_version=after.version
    )
    assert fresh(world.ticket).version == after.version + 1


def test_the_version_check_reads_the_database_not_the_callers_copy(world: World) -> None:
    stale_copy = Ticket.objects.get(pk=world.ticket.pk)
    tickets.do_update_ticket(
        world.ticket, actor=world.lead, via=Via.WEB, changes={"priority": Priority.HIGH}
    )
    # The caller's object is old, but no expected version was given: last writer wins per field.
    tickets.do_update_ticket(
        stale_copy, actor=world.agent, via=Via.WEB, changes={"type": "incident"}
    )
    after = fresh(world.ticket)
    assert after.priority == Priority.HIGH
    assert after.type == "incident"
    assert after.version == 6


# --- permissions on writes (details in test_permissions.py) ---------------------------------


def test_customer_may_not_set_the_status_when_replying(world: World) -> None:
    with pytest.raises(Forbidden) as excinfo:
        tickets.do_add_comment(
            world.ticket, actor=world.customer, via=Via.PORTAL, body="Fixed!", status=Status.SOLVED
        )
    assert excinfo.value.field == "status"
    assert fresh(world.ticket).status == Status.OPEN
    assert fresh(world.ticket).version == 4


def test_a_qa_note_cannot_carry_a_status_change(world: World) -> None:
    with pytest.raises(Forbidden):
        tickets.do_add_comment(
            world.ticket,
            actor=world.qa,
            via=Via.WEB,
            body="Looks solved",
            public=False,
            status=Status.SOLVED,
        )
    assert fresh(world.ticket).version == 4


def test_solved_at_is_the_instant_of_the_solving_event(world: World) -> None:
    start = datetime(2031, 5, 1, 8, 0, tzinfo=UTC)
    with clock.at(start):
        ticket = portal_ticket(world)
    with clock.at(start + timedelta(hours=3)):
        tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    solved = fresh(ticket)
    event = TicketEvent.objects.get(ticket=ticket, field="status")
    assert solved.solved_at == event.at == start + timedelta(hours=3)
    assert solved.created_at == start


# --- attachments ----------------------------------------------------------------------------


def test_a_reply_with_attachments_records_them_in_the_same_version(world: World) -> None:
    comment = tickets.do_add_comment(
        world.ticket,
        actor=world.agent,
        via=Via.WEB,
        body="Invoice attached (internal copy).",
        public=False,
        attachments=[
            tickets.NewAttachment("invoice.pdf", "application/pdf", b"%PDF-1.7 fake"),
            tickets.NewAttachment("logo.png", "image/png", b"\x89PNG", True, "logo@x"),
        ],
    )
    rows = list(comment.attachments.order_by("id"))
    assert [(a.filename, a.size, a.is_inline, a.content_id) for a in rows] == [
        ("invoice.pdf", 13, False, ""),
        ("logo.png", 4, True, "logo@x"),
    ]
    assert all(a.storage_key.startswith("attachments/") for a in rows)
    assert rows[0].sha256 == hashlib.sha256(b"%PDF-1.7 fake").hexdigest()
    assert rows[0].comment == comment
    events = list(TicketEvent.objects.filter(ticket=world.ticket, version=5).order_by("id"))
    assert [(e.kind, e.new_value, e.is_public) for e in events] == [
        (EventKind.COMMENT_ADDED, None, False),
        (EventKind.ATTACHMENT_ADDED, "invoice.pdf", False),
        (EventKind.ATTACHMENT_ADDED, "logo.png", False),
    ]
    assert events[1].data == {"size": 13, "content_type": "application/pdf"}


def test_too_large_or_too_many_attachments_are_refused_before_anything_is_written(
    world: World, settings: Any
) -> None:
    settings.DOUM_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = tickets.NewAttachment("big.bin", "application/octet-stream", b"x" * (1024 * 1024 + 1))
    small = tickets.NewAttachment("a.txt", "text/plain", b"a")
    comments = Comment.objects.count()
    for files in ([small, big], [small] * 21):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_add_comment(
                world.ticket, actor=world.agent, via=Via.WEB, body="Files", attachments=files
            )
        assert excinfo.value.field == "attachments"
    assert Comment.objects.count() == comments
    assert fresh(world.ticket).version == 4
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [f for f in media.rglob("*") if f.is_file()]
