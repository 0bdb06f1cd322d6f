"""Receiving mail by SMTP and LMTP: a real aiosmtpd listener on 127.0.0.1, real smtplib."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError

from doum.mail import smtp_server
from doum.mail.addresses import plus_address
from doum.mail.mailboxes import do_create_mailbox
from doum.mail.models import InboundMessage, InboundStatus, Mailbox
from doum.mail.smtp_server import MailController, build_server, needs_warning
from doum.tickets.models import Comment, Ticket
from tests.mail.conftest import free_port
from tests.mail.mails import mail, message_id_of
from tests.personas import World

# The listener's threads write: they must see (and the test must see) committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

SENDER = "kim@acme.example"


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    return do_create_mailbox(
        actor=world.admin, name="Acme Help", address="help@acme.test",
        brand_id=world.brand.pk, team_id=world.billing.pk,
    )  # fmt: skip


@contextmanager
def serving(*, lmtp: bool) -> Iterator[MailController]:
    server = build_server("127.0.0.1", free_port(), lmtp=lmtp)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.inbound.shutdown()


@pytest.fixture
def smtp(mailbox: Mailbox) -> Iterator[MailController]:
    with serving(lmtp=False) as server:
        yield server


@pytest.fixture
def lmtp(mailbox: Mailbox) -> Iterator[MailController]:
    with serving(lmtp=True) as server:
        yield server


def customer_mail(subject: str = "환불 요청 — refund please", **kw: Any) -> bytes:
    """On the wire, lines end in CRLF (smtplib sends bytes as they are)."""
    raw = mail(sender=f"Kim Customer <{SENDER}>", subject=subject, **kw)
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send(server: MailController, raw: bytes, to: list[str]) -> tuple[int, str]:
    """MAIL, RCPT for each recipient (each must be accepted), DATA: the DATA reply."""
    with smtplib.SMTP(server.hostname, server.port, timeout=10) as client:
        client.ehlo("client.example")
        assert client.mail(SENDER)[0] == 250
        for address in to:
            code, text = client.rcpt(address)
            assert code == 250, text
        code, text = client.data(raw)
    assert server.inbound.wait_idle()
    return code, text.decode()


def test_a_customer_mail_becomes_a_ticket(world: World, smtp: MailController) -> None:
    code, text = send(smtp, customer_mail(), ["help@acme.test"])

    assert code == 250 and "queued" in text
    inbound = InboundMessage.objects.get()
    assert (inbound.source, inbound.status, inbound.envelope_to) == (
        "smtp", InboundStatus.PROCESSED, ["help@acme.test"]
    )  # fmt: skip
    ticket = inbound.ticket
    assert ticket is not None and ticket.subject == "환불 요청 — refund please"
    assert ticket.requester == world.customer and ticket.team_id == world.billing.pk


def test_a_reply_to_the_plus_address_is_accepted(world: World, smtp: MailController) -> None:
    address = plus_address("help@acme.test", world.ticket.pk)

    code, _text = send(smtp, customer_mail("Re: refund", body="Any news?"), [address])

    assert code == 250
    assert Comment.objects.filter(ticket=world.ticket, body_text__contains="Any news?").exists()


@pytest.mark.parametrize(
    "address", ["nobody@acme.test", "someone@gmail.example", "help@acme.test.evil.example"]
)
def test_unknown_recipients_are_refused_so_it_is_no_relay(
    smtp: MailController, address: str
) -> None:
    with smtplib.SMTP(smtp.hostname, smtp.port, timeout=10) as client:
        client.ehlo("client.example")
        client.mail(SENDER)
        code, _text = client.rcpt(address)
        assert code == 550
        client.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail(SENDER, [address], customer_mail())
    assert not InboundMessage.objects.exists()


def test_an_inactive_mailbox_takes_no_mail(mailbox: Mailbox, smtp: MailController) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
    with smtplib.SMTP(smtp.hostname, smtp.port, timeout=10) as client:
        client.ehlo("client.example")
        client.mail(SENDER)
        assert client.rcpt("help@acme.test")[0] == 550


def test_too_large_is_refused_with_552(mailbox: Mailbox, settings: pytest.FixtureRequest) -> None:
    settings.DOUM_MAIL_SMTP_MAX_BYTES = 20_000  # type: ignore[attr-defined]
    with serving(lmtp=False) as server:
        with smtplib.SMTP(server.hostname, server.port, timeout=10) as client:
            client.ehlo("client.example")
            assert client.does_esmtp and client.esmtp_features["size"] == "20000"
            client.mail(SENDER)
            client.rcpt("help@acme.test")
            code, _text = client.data(customer_mail(body=("x" * 70 + "\n") * 450))
            assert code == 552
            # A client that announces the size is refused before it sends anything.
            client.rset()
            assert client.mail(SENDER, ["SIZE=30000"])[0] == 552
            # And the session goes on: a normal message still gets in.
            client.rset()
            client.mail(SENDER)
            client.rcpt("help@acme.test")
            assert client.data(customer_mail())[0] == 250
        assert server.inbound.wait_idle()
    assert InboundMessage.objects.count() == 1


def test_the_same_message_twice_is_one_comment(world: World, smtp: MailController) -> None:
    raw = customer_mail()
    assert send(smtp, raw, ["help@acme.test"])[0] == 250
    assert send(smtp, raw, ["help@acme.test"])[0] == 250

    inbound = InboundMessage.objects.get()
    assert inbound.times_delivered == 2
    assert Ticket.objects.exclude(pk=world.ticket.pk).count() == 1
    assert Comment.objects.filter(ticket=inbound.ticket).count() == 1


def test_a_storage_failure_answers_451_so_the_sender_retries(
    smtp: MailController, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_away(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(smtp_server, "store_inbound", database_away)

    code, _text = send(smtp, customer_mail(), ["help@acme.test"])

    assert code == 451
    assert not InboundMessage.objects.exists()


def test_processing_never_holds_up_the_answer(
    smtp: MailController, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_process = smtp_server.process_inbound

    def slow_process(inbound_id: int) -> str:
        assert release.wait(10)
        return real_process(inbound_id)

    monkeypatch.setattr(smtp_server, "process_inbound", slow_process)
    with smtplib.SMTP(smtp.hostname, smtp.port, timeout=5) as client:
        for n in range(3):  # every message answered while the first is still processing
            client.sendmail(SENDER, ["help@acme.test"], customer_mail(f"order {n}"))
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {"received"}

    release.set()

    assert smtp.inbound.wait_idle()
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {"processed"}


def test_lmtp_answers_once_per_recipient(
    world: World, mailbox: Mailbox, lmtp: MailController
) -> None:
    do_create_mailbox(
        actor=world.admin, name="Acme Sales", address="sales@acme.test", brand_id=world.brand.pk
    )
    raw = customer_mail("quote for 20 seats", to="sales@acme.test, help@acme.test")
    with smtplib.LMTP(lmtp.hostname, lmtp.port, timeout=10) as client:
        assert client.docmd("EHLO", "client.example")[0] == 500  # LMTP knows LHLO only
        assert client.ehlo("client.example")[0] == 250  # smtplib's LMTP sends LHLO
        client.mail(SENDER)
        assert client.rcpt("sales@acme.test")[0] == 250
        assert client.rcpt("nobody@acme.test")[0] == 550
        assert client.rcpt("help@acme.test")[0] == 250
        first = client.data(raw)
        second = client.getreply()  # LMTP: one reply per accepted recipient
        assert (first[0], second[0]) == (250, 250)
    assert lmtp.inbound.wait_idle()

    inbound = InboundMessage.objects.get()
    assert inbound.message_id == message_id_of(raw).strip("<>")
    assert inbound.envelope_to == ["sales@acme.test", "help@acme.test"]
    assert inbound.mailbox is not None and inbound.mailbox.address == "sales@acme.test"
    assert Ticket.objects.filter(subject="quote for 20 seats").count() == 1


def test_only_loopback_binding_goes_without_a_warning() -> None:
    assert not needs_warning("127.0.0.1")
    assert not needs_warning("localhost")
    assert not needs_warning("::1")
    assert needs_warning("0.0.0.0")
    assert needs_warning("192.0.2.10")
