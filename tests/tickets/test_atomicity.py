"""Nothing is half-written: when an action fails after its first write, every row and every
stored file it made is gone. These tests commit for real (transaction=True), so a rollback is
the database's rollback, not the test harness's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from doum.accounts.models import AuditLog
from doum.tickets import actions as tickets
from doum.tickets import hooks
from doum.tickets.models import (
    Attachment,
    Comment,
    SearchEntry,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketTag,
    Via,
)
from tests.personas import World

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = (
    Ticket, Comment, TicketEvent, SearchEntry, Attachment, TicketTag, TicketFollower, Tag,
    AuditLog,
)  # fmt: skip


class DatabaseWentAway(Exception):
    pass


def explode(*args: Any, **kwargs: Any) -> None:
    raise DatabaseWentAway("the write failed")


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def screenshot(name: str = "screenshot.png") -> tickets.NewAttachment:
    return tickets.NewAttachment(filename=name, content_type="image/png", data=b"\x89PNG fake")


@pytest.fixture
def heard() -> Any:
    calls: list[hooks.TicketChange] = []
    listener = hooks.register(calls.append)
    yield calls
    hooks.unregister(listener)


def create_everything(world: World) -> Ticket:
    """A creation that writes to every table it can."""
    return tickets.do_create_ticket(
        actor=world.agent,
        via=Via.WEB,
        subject="Everything at once",
        body="With a file, tags and a follower.",
        requester_id=world.customer.pk,
        assignee_id=world.agent.pk,
        tags=["brand_new_tag", "another_new_tag"],
        follower_ids=[world.lead.pk],
        attachments=[screenshot(), screenshot("invoice.pdf")],
    )


def test_the_happy_path_writes_every_table_and_file(world: World) -> None:
    before = row_counts()
    create_everything(world)
    after = row_counts()
    for name in ("Ticket", "Comment", "TicketEvent", "SearchEntry", "Attachment", "TicketTag"):
        assert after[name] > before[name], name
    assert len(stored_files()) == 2


LATE_WRITES: dict[str, Callable[[], Any]] = {
    "search entries": lambda: SearchEntry.objects,
    "events": lambda: TicketEvent.objects,
    "attachments": lambda: Attachment.objects,
    "ticket tags": lambda: TicketTag.objects,
}


def test_a_creation_that_fails_late_leaves_no_rows_and_no_files(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    heard: list[hooks.TicketChange],
    subtests: pytest.Subtests,
) -> None:
    before = row_counts()
    for name, manager in LATE_WRITES.items():
        with subtests.test(f"{name} fail"), monkeypatch.context() as patch:
            patch.setattr(manager(), "bulk_create", explode)
            with pytest.raises(DatabaseWentAway):
                create_everything(world)
            assert row_counts() == before
            assert stored_files() == []
            assert heard == []


def test_an_attachment_that_fails_late_takes_the_ticket_with_it(world: World) -> None:
    before = row_counts()
    # Not bytes: passes the size check and is written to storage, then fails when hashed.
    bad = tickets.NewAttachment(filename="bad.txt", content_type="text/plain", data="text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tickets.do_create_ticket(
            actor=world.customer,
            via=Via.PORTAL,
            subject="With a bad file",
            body="See attached",
            attachments=[screenshot(), bad],
        )
    assert row_counts() == before
    assert stored_files() == []


def test_a_reply_that_fails_midway_leaves_the_ticket_as_it_was(
    world: World, monkeypatch: pytest.MonkeyPatch, heard: list[hooks.TicketChange]
) -> None:
    tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    solved = Ticket.objects.get(pk=world.ticket.pk)
    heard.clear()
    before = row_counts()

    monkeypatch.setattr(TicketEvent.objects, "bulk_create", explode)
    with pytest.raises(DatabaseWentAway):
        # Would write a comment, a file, a search entry, reopen and bump the version.
        tickets.do_add_comment(
            solved,
            actor=world.customer,
            via=Via.EMAIL,
            body="It broke again, screenshot attached.",
            attachments=[screenshot()],
        )

    after = Ticket.objects.get(pk=world.ticket.pk)
    assert after.version == solved.version
    assert after.status == Status.SOLVED
    assert after.solved_at == solved.solved_at
    assert after.updated_at == solved.updated_at
    assert row_counts() == before
    assert not Comment.objects.filter(body_text__contains="It broke again").exists()
    assert stored_files() == []
    assert heard == []


def test_an_update_that_fails_after_writing_tags_leaves_no_tags(world: World) -> None:
    before = row_counts()
    with pytest.raises(Exception) as excinfo:
        tickets.do_update_ticket(
            world.ticket,
            actor=world.agent,
            via=Via.WEB,
            changes={
                "priority": "high",
                "add_tags": ["written_before_the_error"],
                "add_follower_ids": [10**9],
            },
        )
    assert getattr(excinfo.value, "field", None) == "followers"
    assert row_counts() == before
    assert not Tag.objects.filter(name="written_before_the_error").exists()
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert (ticket.priority, ticket.version) == ("normal", 4)


def test_a_merge_that_fails_on_the_second_ticket_leaves_both_untouched(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tickets.do_create_ticket(
        actor=world.colleague, via=Via.EMAIL, subject="Duplicate", body="Same problem."
    )
    before = row_counts()
    real_bulk_create = TicketEvent.objects.bulk_create
    calls = {"n": 0}

    def second_call_fails(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise DatabaseWentAway("target write failed")
        return real_bulk_create(*args, **kwargs)

    monkeypatch.setattr(TicketEvent.objects, "bulk_create", second_call_fails)
    with pytest.raises(DatabaseWentAway):
        tickets.do_merge_tickets(source, world.ticket, actor=world.agent, via=Via.WEB)
    assert calls["n"] == 2

    assert row_counts() == before
    kept = Ticket.objects.get(pk=source.pk)
    assert (kept.status, kept.merged_into_id, kept.version) == (Status.NEW, None, 1)
    assert Ticket.objects.get(pk=world.ticket.pk).version == 4
    # The source's search entries were not moved to the target.
    assert SearchEntry.objects.filter(ticket=source).count() == 2


def test_a_delete_that_fails_writing_its_audit_row_is_not_a_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AuditLog.objects, "create", explode)
    with pytest.raises(DatabaseWentAway):
        tickets.do_delete_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert ticket.deleted_at is None
    assert ticket.version == 4
