"""Polling a real IMAP server (Dovecot on 127.0.0.1): a customer's mail becomes a ticket, once."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from imapclient import IMAPClient

from doum.mail import imap
from doum.mail.addresses import plus_address
from doum.mail.imap import KEYWORD, poll_all, poll_mailbox
from doum.mail.inbound import raw_bytes
from doum.mail.models import (
    InboundMessage,
    InboundStatus,
    Mailbox,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
)
from doum.mail.outbound import send_outbound
from doum.tickets.actions import do_add_comment
from doum.tickets.models import Comment, Ticket, Via
from tests.mail.conftest import SmtpSink
from tests.mail.dovecot import (
    Dovecot,
    append_message,
    create_folder,
    dovecot_fixture,  # noqa: F401 - the `dovecot` fixture
    dovecot_tls_fixture,  # noqa: F401 - the `dovecot_tls` fixture
    folder_flags,
    imap_mailbox,
)
from tests.mail.mails import mail
from tests.personas import World

pytestmark = pytest.mark.django_db


def customer_mail(subject: str = "환불 요청 — my card was declined", **kw: Any) -> bytes:
    kw.setdefault("sender", "Kim Customer <kim@acme.example>")
    return mail(subject=subject, body="주문을 취소하고 싶어요. Please cancel my order.", **kw)


def test_a_customer_mail_becomes_a_ticket_and_is_flagged(world: World, dovecot: Dovecot) -> None:
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk, team_id=world.billing.pk)
    append_message(dovecot, customer_mail())

    result = poll_mailbox(mailbox)

    assert (result.fetched, result.stored, result.processed, result.failed) == (1, 1, 1, 0)
    assert result.ok
    inbound = InboundMessage.objects.get()
    assert (inbound.source, inbound.mailbox_id, inbound.status) == ("imap", mailbox.pk, "processed")
    ticket = inbound.ticket
    assert ticket is not None and ticket.subject == "환불 요청 — my card was declined"
    assert ticket.requester == world.customer
    assert ticket.team_id == world.billing.pk
    assert "주문을 취소하고 싶어요" in Comment.objects.get(ticket=ticket).body_text
    assert folder_flags(dovecot) == [{"\\Seen", KEYWORD}]
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""

    again = poll_mailbox(mailbox)

    assert (again.fetched, again.stored, again.processed) == (0, 0, 0)
    assert Ticket.objects.filter(pk__gt=world.ticket.pk).count() == 1
    assert InboundMessage.objects.count() == 1


def test_mail_a_person_already_read_is_still_fetched(world: World, dovecot: Dovecot) -> None:
    # Someone opened the mailbox in a mail client first: \Seen, but not Doum's.
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk)
    append_message(dovecot, customer_mail(), flags=["\\Seen"])

    result = poll_mailbox(mailbox)

    assert (result.fetched, result.processed) == (1, 1)
    assert folder_flags(dovecot) == [{"\\Seen", KEYWORD}]


def test_fetched_mail_is_moved_when_the_mailbox_says_so(world: World, dovecot: Dovecot) -> None:
    create_folder(dovecot, "Doum/처리됨")
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk, imap_move_to="Doum/처리됨")
    append_message(dovecot, customer_mail("first"))
    append_message(dovecot, customer_mail("second"))

    result = poll_mailbox(mailbox)

    assert (result.fetched, result.processed) == (2, 2)
    assert folder_flags(dovecot) == []
    assert len(folder_flags(dovecot, "Doum/처리됨")) == 2
    assert poll_mailbox(mailbox).fetched == 0
    assert set(InboundMessage.objects.values_list("subject", flat=True)) == {"first", "second"}


@pytest.mark.parametrize("missing", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
def test_servers_without_move_get_copy_delete_expunge(
    world: World, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, missing: set[str]
) -> None:
    real = IMAPClient.has_capability

    def has_capability(self: IMAPClient, capability: str) -> bool:
        return capability.upper() not in missing and bool(real(self, capability))

    monkeypatch.setattr(IMAPClient, "has_capability", has_capability)
    create_folder(dovecot, "Done")
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk, imap_move_to="Done")
    append_message(dovecot, customer_mail("first"))
    append_message(dovecot, customer_mail("second"))

    assert poll_mailbox(mailbox).processed == 2
    assert folder_flags(dovecot) == []
    assert len(folder_flags(dovecot, "Done")) == 2


def test_servers_without_custom_flags_need_a_folder_to_move_to(
    world: World, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = IMAPClient.select_folder

    def select_folder(self: IMAPClient, folder: str, readonly: bool = False) -> dict[bytes, Any]:
        answer: dict[bytes, Any] = real(self, folder, readonly)
        answer[b"PERMANENTFLAGS"] = (b"\\Seen", b"\\Deleted")  # no "\*": no keywords kept
        return answer

    monkeypatch.setattr(IMAPClient, "select_folder", select_folder)
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk)
    append_message(dovecot, customer_mail())

    result = poll_mailbox(mailbox)

    assert "does not keep custom flags" in result.error and result.fetched == 0
    create_folder(dovecot, "Done")
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_move_to="Done")
    mailbox.refresh_from_db()
    assert poll_mailbox(mailbox).processed == 1
    assert folder_flags(dovecot) == [] and len(folder_flags(dovecot, "Done")) == 1


def test_a_missing_move_folder_is_reported_and_nothing_is_fetched(
    world: World, dovecot: Dovecot
) -> None:
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk, imap_move_to="Nowhere")
    append_message(dovecot, customer_mail())

    result = poll_mailbox(mailbox)

    assert result.fetched == 0 and "Nowhere" in result.error
    assert not InboundMessage.objects.exists()
    mailbox.refresh_from_db()
    assert "Nowhere" in mailbox.last_error


def test_a_broken_message_is_on_the_failed_list_and_the_next_is_processed(
    world: World, dovecot: Dovecot
) -> None:
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk)
    # No usable sender, garbage headers, an empty body; then base64 that does not decode.
    append_message(dovecot, b"garbage without a colon\r\nSubject: =?utf-8?B?////?=\r\n\r\n")
    broken_base64 = (
        b"From: Kim Customer <kim@acme.example>\r\nTo: help@acme.test\r\n"
        b"Subject: broken base64\r\nMessage-ID: <b64@acme.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n!!!!not base64 at all****\r\n"
    )
    append_message(dovecot, broken_base64)
    append_message(dovecot, customer_mail("the good one"))

    result = poll_mailbox(mailbox)

    assert result.fetched == 3 and result.ok
    assert result.failed >= 1 and result.failed + result.processed == 3
    failed = InboundMessage.objects.get(status=InboundStatus.FAILED, message_id="")
    assert failed.failure_reason and failed.ticket_id is None
    good = InboundMessage.objects.get(subject="the good one")
    assert good.status == InboundStatus.PROCESSED and good.ticket_id is not None
    # Everything is stored, so everything is acknowledged: the failed list is Doum's now.
    assert folder_flags(dovecot) == [{"\\Seen", KEYWORD}] * 3
    assert poll_mailbox(mailbox).fetched == 0


def test_a_wrong_password_is_recorded_on_the_mailbox(world: World, dovecot: Dovecot) -> None:
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk, password="not the password")
    append_message(dovecot, customer_mail())

    result = poll_mailbox(mailbox)

    assert not result.ok and result.fetched == 0
    assert "LoginError" in result.error
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error and mailbox.last_error_at is not None
    assert mailbox.last_polled_at is None
    assert "not the password" not in mailbox.last_error
    assert not InboundMessage.objects.exists()


def test_poll_all_skips_mailboxes_without_imap_and_goes_on_after_a_failure(
    world: World, dovecot: Dovecot
) -> None:
    from doum.mail.mailboxes import do_create_mailbox
    from tests.mail.conftest import free_port

    down = do_create_mailbox(
        actor=world.admin, name="Down", address="down@acme.test", brand_id=world.brand.pk,
        imap_host="127.0.0.1", imap_port=free_port(), imap_security="none",
        imap_username="x", imap_password="y",
    )  # fmt: skip
    smtp_only = do_create_mailbox(
        actor=world.admin, name="By SMTP", address="smtp@acme.test", brand_id=world.brand.pk
    )
    inactive = imap_mailbox(dovecot, brand_id=world.brand.pk, address="old@acme.test")
    Mailbox.objects.filter(pk=inactive.pk).update(is_active=False)
    good = imap_mailbox(dovecot, brand_id=world.brand.pk)
    append_message(dovecot, customer_mail())

    results = poll_all()

    assert [r.mailbox_id for r in results] == [down.pk, good.pk]
    assert results[0].error.startswith("connection")
    assert results[1].ok and results[1].processed == 1
    smtp_only.refresh_from_db()
    assert smtp_only.last_polled_at is None and smtp_only.last_error == ""
    assert [r.mailbox_id for r in poll_all(address="HELP@acme.test")] == [good.pk]


def test_limit_leaves_the_rest_for_the_next_poll(world: World, dovecot: Dovecot) -> None:
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk)
    for n in range(3):
        append_message(dovecot, customer_mail(f"message {n}"))

    assert poll_mailbox(mailbox, limit=2).fetched == 2
    assert poll_mailbox(mailbox, limit=2).fetched == 1
    assert sorted(InboundMessage.objects.values_list("subject", flat=True)) == [
        "message 0", "message 1", "message 2"
    ]  # fmt: skip


def test_a_large_message_is_read_in_pieces_and_stored_whole(
    world: World, dovecot: Dovecot, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DOUM_MAIL_SMTP_MAX_BYTES = 50_000  # type: ignore[attr-defined]
    monkeypatch.setattr(imap, "CHUNK_BYTES", 16_384)
    pieces: list[str] = []
    real_fetch = IMAPClient.fetch

    def spy(
        self: IMAPClient, messages: object, data: list[str], modifiers: object = None
    ) -> object:
        pieces.extend(item for item in data if item.startswith("BODY.PEEK[]<"))
        return real_fetch(self, messages, data, modifiers)

    monkeypatch.setattr(IMAPClient, "fetch", spy)
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk)
    scan = ("scan.bin", "application/octet-stream", b"\x01" * 150_000)
    raw = customer_mail("the scan you asked for", attachments=[scan])
    append_message(dovecot, raw)

    result = poll_mailbox(mailbox)

    assert (result.fetched, result.processed) == (1, 1)
    assert len(pieces) > 10 and pieces[0] == "BODY.PEEK[]<0.16384>"
    stored = raw_bytes(InboundMessage.objects.get().pk)
    # The server keeps the message with CRLF line ends; the bytes are otherwise the same.
    crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(crlf).hexdigest()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_connections(world: World, dovecot_tls: Dovecot, security: str) -> None:
    port = dovecot_tls.imaps_port if security == "ssl" else dovecot_tls.port
    mailbox = imap_mailbox(
        dovecot_tls, brand_id=world.brand.pk, imap_security=security, imap_port=port
    )
    append_message(dovecot_tls, customer_mail())

    result = poll_mailbox(mailbox)

    assert result.ok, result.error
    assert result.processed == 1


def test_an_untrusted_certificate_is_refused(
    world: World, dovecot_tls: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    mailbox = imap_mailbox(
        dovecot_tls, brand_id=world.brand.pk, imap_security="ssl", imap_port=dovecot_tls.imaps_port
    )
    append_message(dovecot_tls, customer_mail())

    result = poll_mailbox(mailbox)

    assert result.error.startswith("TLS") and "CERTIFICATE_VERIFY_FAILED" in result.error
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)  # replies are queued after commit
def test_round_trip_customer_mail_agent_reply_customer_reply(
    world: World, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    mailbox = imap_mailbox(dovecot, brand_id=world.brand.pk, team_id=world.billing.pk)
    customer_id = "<round-trip-1@acme.example>"
    append_message(dovecot, customer_mail("환불 요청", message_id=customer_id))
    assert poll_mailbox(mailbox).processed == 1
    ticket = InboundMessage.objects.get().ticket
    assert ticket is not None

    # The agent answers in the web app; the reply goes out by the send task (driven here).
    comment = do_add_comment(
        ticket, actor=world.agent, via=Via.WEB, body="환불해 드렸습니다. Refunded.", public=True
    )
    reply = OutboundMessage.objects.get(kind=OutboundKind.REPLY, comment=comment)
    for queued in OutboundMessage.objects.filter(status=OutboundStatus.QUEUED):
        assert send_outbound(queued.pk) == OutboundStatus.SENT
    [received] = [
        r for r in smtp_sink.received if r.message["Message-ID"] == f"<{reply.message_id}>"
    ]
    sent = received.message
    assert received.rcpt_tos == ["kim@acme.example"]
    assert sent["In-Reply-To"] == customer_id
    assert customer_id in sent["References"]
    assert sent["Reply-To"] == plus_address(mailbox.address, ticket.pk)
    assert "Refunded." in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # The customer answers that mail in their mail client; it arrives in the mailbox.
    answer = mail(
        sender="Kim Customer <kim@acme.example>",
        to=str(sent["Reply-To"]),
        subject=f"Re: {sent['Subject']}",
        body="감사합니다! Thank you, it arrived.",
        in_reply_to=str(sent["Message-ID"]),
        references=[customer_id, str(sent["Message-ID"])],
    )
    append_message(dovecot, answer)
    result = poll_mailbox(mailbox)

    assert (result.fetched, result.processed) == (1, 1)
    latest = Comment.objects.filter(ticket=ticket).order_by("-id").first()
    assert latest is not None and latest.author == world.customer
    assert "Thank you, it arrived." in latest.body_text
    assert Ticket.objects.exclude(pk=world.ticket.pk).count() == 1
