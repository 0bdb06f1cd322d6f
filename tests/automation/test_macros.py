"""Macros: an agent applies one from the ticket page or the API; its effects are one version,
its reply text (placeholders filled in) the agent's reply or note, every event names the
macro; usage counts; personal macros are their owner's alone."""

from __future__ import annotations

from django.test import Client

from doum.accounts.actions import do_create_api_token
from doum.accounts.models import User
from doum.automation import actions
from doum.automation.models import Macro
from doum.tickets.models import Comment, EventKind, Status, TicketEvent, Via
from tests.personas import World


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_client(user: User) -> Client:
    secret = do_create_api_token(user, actor=user, name="test").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def waiting_macro(world: World) -> Macro:
    return actions.do_create_macro(
        actor=world.manager, shared=True, name="Ask for the order number",
        reply_body=(
            "Hello {{requester.first_name}},\n\nCould you send the order number for "
            "#{{ticket.id}} ({{ticket.subject}})? It is {{ticket.status}} until then.\n\n"
            "{{current_user.name}} <script>alert(1)</script>"
        ),
        effects=[{"type": "set", "field": "status", "value": "pending"},
                 {"type": "add_tags", "tags": ["needs_order_no"]},
                 {"type": "note", "body": "Asked {{requester.email}} for the order number."}],
    )  # fmt: skip


def test_applying_a_macro_on_the_ticket_page(world: World) -> None:
    macro = waiting_macro(world)
    mine = actions.do_create_macro(actor=world.agent, name="My thanks", reply_body="Thanks!")
    client = client_for(world.agent)
    page = client.get(f"/tickets/{world.ticket.pk}/").text
    assert 'id="macro-form"' in page
    assert page.index("My thanks") < page.index("Ask for the order number")  # own ones first
    before = world.ticket.version
    response = client.post(
        f"/automation/tickets/{world.ticket.pk}/macro/", {"macro": macro.pk, "version": before}
    )
    assert response.status_code == 302
    world.ticket.refresh_from_db()
    assert world.ticket.status == Status.PENDING
    assert set(world.ticket.tags.values_list("name", flat=True)) == {"needs_order_no"}
    reply = Comment.objects.filter(ticket=world.ticket, is_public=True).latest("id")
    assert response["Location"].endswith(f"/tickets/{world.ticket.pk}/#comment-{reply.pk}")
    assert reply.author == world.agent and reply.via == Via.WEB
    assert reply.body_text == (
        f"Hello Kim,\n\nCould you send the order number for #{world.ticket.pk} "
        f"(환불 요청 — refund please)? It is Pending until then.\n\n"
        "Ari Agent <script>alert(1)</script>"
    )
    assert "<script>" not in reply.body_html and "&lt;script&gt;" in reply.body_html
    note = Comment.objects.filter(ticket=world.ticket, is_public=False).latest("id")
    assert note.author == world.agent
    assert note.body_text == "Asked kim@acme.example for the order number."
    events = TicketEvent.objects.filter(ticket=world.ticket, version__gt=before)
    assert {e.data["rule"]["kind"] for e in events} == {"macro"}
    assert {e.via for e in events} == {Via.WEB} and {e.actor_id for e in events} == {world.agent.pk}
    # Fields and tags in one version; then the note; then the reply.
    assert world.ticket.version == before + 3
    macro.refresh_from_db()
    mine.refresh_from_db()
    assert (macro.usage_count, mine.usage_count) == (1, 0)


def test_a_stale_page_applies_nothing(world: World) -> None:
    macro = waiting_macro(world)
    client = client_for(world.agent)
    stale = world.ticket.version - 1
    response = client.post(
        f"/automation/tickets/{world.ticket.pk}/macro/", {"macro": macro.pk, "version": stale},
        follow=True,
    )  # fmt: skip
    assert "This ticket changed since you opened it" in response.text
    world.ticket.refresh_from_db()
    assert world.ticket.status == Status.OPEN
    macro.refresh_from_db()
    assert macro.usage_count == 0


def test_applying_a_macro_through_the_api(world: World) -> None:
    macro = actions.do_create_macro(
        actor=world.agent, name="Solve politely",
        reply_body="Glad we could help, {{requester.first_name}}.",
        effects=[{"type": "set", "field": "status", "value": "solved"},
                 {"type": "raise_priority"}],
    )  # fmt: skip
    api = token_client(world.agent)
    listed = api.get("/api/v1/macros").json()
    assert [m["name"] for m in listed] == ["Solve politely"]
    url = f"/api/v1/tickets/{world.ticket.pk}/macros/{macro.pk}/apply"
    stale = api.post(url, {"version": 1}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    answer = api.post(url, {"version": world.ticket.version}, content_type="application/json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["status"] == "solved" and body["priority"] == "high"
    assert body["changed"] == ["status", "priority", "reply"]
    comment = Comment.objects.get(pk=body["comment_id"])
    assert comment.body_text == "Glad we could help, Kim." and comment.via == Via.API
    # Someone else's personal macro does not exist for you; nor does an inactive one.
    lead = token_client(world.lead)
    assert lead.post(url, {}, content_type="application/json").status_code == 404
    assert lead.get("/api/v1/macros").json() == []
    actions.do_set_macro_active(macro, actor=world.agent, active=False)
    assert api.post(url, {}, content_type="application/json").status_code == 404
    bad = api.post(url, {"version": "x", "extra": 1}, content_type="application/json")
    assert bad.status_code == 400


def test_a_refused_effect_applies_nothing(world: World) -> None:
    macro = actions.do_create_macro(
        actor=world.agent, name="Close", reply_body="Bye",
        effects=[{"type": "add_tags", "tags": ["bye"]},
                 {"type": "set", "field": "status", "value": "closed"}],  # open -> closed: refused
    )  # fmt: skip
    api = token_client(world.agent)
    before = world.ticket.version
    answer = api.post(
        f"/api/v1/tickets/{world.ticket.pk}/macros/{macro.pk}/apply", {},
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["message"] == "Only solved tickets can be closed."
    world.ticket.refresh_from_db()
    assert world.ticket.version == before
    assert not TicketEvent.objects.filter(ticket=world.ticket, kind=EventKind.TAG_ADDED).exists()
    macro.refresh_from_db()
    assert macro.usage_count == 0


def test_personal_macros_page(world: World) -> None:
    client = client_for(world.agent)
    response = client.post(
        "/automation/macros/new/",
        {"name": "<b>Mine</b>", "reply_body": "Hi {{requester.first_name}}", "reply_public": "0",
         "is_active": "on", "effects": ""},
    )  # fmt: skip
    assert response.status_code == 302
    macro = Macro.objects.get(owner=world.agent)
    assert macro.name == "<b>Mine</b>" and not macro.reply_public
    listing = client.get("/automation/macros/").text
    assert "&lt;b&gt;Mine&lt;/b&gt;" in listing and "<b>Mine</b>" not in listing
    assert client_for(world.lead).get(f"/automation/macros/{macro.pk}/").status_code == 404
    bad = client.post(
        f"/automation/macros/{macro.pk}/",
        {"name": "Mine", "reply_body": "Hi {{ 7*7 }}", "reply_public": "1", "effects": ""},
    )
    assert bad.status_code == 400
    assert "Unknown placeholder “{{ 7*7 }}”" in bad.text
    macro.refresh_from_db()
    assert macro.reply_body == "Hi {{requester.first_name}}"
    # A personal macro may not send mail or call webhooks.
    bad = client.post(
        f"/automation/macros/{macro.pk}/",
        {"name": "Mine", "reply_body": "", "reply_public": "1",
         "effects": '[{"type": "webhook", "webhook_id": 1}]'},
    )  # fmt: skip
    assert bad.status_code == 400 and "Effect 1 (webhook): unknown effect type" in bad.text
    assert client.post(f"/automation/macros/{macro.pk}/delete/").status_code == 302
    assert not Macro.objects.filter(pk=macro.pk).exists()
