"""The email channel's admin pages (/settings/mailboxes/, /settings/mail/…) and the original
of an e-mailed comment (/mail/original/<id>/): who may open them, what they show, what
they write (through the actions), and how hostile input is answered."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doum.accounts import actions as accounts
from doum.accounts.models import AuditLog, User
from doum.mail import inbound
from doum.mail.addresses import plus_address
from doum.mail.mailboxes import do_create_mailbox
from doum.mail.models import (
    InboundMessage,
    Mailbox,
    MailTemplate,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
)
from doum.tickets.models import Comment, Ticket
from tests.mail.mails import mail
from tests.pages import PARTIAL, text
from tests.pages import signed_in as client_for
from tests.personas import World

SECRET = "imap-secret-Pa55"
PAGES = ["/settings/mailboxes/", "/settings/mailboxes/new/", "/settings/mail/failed/",
         "/settings/mail/outbound/", "/settings/mail/templates/",
         "/settings/mail/templates/reply/ko/"]  # fmt: skip


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    return do_create_mailbox(
        actor=world.admin, name="Acme help", address="help@acme.test", brand_id=world.brand.pk,
        team_id=world.billing.pk, imap_host="imap.acme.test", imap_username="help",
        imap_password=SECRET,
    )  # fmt: skip


def receive(raw: bytes, mailbox: Mailbox | None = None) -> InboundMessage:
    stored = inbound.store_inbound(raw, source="http", mailbox_id=mailbox.pk if mailbox else None)
    inbound.process_inbound(stored.inbound_id)
    return InboundMessage.objects.get(pk=stored.inbound_id)


def failed_mail(world: World, mailbox: Mailbox) -> InboundMessage:
    """Mail from a deactivated customer: it fails (an inactive person opens no ticket)."""
    accounts.do_deactivate_user(world.outsider, actor=world.admin)
    row = receive(
        mail(sender="Olly <olly@elsewhere.example>", subject="Refund <b>now</b>"), mailbox
    )
    assert row.status == "failed", row.status
    return row


# --- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_admins_open_the_pages_and_other_staff_get_403(world: World, url: str) -> None:
    assert client_for(world.admin).get(url).status_code == 200
    for role in ("manager", "agent", "lead", "qa", "director"):
        assert client_for(world.by_role()[role]).get(url).status_code == 403, role
    response = client_for(world.customer).get(url)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert Client().get(url).status_code == 302


def test_the_settings_index_lists_mail_sections_for_admins_only(world: World) -> None:
    admin_page = text(client_for(world.admin).get("/settings/"))
    assert "/settings/mailboxes/" in admin_page and "/settings/mail/failed/" in admin_page
    assert "/settings/mail/templates/" in admin_page and "/settings/mail/outbound/" in admin_page
    manager_page = text(client_for(world.manager).get("/settings/"))
    assert "/settings/users/" in manager_page and "/settings/mailboxes/" not in manager_page


def test_other_staff_cannot_write(world: World, mailbox: Mailbox) -> None:
    client = client_for(world.manager)
    response = client.post(
        "/settings/mailboxes/new/",
        {"name": "Sneaky", "address": "sneaky@acme.test", "brand": world.brand.pk,
         "imap_port": 993, "imap_security": "ssl", "imap_folder": "INBOX"},
    )  # fmt: skip
    assert response.status_code == 403
    assert client.post(f"/settings/mailboxes/{mailbox.pk}/deactivate/").status_code == 403
    assert client.post("/settings/mail/templates/reply/en/reset/").status_code == 403
    assert not Mailbox.objects.filter(address="sneaky@acme.test").exists()
    assert Mailbox.objects.get(pk=mailbox.pk).is_active


# --- mailboxes ------------------------------------------------------------------------------


def form_data(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Sales", "address": "Sales@Acme.test", "brand": world.brand.pk,
        "team": world.technical.pk, "imap_host": "imap.acme.test", "imap_port": "993",
        "imap_security": "starttls", "imap_username": "sales", "imap_password": SECRET,
        "imap_folder": "INBOX", "imap_move_to": "Doum/Done",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_admin_creates_a_mailbox_and_sees_it_listed(world: World) -> None:
    client = client_for(world.admin)
    response = client.post("/settings/mailboxes/new/", form_data(world))
    mailbox = Mailbox.objects.get(address="sales@acme.test")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/mailboxes/{mailbox.pk}/"
    assert mailbox.team_id == world.technical.pk and mailbox.imap_security == "starttls"
    assert mailbox.imap_password == SECRET and mailbox.imap_move_to == "Doum/Done"
    detail = text(client.get(response["Location"]))
    assert "The mailbox sales@acme.test exists now." in detail
    assert SECRET not in detail  # never sent back to the browser
    listing = text(client.get("/settings/mailboxes/"))
    for shown in ("sales@acme.test", "Acme Support", "Technical", "imap.acme.test:993"):
        assert shown in listing
    assert SECRET not in listing
    assert AuditLog.objects.filter(action="mailbox.created", actor=world.admin).exists()


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("name", {"name": "Help\r\nBcc: victim@example.com"}),
    ("name", {"name": "<script>alert(1)</script>"}),
    ("name", {"name": "N" * 5000}),
    ("name", {"name": ""}),
    ("address", {"address": "not-an-address"}),
    ("address", {"address": "help@acme.test"}),  # the fixture's mailbox has it
    ("address", {"address": "HELP@ACME.TEST"}),
    ("address", {"address": "sales+vip@acme.test"}),
    ("address", {"address": "x" * 10_000 + "@acme.test"}),
    ("address", {"address": "<script>@acme.test"}),
    ("brand", {"brand": "999999"}),
    ("brand", {"brand": "<script>"}),
    ("team", {"team": "999999"}),
    ("imap_host", {"imap_host": "https://imap.acme.test/"}),
    ("imap_host", {"imap_host": "imap acme test"}),
    ("imap_host", {"imap_host": "h" * 10_000}),
    ("imap_port", {"imap_port": "0"}),
    ("imap_port", {"imap_port": "70000"}),
    ("imap_port", {"imap_port": "993; DROP TABLE"}),
    ("imap_security", {"imap_security": "ssl3"}),
    ("imap_username", {"imap_username": "sales\r\nA1 LOGOUT"}),
    ("imap_password", {"imap_password": "pass\r\nword"}),
    ("imap_password", {"imap_password": "p" * 5000}),
    ("imap_folder", {"imap_folder": "INBOX\nA2 DELETE INBOX"}),
    ("imap_folder", {"imap_folder": "\x00"}),
    ("imap_move_to", {"imap_move_to": "INBOX"}),
]


@pytest.mark.parametrize(
    ("field", "data"), HOSTILE, ids=[f"{f}-{i}" for i, (f, _) in enumerate(HOSTILE)]
)
def test_hostile_input_is_answered_on_its_field_and_nothing_is_saved(
    world: World, mailbox: Mailbox, field: str, data: dict[str, Any]
) -> None:
    before = list(Mailbox.objects.values())
    response = client_for(world.admin).post("/settings/mailboxes/new/", form_data(world, **data))
    assert response.status_code == 400
    page = text(response)
    assert f'class="form-row invalid" data-field="{field}"' in page, page
    assert "<script>alert" not in page and "<script>@" not in page
    if field in ("name", "address") and "<script>" in data[field]:
        assert html.escape(data[field]) in page  # shown back as text
    assert SECRET not in page  # the typed password is not echoed either
    assert list(Mailbox.objects.values()) == before


def test_editing_keeps_the_password_when_left_empty(world: World, mailbox: Mailbox) -> None:
    client = client_for(world.admin)
    page = text(client.get(f"/settings/mailboxes/{mailbox.pk}/"))
    assert 'name="imap_password"' in page and SECRET not in page
    assert "Saved (never shown)" in page
    data = form_data(world, name="Acme help desk", address="help@acme.test", imap_password="")
    response = client.post(f"/settings/mailboxes/{mailbox.pk}/", data)
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.name == "Acme help desk" and mailbox.imap_password == SECRET
    assert mailbox.team_id == world.technical.pk
    client.post(f"/settings/mailboxes/{mailbox.pk}/", {**data, "imap_password": "new-secret"})
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "new-secret"
    assert not any(
        "new-secret" in str(r.data) or SECRET in str(r.data) for r in AuditLog.objects.all()
    )


def test_an_edit_with_a_bad_value_changes_nothing(world: World, mailbox: Mailbox) -> None:
    other = do_create_mailbox(
        actor=world.admin, name="Sales", address="sales@acme.test", brand_id=world.brand.pk
    )
    data = form_data(world, name="Renamed", address="help@acme.test", imap_password="")
    response = client_for(world.admin).post(f"/settings/mailboxes/{other.pk}/", data)
    assert response.status_code == 400
    assert 'class="form-row invalid" data-field="address"' in text(response)
    other.refresh_from_db()
    assert other.name == "Sales" and other.address == "sales@acme.test"


def test_deactivate_and_reactivate(world: World, mailbox: Mailbox) -> None:
    client = client_for(world.admin)
    response = client.post(f"/settings/mailboxes/{mailbox.pk}/deactivate/")
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert not mailbox.is_active
    page = text(client.get(f"/settings/mailboxes/{mailbox.pk}/"))
    assert "is deactivated" in page and "Reactivate mailbox" in page
    client.post(f"/settings/mailboxes/{mailbox.pk}/reactivate/")
    mailbox.refresh_from_db()
    assert mailbox.is_active
    assert client.get("/settings/mailboxes/999999/").status_code == 404
    assert client.get(f"/settings/mailboxes/{mailbox.pk}/deactivate/").status_code == 405


def test_the_list_shows_polling_errors(world: World, mailbox: Mailbox) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error="LOGIN failed: <bad> credentials")
    page = text(client_for(world.admin).get("/settings/mailboxes/"))
    assert "LOGIN failed: &lt;bad&gt; credentials" in page and "Never" in page


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_cost_the_same_queries_for_few_or_many_rows(
    world: World, mailbox: Mailbox
) -> None:
    client = client_for(world.admin)
    urls = ["/settings/mailboxes/", "/settings/mail/failed/?show=all", "/settings/mail/outbound/"]
    receive(mail(sender="p0@example.com"), mailbox)
    few = [_queries(client, url) for url in urls]
    for i in range(1, 6):
        do_create_mailbox(actor=world.admin, name=f"Box {i}", address=f"box{i}@acme.test",
                          brand_id=world.brand.pk, team_id=world.technical.pk)  # fmt: skip
        receive(mail(sender=f"p{i}@example.com", to=f"box{i}@acme.test"), mailbox)
    assert [_queries(client, url) for url in urls] == few


# --- failed mail ----------------------------------------------------------------------------


def test_failed_mail_is_listed_with_its_reason(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    ok = receive(mail(sender="pat@example.com", subject="Fine message"), mailbox)
    assert ok.status == "processed"
    client = client_for(world.admin)
    page = text(client.get("/settings/mail/failed/"))
    assert f'data-inbound-id="{row.pk}"' in page and f'data-inbound-id="{ok.pk}"' not in page
    assert "olly@elsewhere.example" in page and "help@acme.test" in page
    assert "Refund &lt;b&gt;now&lt;/b&gt;" in page and "<b>now" not in page
    assert "HTTP" in page and "Inactive" in page
    processed = text(client.get("/settings/mail/failed/?show=processed"))
    assert (
        f'data-inbound-id="{ok.pk}"' in processed and f'data-inbound-id="{row.pk}"' not in processed
    )
    everything = text(client.get("/settings/mail/failed/?show=all"))
    assert (
        f'data-inbound-id="{ok.pk}"' in everything and f'data-inbound-id="{row.pk}"' in everything
    )
    bad = client.get("/settings/mail/failed/?show=<script>&cursor=zzz")
    assert bad.status_code == 200 and "<script>" not in text(bad)
    partial = text(client.get("/settings/mail/failed/", headers=PARTIAL))
    assert partial.startswith('<div id="inbound-list">')


def test_the_detail_shows_headers_reason_and_actions(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    page = text(client_for(world.admin).get(f"/settings/mail/inbound/{row.pk}/"))
    assert "Olly &lt;olly@elsewhere.example&gt;" in page  # the From header, escaped
    assert "Message-ID" in page and "Refund &lt;b&gt;now&lt;/b&gt;" in page
    assert html.escape(row.failure_reason) in page
    assert f"/settings/mail/inbound/{row.pk}/raw" in page
    assert 'id="retry-form"' in page and 'id="dismiss-form"' in page


def test_the_raw_message_downloads_with_safe_headers(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    response = client_for(world.admin).get(f"/settings/mail/inbound/{row.pk}/raw")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="message-{row.pk}.eml"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == inbound.raw_bytes(row.pk)
    assert client_for(world.manager).get(f"/settings/mail/inbound/{row.pk}/raw").status_code == 403
    assert client_for(world.admin).get("/settings/mail/inbound/999999/raw").status_code == 404


def test_retry_that_fails_again_shows_the_new_reason(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    client = client_for(world.admin)
    response = client.post(f"/settings/mail/inbound/{row.pk}/retry/", follow=True)
    page = text(response)
    assert response.status_code == 200 and "It failed again" in page
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 2


def test_retry_after_the_fix_links_to_the_ticket(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    accounts.do_reactivate_user(User.objects.get(pk=world.outsider.pk), actor=world.admin)
    client = client_for(world.admin)
    response = client.post(f"/settings/mail/inbound/{row.pk}/retry/")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/mail/inbound/{row.pk}/"
    row.refresh_from_db()
    assert row.status == "processed" and row.ticket_id is not None
    page = text(client.get(response["Location"]))
    assert f"part of ticket #{row.ticket_id}" in page
    assert f'href="/tickets/{row.ticket_id}/"' in page
    assert 'id="retry-form"' not in page and 'id="dismiss-form"' not in page
    assert f'data-inbound-id="{row.pk}"' not in text(client.get("/settings/mail/failed/"))


def test_dismiss_with_a_note_moves_it_to_ignored(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    client = client_for(world.admin)
    response = client.post(
        f"/settings/mail/inbound/{row.pk}/dismiss/", {"note": "Spam <b>campaign</b>"}
    )
    assert response.status_code == 302 and response["Location"] == "/settings/mail/failed/"
    row.refresh_from_db()
    assert row.status == "ignored" and "Spam <b>campaign</b>" in row.failure_reason
    assert f'data-inbound-id="{row.pk}"' not in text(client.get("/settings/mail/failed/"))
    ignored = text(client.get("/settings/mail/failed/?show=ignored"))
    assert f'data-inbound-id="{row.pk}"' in ignored
    assert "Spam &lt;b&gt;campaign&lt;/b&gt;" in ignored
    too_long = client.post(f"/settings/mail/inbound/{row.pk}/dismiss/", {"note": "x" * 600})
    assert too_long.status_code == 400


def test_loops_and_own_mail_show_under_ignored(world: World, mailbox: Mailbox) -> None:
    own = receive(mail(sender="Acme <help@acme.test>", subject="Looping"), mailbox)
    assert own.status == "ignored"
    page = text(client_for(world.admin).get("/settings/mail/failed/?show=ignored"))
    assert f'data-inbound-id="{own.pk}"' in page and "own address" in page


def test_inbound_pages_are_for_admins_only(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    for role in ("manager", "agent"):
        client = client_for(world.by_role()[role])
        assert client.get(f"/settings/mail/inbound/{row.pk}/").status_code == 403
        assert client.post(f"/settings/mail/inbound/{row.pk}/retry/").status_code == 403
        assert client.post(f"/settings/mail/inbound/{row.pk}/dismiss/").status_code == 403
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 1


# --- the outbound log -----------------------------------------------------------------------


def test_the_outbound_log_lists_sent_and_suppressed_mail(world: World) -> None:
    from doum.mail import outbound

    queued = outbound.queue_message(
        kind=OutboundKind.REPLY, ticket=world.ticket, to=["kim@acme.example"],
        subject="About <your> refund", body_text="Hello", is_automatic=False,
    )  # fmt: skip
    suppressed = outbound.queue_message(
        kind=OutboundKind.REPLY, ticket=world.ticket, to=[], subject="Nobody",
        body_text="x", is_automatic=False,
    )  # fmt: skip
    assert suppressed.status == OutboundStatus.SUPPRESSED
    OutboundMessage.objects.filter(pk=queued.pk).update(last_error="451 try <later>", attempts=2)
    client = client_for(world.admin)
    page = text(client.get("/settings/mail/outbound/"))
    assert (
        f'data-outbound-id="{queued.pk}"' in page and f'data-outbound-id="{suppressed.pk}"' in page
    )
    assert "About &lt;your&gt; refund" in page and "451 try &lt;later&gt;" in page
    assert f'href="/tickets/{world.ticket.pk}/"' in page and "kim@acme.example" in page
    assert suppressed.suppressed_reason and html.escape(suppressed.suppressed_reason) in page
    only_suppressed = text(client.get("/settings/mail/outbound/?status=suppressed"))
    assert f'data-outbound-id="{queued.pk}"' not in only_suppressed
    assert client.get("/settings/mail/outbound/?status=<x>&kind=zz").status_code == 200


# --- mail templates -------------------------------------------------------------------------


def test_templates_list_every_kind_and_language(world: World) -> None:
    page = text(client_for(world.admin).get("/settings/mail/templates/"))
    for kind in OutboundKind.values:
        for language in ("en", "ko"):
            listed = f"/settings/mail/templates/{kind}/{language}/" in page
            # Mail a rule sends carries the rule's own text, a scheduled report's mail is
            # written by the reports app and a survey's by the brand's survey wording: none
            # has a template here.
            untemplated = (OutboundKind.RULE, OutboundKind.REPORT, OutboundKind.SURVEY)
            assert listed == (kind not in untemplated)
    assert "Edited" not in page


def test_edit_preview_save_and_reset_a_template(world: World) -> None:
    client = client_for(world.admin)
    url = "/settings/mail/templates/acknowledgement/ko/"
    page = text(client.get(url))
    assert "{{ ticket.number }}" in page and "{{ portal_url }}" in page  # placeholders
    assert 'data-testid="preview-text"' in page and "#1234" in page  # sample values
    draft = {"subject": "접수: {{ ticket.subject }}", "body": "{{ requester.name }}님 <b>감사</b>"}
    preview = client.post(url + "preview/", draft)
    assert preview.status_code == 200
    assert "김하나님 &lt;b&gt;감사&lt;/b&gt;" in text(preview)
    assert not MailTemplate.objects.exists()  # a preview saves nothing
    saved = client.post(url, draft)
    assert saved.status_code == 302 and saved["Location"] == url
    row = MailTemplate.objects.get(kind="acknowledgement", language="ko")
    assert row.subject == draft["subject"] and row.updated_by_id == world.admin.pk
    assert "Edited" in text(client.get("/settings/mail/templates/"))
    assert "Reset to built-in text" in text(client.get(url))
    reset = client.post(url + "reset/")
    assert reset.status_code == 302 and not MailTemplate.objects.exists()
    assert AuditLog.objects.filter(action="mail_template.reset").exists()


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("body", {"subject": "Hi", "body": "{{ settings.SECRET_KEY }}"}),
        ("body", {"subject": "Hi", "body": "{% load static %}{% include 'x.html' %}"}),
        ("body", {"subject": "Hi", "body": "{% if %}"}),
        ("subject", {"subject": "{{ user.password }}", "body": "ok"}),
        ("subject", {"subject": "", "body": "ok"}),
        ("body", {"subject": "ok", "body": "x" * 20_001}),
    ],
)
def test_bad_templates_are_refused_on_their_field(
    world: World, field: str, data: dict[str, str]
) -> None:
    client = client_for(world.admin)
    for url in ("/settings/mail/templates/reply/en/", "/settings/mail/templates/reply/en/preview/"):
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert f'class="form-row invalid" data-field="{field}"' in text(response)
    assert not MailTemplate.objects.exists()


def test_unknown_template_kinds_are_404(world: World) -> None:
    client = client_for(world.admin)
    assert client.get("/settings/mail/templates/nope/en/").status_code == 404
    assert client.get("/settings/mail/templates/reply/fr/").status_code == 404
    assert client.post("/settings/mail/templates/reply/fr/reset/").status_code == 404


# --- e-mailed comments on the ticket page, and their original ---------------------------------


def emailed_reply(world: World, mailbox: Mailbox) -> InboundMessage:
    raw = mail(
        sender="Kim <kim@acme.example>",
        to=plus_address("help@acme.test", world.ticket.pk),
        subject="Re: refund",
        body="Still waiting <script>alert(1)</script>.\n\nOn Mon, Ada wrote:\n> <img src=x onerror=alert(2)> old text\n",
    )
    row = receive(raw, mailbox)
    assert row.status == "processed" and row.ticket_id == world.ticket.pk, row.failure_reason
    return row


def test_the_ticket_page_marks_emailed_comments(world: World, mailbox: Mailbox) -> None:
    row = emailed_reply(world, mailbox)
    assert row.comment_id is not None
    comment = Comment.objects.get(pk=row.comment_id)
    assert "old text" in comment.metadata["email"]["quoted_text"]
    page = text(client_for(world.agent).get(f"/tickets/{world.ticket.pk}/"))
    assert "via email from kim@acme.example" in page
    assert "Show quoted text" in page and "<details" in page
    assert "&lt;img src=x onerror=alert(2)&gt; old text" in page
    assert "<img src=x" not in page and "<script>alert" not in page
    assert f'href="/mail/original/{row.pk}/"' in page
    # Only the e-mailed comment: the web replies have no original.
    assert page.count('data-testid="view-original"') == 1


def test_the_original_is_for_staff_who_see_the_ticket(world: World, mailbox: Mailbox) -> None:
    row = emailed_reply(world, mailbox)
    url = f"/mail/original/{row.pk}/"
    response = client_for(world.agent).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="message-{row.pk}.eml"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"Still waiting" in b"".join(response.streaming_content)
    for role in ("lead", "qa", "director", "manager", "admin"):
        assert client_for(world.by_role()[role]).get(url).status_code == 200, role
    assert client_for(world.tech_agent).get(url).status_code == 404  # another team's ticket
    assert client_for(world.customer).get(url).status_code == 302  # staff only: the portal
    assert Client().get(url).status_code == 302
    assert client_for(world.agent).get("/mail/original/999999/").status_code == 404


def test_mail_that_made_no_ticket_has_no_original_page(world: World, mailbox: Mailbox) -> None:
    row = failed_mail(world, mailbox)
    assert client_for(world.admin).get(f"/mail/original/{row.pk}/").status_code == 404
    assert not Ticket.objects.filter(requester=world.outsider).exists()
