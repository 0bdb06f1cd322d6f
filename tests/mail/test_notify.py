"""Which ticket changes send mail, to whom, in which language, and what they never do."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from doum.accounts import actions as accounts
from doum.core import clock
from doum.mail import addresses, notify, templates_store
from doum.mail.models import Mailbox, OutboundKind, OutboundMessage, OutboundStatus
from doum.tickets import actions as tickets
from doum.tickets import hooks
from doum.tickets.models import Ticket, Via
from tests.mail.conftest import SmtpSink
from tests.mail.test_outbound import make_mailbox, run_mail_tasks
from tests.personas import World


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    addresses.forget_own_addresses()
    return make_mailbox(world)


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the block's after-commit hooks (the listener, then the task enqueue) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sent(kind: str | None = None) -> list[OutboundMessage]:
    rows = OutboundMessage.objects.order_by("id")
    return list(rows.filter(kind=kind) if kind else rows)


def email_ticket(world: World, *, automatic: bool = False, customer: Any = None) -> Ticket:
    return tickets.do_create_ticket(
        actor=customer or world.customer,
        via=Via.EMAIL,
        subject="Order 1042 arrived broken",
        body="The box was crushed.",
        comment_metadata={
            "email": {
                "inbound_id": 1,
                "message_id": "cafe.1042@mail.acme.example",
                "automatic": automatic,
            }
        },
    )


def test_the_listener_is_connected() -> None:
    assert notify.on_ticket_changed in hooks._listeners


# --- agent replies --------------------------------------------------------------------------


def test_an_agent_reply_goes_to_the_requester_and_customer_followers(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    tickets.do_update_ticket(
        world.ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"add_follower_ids": [world.colleague.pk, world.lead.pk]},
    )
    with committed():
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="Refunded.")
    [reply] = sent()
    assert reply.kind == OutboundKind.REPLY and not reply.is_automatic
    assert reply.to == ["kim@acme.example"]
    assert reply.cc == ["park@acme.example"]  # the lead follows too, but staff get no CC
    assert reply.from_name == "Ari Agent (Acme Support)"
    assert reply.comment_id is not None
    assert "Refunded." in reply.body_text and "Refunded." in reply.body_html


def test_an_internal_note_sends_nothing(world: World, mailbox: Mailbox, committed: Any) -> None:
    with committed():
        tickets.do_add_comment(
            world.ticket, actor=world.agent, via=Via.WEB, body="between us", public=False
        )
    assert sent() == []


def test_imported_and_historical_changes_send_nothing(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    with committed():
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.IMPORT, body="old reply")
    with committed(), clock.at(dt.datetime(2024, 1, 5, tzinfo=dt.UTC)):
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="seeded reply")
    assert sent() == []


def test_the_requester_writing_as_staff_is_not_mailed_their_own_reply(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.WEB,
        subject="Internal task",
        body="Please check the printer.",
        requester_id=world.agent.pk,
    )
    with committed():
        tickets.do_add_comment(ticket, actor=world.agent, via=Via.WEB, body="Checked it.")
    assert sent(OutboundKind.REPLY) == []


def test_a_reply_by_a_trigger_is_automatic_mail(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    with committed():
        tickets.do_add_comment(
            world.ticket, actor=world.agent, via=Via.TRIGGER, body="We are on holiday."
        )
    [reply] = sent()
    assert reply.is_automatic
    assert reply.from_name == "Acme Support"  # not signed by a person


def test_nobody_inactive_is_mailed(world: World, mailbox: Mailbox, committed: Any) -> None:
    accounts.do_deactivate_user(world.customer, actor=world.admin)
    with committed():
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="Hello?")
    assert sent() == []


# --- acknowledgement ------------------------------------------------------------------------


def test_a_ticket_from_a_customers_email_is_acknowledged(
    world: World, mailbox: Mailbox, committed: Any, smtp_sink: SmtpSink
) -> None:
    with committed():
        ticket = email_ticket(world)
    [ack] = sent()
    assert ack.kind == OutboundKind.ACKNOWLEDGEMENT and ack.is_automatic
    assert ack.to == ["kim@acme.example"]
    assert ack.in_reply_to == "cafe.1042@mail.acme.example"
    assert f"#{ticket.pk}" in ack.body_text
    run_mail_tasks()
    [got] = smtp_sink.received
    mail = got.message
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<cafe.1042@mail.acme.example>"
    assert mail["Subject"] == f"[#{ticket.pk}] We received your request: Order 1042 arrived broken"
    assert mail["X-Auto-Response-Suppress"] == "All"


def test_an_automatic_email_is_not_acknowledged(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    with committed():
        email_ticket(world, automatic=True)
    assert sent() == []


def test_tickets_from_other_channels_are_not_acknowledged(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    with committed():
        tickets.do_create_ticket(actor=world.customer, via=Via.PORTAL, subject="Hi", body="Hi")
        tickets.do_create_ticket(
            actor=world.agent,
            via=Via.EMAIL,
            subject="Logged by hand",
            body="The customer wrote to me directly.",
            requester_id=world.customer.pk,
        )
    assert sent(OutboundKind.ACKNOWLEDGEMENT) == []


def test_a_korean_speaker_gets_a_korean_acknowledgement(
    world: World, mailbox: Mailbox, committed: Any, smtp_sink: SmtpSink
) -> None:
    accounts.do_update_user(world.customer, actor=world.agent, changes={"language": "ko"})
    with committed():
        ticket = email_ticket(world)
    [ack] = sent()
    assert ack.subject == f"[#{ticket.pk}] 문의가 접수되었습니다: Order 1042 arrived broken"
    assert "Kim Customer님, 안녕하세요." in ack.body_text
    assert f"문의 번호는 #{ticket.pk}입니다." in ack.body_text
    run_mail_tasks()
    mail = smtp_sink.received[0].message
    assert mail["Subject"] == ack.subject
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "문의해 주셔서 감사합니다" in body.get_content()


def test_a_korean_speaker_gets_agent_replies_in_korean(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    accounts.do_update_user(world.customer, actor=world.agent, changes={"language": "ko"})
    with committed():
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="환불했습니다.")
    [reply] = sent()
    assert "Ari Agent 드림" in reply.body_text
    assert "이 메일에 회신하시면" in reply.body_text


# --- notifications to agents ----------------------------------------------------------------


def test_an_assignment_notifies_the_new_assignee(
    world: World, mailbox: Mailbox, committed: Any, smtp_sink: SmtpSink
) -> None:
    with committed():
        tickets.do_assign(
            world.ticket, actor=world.lead, via=Via.WEB, assignee_id=world.tech_agent.pk
        )
    [note] = sent()
    assert note.kind == OutboundKind.ASSIGNMENT and note.is_automatic
    assert note.to == ["tech@doum.test"]
    assert "Hi Taehee," in note.body_text and "Requester: Kim Customer" in note.body_text
    run_mail_tasks()
    assert smtp_sink.received[0].message["Auto-Submitted"] == "auto-generated"


def test_taking_a_ticket_yourself_sends_nothing(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    with committed():
        tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=world.lead.pk)
        tickets.do_assign(world.ticket, actor=world.lead, via=Via.WEB, assignee_id=None)
    assert sent() == []


def test_a_new_ticket_assigned_to_someone_else_notifies_them(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    with committed():
        tickets.do_create_ticket(
            actor=world.lead,
            via=Via.PHONE,
            subject="Call about invoice",
            body="Customer called.",
            requester_id=world.customer.pk,
            assignee_id=world.agent.pk,
            public=False,
        )
    assert [m.to for m in sent(OutboundKind.ASSIGNMENT)] == [["agent@doum.test"]]


def test_a_customer_reply_notifies_the_assignee(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    with committed():
        tickets.do_add_comment(
            world.ticket, actor=world.customer, via=Via.PORTAL, body="Any news? <b>please</b>"
        )
    [note] = sent()
    assert note.kind == OutboundKind.CUSTOMER_REPLY and note.is_automatic
    assert note.to == ["agent@doum.test"]
    assert "Kim Customer replied to ticket" in note.body_text
    assert "Any news? <b>please</b>" in note.body_text
    assert "&lt;b&gt;please&lt;/b&gt;" in note.body_html  # the text, never markup


def test_a_customer_reply_on_an_unassigned_ticket_notifies_nobody(
    world: World, mailbox: Mailbox, committed: Any
) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="Help", body="Help"
    )
    with committed():
        tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="Hello?")
    assert sent() == []


# --- failures -------------------------------------------------------------------------------


def test_a_failing_notification_is_logged_and_the_others_still_go(
    world: World,
    mailbox: Mailbox,
    committed: Any,
    monkeypatch: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real = templates_store.render

    def broken(kind: str, language: str, context: Any) -> tuple[str, str, str]:
        if kind == OutboundKind.REPLY:
            raise RuntimeError("template store is down")
        return real(kind, language, context)

    monkeypatch.setattr(templates_store, "render", broken)
    with caplog.at_level(logging.ERROR, logger="doum.mail.notify"), committed():
        tickets.do_assign(
            world.ticket, actor=world.manager, via=Via.WEB, assignee_id=world.tech_agent.pk
        )
        tickets.do_add_comment(world.ticket, actor=world.manager, via=Via.WEB, body="Moving it.")
    assert [m.kind for m in sent()] == [OutboundKind.ASSIGNMENT]
    assert "mail notification" in caplog.text
    assert all(m.status == OutboundStatus.QUEUED for m in sent())
