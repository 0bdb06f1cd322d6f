"""Outbound mail: what arrives at a real SMTP server (the `smtp_sink`), the loop caps, bounced
and own addresses, retries with backoff, and claiming so that a message goes out once.

How tasks run here: `run_mail_tasks()` below runs every ready task of the "mail" queue the way
`db_worker --batch` does (claim the task row, run it, record the result), inside the test's
transaction. The command itself is not used: between tasks it closes "old" database
connections, which would end the test's transaction. Most tests call `send_outbound` or
`send_due` directly, which is what the tasks do.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from django.db import connection
from django_tasks_db.models import DBTaskResult

from doum.accounts.models import Identity
from doum.core import clock
from doum.mail import addresses, outbound
from doum.mail.models import (
    InboundMessage,
    InboundSource,
    Mailbox,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
)
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.mail.conftest import SmtpSink
from tests.personas import World
from tests.tasks import run_queue

T0 = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)


# --- helpers (imported by the other outbound test modules) ----------------------------------


def run_mail_tasks() -> list[DBTaskResult]:
    """Run the ready tasks of the "mail" queue, like `db_worker --queue-name mail --batch`."""
    return run_queue("mail")


def make_mailbox(world: World, address: str = "help@acme.test") -> Mailbox:
    # Mailboxes have no action of their own yet (doum/mail/mailboxes.py is being written).
    now = clock.now()
    return Mailbox.objects.create(
        name="Acme help", address=address, brand=world.brand, created_at=now, updated_at=now
    )


def inbound_for(ticket: Ticket, message_id: str, at: dt.datetime | None = None) -> InboundMessage:
    # Received mail is written by doum/mail/inbound.py; only the columns threading reads.
    return InboundMessage.objects.create(
        source=InboundSource.SMTP,
        dedupe_key=f"mid:{message_id}",
        message_id=message_id,
        sha256="0" * 64,
        size=1,
        storage_key=f"inbound/{message_id}",
        received_at=at or clock.now(),
        ticket=ticket,
        mailbox=Mailbox.objects.filter(brand=ticket.brand).first(),
    )


def queue(world: World, ticket: Ticket | None = None, **kw: Any) -> OutboundMessage:
    args: dict[str, Any] = {
        "kind": OutboundKind.ASSIGNMENT,
        "ticket": ticket or world.ticket,
        "to": [world.agent.email],
        "subject": "Assigned to you",
        "body_text": "Ticket for you.\n",
        "is_automatic": True,
        "auto_value": outbound.AUTO_GENERATED,
    }
    args.update(kw)
    return outbound.queue_message(**args)


def header_names(raw: bytes) -> set[str]:
    """The names of the top-level headers, read from the raw bytes (not through a parser
    that might be lenient about what counts as a header)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    names = set()
    for line in head.split("\r\n"):
        if line and not line[0].isspace() and ":" in line:
            names.add(line.split(":", 1)[0].strip().lower())
    return names


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    addresses.forget_own_addresses()
    return make_mailbox(world)


# --- what arrives ---------------------------------------------------------------------------


def test_an_agent_reply_arrives_threaded_from_the_mailbox_with_a_reply_address(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    inbound_for(world.ticket, "first@mail.acme.example", at=T0 - dt.timedelta(hours=2))
    inbound_for(world.ticket, "second@mail.acme.example", at=T0 - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="It is refunded.")
    ran = run_mail_tasks()
    assert len(ran) == 1 and ran[0].return_value == "sent"

    [got] = smtp_sink.received
    assert got.rcpt_tos == ["kim@acme.example"]
    mail = got.message
    row = OutboundMessage.objects.get()
    assert row.status == OutboundStatus.SENT and row.sent_at is not None and row.attempts == 1
    assert mail["From"].addresses[0].display_name == "Ari Agent (Acme Support)"
    assert mail["From"].addresses[0].addr_spec == "help@acme.test"
    reply_to = mail["Reply-To"].addresses[0].addr_spec
    assert reply_to == addresses.plus_address("help@acme.test", world.ticket.pk)
    assert addresses.ticket_from_address(reply_to) == world.ticket.pk
    assert mail["Message-ID"] == f"<{row.message_id}>"
    assert row.message_id.endswith("@" + addresses.settings.DOUM_MAIL_DOMAIN)
    assert mail["In-Reply-To"] == "<second@mail.acme.example>"
    assert mail["References"].split() == [
        "<first@mail.acme.example>",
        "<second@mail.acme.example>",
    ]
    assert mail["X-Doum-Loop"] == addresses.settings.DOUM_MAIL_LOOP_ID
    assert mail["Auto-Submitted"] is None  # a person wrote it
    assert mail["X-Auto-Response-Suppress"] is None
    assert mail["Subject"] == f"[#{world.ticket.pk}] Re: 환불 요청 — refund please"
    assert b"=?utf-8?" in got.data.split(b"\r\n\r\n", 1)[0]  # RFC 2047 on the wire
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "It is refunded." in text.get_content()
    assert "Ari Agent" in text.get_content()
    assert "It is refunded." in html.get_content()


def test_a_reply_answers_the_customers_latest_mail_and_references_ours(
    world: World, mailbox: Mailbox
) -> None:
    def reply() -> OutboundMessage:
        return queue(world, kind=OutboundKind.REPLY, is_automatic=False, to=["kim@acme.example"])

    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        unprompted = reply()  # nothing received yet: nothing to answer
    inbound_for(world.ticket, "asked@mail.acme.example", at=T0 + dt.timedelta(minutes=2))
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        first = reply()
    with time_machine.travel(T0 + dt.timedelta(minutes=4), tick=False):
        second = reply()
    assert (unprompted.in_reply_to, unprompted.references) == ("", [])
    assert first.in_reply_to == "asked@mail.acme.example"
    assert first.references == [unprompted.message_id, "asked@mail.acme.example"]
    assert second.in_reply_to == "asked@mail.acme.example"  # not our own last mail
    assert second.references == [
        unprompted.message_id,
        "asked@mail.acme.example",
        first.message_id,
    ]
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        given = queue(world, to=["kim@acme.example"], in_reply_to=f"<{first.message_id}>")
    assert given.in_reply_to == first.message_id
    assert given.references[-1] == first.message_id


def test_references_are_capped_and_stay_within_the_line_limit(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    for i in range(30):
        inbound_for(
            world.ticket,
            f"message-{i:02d}-{'x' * 40}@mail.acme.example",
            at=T0 + dt.timedelta(minutes=i),
        )
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        row = queue(
            world,
            to=["kim@acme.example"],
            in_reply_to="<message-29-" + "x" * 40 + "@mail.acme.example>",
        )
    assert len(row.references) == outbound.THREAD_MAX_IDS
    assert row.references[-1] == row.in_reply_to == "message-29-" + "x" * 40 + "@mail.acme.example"
    assert row.references[0].startswith("message-10-")
    assert outbound.send_outbound(row.pk) == OutboundStatus.SENT
    [got] = smtp_sink.received
    assert max(len(line) for line in got.data.split(b"\r\n")) <= 998
    assert len(got.message["References"].split()) == outbound.THREAD_MAX_IDS


def test_without_a_mailbox_mail_comes_from_the_default_address(
    world: World, smtp_sink: SmtpSink, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Doum <support@doum.test>"
    addresses.forget_own_addresses()
    row = queue(world)
    assert row.from_address == "support@doum.test" and row.mailbox is None
    assert row.reply_to == addresses.plus_address("support@doum.test", world.ticket.pk)
    assert row.from_name == "Acme Support"


def test_the_mailbox_the_ticket_came_in_on_is_preferred(world: World, mailbox: Mailbox) -> None:
    other = make_mailbox(world, "billing@acme.test")
    inbound = inbound_for(world.ticket, "in@mail.acme.example")
    InboundMessage.objects.filter(pk=inbound.pk).update(mailbox=other)
    row = queue(world)
    assert row.from_address == "billing@acme.test" and row.mailbox == other
    Mailbox.objects.filter(pk=other.pk).update(is_active=False)
    assert queue(world).from_address == "help@acme.test"


def test_automatic_mail_says_so(world: World, mailbox: Mailbox, smtp_sink: SmtpSink) -> None:
    ack = queue(
        world,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        to=["kim@acme.example"],
        auto_value=outbound.AUTO_REPLIED,
    )
    note = queue(world)
    assert outbound.send_outbound(ack.pk) == "sent"
    assert outbound.send_outbound(note.pk) == "sent"
    first, second = (r.message for r in smtp_sink.received)
    assert first["Auto-Submitted"] == "auto-replied"
    assert second["Auto-Submitted"] == "auto-generated"
    for mail in (first, second):
        assert mail["X-Auto-Response-Suppress"] == "All"
        assert mail["Precedence"] == "auto_reply"
        assert mail["X-Doum-Loop"]


def test_an_auto_submitted_value_that_disagrees_with_the_kind_is_refused(world: World) -> None:
    with pytest.raises(ValueError):
        queue(world, auto_value=outbound.AUTO_REPLIED)  # an assignment is auto-generated


# --- header injection -----------------------------------------------------------------------


def _no_injected_headers(got_data: bytes, mail: EmailMessage) -> None:
    names = header_names(got_data)
    assert "bcc" not in names and "x-evil" not in names, names
    assert mail["Bcc"] is None and mail["X-Evil"] is None


def test_line_breaks_in_names_and_subjects_never_make_a_header(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    # Names and subjects are cleaned when written; older or imported rows may not be.
    type(world.agent).objects.filter(pk=world.agent.pk).update(
        name="Ari\r\nBcc: evil@example.com\nX-Evil: 1"
    )
    type(world.customer).objects.filter(pk=world.customer.pk).update(name="Kim\nX-Evil: 1")
    type(world.brand).objects.filter(pk=world.brand.pk).update(name="Acme\r\nX-Evil: 2")
    Ticket.objects.filter(pk=world.ticket.pk).update(subject="hi\r\nBcc: evil@example.com")
    world.agent.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="Answer")
    run_mail_tasks()
    [got] = smtp_sink.received
    assert got.rcpt_tos == ["kim@acme.example"]
    mail = got.message
    _no_injected_headers(got.data, mail)
    assert "Bcc: evil@example.com" in mail["Subject"]  # kept as text, on one line
    assert "\n" not in mail["Subject"]
    assert mail["From"].addresses[0].addr_spec == "help@acme.test"


def test_an_injection_in_a_subject_given_to_queue_message(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    row = queue(
        world,
        subject="hi\r\nBcc: evil@example.com\r\n\r\nbody",
        agent_name="Ari\nX-Evil: 1",
        in_reply_to="<a@b>\r\nX-Evil: 1",
        references=["c@d\nX-Evil: 1"],
    )
    assert outbound.send_outbound(row.pk) == "sent"
    [got] = smtp_sink.received
    _no_injected_headers(got.data, got.message)
    assert got.rcpt_tos == ["agent@doum.test"]


def test_an_address_with_a_line_break_is_dropped_not_sent(world: World, mailbox: Mailbox) -> None:
    row = queue(world, to=["kim@acme.example\r\nBcc: evil@example.com"])
    assert row.status == OutboundStatus.SUPPRESSED
    assert row.to == []


def test_korean_names_and_subjects_are_encoded_and_decode_back(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    type(world.brand).objects.filter(pk=world.brand.pk).update(name="도움 고객센터")
    world.ticket.refresh_from_db()
    row = queue(
        world,
        kind=OutboundKind.REPLY,
        is_automatic=False,
        to=["kim@acme.example"],
        subject="환불 요청에 대한 답변입니다 " * 5,
        body_text="안녕하세요, 김고객님.\n",
        agent_name="김상담",
    )
    assert outbound.send_outbound(row.pk) == "sent"
    [got] = smtp_sink.received
    head = got.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    mail = got.message
    assert (
        mail["Subject"] == f"[#{world.ticket.pk}] " + ("환불 요청에 대한 답변입니다 " * 5).strip()
    )
    assert mail["From"].addresses[0].display_name == "김상담 (도움 고객센터)"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "김고객님" in body.get_content()


# --- who it goes to -------------------------------------------------------------------------


def test_a_bounced_address_is_suppressed(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    Identity.objects.filter(value="kim@acme.example").update(bounced_at=clock.now())
    with django_capture_on_commit_callbacks(execute=True):
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="Hello?")
    row = OutboundMessage.objects.get()
    assert row.status == OutboundStatus.SUPPRESSED
    assert "bounced" in row.suppressed_reason
    assert row.to == ["kim@acme.example"]  # who it would have gone to
    assert run_mail_tasks() == []
    assert smtp_sink.received == []


def test_cc_takes_the_place_of_a_bounced_requester(world: World, mailbox: Mailbox) -> None:
    Identity.objects.filter(value="kim@acme.example").update(bounced_at=clock.now())
    row = queue(world, kind=OutboundKind.REPLY, is_automatic=False,
                to=["kim@acme.example"], cc=["park@acme.example"])  # fmt: skip
    assert row.status == OutboundStatus.QUEUED
    assert (row.to, row.cc) == (["park@acme.example"], [])


def test_doums_own_addresses_are_never_mailed(world: World, mailbox: Mailbox) -> None:
    plus = addresses.plus_address("help@acme.test", world.ticket.pk)
    row = queue(world, to=["HELP@acme.test", plus, addresses.default_from_address()])
    assert row.status == OutboundStatus.SUPPRESSED
    assert row.suppressed_reason.startswith("no recipients")
    mixed = queue(world, to=["help@acme.test", "agent@doum.test"])
    assert mixed.status == OutboundStatus.QUEUED and mixed.to == ["agent@doum.test"]


# --- loop caps ------------------------------------------------------------------------------


def test_the_eleventh_automatic_mail_to_one_ticket_in_ten_minutes_is_suppressed(
    world: World, mailbox: Mailbox
) -> None:
    with time_machine.travel(T0, tick=False):
        rows = [queue(world) for _ in range(10)]
        assert {r.status for r in rows} == {OutboundStatus.QUEUED}
        eleventh = queue(world)
    assert eleventh.status == OutboundStatus.SUPPRESSED
    assert "loop cap" in eleventh.suppressed_reason and f"#{world.ticket.pk}" in (
        eleventh.suppressed_reason
    )
    # People's replies are never capped.
    with time_machine.travel(T0, tick=False):
        reply = queue(world, kind=OutboundKind.REPLY, is_automatic=False, to=["kim@acme.example"])
    assert reply.status == OutboundStatus.QUEUED


def test_the_window_slides(world: World, mailbox: Mailbox) -> None:
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            queue(world)
    with time_machine.travel(T0 + dt.timedelta(minutes=6), tick=False):
        for _ in range(5):
            queue(world)
    with time_machine.travel(T0 + dt.timedelta(minutes=9, seconds=59), tick=False):
        assert queue(world).status == OutboundStatus.SUPPRESSED
    # The first five have left the window; the other five are still in it.
    with time_machine.travel(T0 + dt.timedelta(minutes=10, seconds=1), tick=False):
        assert [queue(world).status for _ in range(6)] == [OutboundStatus.QUEUED] * 5 + [
            OutboundStatus.SUPPRESSED
        ]


def test_the_thirty_first_automatic_mail_to_one_recipient_is_suppressed(
    world: World, mailbox: Mailbox
) -> None:
    more = [
        tickets.do_create_ticket(
            actor=world.customer, via=Via.PORTAL, subject=f"Question {i}", body="?"
        )
        for i in range(3)
    ]
    with time_machine.travel(T0, tick=False):
        for t in more:
            for _ in range(10):
                assert queue(world, ticket=t).status == OutboundStatus.QUEUED
        # A similar address is somebody else.
        assert queue(world, to=["ari.agent@doum.test"]).status == OutboundStatus.QUEUED
        thirty_first = queue(world)  # a fresh ticket, but the same recipient
    assert thirty_first.status == OutboundStatus.SUPPRESSED
    assert "agent@doum.test" in thirty_first.suppressed_reason
    with time_machine.travel(T0 + dt.timedelta(minutes=10, seconds=1), tick=False):
        assert queue(world).status == OutboundStatus.QUEUED


def test_a_capped_recipient_is_left_out_and_the_rest_still_get_it(
    world: World, mailbox: Mailbox, settings: Any
) -> None:
    settings.DOUM_MAIL_AUTO_PER_RECIPIENT = 2
    with time_machine.travel(T0, tick=False):
        queue(world, to=["kim@acme.example"])
        queue(world, to=["kim@acme.example"])
        row = queue(world, to=["kim@acme.example"], cc=["park@acme.example"])
    assert row.status == OutboundStatus.QUEUED
    assert (row.to, row.cc) == (["park@acme.example"], [])


# --- sending, retries, claims ---------------------------------------------------------------


def test_a_queued_message_is_sent_by_its_task(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(world)
        assert not DBTaskResult.objects.exists()  # only after commit
    task = DBTaskResult.objects.get()
    assert task.queue_name == "mail"
    assert task.task_path == "doum.mail.tasks.send_outbound_task"
    assert task.args_kwargs == {"args": [row.pk], "kwargs": {}}
    run_mail_tasks()
    assert len(smtp_sink.received) == 1


def test_temporary_failures_are_retried_with_backoff(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    smtp_sink.handler.fail_next = 2
    with time_machine.travel(T0, tick=False):
        row = queue(world)
        assert outbound.send_outbound(row.pk) == OutboundStatus.QUEUED
    row.refresh_from_db()
    assert row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at is not None
    first_wait = row.next_attempt_at - T0
    assert dt.timedelta(seconds=60) <= first_wait <= dt.timedelta(seconds=66)
    retry_task = DBTaskResult.objects.get()
    assert retry_task.run_after == row.next_attempt_at

    # Not due yet: nothing happens, and the attempt is not counted.
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        assert outbound.send_outbound(row.pk) == OutboundStatus.QUEUED
    row.refresh_from_db()
    assert row.attempts == 1 and smtp_sink.received == []

    second_at = row.next_attempt_at
    with time_machine.travel(second_at, tick=False):
        assert outbound.send_outbound(row.pk) == OutboundStatus.QUEUED
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at is not None
    assert dt.timedelta(seconds=120) <= row.next_attempt_at - second_at <= dt.timedelta(seconds=132)

    with time_machine.travel(row.next_attempt_at, tick=False):
        assert outbound.send_outbound(row.pk) == OutboundStatus.SENT
    row.refresh_from_db()
    assert row.status == OutboundStatus.SENT and row.attempts == 3
    assert row.next_attempt_at is None
    assert len(smtp_sink.received) == 1


def test_after_the_last_attempt_the_message_has_failed(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink, settings: Any
) -> None:
    settings.DOUM_MAIL_SEND_MAX_ATTEMPTS = 3
    smtp_sink.handler.fail_next = 10
    at = T0
    row = queue(world)
    for expected in (OutboundStatus.QUEUED, OutboundStatus.QUEUED, OutboundStatus.FAILED):
        with time_machine.travel(at, tick=False):
            assert outbound.send_outbound(row.pk) == expected
        row.refresh_from_db()
        at = row.next_attempt_at or at
    assert row.status == OutboundStatus.FAILED and row.attempts == 3
    assert "451" in row.last_error
    with time_machine.travel(at + dt.timedelta(hours=1), tick=False):
        assert outbound.send_outbound(row.pk) == OutboundStatus.FAILED
        assert outbound.send_due() == 0
    assert smtp_sink.received == []


def test_a_permanent_refusal_fails_at_once(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    async def refuse(server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 not accepted"

    smtp_sink.handler.handle_DATA = refuse  # type: ignore[method-assign]
    row = queue(world)
    assert outbound.send_outbound(row.pk) == OutboundStatus.FAILED
    row.refresh_from_db()
    assert row.attempts == 1 and "554" in row.last_error


def test_a_server_that_does_not_answer_is_a_temporary_failure(
    world: World, mailbox: Mailbox, settings: Any
) -> None:
    from tests.mail.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    row = queue(world)
    assert outbound.send_outbound(row.pk) == OutboundStatus.QUEUED
    row.refresh_from_db()
    assert row.attempts == 1 and "ConnectionRefusedError" in row.last_error


def test_a_message_claimed_by_one_worker_is_not_sent_by_another(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    row = queue(world)
    assert outbound._claim(row.pk, clock.now())  # worker A takes it, and is still sending
    assert outbound.send_outbound(row.pk) == OutboundStatus.QUEUED  # worker B
    assert outbound.send_due() == 0
    assert smtp_sink.received == []
    # Worker A died: once the lease has run out the sweep sends it.
    with time_machine.travel(clock.now() + outbound.SEND_LEASE + dt.timedelta(seconds=1)):
        assert outbound.send_due() == 1
    assert len(smtp_sink.received) == 1
    assert OutboundMessage.objects.get().attempts == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_once(smtp_sink: SmtpSink) -> None:
    from tests.personas import build_world

    if connection.vendor != "postgresql":
        pytest.skip(
            "needs a server database: two threads on SQLite's shared in-memory test database "
            "lock the table instead of racing"
        )
    world = build_world()  # its changes commit, so they queue mail of their own (not sent here)
    make_mailbox(world)
    addresses.forget_own_addresses()
    row = queue(world)
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=5)
            results.append(outbound.send_outbound(row.pk))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results) == [OutboundStatus.QUEUED, OutboundStatus.SENT]
    assert [r.message["Message-ID"] for r in smtp_sink.received] == [f"<{row.message_id}>"]
    assert OutboundMessage.objects.get(pk=row.pk).attempts == 1


def test_the_sweep_sends_due_retries_and_lost_enqueues_only(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    with time_machine.travel(T0, tick=False):
        lost = queue(world)  # its task was never enqueued (say the process died)
        fresh_at = T0 + dt.timedelta(seconds=50)
    with time_machine.travel(fresh_at, tick=False):
        fresh = queue(world)  # its task is surely on its way
        waiting = queue(world)
        OutboundMessage.objects.filter(pk=waiting.pk).update(
            next_attempt_at=fresh_at + dt.timedelta(minutes=5), attempts=1
        )
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        assert outbound.send_due() == 1
    statuses = dict(OutboundMessage.objects.values_list("pk", "status"))
    assert statuses == {
        lost.pk: OutboundStatus.SENT,
        fresh.pk: OutboundStatus.QUEUED,
        waiting.pk: OutboundStatus.QUEUED,
    }
    with time_machine.travel(fresh_at + dt.timedelta(minutes=6), tick=False):
        assert outbound.send_due() == 2
    assert len(smtp_sink.received) == 3


def test_a_row_whose_worker_died_on_its_last_attempt_fails(
    world: World, mailbox: Mailbox, settings: Any, smtp_sink: SmtpSink
) -> None:
    settings.DOUM_MAIL_SEND_MAX_ATTEMPTS = 2
    row = queue(world)
    OutboundMessage.objects.filter(pk=row.pk).update(
        attempts=2, next_attempt_at=clock.now() - dt.timedelta(seconds=1)
    )
    assert outbound.send_due() == 0
    row.refresh_from_db()
    assert row.status == OutboundStatus.FAILED
    assert smtp_sink.received == []


# --- attachments ----------------------------------------------------------------------------


@pytest.fixture
def attached_reply(world: World, django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    def reply() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            tickets.do_add_comment(
                world.ticket,
                actor=world.agent,
                via=Via.WEB,
                body="See the receipt.",
                attachments=[
                    tickets.NewAttachment("영수증.pdf", "application/pdf", b"%PDF-1.4 receipt"),
                    tickets.NewAttachment("notes.txt", "text/plain", b"hello"),
                ],
            )

    yield reply


def test_a_replys_attachments_go_with_it(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink, attached_reply: Any
) -> None:
    attached_reply()
    run_mail_tasks()
    [got] = smtp_sink.received
    files = {a.get_filename(): a.get_content() for a in got.message.iter_attachments()}
    assert files == {"영수증.pdf": b"%PDF-1.4 receipt", "notes.txt": "hello"}


def test_attachments_too_large_for_mail_are_named_instead(
    world: World, mailbox: Mailbox, smtp_sink: SmtpSink, attached_reply: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(outbound, "ATTACH_MAX_BYTES", 10)
    attached_reply()
    run_mail_tasks()
    [got] = smtp_sink.received
    assert list(got.message.iter_attachments()) == []
    body = got.message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "영수증.pdf, notes.txt" in body.get_content()
    assert "too large" in body.get_content()
