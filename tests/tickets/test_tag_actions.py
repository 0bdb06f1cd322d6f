"""Renaming, merging and deleting tags: every ticket carrying the tag is changed, with the
same events a tag change on the ticket writes, a version bump, and an audit-log row."""

from __future__ import annotations

import pytest

from doum.accounts.models import AuditLog
from doum.core.errors import Forbidden, InvalidInput
from doum.tickets import actions as tickets
from doum.tickets import hooks
from doum.tickets.models import EventKind, Status, Tag, Ticket, TicketEvent, Via
from doum.tickets.tag_actions import do_delete_tag, do_merge_tags, do_rename_tag
from tests.personas import World


def tagged(world: World, subject: str, tags: list[str], **kw: object) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject=subject, body="Body",
        requester_id=world.customer.pk, tags=tags, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def names(ticket: Ticket) -> list[str]:
    return sorted(ticket.tags.values_list("name", flat=True))


def tag_events(ticket: Ticket, version: int) -> list[tuple[str, str, str | None, str | None]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, version=version)
        .order_by("id")
        .values_list("kind", "field", "old_value", "new_value")
    )


def test_rename_changes_every_ticket_with_events_versions_and_audit(world: World) -> None:
    a = tagged(world, "A", ["refund", "vip"])
    b = tagged(world, "B", ["refund"])
    other = tagged(world, "C", ["vip"])
    tag = Tag.objects.get(name="refund")

    renamed = do_rename_tag(tag, actor=world.manager, name="  Money Back ")

    assert renamed.pk == tag.pk and renamed.name == "money_back"  # cleaned like ticket tags
    for ticket in (a, b):
        before = ticket.version
        ticket.refresh_from_db()
        assert ticket.version == before + 1
        assert tag_events(ticket, ticket.version) == [
            (EventKind.TAG_REMOVED, "tags", "refund", None),
            (EventKind.TAG_ADDED, "tags", None, "money_back"),
        ]
        event = TicketEvent.objects.filter(ticket=ticket, version=ticket.version).first()
        assert event is not None
        assert event.actor == world.manager and event.actor_role == "manager"
        assert event.via == Via.WEB
    assert names(a) == ["money_back", "vip"]
    version = other.version
    other.refresh_from_db()
    assert other.version == version  # untouched
    log = AuditLog.objects.get(action="tag.renamed")
    assert log.actor == world.manager and log.target_type == "tag"
    assert log.target_id == str(tag.pk)
    assert log.data == {"old": "refund", "new": "money_back", "tickets": 2}


def test_rename_refuses_a_taken_name_bad_characters_and_blank(world: World) -> None:
    tagged(world, "A", ["refund", "vip"])
    tag = Tag.objects.get(name="refund")
    with pytest.raises(InvalidInput, match="merge") as taken:
        do_rename_tag(tag, actor=world.manager, name="VIP")
    assert taken.value.field == "name"
    with pytest.raises(InvalidInput, match="character"):
        do_rename_tag(tag, actor=world.manager, name="<script>")
    with pytest.raises(InvalidInput, match="needs a name"):
        do_rename_tag(tag, actor=world.manager, name="   ")
    with pytest.raises(InvalidInput, match="at most 80"):
        do_rename_tag(tag, actor=world.manager, name="x" * 81)
    assert Tag.objects.get(pk=tag.pk).name == "refund"
    assert not AuditLog.objects.filter(action__startswith="tag.").exists()


def test_rename_to_the_same_name_writes_nothing(world: World) -> None:
    ticket = tagged(world, "A", ["refund"])
    do_rename_tag(Tag.objects.get(name="refund"), actor=world.manager, name="Refund")
    version = ticket.version
    ticket.refresh_from_db()
    assert ticket.version == version
    assert not AuditLog.objects.filter(action="tag.renamed").exists()


def test_only_managers_and_admins_change_tags(world: World) -> None:
    tagged(world, "A", ["refund", "vip"])
    refund, vip = Tag.objects.get(name="refund"), Tag.objects.get(name="vip")
    for user in (world.agent, world.lead, world.qa, world.director, world.customer):
        with pytest.raises(Forbidden):
            do_rename_tag(refund, actor=user, name="other")
        with pytest.raises(Forbidden):
            do_merge_tags(refund, vip, actor=user)
        with pytest.raises(Forbidden):
            do_delete_tag(refund, actor=user)
    do_rename_tag(refund, actor=world.admin, name="money")
    assert Tag.objects.filter(name="money").exists()


def test_merge_moves_or_drops_the_source_per_ticket(world: World) -> None:
    only_source = tagged(world, "A", ["refund"])
    both = tagged(world, "B", ["refund", "refunds"])
    only_target = tagged(world, "C", ["refunds"])
    source, target = Tag.objects.get(name="refund"), Tag.objects.get(name="refunds")

    result = do_merge_tags(source, target, actor=world.manager)

    assert result.pk == target.pk
    assert not Tag.objects.filter(pk=source.pk).exists()
    only_source.refresh_from_db()
    both.refresh_from_db()
    assert names(only_source) == ["refunds"] and names(both) == ["refunds"]
    assert tag_events(only_source, only_source.version) == [
        (EventKind.TAG_REMOVED, "tags", "refund", None),
        (EventKind.TAG_ADDED, "tags", None, "refunds"),
    ]
    assert tag_events(both, both.version) == [(EventKind.TAG_REMOVED, "tags", "refund", None)]
    version = only_target.version
    only_target.refresh_from_db()
    assert only_target.version == version
    log = AuditLog.objects.get(action="tag.merged")
    assert log.data["source"] == "refund" and log.data["target"] == "refunds"
    assert log.data["tickets"] == 2


def test_a_tag_cannot_merge_into_itself(world: World) -> None:
    tagged(world, "A", ["refund"])
    tag = Tag.objects.get(name="refund")
    with pytest.raises(InvalidInput, match="itself"):
        do_merge_tags(tag, tag, actor=world.manager)


def test_delete_removes_the_tag_everywhere_closed_tickets_included(world: World) -> None:
    open_ticket = tagged(world, "A", ["spam_wave", "vip"])
    closed = tagged(world, "B", ["spam_wave"], assignee_id=world.agent.pk)
    tickets.do_change_status(closed, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    tickets.do_change_status(closed, actor=world.agent, via=Via.WEB, status=Status.CLOSED)
    closed.refresh_from_db()
    closed_version = closed.version
    tag = Tag.objects.get(name="spam_wave")

    assert do_delete_tag(tag, actor=world.manager) == 2

    assert not Tag.objects.filter(name="spam_wave").exists()
    open_ticket.refresh_from_db()
    closed.refresh_from_db()
    assert names(open_ticket) == ["vip"] and names(closed) == []
    assert closed.status == Status.CLOSED and closed.version == closed_version + 1
    assert tag_events(closed, closed.version) == [
        (EventKind.TAG_REMOVED, "tags", "spam_wave", None)
    ]
    log = AuditLog.objects.get(action="tag.deleted")
    assert log.data == {"name": "spam_wave", "tickets": 2}


def test_a_tag_on_no_ticket_is_deleted_with_an_audit_row(world: World) -> None:
    tagged(world, "A", ["lonely"])
    tag = Tag.objects.get(name="lonely")
    ticket = Ticket.objects.get(subject="A")
    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"remove_tags": ["lonely"]}
    )
    assert do_delete_tag(tag, actor=world.admin) == 0
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert AuditLog.objects.filter(action="tag.deleted", target_id=str(tag.pk)).exists()


def test_each_changed_ticket_queues_its_after_commit_hook(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    a = tagged(world, "A", ["refund"])
    b = tagged(world, "B", ["refund"])
    seen: list[hooks.TicketChange] = []
    hooks.register(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            do_delete_tag(Tag.objects.get(name="refund"), actor=world.manager)
    finally:
        hooks.unregister(seen.append)
    assert sorted(c.ticket_id for c in seen) == sorted([a.pk, b.pk])
    assert all(c.event_kinds == (EventKind.TAG_REMOVED,) for c in seen)


def test_the_ticket_list_filter_finds_the_renamed_tag(world: World) -> None:
    from doum.tickets.selectors import TicketFilters, filter_tickets

    ticket = tagged(world, "A", ["refund"])
    do_rename_tag(Tag.objects.get(name="refund"), actor=world.manager, name="money_back")
    found = filter_tickets(world.manager, TicketFilters(tag="money_back"))
    assert list(found.values_list("pk", flat=True)) == [ticket.pk]
