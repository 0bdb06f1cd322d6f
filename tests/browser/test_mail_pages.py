"""The email channel's admin pages and an email comment on the ticket page, in a real browser,
in English and Korean, with hostile mail shown as text (the CSP and console are watched by
the `page` fixture)."""

from __future__ import annotations

from typing import Any

import pytest

from doum.accounts import actions as accounts
from doum.mail import inbound
from doum.mail.mailboxes import do_create_mailbox
from doum.mail.models import InboundMessage
from tests.browser.conftest import shot, sign_in
from tests.mail.mails import mail, message_id_of
from tests.personas import World

XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def _receive(raw: bytes, mailbox_id: int) -> InboundMessage:
    stored = inbound.store_inbound(raw, source="smtp", mailbox_id=mailbox_id)
    inbound.process_inbound(stored.inbound_id)
    return InboundMessage.objects.get(pk=stored.inbound_id)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_mail_admin_pages_and_an_email_comment(
    page: Any, live_server: Any, world: World, language: str
) -> None:
    accounts.do_update_user(world.admin, actor=world.admin, changes={"language": language})
    mailbox = do_create_mailbox(
        actor=world.admin, name="Acme help", address="help@acme.test", brand_id=world.brand.pk,
        team_id=world.billing.pk,
    )  # fmt: skip
    first = mail(sender="Kim <kim@acme.example>", subject=f"결제 오류 {XSS}")
    ticket_row = _receive(first, mailbox.pk)
    reply = mail(
        sender="kim@acme.example",
        subject="Re: 결제 오류",
        body=f"Still broken {XSS}\n\nOn Sun, 22 Nov 2026, Acme <help@acme.test> wrote:\n> {XSS}\n",
        in_reply_to=message_id_of(first),
    )
    _receive(reply, mailbox.pk)
    failed = _receive(b"Subject: " + XSS.encode() + b"\r\n\r\n\x00", mailbox.pk)
    assert failed.status == "failed"

    sign_in(page, live_server.url, world.admin.email or "")
    pages = [
        ("mailboxes", "/settings/mailboxes/"),
        ("mailbox-new", "/settings/mailboxes/new/"),
        ("mailbox-edit", f"/settings/mailboxes/{mailbox.pk}/"),
        ("failed-mail", "/settings/mail/failed/"),
        ("failed-mail-detail", f"/settings/mail/inbound/{failed.pk}/"),
        ("outbound-mail", "/settings/mail/outbound/"),
        ("mail-templates", "/settings/mail/templates/"),
        ("mail-template-edit", f"/settings/mail/templates/acknowledgement/{language}/"),
        ("email-ticket", f"/tickets/{ticket_row.ticket_id}/"),
    ]
    for name, path in pages:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        assert page.locator("html").get_attribute("lang") == language
        # Hostile text from mail is shown as text, never run or parsed as markup.
        assert page.locator("img[src='x']").count() == 0
        shot(page, f"{language}-mail-{name}")
    # The ticket page: the reply without its quote, the quote one click away.
    conversation = page.locator("body").inner_text()
    assert "Still broken" in conversation
    details = page.locator("details").filter(has=page.locator("summary")).last
    details.locator("summary").click()
    assert XSS in details.inner_text()
