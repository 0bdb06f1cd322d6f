"""The new-ticket page: a ticket on a customer's behalf, a logged phone call, field errors."""

from __future__ import annotations

from typing import Any

from django.test import Client

from doum.accounts.models import User
from doum.tickets.models import Comment, EventKind, Ticket, TicketEvent
from tests.personas import World


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, **fields: str) -> Any:
    data = {"subject": "Card declined", "body": "It fails at checkout.", **fields}
    return client.post("/tickets/new", data)


def test_form_prefills_the_requester_from_the_customer_page(world: World) -> None:
    page = client_of(world.agent).get(f"/tickets/new?requester={world.customer.pk}").text
    assert f'value="{world.customer.pk}"' in page and "Requester: Kim Customer" in page
    phone = client_of(world.agent).get("/tickets/new?channel=phone").text
    assert (
        'value="phone" selected' in phone
        and 'value="internal" id="id_visibility_internal" checked' in phone
    )


def test_only_ticket_editing_staff_may_open_the_page(world: World) -> None:
    assert client_of(world.qa).get("/tickets/new").status_code == 403
    assert client_of(world.director).post("/tickets/new", {}).status_code == 403
    assert client_of(world.customer).get("/tickets/new")["Location"] == "/portal/"


def test_existing_customer_by_email(world: World) -> None:
    response = post(
        client_of(world.agent), requester="KIM@acme.example", priority="high",
        team=str(world.billing.pk), tags="vip, refund",
    )  # fmt: skip
    assert response.status_code == 302
    ticket = Ticket.objects.latest("pk")
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.requester == world.customer and ticket.submitter == world.agent
    assert ticket.priority == "high" and ticket.team == world.billing
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert ticket.channel == "web"


def test_phone_call_writes_channel_metadata_notes_and_events(world: World) -> None:
    response = post(
        client_of(world.agent), requester=str(world.customer.pk), channel="phone",
        body="", call_duration="3:05", call_direction="inbound",
        call_notes="Customer called: card declined twice.", visibility="internal",
        assignee=str(world.agent.pk),
    )  # fmt: skip
    assert response.status_code == 302
    ticket = Ticket.objects.latest("pk")
    assert ticket.channel == "phone" and ticket.assignee == world.agent
    comment = Comment.objects.get(ticket=ticket)
    assert comment.metadata == {"call": {"duration_seconds": 185, "direction": "inbound"}}
    assert comment.body_text == "Customer called: card declined twice."
    assert comment.is_public is False and comment.via == "phone"
    events = TicketEvent.objects.filter(ticket=ticket)
    assert {e.kind for e in events} >= {EventKind.CREATED, EventKind.COMMENT_ADDED}
    assert all(e.via == "phone" and e.actor == world.agent for e in events)
    created = events.get(kind=EventKind.CREATED)
    assert created.data["channel"] == "phone" and created.data["requester"] == world.customer.pk


def test_new_customer_is_created_with_the_ticket(world: World) -> None:
    response = post(
        client_of(world.agent), new_name="Nari New", new_email="nari@new.example",
        new_phone="010 9999 0000",
    )  # fmt: skip
    assert response.status_code == 302
    nari = User.objects.get(email="nari@new.example")
    assert nari.name == "Nari New" and nari.role == "customer"
    assert nari.identities.filter(kind="phone", value="01099990000").exists()
    assert Ticket.objects.latest("pk").requester == nari


def test_a_failed_ticket_leaves_no_new_customer_behind(world: World) -> None:
    response = post(
        client_of(world.agent), new_name="Ghost", new_email="ghost@new.example",
        assignee=str(world.customer.pk),
    )  # fmt: skip
    assert response.status_code == 400
    assert "The assignee must be an active agent." in response.text
    assert not User.objects.filter(email="ghost@new.example").exists()


def test_bad_input_gives_field_errors_and_writes_nothing(world: World) -> None:
    before = Ticket.objects.count()
    client = client_of(world.agent)
    cases = {
        "id_call_duration_error": dict(requester=str(world.customer.pk), channel="phone",
                                        call_duration="three minutes"),
        "id_new_email_error": dict(new_name="X", new_email="not-an-address"),
        "id_requester_error": dict(requester="nobody@nowhere.example"),
        "id_subject_error": dict(requester=str(world.customer.pk), subject=""),
        "id_body_error": dict(requester=str(world.customer.pk), body="   "),
        "id_channel_error": dict(requester=str(world.customer.pk), channel="pigeon"),
        "id_team_error": dict(requester=str(world.customer.pk), team="abc"),
        "id_priority_error": dict(requester=str(world.customer.pk), priority="extreme"),
        "id_due_at_error": dict(requester=str(world.customer.pk), type="task"),
    }  # fmt: skip
    for error_id, fields in cases.items():
        response = post(client, **fields)
        assert response.status_code == 400, error_id
        assert f'id="{error_id}"' in response.text, error_id
    too_long = post(
        client, requester=str(world.customer.pk), channel="phone", call_duration="99:00:00"
    )
    assert too_long.status_code == 400 and "at most 24 hours" in too_long.text
    not_phone = post(client, requester=str(world.customer.pk), call_duration="1:00")
    assert "phone channel" in not_phone.text
    assert Ticket.objects.count() == before


def test_hostile_input_is_escaped_on_the_error_page(world: World) -> None:
    response = post(
        client_of(world.agent), requester='"><script>alert(1)</script>',
        subject="<script>alert(2)</script>",
    )  # fmt: skip
    assert response.status_code == 400
    assert "<script>alert" not in response.text and "&lt;script&gt;" in response.text


def test_missing_csrf_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent)
    assert client.post("/tickets/new", {"subject": "x"}).status_code == 403


def test_attachments_go_on_the_first_message(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from doum.tickets.models import Attachment

    response = client_of(world.agent).post(
        "/tickets/new",
        {
            "subject": "Receipt attached", "body": "See the scan.", "requester": str(world.customer.pk),
            "attachments": [
                SimpleUploadedFile("영수증.png", b"\x89PNG\r\n\x1a\n0000", "image/png"),
                SimpleUploadedFile("notes.txt", b"call notes", "text/plain"),
            ],
        },
    )  # fmt: skip
    assert response.status_code == 302
    ticket = Ticket.objects.latest("pk")
    files = list(Attachment.objects.filter(ticket=ticket).order_by("filename"))
    assert [f.filename for f in files] == ["notes.txt", "영수증.png"]
    assert {f.comment_id for f in files} == {ticket.comments.get().pk}


def test_a_too_large_attachment_is_refused_and_nothing_is_written(
    world: World, settings: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DOUM_ATTACHMENT_MAX_BYTES = 10
    before = Ticket.objects.count()
    response = client_of(world.agent).post(
        "/tickets/new",
        {
            "subject": "Too big", "body": "x", "requester": str(world.customer.pk),
            "attachments": [SimpleUploadedFile("big.bin", b"0" * 11, "application/octet-stream")],
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "big.bin" in response.text and 'id="id_attachments_error"' in response.text
    assert Ticket.objects.count() == before
