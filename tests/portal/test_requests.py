"""Submitting a request, the list of one's requests, and one request's public page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doum.accounts import actions as accounts
from doum.accounts.models import User
from doum.accounts.roles import Role
from doum.tickets import actions as tickets
from doum.tickets.field_definitions import do_create_custom_field
from doum.tickets.models import Attachment, Channel, Comment, Status, Ticket, TicketEvent, Via
from tests.personas import World
from tests.portal.conftest import ClientFor
from tests.portal.helpers import PortalClient as Client
from tests.tickets.test_hostile_input import XSS


def new_ticket(world: World, user: User | None = None, subject: str = "Another one") -> Ticket:
    return tickets.do_create_ticket(
        actor=user or world.customer, via=Via.PORTAL, subject=subject, body="text"
    )


# --- submit --------------------------------------------------------------------------------


def test_customer_submits_a_request_with_files_and_fields(
    world: World, signed_in: ClientFor
) -> None:
    do_create_custom_field(
        actor=world.admin, key="order_no", label="Order number", field_type="text",
        visible_to_customers=True, editable_by_customers=True,
    )  # fmt: skip
    do_create_custom_field(actor=world.admin, key="internal_code", label="Internal code",
                           field_type="text")  # fmt: skip
    client = signed_in(world.customer)
    form = client.get("/portal/new").content.decode()
    assert 'name="cf_order_no"' in form
    assert "cf_internal_code" not in form
    files = [
        SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 data", "application/pdf"),
        SimpleUploadedFile("photo.png", b"\x89PNG data", "image/png"),
    ]
    response = client.post("/portal/new", {
        "subject": "Card declined", "description": "It says 'declined'.",
        "cf_order_no": "A-1001", "attachments": files,
    })  # fmt: skip
    ticket = Ticket.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/requests/{ticket.pk}"
    assert ticket.requester == world.customer and ticket.channel == Channel.PORTAL
    assert ticket.brand == world.brand
    assert ticket.custom_fields == {"order_no": "A-1001"}
    assert sorted(Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True)) == [
        "photo.png", "receipt.pdf",
    ]  # fmt: skip
    assert set(TicketEvent.objects.filter(ticket=ticket).values_list("via", flat=True)) == {
        Via.PORTAL
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": "", "description": "x"}, "subject"),
        ({"subject": "S" * 501, "description": "x"}, "subject"),
        ({"subject": "S", "description": ""}, "description"),
        ({"subject": "S", "description": "   "}, "description"),
        ({"subject": "S", "description": "x", "cf_plan": "platinum"}, "cf_plan"),
        ({"subject": "S", "description": "x", "cf_seats": "many"}, "cf_seats"),
    ],
)
def test_bad_submissions_show_field_errors(
    world: World, signed_in: ClientFor, data: dict[str, str], field: str
) -> None:
    do_create_custom_field(
        actor=world.admin, key="plan", label="Plan", field_type="dropdown",
        options=[{"value": "basic", "label": "Basic"}],
        visible_to_customers=True, editable_by_customers=True,
    )  # fmt: skip
    do_create_custom_field(
        actor=world.admin, key="seats", label="Seats", field_type="number",
        visible_to_customers=True, editable_by_customers=True,
    )  # fmt: skip
    before = Ticket.objects.count()
    response = signed_in(world.customer).post("/portal/new", data)
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert Ticket.objects.count() == before


def test_too_large_files_are_refused_with_a_message(
    world: World, signed_in: ClientFor, settings: pytest.FixtureRequest
) -> None:
    settings.DOUM_ATTACHMENT_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    big = SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1), "application/octet-stream")
    before = Ticket.objects.count()
    response = signed_in(world.customer).post(
        "/portal/new", {"subject": "S", "description": "d", "attachments": [big]}
    )
    assert response.status_code == 400
    assert "big.bin" in response.content.decode()
    assert 'data-testid="error-attachments"' in response.content.decode()
    assert Ticket.objects.count() == before


def test_visitor_submits_without_being_signed_in(world: World) -> None:
    client = Client()
    response = client.post("/portal/new", {
        "name": "Visitor Vee", "email": "vee@visitors.example",
        "subject": "Where is my order?", "description": "Order 7.",
    })  # fmt: skip
    assert response.status_code == 200
    assert 'data-testid="check-mail"' in response.content.decode()
    visitor = User.objects.get(email="vee@visitors.example")
    assert visitor.role == Role.CUSTOMER and visitor.name == "Visitor Vee"
    ticket = Ticket.objects.get(requester=visitor)
    assert ticket.channel == Channel.PORTAL and ticket.subject == "Where is my order?"
    assert "_auth_user_id" not in client.session
    assert client.get(f"/portal/requests/{ticket.pk}").status_code == 302  # to sign in
    assert [m.to for m in mail.outbox] == [["vee@visitors.example"]]
    assert "/portal/login/link/" in str(mail.outbox[0].body)


def test_visitor_using_a_customers_address_files_for_them_but_cannot_read(world: World) -> None:
    client = Client()
    client.post("/portal/new", {
        "name": "Mallory", "email": "KIM@acme.example",
        "subject": "Please send me Kim's invoices", "description": "thanks",
    })  # fmt: skip
    ticket = Ticket.objects.latest("pk")
    assert ticket.requester == world.customer
    world.customer.refresh_from_db()
    assert world.customer.name == "Kim Customer"
    assert "_auth_user_id" not in client.session
    assert client.get("/portal/requests").status_code == 302
    # The real owner is told by mail.
    assert mail.outbox[-1].to == ["kim@acme.example"]


def test_visitor_using_a_staff_address_files_nothing(world: World) -> None:
    before = Ticket.objects.count()
    response = Client().post("/portal/new", {
        "name": "X", "email": "agent@doum.test", "subject": "S", "description": "d",
    })  # fmt: skip
    assert response.status_code == 200
    assert Ticket.objects.count() == before
    assert "/portal/login/link/" not in str(mail.outbox[-1].body)


def test_visitors_must_give_name_and_address(world: World) -> None:
    response = Client().post("/portal/new", {"subject": "S", "description": "d",
                                             "email": "nope"})  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-name"' in html and 'data-testid="error-email"' in html


# --- my requests ---------------------------------------------------------------------------


def test_requests_show_customer_words_for_status(world: World, signed_in: ClientFor) -> None:
    pending = new_ticket(world, subject="Pending one")
    tickets.do_update_ticket(pending, actor=world.admin, via=Via.WEB,
                             changes={"assignee_id": world.agent.pk, "status": "pending"})  # fmt: skip
    html = signed_in(world.customer).get("/portal/requests").content.decode()
    row = re.search(rf'data-ticket="{pending.pk}".*?</tr>', html, re.S)
    assert row and "Awaiting your reply" in row.group(0)
    row = re.search(rf'data-ticket="{world.ticket.pk}".*?</tr>', html, re.S)
    assert row and ">Open<" in row.group(0)
    assert ">Pending<" not in html


def test_requests_list_only_ones_own_and_shared_organization_tickets(
    world: World, signed_in: ClientFor
) -> None:
    colleague_ticket = new_ticket(world, world.colleague, "Colleague's question")
    outsider_ticket = new_ticket(world, world.outsider, "Outsider's question")
    client = signed_in(world.customer)
    html = client.get("/portal/requests").content.decode()
    assert "Colleague" not in html and "Outsider" not in html
    assert 'data-testid="requests-filter"' not in html  # Acme does not share
    assert client.get(f"/portal/requests/{colleague_ticket.pk}").status_code == 404
    accounts.do_update_organization(world.acme, actor=world.admin,
                                    changes={"shared_tickets": True})  # fmt: skip
    client = signed_in(world.customer)
    mine = client.get("/portal/requests").content.decode()
    assert 'data-testid="requests-filter"' in mine and "Colleague&#x27;s question" not in mine
    org = client.get("/portal/requests?show=organization").content.decode()
    assert "Colleague&#x27;s question" in org and "Outsider" not in org
    assert client.get(f"/portal/requests/{colleague_ticket.pk}").status_code == 200
    assert client.get(f"/portal/requests/{outsider_ticket.pk}").status_code == 404


def test_requests_list_pages_with_constant_queries(world: World, signed_in: ClientFor) -> None:
    client = signed_in(world.customer)
    client.get("/portal/requests")  # warm the brand cache

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/portal/requests").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(30):
        new_ticket(world, subject=f"Question {i}")
    assert count() == few
    first = client.get("/portal/requests").content.decode()
    assert first.count("data-ticket=") == 25
    next_link = re.search(
        r'id="page-next" [^>]*href="([^"]+)"|href="([^"]+)" id="page-next"', first
    )
    assert next_link
    second = client.get(next_link.group(1) or next_link.group(2).replace("&amp;", "&"))
    assert second.content.decode().count("data-ticket=") == 6
    assert client.get("/portal/requests?cursor=garbage").status_code == 200


# --- one request ---------------------------------------------------------------------------


def test_request_page_shows_only_the_public_conversation(
    world: World, signed_in: ClientFor
) -> None:
    html = signed_in(world.customer).get(f"/portal/requests/{world.ticket.pk}").content.decode()
    assert "주문을 취소하고 싶어요." in html and "Looking into it." in html
    assert "SECRET internal" not in html
    assert "Billing" not in html  # no team, no history
    assert "field_changed" not in html


def test_other_peoples_requests_are_not_found(world: World, signed_in: ClientFor) -> None:
    assert signed_in(world.outsider).get(f"/portal/requests/{world.ticket.pk}").status_code == 404
    assert signed_in(world.colleague).get(f"/portal/requests/{world.ticket.pk}").status_code == 404
    assert signed_in(world.customer).get("/portal/requests/999999").status_code == 404
    reply = signed_in(world.outsider).post(f"/portal/requests/{world.ticket.pk}/reply",
                                           {"body": "hi"})  # fmt: skip
    assert reply.status_code == 404


def test_reply_adds_a_public_comment_and_reopens_a_solved_request(
    world: World, signed_in: ClientFor
) -> None:
    tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="solved")
    client = signed_in(world.customer)
    page = client.get(f"/portal/requests/{world.ticket.pk}").content.decode()
    assert 'data-testid="reply-reopens"' in page and 'data-testid="solve-form"' not in page
    photo = SimpleUploadedFile("again.png", b"\x89PNG", "image/png")
    response = client.post(f"/portal/requests/{world.ticket.pk}/reply",
                           {"body": "Still broken", "attachments": [photo]})  # fmt: skip
    assert response.status_code == 302
    comment = Comment.objects.latest("pk")
    assert comment.author == world.customer and comment.is_public and comment.via == Via.PORTAL
    assert comment.attachments.get().filename == "again.png"
    world.ticket.refresh_from_db()
    assert world.ticket.status == Status.OPEN
    assert response["Location"].endswith(f"#comment-{comment.pk}")


def test_empty_reply_is_refused_on_the_field(world: World, signed_in: ClientFor) -> None:
    response = signed_in(world.customer).post(f"/portal/requests/{world.ticket.pk}/reply",
                                              {"body": ""})  # fmt: skip
    assert response.status_code == 400
    assert 'data-testid="error-body"' in response.content.decode()


def test_closed_request_has_no_reply_box(world: World, signed_in: ClientFor) -> None:
    tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="solved")
    tickets.do_change_status(world.ticket, actor=world.agent, via=Via.WEB, status="closed")
    client = signed_in(world.customer)
    html = client.get(f"/portal/requests/{world.ticket.pk}").content.decode()
    assert 'data-testid="request-closed"' in html and 'id="reply-form"' not in html
    response = client.post(f"/portal/requests/{world.ticket.pk}/reply", {"body": "hello?"})
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert not Comment.objects.filter(body_text="hello?").exists()


def test_customer_marks_a_request_solved(world: World, signed_in: ClientFor) -> None:
    client = signed_in(world.customer)
    html = client.get(f"/portal/requests/{world.ticket.pk}").content.decode()
    assert 'data-testid="solve-form"' in html
    response = client.post(f"/portal/requests/{world.ticket.pk}/solve",
                           {"version": str(world.ticket.version)})  # fmt: skip
    assert response.status_code == 302
    world.ticket.refresh_from_db()
    assert world.ticket.status == Status.SOLVED and world.ticket.solved_at is not None
    event = TicketEvent.objects.filter(ticket=world.ticket, field="status").latest("id")
    assert (event.new_value, event.actor, event.via) == ("solved", world.customer, Via.PORTAL)


def test_unassigned_request_cannot_be_marked_solved(world: World, signed_in: ClientFor) -> None:
    ticket = new_ticket(world)
    client = signed_in(world.customer)
    assert (
        'data-testid="solve-form"'
        not in client.get(f"/portal/requests/{ticket.pk}").content.decode()
    )
    client.post(f"/portal/requests/{ticket.pk}/solve")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_attachments_are_served_as_downloads(world: World, signed_in: ClientFor) -> None:
    tickets.do_add_comment(
        world.ticket, actor=world.agent, via=Via.WEB, body="See the file",
        attachments=[tickets.NewAttachment("page.html", "text/html", b"<script>alert(1)</script>")],
    )  # fmt: skip
    tickets.do_add_comment(
        world.ticket, actor=world.agent, via=Via.WEB, body="note file", public=False,
        attachments=[tickets.NewAttachment("secret.svg", "image/svg+xml", b"<svg/>")],
    )  # fmt: skip
    client = signed_in(world.customer)
    html = client.get(f"/portal/requests/{world.ticket.pk}").content.decode()
    assert "secret.svg" not in html
    link = re.search(r'href="(/api/v1/attachments/\d+)" download', html)
    assert link
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"  # type: ignore[attr-defined]
    hidden = Attachment.objects.get(filename="secret.svg")
    assert client.get(f"/api/v1/attachments/{hidden.pk}").status_code == 404


@pytest.mark.parametrize("payload", XSS)
def test_hostile_input_is_escaped_everywhere(
    world: World, signed_in: ClientFor, payload: str
) -> None:
    client = signed_in(world.customer)
    client.post("/portal/new", {"subject": payload, "description": payload})
    ticket = Ticket.objects.latest("pk")
    assert ticket.subject == payload
    client.post(f"/portal/requests/{ticket.pk}/reply", {"body": payload})
    for path in ("/portal/requests", f"/portal/requests/{ticket.pk}"):
        html = client.get(path).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x onerror" not in html
        assert "<svg onload" not in html
        assert 'href="javascript:' not in html
    # A visitor's name with markup is escaped on the check-mail answer and stored as text.
    answer = Client().post("/portal/new", {"name": payload[:200], "email": "x@visitors.example",
                                           "subject": "S", "description": "d"})  # fmt: skip
    assert "<script>alert" not in answer.content.decode()


def test_staff_are_sent_to_the_workspace(world: World, signed_in: ClientFor) -> None:
    for user in (world.agent, world.admin, world.director):
        client = signed_in(user)
        for path in ("/portal/", "/portal/new", "/portal/requests",
                     f"/portal/requests/{world.ticket.pk}"):  # fmt: skip
            assert client.get(path)["Location"] == "/"
