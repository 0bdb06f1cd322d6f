"""Inbound mail end to end: stored, parsed, threaded onto the right ticket, never lost."""

from __future__ import annotations

import pytest

from doum.accounts import actions as accounts
from doum.accounts.models import Identity, User
from doum.mail import inbound
from doum.mail.addresses import plus_address
from doum.mail.mailboxes import do_create_mailbox
from doum.mail.models import InboundMessage, Mailbox
from doum.tickets import actions as tickets
from doum.tickets.models import Comment, Status, Ticket, TicketFollower, Via
from tests.mail.mails import mail, message_id_of
from tests.personas import World


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    return do_create_mailbox(
        actor=world.admin,
        name="Acme help",
        address="help@acme.test",
        brand_id=world.brand.pk,
        team_id=world.billing.pk,
    )


def receive(raw: bytes, mailbox: Mailbox | None = None) -> InboundMessage:
    stored = inbound.store_inbound(raw, source="smtp", mailbox_id=mailbox.pk if mailbox else None)
    inbound.process_inbound(stored.inbound_id)
    return InboundMessage.objects.get(pk=stored.inbound_id)


def test_a_customer_mail_becomes_a_ticket(world: World, mailbox: Mailbox) -> None:
    row = receive(mail(sender="Pat Kim <Pat@Example.com>", subject="카드 결제 실패"), mailbox)
    assert row.status == "processed", row.failure_reason
    assert row.outcome == "new_ticket"
    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert ticket.subject == "카드 결제 실패"
    assert ticket.channel == "email"
    assert ticket.brand_id == world.brand.pk
    assert ticket.team_id == world.billing.pk  # the mailbox's team
    requester = ticket.requester
    assert requester.role == "customer" and requester.name == "Pat Kim"
    assert Identity.objects.filter(user=requester, value="pat@example.com").exists()
    comment = Comment.objects.get(ticket=ticket)
    assert comment.via == Via.EMAIL and comment.author_id == requester.pk
    assert "declined twice" in comment.body_text
    assert comment.metadata["email"]["inbound_id"] == row.pk
    assert comment.metadata["email"]["automatic"] is False


def test_a_known_identity_is_recognised(world: World, mailbox: Mailbox) -> None:
    row = receive(mail(sender="Kim <KIM@acme.example>"), mailbox)
    assert Ticket.objects.get(pk=row.ticket_id).requester_id == world.customer.pk
    assert Ticket.objects.get(pk=row.ticket_id).organization_id == world.acme.pk


def test_the_same_message_twice_yields_one_ticket(world: World, mailbox: Mailbox) -> None:
    raw = mail()
    first = inbound.store_inbound(raw, source="imap", mailbox_id=mailbox.pk)
    inbound.process_inbound(first.inbound_id)
    again = inbound.store_inbound(raw, source="smtp", mailbox_id=mailbox.pk)
    assert again.duplicate and again.inbound_id == first.inbound_id
    assert inbound.process_inbound(again.inbound_id) == "processed"
    assert Ticket.objects.filter(channel="email").count() == 1
    assert InboundMessage.objects.get().times_delivered == 2


def test_mail_without_message_id_is_deduplicated_by_content(world: World) -> None:
    raw = mail(message_id=None)
    a = inbound.store_inbound(raw, source="http")
    b = inbound.store_inbound(raw, source="http")
    assert b.duplicate and a.inbound_id == b.inbound_id
    other = inbound.store_inbound(mail(message_id=None, body="different"), source="http")
    assert not other.duplicate


def test_a_reply_threads_by_in_reply_to_and_drops_the_quote(world: World, mailbox: Mailbox) -> None:
    first = mail()
    row = receive(first, mailbox)
    reply = mail(
        subject="Re: My card was declined",
        body=(
            "It happened again just now.\n\n"
            "On Sun, 22 Nov 2026 at 15:00, Pat Kim <pat@example.com> wrote:\n"
            "> Hello, my card was declined twice today.\n"
        ),
        in_reply_to=message_id_of(first),
        references=[message_id_of(first)],
    )
    second = receive(reply, mailbox)
    assert second.status == "processed", second.failure_reason
    assert second.outcome == "comment:references"
    assert second.ticket_id == row.ticket_id
    comment = Comment.objects.get(pk=second.comment_id)
    assert comment.body_text == "It happened again just now."
    assert "declined twice" in comment.metadata["email"]["quoted_text"]


def test_korean_quote_header_is_separated(world: World, mailbox: Mailbox) -> None:
    first = mail(sender="홍길동 <gildong@example.kr>", subject="배송 문의")
    row = receive(first, mailbox)
    reply = mail(
        sender="홍길동 <gildong@example.kr>",
        subject="Re: 배송 문의",
        body=(
            "아직 배송이 안 왔어요.\n\n"
            "2026년 11월 22일 (일) 오후 3:00, Acme 지원팀 <help@acme.test>님이 작성:\n"
            "> 확인해 보겠습니다.\n"
        ),
        in_reply_to=message_id_of(first),
    )
    second = receive(reply, mailbox)
    assert second.ticket_id == row.ticket_id
    assert Comment.objects.get(pk=second.comment_id).body_text == "아직 배송이 안 왔어요."


def test_plus_address_token_threads_and_a_forged_one_does_not(
    world: World, mailbox: Mailbox
) -> None:
    ticket = world.ticket  # Kim's ticket
    good = receive(
        mail(sender="kim@acme.example", to=plus_address("help@acme.test", ticket.pk)), mailbox
    )
    assert good.outcome == "comment:token" and good.ticket_id == ticket.pk
    forged_to = plus_address("help@acme.test", ticket.pk)[:-14] + "000000000000@acme.test"
    forged = receive(mail(sender="kim@acme.example", to=forged_to), mailbox)
    assert forged.outcome == "new_ticket" and forged.ticket_id != ticket.pk


def test_subject_tag_needs_a_participant(world: World, mailbox: Mailbox) -> None:
    ticket = world.ticket
    own = receive(mail(sender="kim@acme.example", subject=f"Re: [#{ticket.pk}] refund"), mailbox)
    assert own.outcome == "comment:subject" and own.ticket_id == ticket.pk
    stranger = receive(
        mail(sender="olly@elsewhere.example", subject=f"Re: [#{ticket.pk}] refund"), mailbox
    )
    assert stranger.outcome == "new_ticket" and stranger.ticket_id != ticket.pk


def test_a_stranger_replying_to_anothers_thread_gets_a_new_ticket(
    world: World, mailbox: Mailbox
) -> None:
    first = mail(sender="kim@acme.example", subject="Private matter")
    row = receive(first, mailbox)
    intruder = receive(
        mail(
            sender="olly@elsewhere.example",
            subject="Re: Private matter",
            in_reply_to=message_id_of(first),
            to=plus_address("help@acme.test", row.ticket_id or 0),
        ),
        mailbox,
    )
    assert intruder.status == "processed"
    assert intruder.outcome == "new_ticket"
    assert intruder.ticket_id != row.ticket_id
    assert not Comment.objects.filter(ticket_id=row.ticket_id, author=world.outsider).exists()


def test_a_subject_match_alone_never_threads(world: World, mailbox: Mailbox) -> None:
    receive(mail(subject="Invoice question"), mailbox)
    second = receive(mail(subject="Re: Invoice question"), mailbox)
    assert second.outcome == "new_ticket"
    assert Ticket.objects.filter(subject__contains="Invoice question").count() == 2


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(
    world: World, mailbox: Mailbox
) -> None:
    first = mail()
    row = receive(first, mailbox)
    ticket = Ticket.objects.get(pk=row.ticket_id)
    tickets.do_change_status(ticket, actor=world.admin, via=Via.WEB, status=Status.SOLVED)
    tickets.do_change_status(
        Ticket.objects.get(pk=ticket.pk), actor=world.admin, via=Via.WEB, status=Status.CLOSED
    )
    follow = receive(mail(subject="Re: again", in_reply_to=message_id_of(first)), mailbox)
    assert follow.outcome == "follow_up"
    new = Ticket.objects.get(pk=follow.ticket_id)
    assert new.pk != ticket.pk and new.follow_up_of_id == ticket.pk
    assert new.requester_id == ticket.requester_id


def test_a_reply_to_a_merged_ticket_lands_on_the_target(world: World, mailbox: Mailbox) -> None:
    first = mail(sender="kim@acme.example")
    row = receive(first, mailbox)
    source = Ticket.objects.get(pk=row.ticket_id)
    tickets.do_merge_tickets(source, world.ticket, actor=world.admin, via=Via.WEB)
    reply = receive(
        mail(sender="kim@acme.example", subject="Re: x", in_reply_to=message_id_of(first)),
        mailbox,
    )
    assert reply.ticket_id == world.ticket.pk


def test_cc_addresses_become_followers(world: World, mailbox: Mailbox) -> None:
    row = receive(
        mail(cc=["Park <park@acme.example>", "New Person <new@example.org>", "help@acme.test"]),
        mailbox,
    )
    followers = set(
        TicketFollower.objects.filter(ticket_id=row.ticket_id).values_list("user__email", flat=True)
    )
    assert followers == {"park@acme.example", "new@example.org"}


def test_an_agent_can_reply_by_mail(world: World, mailbox: Mailbox) -> None:
    row = receive(mail(sender="agent@doum.test", subject=f"Re: [#{world.ticket.pk}]"), mailbox)
    assert row.outcome == "comment:subject"
    comment = Comment.objects.get(pk=row.comment_id)
    assert comment.author_id == world.agent.pk and comment.is_public


def test_auto_replies_are_kept_but_marked_automatic(world: World, mailbox: Mailbox) -> None:
    row = receive(
        mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}), mailbox
    )
    assert row.status == "processed" and row.is_automatic
    assert "Auto-Submitted" in row.automatic_reason
    comment = Comment.objects.get(pk=row.comment_id)
    assert comment.metadata["email"]["automatic"] is True


@pytest.mark.parametrize(
    "headers",
    [{"X-Doum-Loop": "doum@doum.localhost"}],
)
def test_doums_own_loop_header_is_dropped(
    world: World, mailbox: Mailbox, headers: dict[str, str], settings: object
) -> None:
    settings.DOUM_MAIL_LOOP_ID = "doum@doum.localhost"  # type: ignore[attr-defined]
    row = receive(mail(headers=headers), mailbox)
    assert row.status == "ignored" and row.ticket_id is None
    assert "loop header" in row.failure_reason
    assert not Ticket.objects.filter(channel="email").exists()


def test_mail_from_doums_own_address_is_dropped(world: World, mailbox: Mailbox) -> None:
    row = receive(mail(sender="Acme <help@acme.test>"), mailbox)
    assert row.status == "ignored"
    assert "own address" in row.failure_reason


def test_broken_mail_is_kept_with_its_reason_and_retryable(world: World, mailbox: Mailbox) -> None:
    row = receive(b"", mailbox)
    assert row.status == "failed" and row.failure_reason
    assert inbound.raw_bytes(row.pk) == b""
    # An inactive sender cannot open tickets: failed, then retried after reactivation.
    accounts.do_deactivate_user(world.outsider, actor=world.admin)
    blocked = receive(mail(sender="olly@elsewhere.example"), mailbox)
    assert blocked.status == "failed"
    assert "Inactive" in blocked.failure_reason
    assert not Ticket.objects.filter(requester=world.outsider).exists()
    accounts.do_reactivate_user(User.objects.get(pk=world.outsider.pk), actor=world.admin)
    assert inbound.do_retry_inbound(blocked.pk, actor=world.admin) == "processed"
    assert Ticket.objects.filter(requester=world.outsider).count() == 1


def test_a_failure_midway_leaves_no_half_written_ticket(
    world: World, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # The ticket and its comment are written, then routing to the team fails.
    monkeypatch.setattr(tickets, "do_update_ticket", boom)
    before = (Ticket.objects.count(), Comment.objects.count())
    row = receive(mail(), mailbox)
    assert row.status == "failed" and "disk on fire" in row.failure_reason
    assert (Ticket.objects.count(), Comment.objects.count()) == before


def test_only_admins_retry_or_dismiss(world: World) -> None:
    stored = inbound.store_inbound(b"\x00", source="http")
    inbound.process_inbound(stored.inbound_id)
    from doum.core.errors import Forbidden

    with pytest.raises(Forbidden):
        inbound.do_retry_inbound(stored.inbound_id, actor=world.manager)
    with pytest.raises(Forbidden):
        inbound.do_dismiss_inbound(stored.inbound_id, actor=world.agent)
    inbound.do_dismiss_inbound(stored.inbound_id, actor=world.admin, note="spam test")
    row = InboundMessage.objects.get(pk=stored.inbound_id)
    assert row.status == "ignored" and "spam test" in row.failure_reason


def test_a_spooled_file_is_stored_like_bytes_and_an_oversized_one_fails_unread(
    world: World, mailbox: Mailbox, settings: object, tmp_path: object
) -> None:
    import io

    raw = mail(body="spooled " * 2000)
    from_file = inbound.store_inbound(io.BytesIO(raw), source="imap", mailbox_id=mailbox.pk)
    assert not from_file.duplicate
    assert inbound.raw_bytes(from_file.inbound_id) == raw
    again = inbound.store_inbound(raw, source="imap", mailbox_id=mailbox.pk)
    assert again.duplicate and again.inbound_id == from_file.inbound_id
    row = InboundMessage.objects.get(pk=from_file.inbound_id)
    assert row.size == len(raw) and row.subject == "My card was declined"
    settings.DOUM_MAIL_MAX_BYTES = 1000  # type: ignore[attr-defined]
    assert inbound.process_inbound(row.pk) == "failed"
    row.refresh_from_db()
    assert f"message is {len(raw)} bytes, over the limit of 1000" in row.failure_reason


def test_the_follow_up_names_the_closed_ticket_on_its_page(
    world: World, mailbox: Mailbox, client: object
) -> None:
    first = mail()
    row = receive(first, mailbox)
    ticket = Ticket.objects.get(pk=row.ticket_id)
    tickets.do_change_status(ticket, actor=world.admin, via=Via.WEB, status=Status.SOLVED)
    tickets.do_change_status(
        Ticket.objects.get(pk=ticket.pk), actor=world.admin, via=Via.WEB, status=Status.CLOSED
    )
    follow = receive(mail(subject="Re: again", in_reply_to=message_id_of(first)), mailbox)
    client.force_login(world.admin)  # type: ignore[attr-defined]
    page = client.get(f"/tickets/{follow.ticket_id}/").content.decode()  # type: ignore[attr-defined]
    assert "follow-up-of" in page and f'href="/tickets/{ticket.pk}/"' in page


def test_a_bounce_marks_the_identity_and_an_agent_clears_it(
    world: World, mailbox: Mailbox, client: object
) -> None:
    dsn = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\n"
        b"To: help@acme.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn.1@mx.acme.example>\r\nAuto-Submitted: auto-replied\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        b"Final-Recipient: rfc822; kim@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        b"--b--\r\n"
    )
    row = receive(dsn, mailbox)
    assert row.status == "processed" and row.outcome == "bounce", row.failure_reason
    identity = Identity.objects.get(user=world.customer, kind="email")
    assert identity.bounced_at is not None and "5.1.1" in identity.bounce_reason
    client.force_login(world.agent)  # type: ignore[attr-defined]
    page = client.get(f"/people/{world.customer.pk}/").content.decode()  # type: ignore[attr-defined]
    assert 'data-testid="identity-bounced"' in page
    url = f"/people/{world.customer.pk}/identities/{identity.pk}/clear-bounce"
    assert client.post(url).status_code == 302  # type: ignore[attr-defined]
    identity.refresh_from_db()
    assert identity.bounced_at is None and identity.bounce_reason == ""
    client.force_login(world.qa)  # type: ignore[attr-defined]
    assert client.post(url).status_code == 403  # type: ignore[attr-defined]
