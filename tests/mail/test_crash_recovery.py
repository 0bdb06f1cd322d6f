"""Kill the IMAP poller at every step, run it again: nothing is lost and nothing is doubled.

Each poll runs in a separate Python process on a file SQLite database (the test and that
process share only the database file, the media directory and the Dovecot server). The
process is killed with `os._exit(137)` — no clean-up, no rollback handlers, no flushing — by
patches that exist only in the script below:

- after_store:K    right after the K-th `store_inbound` committed;
- mid_process:K    right after the K-th comment row is INSERTed (the ticket row is already
                   written; the transaction is open);
- before_flag:K    after the K-th message was processed, before it is flagged on the server.

Then the poll runs again, normally, and the database must hold every appended message exactly
once, each turned into exactly one ticket or comment, and no ticket without its first comment
and events.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from doum.mail.imap import KEYWORD
from tests.mail.dovecot import (
    Dovecot,
    append_message,
    dovecot_fixture,  # noqa: F401 - the `dovecot` fixture
    folder_flags,
)
from tests.mail.mails import mail

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, os, sys

import django

django.setup()

from django.conf import settings

settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
mode = sys.argv[1]

if mode == "migrate":
    from django.core.management import call_command
    from doum.accounts.actions import do_create_brand

    call_command("migrate", interactive=False, verbosity=0)
    do_create_brand(actor=None, name="Acme Support", slug="acme", is_default=True)

else:  # "poll" (perhaps killed), or "final": poll, poll again, then report
    from imapclient import IMAPClient

    from doum.accounts.models import Brand
    from doum.mail import imap
    from doum.mail.mailboxes import do_create_mailbox
    from doum.mail.models import InboundMessage, Mailbox
    from doum.tickets.models import Comment, Ticket, TicketEvent

    if not Mailbox.objects.exists():
        do_create_mailbox(
            actor=None, name="Acme Help", address="help@acme.test",
            brand_id=Brand.objects.get().pk, imap_host="127.0.0.1",
            imap_port=int(os.environ["TEST_IMAP_PORT"]), imap_security="none",
            imap_username=os.environ["TEST_IMAP_USER"],
            imap_password=os.environ["TEST_IMAP_PASSWORD"],
        )

    crash = os.environ.get("TEST_CRASH", "")
    step, _, nth = crash.partition(":")
    count = {"n": 0}

    def hit():
        count["n"] += 1
        if count["n"] == int(nth):
            sys.stdout.flush()
            os._exit(137)

    if step == "after_store":
        real_store = imap.store_inbound

        def store_then_die(*args, **kwargs):
            stored = real_store(*args, **kwargs)
            hit()
            return stored

        imap.store_inbound = store_then_die
    elif step == "mid_process":
        from django.db import connection

        def insert_then_die(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if sql.lstrip().upper().startswith('INSERT INTO "TICKETS_COMMENT"'):
                hit()
            return result

        connection.execute_wrappers.append(insert_then_die)  # for the whole run
    elif step == "before_flag":
        real_add_flags = IMAPClient.add_flags

        def die_then_flag(self, *args, **kwargs):
            hit()
            return real_add_flags(self, *args, **kwargs)

        IMAPClient.add_flags = die_then_flag
    elif step:
        raise SystemExit(f"unknown crash point {crash}")

    results = [r.__dict__ for r in imap.poll_all()]
    if mode == "poll":
        print(json.dumps(results))
        raise SystemExit(0)
    again = [r.__dict__ for r in imap.poll_all()]
    inbound = [
        {"subject": m.subject, "status": m.status, "times": m.times_delivered,
         "ticket": m.ticket_id, "comment": m.comment_id}
        for m in InboundMessage.objects.order_by("id")
    ]
    tickets = [
        {"id": t.pk, "subject": t.subject,
         "comments": Comment.objects.filter(ticket=t).count(),
         "events": TicketEvent.objects.filter(ticket=t).count()}
        for t in Ticket.objects.order_by("id")
    ]
    report = {"poll": results, "again": again, "inbound": inbound, "tickets": tickets}
    print(json.dumps(report))
"""

SUBJECTS = ["first order", "second order", "third order", "fourth order"]


def _env(base: Path, server: Dovecot | None = None, crash: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DOUM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="doum.settings",
        DATABASE_URL=f"sqlite:///{base / 'doum.sqlite3'}",
        DOUM_VAR_DIR=str(base / "var"),
        DOUM_MEDIA_ROOT=str(base / "media"),
        DOUM_SQLITE_NO_PERSIST="1",
        PYTHONPATH=str(ROOT),
        TEST_CRASH=crash,
    )
    if server is not None:
        env.update(
            TEST_IMAP_PORT=str(server.port),
            TEST_IMAP_USER=server.user,
            TEST_IMAP_PASSWORD=server.password,
        )
    return env


def run(mode: str, base: Path, server: Dovecot | None = None, crash: str = "") -> Any:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        env=_env(base, server, crash),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if crash:
        assert done.returncode == 137, f"{crash} did not happen:\n{done.stdout}\n{done.stderr}"
        return None
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with a brand, made once and copied for each test."""
    base = tmp_path_factory.mktemp("crash-template")
    run("migrate", base)
    return base / "doum.sqlite3"


def _messages() -> list[bytes]:
    sender = "Kim Customer <kim@acme.example>"
    first_id = "<first-order@acme.example>"
    return [
        mail(sender=sender, subject=SUBJECTS[0], message_id=first_id),
        mail(sender=sender, subject=SUBJECTS[1]),
        # The customer adds to the first ticket: a comment, not a ticket.
        mail(
            sender=sender,
            subject="Re: first order",
            in_reply_to=first_id,
            references=[first_id],
            body="Also: please send the invoice.",
        ),
        mail(sender=sender, subject=SUBJECTS[2]),
        mail(sender=sender, subject=SUBJECTS[3]),
    ]


def _check(report: dict[str, Any], server: Dovecot, n_messages: int) -> None:
    inbound = report["inbound"]
    assert len(inbound) == n_messages, inbound
    assert {m["status"] for m in inbound} == {"processed"}, inbound
    assert all(m["ticket"] and m["comment"] for m in inbound)
    tickets = {t["subject"]: t for t in report["tickets"]}
    assert sorted(tickets) == sorted(SUBJECTS), report["tickets"]  # one ticket per new mail
    expected = {s: 1 for s in SUBJECTS} | {SUBJECTS[0]: 2}  # ... and one comment per mail
    assert {s: t["comments"] for s, t in tickets.items()} == expected
    assert all(t["events"] >= 2 for t in tickets.values())  # created + comment added
    assert len({m["comment"] for m in inbound}) == n_messages
    assert folder_flags(server) == [{"\\Seen", KEYWORD}] * n_messages


@pytest.mark.parametrize(
    "crashes",
    [
        ["after_store:2"],
        ["mid_process:1"],  # inside the very first ticket's transaction
        ["mid_process:3"],  # inside the reply's comment
        ["before_flag:4"],
        ["after_store:1", "mid_process:1", "before_flag:1", "mid_process:2", "after_store:3"],
    ],
    ids=["after-store", "mid-new-ticket", "mid-comment", "before-flag", "again-and-again"],
)
def test_a_poll_killed_at_any_step_loses_and_doubles_nothing(
    migrated: Path, tmp_path: Path, dovecot: Dovecot, crashes: Sequence[str]
) -> None:
    shutil.copy(migrated, tmp_path / "doum.sqlite3")
    messages = _messages()
    for raw in messages:
        append_message(dovecot, raw)

    for crash in crashes:
        run("poll", tmp_path, dovecot, crash=crash)
    report = run("final", tmp_path, dovecot)

    [result] = report["poll"]
    assert result["error"] == ""
    assert result["fetched"] >= 1  # at least the message the last kill interrupted
    _check(report, dovecot, len(messages))
    # And polling again now finds nothing to do.
    [idle] = report["again"]
    assert (idle["fetched"], idle["stored"]) == (0, 0)
