"""Every .eml in tests/mail/corpus through the whole inbound path (store, parse, classify,
thread, write), checked against manifest.json; the broken ones on the failed-mail list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from doum.mail import inbound
from doum.mail.mailboxes import do_create_mailbox
from doum.mail.models import InboundMessage, Mailbox
from doum.tickets.models import Comment, Ticket
from tests.personas import World

CORPUS = Path(__file__).parent / "corpus"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text())


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    return do_create_mailbox(
        actor=world.admin, name="Acme", address="help@acme.test", brand_id=world.brand.pk
    )


def receive(name: str, mailbox: Mailbox) -> InboundMessage:
    stored = inbound.store_inbound(
        (CORPUS / name).read_bytes(), source="imap", mailbox_id=mailbox.pk
    )
    inbound.process_inbound(stored.inbound_id)
    return InboundMessage.objects.get(pk=stored.inbound_id)


@pytest.mark.parametrize("case", MANIFEST, ids=lambda c: c["file"])
def test_corpus_message_end_to_end(world: World, mailbox: Mailbox, case: dict[str, Any]) -> None:
    row = receive(case["file"], mailbox)
    # Whatever happens next, the bytes are kept exactly as received.
    assert inbound.raw_bytes(row.pk) == (CORPUS / case["file"]).read_bytes()
    if not case["parses"]:
        assert row.status == "failed"
        assert case["reason_contains"] in row.failure_reason
        assert row.ticket_id is None
        return
    assert row.status in ("processed", "ignored"), row.failure_reason
    assert row.is_automatic == case["automatic"], row.automatic_reason
    if case["bounce"]:
        assert row.outcome == "bounce"
        return
    assert row.status == "processed"
    ticket = Ticket.objects.get(pk=row.ticket_id)
    comment = Comment.objects.get(pk=row.comment_id)
    assert ticket.channel == "email"
    if case.get("subject"):
        assert ticket.subject == case["subject"]
    assert comment.metadata["email"]["automatic"] == case["automatic"]
    names = set(ticket.attachments.values_list("filename", flat=True))
    for expected in case.get("attachments", []):
        assert any(expected in n for n in names), (expected, names)


def test_the_duplicate_pair_yields_one_ticket(world: World, mailbox: Mailbox) -> None:
    a = receive("duplicate-a.eml", mailbox)
    b = receive("duplicate-b.eml", mailbox)
    assert a.pk == b.pk and a.status == "processed"
    assert InboundMessage.objects.get(pk=a.pk).times_delivered == 2
    assert Comment.objects.filter(metadata__email__inbound_id=a.pk).count() == 1


def test_the_failed_mail_list_shows_every_broken_fixture(world: World, mailbox: Mailbox) -> None:
    broken = [c for c in MANIFEST if not c["parses"]]
    assert broken
    rows = {c["file"]: receive(c["file"], mailbox) for c in broken}
    client = Client()
    client.force_login(world.admin)
    listed = client.get("/api/v1/mail/inbound?status=failed&limit=200").json()
    assert {r["id"] for r in listed} == {r.pk for r in rows.values()}
    for case in broken:
        row = next(r for r in listed if r["id"] == rows[case["file"]].pk)
        assert case["reason_contains"] in row["failure_reason"]
    # The admin's page lists each of them, with its reason.
    page = client.get("/settings/mail/failed/")
    assert page.status_code == 200
    html = page.content.decode()
    for case in broken:
        assert f"/settings/mail/inbound/{rows[case['file']].pk}/" in html
        assert escape(case["reason_contains"]) in html
