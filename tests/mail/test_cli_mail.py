"""`doum fetch-mail` and `doum mail-server`, run through the `doum` command itself."""

from __future__ import annotations

import signal
import smtplib
import socket
import threading
import time
from collections.abc import Callable

import pytest

from doum import cli
from doum.mail import inbound
from doum.mail.imap import KEYWORD
from doum.mail.models import InboundMessage, InboundStatus
from doum.tickets.models import Ticket
from tests.mail.conftest import free_port
from tests.mail.dovecot import (
    Dovecot,
    append_message,
    dovecot_fixture,  # noqa: F401 - the `dovecot` fixture
    folder_flags,
    imap_mailbox,
)
from tests.mail.mails import mail
from tests.personas import World


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A management command run from argv closes every database connection when it ends, and
    the polling loop closes stale ones between rounds. Inside a test's transaction (on
    PostgreSQL) that would close the test's own connection, so both are no-ops here."""
    from django.db import connections

    from doum.mail.management.commands import fetch_mail

    monkeypatch.setattr(connections, "close_all", lambda: None)
    monkeypatch.setattr(fetch_mail, "close_old_connections", lambda: None)


def customer_mail(subject: str = "배송 문의 — where is my parcel?") -> bytes:
    return mail(sender="Kim Customer <kim@acme.example>", subject=subject)


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _stop_when(condition: Callable[[], bool]) -> threading.Thread:
    """A thread that waits until the command is running (its SIGTERM handler is installed) and
    `condition` holds, then stops it the way a service manager would."""
    before = signal.getsignal(signal.SIGTERM)

    def installed() -> bool:
        return signal.getsignal(signal.SIGTERM) is not before

    def run() -> None:
        try:
            _until(installed)
            _until(condition)
        finally:
            if installed():  # never SIGTERM the test run itself
                signal.raise_signal(signal.SIGTERM)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.django_db
def test_fetch_mail_once_prints_a_summary_and_creates_the_ticket(
    world: World, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    imap_mailbox(dovecot, brand_id=world.brand.pk)
    append_message(dovecot, customer_mail())

    assert cli.main(["fetch-mail", "--once"]) == 0

    out = capsys.readouterr().out
    assert "help@acme.test: 1 fetched, 1 new, 0 already stored, 1 processed, 0 failed" in out
    assert Ticket.objects.filter(subject="배송 문의 — where is my parcel?").count() == 1
    assert folder_flags(dovecot) == [{"\\Seen", KEYWORD}]


@pytest.mark.django_db
def test_fetch_mail_finishes_mail_stored_before_a_crash(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = inbound.store_inbound(customer_mail("stored, never processed"), source="smtp")

    assert cli.main(["fetch-mail", "--once"]) == 0

    out = capsys.readouterr().out
    assert "Processed 1 message(s) stored earlier." in out
    assert "nothing to fetch" in out
    assert InboundMessage.objects.get(pk=stored.inbound_id).status == InboundStatus.PROCESSED


@pytest.mark.django_db
def test_fetch_mail_once_fails_when_a_mailbox_cannot_be_polled(
    world: World, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    imap_mailbox(dovecot, brand_id=world.brand.pk, password="wrong")

    assert cli.main(["fetch-mail", "--once", "--mailbox", "help@acme.test"]) == 1

    err = capsys.readouterr().err
    assert "help@acme.test: 0 fetched" in err and "LoginError" in err
    assert "1 mailbox(es) could not be polled" in err


@pytest.mark.django_db
def test_fetch_mail_refuses_an_unknown_mailbox(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["fetch-mail", "--once", "--mailbox", "nobody@acme.test"]) == 1
    assert "no active mailbox 'nobody@acme.test'" in capsys.readouterr().err


@pytest.mark.django_db
def test_fetch_mail_keeps_polling_until_stopped(
    world: World, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    imap_mailbox(dovecot, brand_id=world.brand.pk)
    append_message(dovecot, customer_mail("first"))
    # Stop once a second message, appended after the first round, is fetched too.
    rounds: list[int] = []

    def second_fetched() -> bool:
        flags = folder_flags(dovecot)
        if len(flags) == 1 and KEYWORD in flags[0] and not rounds:
            rounds.append(1)
            append_message(dovecot, customer_mail("second"))
        return len(flags) == 2 and all(KEYWORD in f for f in flags)

    stopper = _stop_when(second_fetched)
    assert cli.main(["fetch-mail", "--interval", "0.2"]) == 0
    stopper.join(5)

    out = capsys.readouterr().out
    assert "Fetching mail every 0.2 s" in out and "Stopped." in out
    assert set(Ticket.objects.values_list("subject", flat=True)) >= {"first", "second"}


@pytest.mark.django_db(transaction=True)
def test_mail_server_receives_until_stopped(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from doum.mail.mailboxes import do_create_mailbox
    from doum.mail.management.commands import mail_server

    do_create_mailbox(
        actor=world.admin, name="Acme Help", address="help@acme.test", brand_id=world.brand.pk
    )
    port = free_port()
    answers: list[int] = []

    def deliver() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        if not answers:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.ehlo("client.example")
                client.mail("kim@acme.example")
                client.rcpt("help@acme.test")
                answers.append(client.data(customer_mail("by SMTP"))[0])
        return True

    # Not 127.0.0.1 would warn; the test still listens on 127.0.0.1 only.
    monkeypatch.setattr(mail_server, "needs_warning", lambda host: True)
    stopper = _stop_when(deliver)
    assert cli.main(["mail-server", "--port", str(port)]) == 0
    stopper.join(5)

    captured = capsys.readouterr()
    assert f"Receiving mail by SMTP on 127.0.0.1:{port}" in captured.out
    assert "Stopped." in captured.out
    assert "no authentication and no TLS" in captured.err
    assert answers == [250]
    # Stopping waits for the messages already answered to be processed.
    assert Ticket.objects.filter(subject="by SMTP").count() == 1
