"""The ticket page: the conversation, the reply box, who may open it and what it writes."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doum.accounts.models import User
from doum.tickets import actions
from doum.tickets.models import Attachment, Comment, EventKind, Ticket, TicketEvent, Via
from tests.pages import signed_in as client_for
from tests.personas import World
from tests.tickets.test_hostile_input import XSS

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse


def page(user: User, ticket: Ticket, query: str = "") -> str:
    response = client_for(user).get(f"/tickets/{ticket.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def reply(user: User, ticket: Ticket, **data: object) -> _MonkeyPatchedWSGIResponse:
    ticket.refresh_from_db()
    payload: dict[str, object] = {"body": "Hello", "mode": "public", "version": ticket.version}
    payload.update(data)
    return client_for(user).post(f"/tickets/{ticket.pk}/comments", payload)


# --- reading --------------------------------------------------------------------------------


def test_conversation_shows_replies_and_notes_distinctly_oldest_first(world: World) -> None:
    body = page(world.agent, world.ticket)
    first = body.index("주문을 취소하고 싶어요.")
    second = body.index("Looking into it.")
    third = body.index("SECRET internal: card fraud check")
    assert first < second < third
    note = Comment.objects.get(ticket=world.ticket, is_public=False)
    public = Comment.objects.filter(ticket=world.ticket, is_public=True).last()
    assert public is not None
    assert f'id="comment-{note.pk}" class="comment internal"' in body
    assert f'id="comment-{public.pk}" class="comment"' in body
    # Not by colour alone: the note carries a visible label.
    note_html = body[body.index(f'id="comment-{note.pk}"') :]
    assert "Internal note" in note_html[: note_html.index("</header>")]
    assert "Ari Agent" in body and "Kim Customer" in body
    assert "via Portal" in body and "via Web" in body


def test_staff_who_may_not_see_the_ticket_get_404_and_customers_the_portal(world: World) -> None:
    assert client_for(world.tech_agent).get(f"/tickets/{world.ticket.pk}/").status_code == 404
    for customer in (world.customer, world.outsider):
        response = client_for(customer).get(f"/tickets/{world.ticket.pk}/")
        assert response.status_code == 302
        assert response["Location"] == "/portal/"
    anonymous = Client().get(f"/tickets/{world.ticket.pk}/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert client_for(world.agent).get("/tickets/999999/").status_code == 404


def test_hostile_subject_body_tags_and_file_names_are_escaped(world: World) -> None:
    for payload in XSS:
        ticket = actions.do_create_ticket(
            actor=world.agent,
            via=Via.WEB,
            subject=payload,
            body=payload,
            requester_id=world.customer.pk,
            team_id=world.billing.pk,
            attachments=[actions.NewAttachment(f"{payload}.txt", "text/plain", b"x")],
        )
        body = page(world.agent, ticket)
        assert "<script>alert" not in body
        assert "<img src=x onerror" not in body
        assert "<svg onload" not in body
        assert 'href="javascript:' not in body
        assert html.escape(payload) in body
    tagged = actions.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject="tags", body="b",
        requester_id=world.customer.pk, team_id=world.billing.pk, tags=["{{7*7}}", "x&y"],
    )  # fmt: skip
    body = page(world.qa, tagged)  # the read-only panel lists the tags as text
    assert "x&amp;y" in body and "{{7*7}}" in body and ">49<" not in body


def test_page_query_count_does_not_grow_with_comments_and_attachments(world: World) -> None:
    def count_for(ticket: Ticket) -> int:
        client = client_for(world.agent)
        client.get(f"/tickets/{ticket.pk}/?view=all")  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/tickets/{ticket.pk}/?view=all").status_code == 200
        return len(queries)

    def ticket_with(comments: int) -> Ticket:
        t = actions.do_create_ticket(
            actor=world.agent, via=Via.WEB, subject=f"{comments} comments", body="first",
            requester_id=world.customer.pk, team_id=world.billing.pk, tags=["a", "b"],
        )  # fmt: skip
        for i in range(comments - 1):
            actions.do_add_comment(
                t, actor=world.agent if i % 2 else world.customer, via=Via.WEB,
                body=f"message {i}", public=i % 2 == 0 or i % 3 != 0,
                attachments=[actions.NewAttachment(f"f{i}.txt", "text/plain", b"data")],
            )  # fmt: skip
        actions.do_update_ticket(
            t, actor=world.agent, via=Via.WEB, changes={"priority": "high", "tags": ["c"]}
        )
        return t

    small, large = ticket_with(2), ticket_with(20)
    assert count_for(large) == count_for(small)
    assert count_for(large) <= 20


def test_attachments_are_listed_with_size_and_a_download_link(world: World) -> None:
    comment = actions.do_add_comment(
        world.ticket, actor=world.customer, via=Via.PORTAL, body="see photo",
        attachments=[actions.NewAttachment("photo.png", "image/png", b"\x89PNG" + b"0" * 2000)],
    )  # fmt: skip
    attachment = Attachment.objects.get(comment=comment)
    body = page(world.agent, world.ticket)
    assert f'href="/api/v1/attachments/{attachment.pk}"' in body
    assert "photo.png" in body and "2.0\xa0KB" in body
    # The API serves every attachment as a download, so the page shows no inline thumbnail.
    assert f'<img src="/api/v1/attachments/{attachment.pk}"' not in body
    download = client_for(world.agent).get(f"/api/v1/attachments/{attachment.pk}")
    assert download["Content-Disposition"].startswith("attachment")


# --- replying -------------------------------------------------------------------------------


def test_public_reply_with_status_is_written_through_the_action(world: World) -> None:
    response = reply(world.agent, world.ticket, body="We refunded you.", status="pending")
    assert response.status_code == 302
    comment = Comment.objects.filter(ticket=world.ticket).latest("id")
    assert comment.is_public and comment.body_text == "We refunded you." and comment.via == "web"
    assert response["Location"] == f"/tickets/{world.ticket.pk}/#comment-{comment.pk}"
    world.ticket.refresh_from_db()
    assert world.ticket.status == "pending"
    events = TicketEvent.objects.filter(ticket=world.ticket, version=world.ticket.version)
    assert {(e.kind, e.field) for e in events} == {
        (EventKind.COMMENT_ADDED, ""),
        (EventKind.FIELD_CHANGED, "status"),
    }
    assert all(e.actor_id == world.agent.pk and e.via == "web" for e in events)


def test_internal_note_is_not_public(world: World) -> None:
    reply(world.agent, world.ticket, body="check the ledger", mode="note")
    comment = Comment.objects.filter(ticket=world.ticket).latest("id")
    assert not comment.is_public
    event = TicketEvent.objects.get(comment=comment, kind=EventKind.COMMENT_ADDED)
    assert event.is_public is False


def test_partial_reply_returns_the_thread_with_the_new_comment(world: World) -> None:
    world.ticket.refresh_from_db()
    response = client_for(world.agent).post(
        f"/tickets/{world.ticket.pk}/comments",
        {"body": "partial hello", "mode": "public", "version": world.ticket.version},
        HTTP_X_DOUM_PARTIAL="1",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="ticket-thread"')
    assert "partial hello" in body
    assert f'data-synced-version="{world.ticket.version + 1}"' in body
    assert 'data-replaces="#ticket-side"' in body  # the side panel follows the new version


def test_qa_reviewer_writes_notes_only(world: World) -> None:
    body = page(world.qa, world.ticket)
    assert 'value="public"' not in body and 'name="status"' not in body
    assert 'value="note"' in body
    before = Comment.objects.count()
    refused = reply(world.qa, world.ticket, body="public?", mode="public")
    assert refused.status_code == 400
    assert Comment.objects.count() == before
    assert "Select a valid choice" in refused.content.decode()
    reply(world.qa, world.ticket, body="QA: tone was fine", mode="note")
    note = Comment.objects.latest("id")
    assert note.author_id == world.qa.pk and not note.is_public


def test_director_may_read_but_not_write(world: World) -> None:
    body = page(world.director, world.ticket)
    assert 'id="reply-form"' not in body and 'id="fields-form"' not in body
    before = Comment.objects.count()
    assert reply(world.director, world.ticket, mode="note").status_code == 403
    assert Comment.objects.count() == before


def test_stale_version_keeps_the_text_and_lists_the_changes(world: World) -> None:
    world.ticket.refresh_from_db()
    seen = world.ticket.version
    actions.do_change_status(world.ticket, actor=world.lead, via=Via.WEB, status="on_hold")
    before = Comment.objects.count()
    response = client_for(world.agent).post(
        f"/tickets/{world.ticket.pk}/comments",
        {"body": "My long <careful> answer", "mode": "note", "version": seen},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert Comment.objects.count() == before
    assert "Someone changed this ticket since you opened it" in body
    assert "Lee Lead changed Status: Open → On-hold" in body
    assert "My long &lt;careful&gt; answer</textarea>" in body
    assert 'value="note" required id="reply-mode_1" checked' in body
    assert "Send anyway" in body
    world.ticket.refresh_from_db()
    assert f'name="version" value="{world.ticket.version}"' in body
    # Sending again with the version the warning carried goes through.
    again = reply(world.agent, world.ticket, body="My long <careful> answer", mode="note")
    assert again.status_code == 302
    assert Comment.objects.latest("id").body_text == "My long <careful> answer"


def test_bad_reply_input_gets_field_errors_not_500(world: World) -> None:
    client = client_for(world.agent)
    url = f"/tickets/{world.ticket.pk}/comments"
    before = Comment.objects.count()
    cases = [
        ({"body": "", "mode": "public", "version": 1}, "Write a message first."),
        ({"body": "x", "mode": "shout", "version": 1}, "Select a valid choice"),
        ({"body": "x", "mode": "public", "version": "abc"}, "Enter a whole number"),
        ({"body": "x", "mode": "public", "status": "closed", "version": 1}, "valid choice"),
        ({"body": "x", "mode": "public", "status": "new", "version": 1}, "valid choice"),
    ]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    assert Comment.objects.count() == before
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.agent)
    assert csrf.post(url, {"body": "x", "mode": "public", "version": 1}).status_code == 403


def test_reply_with_several_attachments(world: World) -> None:
    files = [
        SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 data", "application/pdf"),
        SimpleUploadedFile("<b>bad</b>.txt", b"text", "text/plain"),
    ]
    response = reply(world.agent, world.ticket, body="two files", attachments=files)
    assert response.status_code == 302
    comment = Comment.objects.latest("id")
    names = sorted(Attachment.objects.filter(comment=comment).values_list("filename", flat=True))
    assert names == ["b.txt", "invoice.pdf"]
    body = page(world.agent, world.ticket)
    assert "invoice.pdf" in body and "<b>bad</b>" not in body


def test_too_large_attachment_is_refused_with_nothing_written(world: World, settings: Any) -> None:
    settings.DOUM_ATTACHMENT_MAX_BYTES = 1024 * 1024
    before = (Comment.objects.count(), Attachment.objects.count(), TicketEvent.objects.count())
    big = SimpleUploadedFile("huge.bin", b"0" * (1024 * 1024 + 1), "application/octet-stream")
    small = SimpleUploadedFile("ok.txt", b"fine", "text/plain")
    response = reply(world.agent, world.ticket, body="keep me", attachments=[small, big])
    assert response.status_code == 400
    body = response.content.decode()
    assert "huge.bin" in body and "is larger than 1 MB." in body
    assert "keep me</textarea>" in body
    after = (Comment.objects.count(), Attachment.objects.count(), TicketEvent.objects.count())
    assert after == before
    media = Path(settings.MEDIA_ROOT) / "attachments"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize("role", ["agent", "lead", "manager", "admin"])
def test_editing_roles_see_the_reply_box_and_side_panel(world: World, role: str) -> None:
    body = page(world.by_role()[role], world.ticket)
    for marker in ('id="reply-form"', 'id="fields-form"', 'data-shortcut="r"',
                   'data-shortcut="n"', 'data-shortcut="a"', 'data-shortcut="s"'):  # fmt: skip
        assert marker in body, marker
