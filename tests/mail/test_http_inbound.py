"""POST /api/v1/mail/inbound: raw RFC 822 bytes from a mail provider's inbound webhook."""

from __future__ import annotations

import pytest
from django.test import Client

from doum.accounts.actions import do_create_api_token
from doum.accounts.models import User
from doum.mail.mailboxes import do_create_mailbox
from doum.mail.models import InboundMessage, Mailbox
from doum.tickets.models import Ticket
from tests.mail.mails import mail
from tests.personas import World

URL = "/api/v1/mail/inbound"


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    return do_create_mailbox(
        actor=world.admin, name="Acme", address="help@acme.test", brand_id=world.brand.pk
    )


def client_for(user: User) -> Client:
    secret = do_create_api_token(user, actor=user, name="inbound hook").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, raw: bytes, query: str = "?mailbox=help@acme.test") -> dict[str, object]:
    response = client.post(URL + query, raw, content_type="message/rfc822")
    return {**response.json(), "http": response.status_code}


def test_a_posted_message_becomes_a_ticket_and_a_repeat_is_a_duplicate(
    world: World, mailbox: Mailbox
) -> None:
    admin = client_for(world.admin)
    raw = mail(subject="Webhook mail 웹훅")
    first = post(admin, raw)
    assert first["http"] == 202 and first["status"] == "processed"
    assert first["duplicate"] is False and first["ticket_id"]
    ticket = Ticket.objects.get(pk=first["ticket_id"])
    assert ticket.subject == "Webhook mail 웹훅" and ticket.brand_id == world.brand.pk
    again = post(admin, raw)
    assert again["duplicate"] is True and again["ticket_id"] == first["ticket_id"]
    assert InboundMessage.objects.get().times_delivered == 2


def test_malformed_mail_is_accepted_and_listed_as_failed(world: World, mailbox: Mailbox) -> None:
    admin = client_for(world.admin)
    body = post(admin, b"\x00\x01 not a mail at all")
    assert body["http"] == 202 and body["status"] == "failed"
    assert body["ticket_id"] is None and body["failure_reason"]
    listed = admin.get(URL + "?status=failed").json()
    assert [row["id"] for row in listed] == [body["id"]]
    assert listed[0]["failure_reason"] == body["failure_reason"]


def test_bad_requests_get_clear_errors(world: World, mailbox: Mailbox, settings: object) -> None:
    admin = client_for(world.admin)
    empty = post(admin, b"")
    assert empty["http"] == 400 and "empty" in str(empty["message"])
    unknown = post(admin, mail(), "?mailbox=nobody@acme.test")
    assert unknown["http"] == 400 and unknown["field"] == "mailbox"
    settings.DOUM_MAIL_SMTP_MAX_BYTES = 1000  # type: ignore[attr-defined]
    big = post(admin, mail(body="x" * 5000))
    assert big["http"] == 413 and big["code"] == "too_large"
    assert not InboundMessage.objects.exists()


def test_only_admins_may_post_mail(world: World, mailbox: Mailbox) -> None:
    assert post(client_for(world.manager), mail())["http"] == 403
    assert post(client_for(world.customer), mail())["http"] == 404
    assert Client().post(URL, mail(), content_type="message/rfc822").status_code == 401
    assert not InboundMessage.objects.exists()


def test_retry_through_the_api(world: World, mailbox: Mailbox) -> None:
    admin = client_for(world.admin)
    failed = post(admin, b"\x00")
    response = admin.post(f"{URL}/{failed['id']}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "failed" and response.json()["attempts"] == 2
