"""Triggers: they fire on ticket creation and updates, after commit; every change they make
is an event with via "trigger" and the rule; a change a trigger makes re-evaluates the
others; loops stop; a failing trigger never breaks the request."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from doum.automation import engine
from doum.automation.models import Trigger
from doum.automation.system import SYSTEM_EMAIL
from doum.core import clock
from doum.mail.models import OutboundKind, OutboundMessage
from doum.tickets import actions as tickets
from doum.tickets import hooks
from doum.tickets.models import Comment, EventKind, Status, TicketEvent, Via
from tests.automation.conftest import Commit, new_ticket, trigger
from tests.personas import World


def tags_of(ticket_id: int) -> set[str]:
    return set(
        TicketEvent.objects.filter(ticket_id=ticket_id, kind=EventKind.TAG_ADDED).values_list(
            "new_value", flat=True
        )
    ) - set(
        TicketEvent.objects.filter(ticket_id=ticket_id, kind=EventKind.TAG_REMOVED).values_list(
            "old_value", flat=True
        )
    )


def test_a_trigger_fires_on_creation_and_every_change_it_makes_names_it(
    world: World, committed: Commit
) -> None:
    rule = trigger(
        world, "Refunds",
        {"all": [{"field": "update_type", "op": "is", "value": "created"},
                 {"field": "subject", "op": "contains", "value": "환불"}]},
        [{"type": "set", "field": "priority", "value": "high"},
         {"type": "add_tags", "tags": ["refund"]},
         {"type": "note", "body": "Refund asked by {{requester.first_name}} on #{{ticket.id}}."}],
    )  # fmt: skip
    with committed():
        ticket = new_ticket(world, subject="환불 부탁드립니다 (REFUND)")
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert tags_of(ticket.pk) == {"refund"}
    automated = TicketEvent.objects.filter(ticket=ticket, version__gt=1).order_by("id")
    assert {(e.kind, e.field) for e in automated} == {
        (EventKind.FIELD_CHANGED, "priority"),
        (EventKind.TAG_ADDED, "tags"),
        (EventKind.COMMENT_ADDED, ""),
    }
    for event in automated:
        assert event.via == Via.TRIGGER
        assert event.data["rule"] == {"kind": "trigger", "id": rule.pk, "name": "Refunds"}
    # Field changes have no actor; the note's author is the system account, which cannot sign in.
    assert automated.get(kind=EventKind.FIELD_CHANGED).actor_id is None
    note = Comment.objects.get(ticket=ticket, is_public=False)
    assert note.body_text == f"Refund asked by Kim on #{ticket.pk}."
    assert note.author.email == SYSTEM_EMAIL and not note.author.is_active
    assert not note.author.has_usable_password()
    # The field and tag effects are one version; the note is the next one.
    assert sorted(set(automated.values_list("version", flat=True))) == [2, 3]
    rule.refresh_from_db()
    assert rule.fire_count == 1 and rule.last_fired_at is not None
    # An update does not match "created".
    with committed():
        tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="환불 언제?")
    rule.refresh_from_db()
    assert rule.fire_count == 1


def test_change_conditions_see_the_change_being_processed(world: World, committed: Commit) -> None:
    moved = trigger(
        world, "Open to pending",
        {"all": [{"field": "status", "op": "changed_from", "value": "open"},
                 {"field": "status", "op": "changed_to", "value": "pending"}]},
        [{"type": "add_tags", "tags": ["waiting"]}],
    )  # fmt: skip
    assigned = trigger(
        world, "Assignee changed",
        {"all": [{"field": "assignee_id", "op": "changed", "value": None},
                 {"field": "via", "op": "is", "value": ["web"]}]},
        [{"type": "add_tags", "tags": ["assigned"]}],
    )  # fmt: skip
    customer_note = trigger(
        world, "Customer replied publicly",
        {"all": [{"field": "comment_author", "op": "is", "value": "customer"},
                 {"field": "comment_visibility", "op": "is", "value": "public"},
                 {"field": "comment", "op": "contains", "value": "URGENT"}]},
        [{"type": "set", "field": "priority", "value": "urgent"}],
    )  # fmt: skip
    with committed():
        ticket = new_ticket(world)
        tickets.do_update_ticket(
            ticket, actor=world.agent, via=Via.WEB, changes={"priority": "low"}
        )
    assert tags_of(ticket.pk) == set()
    with committed():
        tickets.do_assign(
            ticket, actor=world.agent, via=Via.WEB, assignee_id=world.agent.pk
        )  # new -> open, assigned
    assert tags_of(ticket.pk) == {"assigned"}
    with committed():
        tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.PENDING)
        tickets.do_add_comment(
            ticket, actor=world.agent, via=Via.WEB, body="urgent? no", public=False
        )
    assert tags_of(ticket.pk) == {"assigned", "waiting"}
    with committed():
        tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="It is urgent!")
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    counts = dict(Trigger.objects.values_list("name", "fire_count"))
    assert counts[moved.name] == counts[assigned.name] == counts[customer_note.name] == 1


def test_a_trigger_that_changes_the_ticket_re_evaluates_the_others(
    world: World, committed: Commit
) -> None:
    # Listed first, but only true after the second one fired.
    first = trigger(
        world, "Urgent tickets are tagged",
        {"all": [{"field": "priority", "op": "is", "value": ["urgent"]},
                 {"field": "priority", "op": "changed_to", "value": "urgent"}]},
        [{"type": "add_tags", "tags": ["urgent_seen"]}],
    )  # fmt: skip
    second = trigger(
        world, "Outages are urgent",
        {"all": [{"field": "subject", "op": "contains", "value": "outage"}]},
        [{"type": "set", "field": "priority", "value": "urgent"}],
    )  # fmt: skip
    with committed():
        ticket = new_ticket(world, subject="Total OUTAGE in Seoul")
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert tags_of(ticket.pk) == {"urgent_seen"}
    assert [
        e.data["rule"]["id"]
        for e in TicketEvent.objects.filter(ticket=ticket, via=Via.TRIGGER).order_by("id")
    ] == [second.pk, first.pk]


def test_two_triggers_flipping_a_field_stop_after_each_fired_once(
    world: World, committed: Commit
) -> None:
    up = trigger(world, "Up", {"all": [{"field": "priority", "op": "is", "value": "normal"}]},
                 [{"type": "set", "field": "priority", "value": "high"}])  # fmt: skip
    down = trigger(world, "Down", {"all": [{"field": "priority", "op": "is", "value": "high"}]},
                   [{"type": "set", "field": "priority", "value": "normal"}])  # fmt: skip
    with committed():
        ticket = new_ticket(world)
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    assert ticket.version == 3  # created, up, down: and nothing more
    up.refresh_from_db()
    down.refresh_from_db()
    assert (up.fire_count, down.fire_count) == (1, 1)


def test_the_pass_bound_stops_a_long_cycle_and_says_so(
    world: World,
    committed: Commit,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(engine, "MAX_PASSES", 2)
    for i in range(4):
        trigger(world, f"Tag {i}", {"all": [{"field": "tags", "op": "excludes", "value": f"t{i}"}]},
                [{"type": "add_tags", "tags": [f"t{i}"]}])  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="doum.automation.engine"), committed():
        ticket = new_ticket(world)
    assert tags_of(ticket.pk) == {"t0", "t1"}
    assert "stopped after 2 passes" in caplog.text


def test_nested_listener_cycles_stop_at_the_depth_bound(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    trigger(world, "Tag", {"all": [{"field": "tags", "op": "excludes", "value": "x"}]},
            [{"type": "add_tags", "tags": ["x"]}])  # fmt: skip
    token = engine._depth.set(engine.MAX_DEPTH)
    try:
        with caplog.at_level(logging.WARNING, logger="doum.automation.engine"):
            engine.on_ticket_changed(
                hooks.TicketChange(world.ticket.pk, world.ticket.version, (), False, Via.SYSTEM)
            )
    finally:
        engine._depth.reset(token)
    assert "nested" in caplog.text
    assert tags_of(world.ticket.pk) == set()


def test_a_failing_trigger_is_logged_and_skipped_and_the_rest_still_run(
    world: World, committed: Commit, caplog: pytest.LogCaptureFixture
) -> None:
    # Solving needs an assignee: on an unassigned ticket this trigger's action refuses.
    broken = trigger(world, "Solve at once", {"all": [{"field": "assignee_id", "op": "is_empty"}]},
                     [{"type": "set", "field": "status", "value": "solved"},
                      {"type": "add_tags", "tags": ["never"]}])  # fmt: skip
    trigger(world, "Tag", {"all": [{"field": "tags", "op": "excludes", "value": "seen"}]},
            [{"type": "add_tags", "tags": ["seen"]}])  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="doum.automation.engine"), committed():
        ticket = new_ticket(world)  # the request itself succeeds
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert tags_of(ticket.pk) == {"seen"}  # nothing of the broken trigger was applied
    assert "Solve at once" in caplog.text and "needs an assignee" in caplog.text
    broken.refresh_from_db()
    assert broken.fire_count == 0


def test_mail_and_notify_effects_queue_automatic_rule_mail_with_placeholders(
    world: World, committed: Commit
) -> None:
    trigger(
        world, "Acknowledge VIPs",
        {"all": [{"field": "requester_email", "op": "ends_with", "value": "@acme.example"}]},
        [{"type": "mail", "to": "requester", "subject": "Got it: {{ticket.subject}}",
          "body": "Hi {{requester.first_name}}, #{{ticket.id}} is {{ticket.status}}."},
         {"type": "notify", "to": "lead", "message": "VIP {{requester.name}} wrote."}],
    )  # fmt: skip
    with committed():
        ticket = new_ticket(world, subject="Card\r\nBcc: evil@example.com")
    with committed():
        tickets.do_assign(
            ticket, actor=world.lead, via=Via.WEB, assignee_id=world.agent.pk,
            team_id=world.billing.pk,
        )  # fmt: skip
    mails = list(OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.RULE))
    to_requester = [m for m in mails if m.to == ["kim@acme.example"]]
    assert len(to_requester) == 2  # on creation and on the update (no "created" condition)
    first = to_requester[0]
    assert first.is_automatic
    assert "\n" not in first.subject and "Got it: Card Bcc: evil@example.com" in first.subject
    assert first.body_text == f"Hi Kim, #{ticket.pk} is New."
    to_lead = [m for m in mails if m.to == ["lead@doum.test"]]
    assert len(to_lead) == 1  # the ticket had no team (so no lead) when it was created
    assert "VIP Kim Customer wrote." in to_lead[0].body_text
    assert f"/tickets/{ticket.pk}/" in to_lead[0].body_text


def test_historical_changes_and_trigger_made_changes_do_not_start_a_cycle(
    world: World, committed: Commit
) -> None:
    rule = trigger(world, "Any", {"all": [{"field": "status", "op": "is_not", "value": "closed"}]},
                   [{"type": "add_tags", "tags": ["touched"]}])  # fmt: skip
    with committed(), clock.at(datetime(2025, 1, 2, 3, 4, tzinfo=UTC)):
        old = new_ticket(world)
    assert tags_of(old.pk) == set()
    with committed():
        tickets.do_update_ticket(
            world.ticket, actor=None, via=Via.TRIGGER, changes={"priority": "low"}
        )
    rule.refresh_from_db()
    assert rule.fire_count == 0
