"""After-commit hooks: listeners hear about a change only once it is committed, and never
about a change that failed."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.db import connection

from doum.core.errors import InvalidInput
from doum.tickets import actions as tickets
from doum.tickets import hooks
from doum.tickets.models import EventKind, Status, Ticket, Via
from tests.personas import World


@pytest.fixture
def heard() -> Iterator[list[hooks.TicketChange]]:
    calls: list[hooks.TicketChange] = []
    listener = hooks.register(calls.append)
    yield calls
    hooks.unregister(listener)


def test_a_listener_runs_only_after_commit(
    world: World, heard: list[hooks.TicketChange], django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        ticket = tickets.do_create_ticket(
            actor=world.customer, via=Via.PORTAL, subject="Hello", body="Hi"
        )
        assert heard == []  # still inside the transaction
    assert len(callbacks) == 1
    assert heard == [
        hooks.TicketChange(
            ticket_id=ticket.pk,
            version=1,
            event_kinds=(EventKind.CREATED, EventKind.COMMENT_ADDED),
            created=True,
            via=Via.PORTAL,
        )
    ]


def test_each_change_is_heard_with_its_version_and_event_kinds(
    world: World, heard: list[hooks.TicketChange], django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        tickets.do_add_comment(
            world.ticket, actor=world.agent, via=Via.WEB, body="Done", status=Status.PENDING
        )
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["a", "b"]}
        )
    assert heard == [
        hooks.TicketChange(
            world.ticket.pk, 5, (EventKind.COMMENT_ADDED, EventKind.FIELD_CHANGED), False, Via.WEB
        ),
        hooks.TicketChange(
            world.ticket.pk, 6, (EventKind.TAG_ADDED, EventKind.TAG_ADDED), False, Via.WEB
        ),
    ]


def test_a_merge_is_heard_for_both_tickets(
    world: World, heard: list[hooks.TicketChange], django_capture_on_commit_callbacks: object
) -> None:
    source = tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="Again", body="Same thing"
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        tickets.do_merge_tickets(source, world.ticket, actor=world.agent, via=Via.WEB)
    assert [(c.ticket_id, c.version) for c in heard] == [(source.pk, 2), (world.ticket.pk, 5)]


def test_a_failed_action_is_never_heard(
    world: World, heard: list[hooks.TicketChange], django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        with pytest.raises(InvalidInput):
            tickets.do_update_ticket(
                world.ticket,
                actor=world.agent,
                via=Via.WEB,
                changes={"priority": "high", "status": Status.NEW},
            )
        with pytest.raises(InvalidInput):
            tickets.do_create_ticket(
                actor=world.customer, via=Via.PORTAL, subject="Hi", body="Hi", status="open"
            )
    assert callbacks == []
    assert heard == []


def test_an_action_that_changes_nothing_is_not_heard(
    world: World, heard: list[hooks.TicketChange], django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"priority": "normal"}
        )
    assert callbacks == []
    assert heard == []


def test_a_failing_listener_is_logged_and_does_not_stop_the_others(
    world: World,
    heard: list[hooks.TicketChange],
    django_capture_on_commit_callbacks: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(change: hooks.TicketChange) -> None:
        raise RuntimeError("webhook endpoint down")

    hooks.register(broken)
    try:
        with (
            caplog.at_level(logging.ERROR, logger="doum.tickets.hooks"),
            django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
        ):
            tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="Hi")
    finally:
        hooks.unregister(broken)
    assert len(heard) == 1
    assert "failed for #" in caplog.text
    assert Ticket.objects.get(pk=world.ticket.pk).version == 5


def test_registering_twice_calls_once(
    world: World, heard: list[hooks.TicketChange], django_capture_on_commit_callbacks: object
) -> None:
    hooks.register(heard.append)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="Hi")
    assert len(heard) == 1


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_listener_sees_the_committed_change(world: World) -> None:
    seen: list[tuple[bool, int, str]] = []

    def listener(change: hooks.TicketChange) -> None:
        ticket = Ticket.objects.get(pk=change.ticket_id)
        seen.append((connection.in_atomic_block, ticket.version, ticket.status))

    hooks.register(listener)
    try:
        tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="pending")
        assert seen == [(False, 5, "pending")]
        with pytest.raises(InvalidInput):
            tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="new")
        assert seen == [(False, 5, "pending")]
    finally:
        hooks.unregister(listener)
