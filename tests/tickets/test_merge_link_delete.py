"""Merging duplicates, linking incidents to problems, spam, deletion and restoring."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from doum.accounts.models import AuditLog
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.tickets import actions as tickets
from doum.tickets.models import (
    Comment,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketType,
    Via,
)
from doum.tickets.selectors import (
    TicketFilters,
    access_ticket,
    filter_tickets,
    visible_tickets,
)
from tests.personas import World


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def kinds_at(ticket: Ticket, version: int) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, version=version)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def duplicate_by(world: World, requester_name: str = "colleague") -> Ticket:
    requester = getattr(world, requester_name)
    ticket = tickets.do_create_ticket(
        actor=requester, via=Via.EMAIL, subject="Refund (sent twice)", body="Please refund order 7."
    )
    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["refund", "duplicate"]}
    )
    return fresh(ticket)


# --- merge ----------------------------------------------------------------------------------


def test_merging_closes_the_source_and_carries_requester_and_tags(world: World) -> None:
    source = duplicate_by(world)
    target = world.ticket
    tickets.do_merge_tickets(source, target, actor=world.agent, via=Via.WEB, note="Same order.")

    merged = fresh(source)
    assert merged.status == Status.CLOSED
    assert merged.merged_into_id == target.pk
    assert merged.solved_at is not None
    assert merged.version == source.version + 1
    assert kinds_at(merged, merged.version) == [
        EventKind.COMMENT_ADDED,
        EventKind.MERGED_INTO,
        EventKind.FIELD_CHANGED,  # new -> solved
        EventKind.FIELD_CHANGED,  # solved -> closed
    ]
    statuses = list(
        TicketEvent.objects.filter(ticket=merged, field="status")
        .order_by("id")
        .values_list("old_value", "new_value")
    )
    assert statuses == [(Status.NEW, Status.SOLVED), (Status.SOLVED, Status.CLOSED)]
    source_note = Comment.objects.filter(ticket=merged, is_public=False).get()
    assert source_note.body_text == f"Merged into #{target.pk}.\n\nSame order."
    assert source_note.metadata == {"merge": {"into": target.pk}}

    grown = fresh(target)
    assert grown.version == 5
    assert kinds_at(grown, 5) == [
        EventKind.COMMENT_ADDED,
        EventKind.MERGED_FROM,
        EventKind.FOLLOWER_ADDED,
        EventKind.TAG_ADDED,
        EventKind.TAG_ADDED,
    ]
    assert TicketEvent.objects.get(ticket=grown, kind=EventKind.MERGED_FROM).old_value == str(
        source.pk
    )
    target_note = Comment.objects.filter(ticket=grown, is_public=False).order_by("-id").first()
    assert target_note is not None
    assert target_note.body_text.startswith(
        f"Ticket #{source.pk} ({source.subject}) was merged into this ticket."
    )
    assert "Please refund order 7." in target_note.body_text  # the source's last public message
    assert set(TicketFollower.objects.filter(ticket=grown).values_list("user_id", flat=True)) == {
        world.colleague.pk
    }
    assert sorted(grown.tags.values_list("name", flat=True)) == ["duplicate", "refund"]
    # Both histories stay.
    assert TicketEvent.objects.filter(ticket=merged, kind=EventKind.CREATED).exists()
    assert TicketEvent.objects.filter(ticket=grown, kind=EventKind.CREATED).exists()


def test_merging_tickets_of_the_same_requester_adds_no_follower(world: World) -> None:
    source = duplicate_by(world, "customer")
    tickets.do_merge_tickets(source, world.ticket, actor=world.agent, via=Via.WEB)
    assert not TicketFollower.objects.filter(ticket=world.ticket).exists()
    assert EventKind.FOLLOWER_ADDED not in kinds_at(world.ticket, 5)


def test_a_ticket_cannot_be_merged_into_itself(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_merge_tickets(world.ticket, world.ticket, actor=world.agent, via=Via.WEB)
    assert excinfo.value.field == "target"


def test_closed_tickets_cannot_be_merged_either_way(world: World) -> None:
    closed = duplicate_by(world)
    tickets.do_change_status(closed, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    tickets.do_change_status(closed, actor=world.agent, via=Via.WEB, status=Status.CLOSED)
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_merge_tickets(world.ticket, closed, actor=world.agent, via=Via.WEB)
    assert excinfo.value.field == "target"
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_merge_tickets(closed, world.ticket, actor=world.agent, via=Via.WEB)
    assert excinfo.value.field == "source"
    assert fresh(world.ticket).version == 4


def test_a_merged_ticket_cannot_be_merged_again(world: World) -> None:
    source = duplicate_by(world)
    other = duplicate_by(world, "customer")
    tickets.do_merge_tickets(source, world.ticket, actor=world.agent, via=Via.WEB)
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_merge_tickets(source, other, actor=world.agent, via=Via.WEB)
    assert excinfo.value.field == "source"
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_merge_tickets(other, source, actor=world.agent, via=Via.WEB)
    assert excinfo.value.field == "target"


def test_a_deleted_ticket_cannot_be_merged(world: World) -> None:
    source = duplicate_by(world)
    tickets.do_delete_ticket(source, actor=world.manager, via=Via.WEB)
    with pytest.raises(InvalidInput):
        tickets.do_merge_tickets(source, world.ticket, actor=world.agent, via=Via.WEB)


def test_only_ticket_editors_merge(world: World) -> None:
    source = duplicate_by(world, "customer")
    for actor in (world.customer, world.qa, world.director):
        with pytest.raises(Forbidden):
            tickets.do_merge_tickets(source, world.ticket, actor=actor, via=Via.WEB)
    assert fresh(source).merged_into_id is None


def test_a_merged_tickets_text_is_found_on_the_target(world: World) -> None:
    source = duplicate_by(world)
    tickets.do_merge_tickets(source, world.ticket, actor=world.agent, via=Via.WEB)
    found = {t.pk for t in filter_tickets(world.agent, TicketFilters(q="order 7"))}
    # The target through its merge note; the source (closed, pointing at the target) by itself.
    assert found == {world.ticket.pk, source.pk}


# --- problems and incidents -----------------------------------------------------------------


def problem_ticket(world: World) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.agent,
        via=Via.WEB,
        subject="Payment gateway outage",
        body="Gateway returns 502.",
        requester_id=world.customer.pk,
        type=TicketType.PROBLEM,
    )


def test_linking_an_incident_to_a_problem(world: World) -> None:
    problem = problem_ticket(world)
    tickets.do_link_problem(world.ticket, problem, actor=world.agent, via=Via.WEB)
    incident = fresh(world.ticket)
    assert incident.problem_id == problem.pk
    assert incident.type == TicketType.INCIDENT
    assert incident.version == 5
    fields = list(
        TicketEvent.objects.filter(ticket=incident, version=5).values_list("field", "new_value")
    )
    assert fields == [("type", TicketType.INCIDENT), ("problem", str(problem.pk))]
    linked = fresh(problem)
    assert linked.version == 2
    event = TicketEvent.objects.get(ticket=problem, version=2)
    assert (event.kind, event.field, event.new_value) == (
        EventKind.LINKED,
        "incidents",
        str(incident.pk),
    )
    assert list(linked.incidents.all()) == [incident]

    # Linking again is not a change.
    tickets.do_link_problem(fresh(world.ticket), problem, actor=world.agent, via=Via.WEB)
    assert fresh(world.ticket).version == 5
    assert fresh(problem).version == 2

    tickets.do_unlink_problem(fresh(world.ticket), actor=world.agent, via=Via.WEB)
    unlinked = fresh(world.ticket)
    assert unlinked.problem_id is None
    assert unlinked.version == 6
    assert TicketEvent.objects.get(ticket=problem, version=3).kind == EventKind.UNLINKED
    # Unlinking what is not linked is not a change.
    tickets.do_unlink_problem(unlinked, actor=world.agent, via=Via.WEB)
    assert fresh(world.ticket).version == 6


def test_only_problem_tickets_take_incidents(world: World) -> None:
    not_a_problem = duplicate_by(world)
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_link_problem(world.ticket, not_a_problem, actor=world.agent, via=Via.WEB)
    assert excinfo.value.field == "problem"
    with pytest.raises(InvalidInput):
        tickets.do_link_problem(world.ticket, world.ticket, actor=world.agent, via=Via.WEB)
    assert fresh(world.ticket).problem_id is None


def test_a_problem_with_incidents_keeps_its_type(world: World) -> None:
    problem = problem_ticket(world)
    tickets.do_link_problem(world.ticket, problem, actor=world.agent, via=Via.WEB)
    other_problem = problem_ticket(world)
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_link_problem(problem, other_problem, actor=world.agent, via=Via.WEB)
    assert excinfo.value.field == "type"
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            problem, actor=world.agent, via=Via.WEB, changes={"type": TicketType.QUESTION}
        )
    assert excinfo.value.field == "type"


def test_a_task_linked_to_a_problem_loses_its_due_date(world: World) -> None:
    task = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.WEB,
        subject="Check refund",
        body="Check it.",
        requester_id=world.customer.pk,
        type=TicketType.TASK,
        due_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    tickets.do_link_problem(task, problem_ticket(world), actor=world.agent, via=Via.WEB)
    linked = fresh(task)
    assert linked.type == TicketType.INCIDENT
    assert linked.due_at is None  # only tasks have a due date


def test_a_task_needs_a_due_date_when_its_type_changes(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"type": TicketType.TASK}
        )
    assert excinfo.value.field == "due_at"
    due = datetime(2030, 6, 1, 9, tzinfo=UTC)
    tickets.do_update_ticket(
        world.ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"type": TicketType.TASK, "due_at": due},
    )
    assert fresh(world.ticket).due_at == due
    # Leaving the task type drops the due date.
    tickets.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"type": TicketType.QUESTION}
    )
    assert fresh(world.ticket).due_at is None
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"due_at": due}
        )
    assert excinfo.value.field == "due_at"


# --- spam, delete, restore ------------------------------------------------------------------


def test_spam_is_hidden_from_the_customer_and_from_agents_default_lists(world: World) -> None:
    tickets.do_mark_spam(world.ticket, actor=world.agent, via=Via.WEB)
    spam = fresh(world.ticket)
    assert spam.is_spam is True
    assert kinds_at(spam, 5) == [EventKind.SPAM]
    # Marking twice is not a change.
    tickets.do_mark_spam(spam, actor=world.agent, via=Via.WEB)
    assert fresh(world.ticket).version == 5

    with pytest.raises(NotFound):
        access_ticket(world.customer, world.ticket.pk)
    assert world.ticket not in filter_tickets(world.agent, TicketFilters())
    assert list(filter_tickets(world.agent, TicketFilters(spam=True))) == [world.ticket]
    assert access_ticket(world.agent, world.ticket.pk) == world.ticket  # so it can be restored


def test_deleting_hides_the_ticket_and_restoring_brings_it_back(world: World) -> None:
    ticket = world.ticket
    tickets.do_delete_ticket(ticket, actor=world.manager, via=Via.WEB)
    deleted = fresh(ticket)
    assert deleted.deleted_at is not None
    assert kinds_at(deleted, 5) == [EventKind.DELETED]
    for viewer in (world.customer, world.agent, world.admin, world.manager):
        assert ticket not in visible_tickets(viewer)
        with pytest.raises(NotFound):
            access_ticket(viewer, ticket.pk)
    # Managers and admins can still open it to restore it; agents cannot.
    assert access_ticket(world.manager, ticket.pk, include_deleted=True) == ticket
    with pytest.raises(NotFound):
        access_ticket(world.agent, ticket.pk, include_deleted=True)
    assert ticket in filter_tickets(world.admin, TicketFilters(include_deleted=True))
    assert ticket not in filter_tickets(world.agent, TicketFilters(include_deleted=True))

    log = AuditLog.objects.get(action="ticket.deleted")
    assert (log.actor, log.target_type, log.target_id) == (world.manager, "ticket", str(ticket.pk))
    assert log.data == {"subject": ticket.subject}

    tickets.do_restore_ticket(deleted, actor=world.admin, via=Via.WEB)
    restored = fresh(ticket)
    assert restored.deleted_at is None
    assert access_ticket(world.customer, ticket.pk) == ticket
    restored_event = TicketEvent.objects.get(ticket=ticket, version=6)
    assert restored_event.kind == EventKind.RESTORED
    assert restored_event.data == {"was_spam": False, "was_deleted": True}
    assert AuditLog.objects.filter(
        action="ticket.restored", actor=world.admin, target_id=str(ticket.pk)
    ).exists()


def test_restoring_clears_spam_too(world: World) -> None:
    tickets.do_mark_spam(world.ticket, actor=world.agent, via=Via.WEB)
    tickets.do_restore_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    assert fresh(world.ticket).is_spam is False
    assert access_ticket(world.customer, world.ticket.pk) == world.ticket
    # Restoring what is neither deleted nor spam writes nothing.
    tickets.do_restore_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    assert fresh(world.ticket).version == 6
    assert AuditLog.objects.filter(action="ticket.restored").count() == 1


def test_deleting_twice_is_one_deletion(world: World) -> None:
    tickets.do_delete_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    tickets.do_delete_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    assert fresh(world.ticket).version == 5
    assert AuditLog.objects.filter(action="ticket.deleted").count() == 1


def test_only_managers_and_admins_delete_and_restore(world: World) -> None:
    others = (world.agent, world.lead, world.qa, world.director, world.customer)
    for actor in others:
        with pytest.raises(Forbidden):
            tickets.do_delete_ticket(world.ticket, actor=actor, via=Via.WEB)
    assert fresh(world.ticket).deleted_at is None
    tickets.do_delete_ticket(world.ticket, actor=world.admin, via=Via.WEB)
    for actor in others:
        with pytest.raises(Forbidden):
            tickets.do_restore_ticket(world.ticket, actor=actor, via=Via.WEB)
    assert fresh(world.ticket).deleted_at is not None


def test_only_ticket_editors_mark_spam(world: World) -> None:
    for actor in (world.customer, world.qa, world.director):
        with pytest.raises(Forbidden):
            tickets.do_mark_spam(world.ticket, actor=actor, via=Via.WEB)
    assert fresh(world.ticket).is_spam is False


def test_search_after_merge_finds_each_ticket_by_its_own_subject(world: World) -> None:
    from doum.tickets.selectors import TicketFilters, filter_tickets

    other = tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="zebra crossing broken", body="b"
    )
    tickets.do_merge_tickets(other, world.ticket, actor=world.manager, via=Via.WEB)
    tickets.do_update_ticket(
        world.ticket, actor=world.manager, via=Via.WEB, changes={"subject": "aardvark"}
    )
    found = {t.pk for t in filter_tickets(world.manager, TicketFilters(q="zebra"))}
    assert found == {other.pk, world.ticket.pk}  # the source, and the target through its note
    assert {t.pk for t in filter_tickets(world.manager, TicketFilters(q="aardvark"))} == {
        world.ticket.pk
    }
    assert {t.pk for t in filter_tickets(world.customer, TicketFilters(q="zebra"))} == {other.pk}


def test_linking_checks_the_problem_ticket_too(world: World) -> None:
    hidden_problem = tickets.do_create_ticket(
        actor=world.admin, via=Via.WEB, subject="Tech outage", body="x",
        requester_id=world.customer.pk, type=TicketType.PROBLEM, team_id=world.technical.pk,
    )  # fmt: skip
    with pytest.raises(NotFound):
        tickets.do_link_problem(world.ticket, hidden_problem, actor=world.agent, via=Via.EMAIL)
    deleted_problem = problem_ticket(world)
    tickets.do_delete_ticket(deleted_problem, actor=world.manager, via=Via.WEB)
    with pytest.raises(InvalidInput):
        tickets.do_link_problem(world.ticket, deleted_problem, actor=world.manager, via=Via.WEB)
    assert fresh(world.ticket).problem_id is None
