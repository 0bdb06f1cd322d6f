"""The webhook settings pages (/settings/webhooks/…): what they show, what they write through
the actions, and how hostile input is answered (a sentence next to the field, nothing
saved). Who may open each page is in tests/api/pages_webhooks.py (the permission matrix)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.utils import timezone

from doum.accounts.models import AuditLog
from doum.webhooks import actions
from doum.webhooks.models import AllowedHost, DeliveryStatus, Webhook, WebhookDelivery
from tests.pages import PARTIAL, text
from tests.pages import signed_in as client_for
from tests.personas import World
from tests.webhooks.conftest import Answer, Receiver, make_webhook

GOOD = {"name": "Warehouse", "url": "https://hooks.example.com/doum", "events": ["ticket.created"]}


def test_admins_find_webhooks_in_settings(world: World) -> None:
    page = text(client_for(world.admin).get("/settings/"))
    assert "/settings/webhooks/" in page
    assert "/settings/webhooks/" not in text(client_for(world.manager).get("/settings/"))


def test_creating_a_webhook_shows_its_secret_once(world: World) -> None:
    client = client_for(world.admin)
    assert client.get("/settings/webhooks/new/").status_code == 200
    response = client.post("/settings/webhooks/new/", {**GOOD, "include_internal": "on"})
    assert response.status_code == 200
    webhook = Webhook.objects.get()
    assert webhook.secret in text(response)
    assert response["Cache-Control"] == "no-store"
    assert webhook.include_internal and webhook.events == ["ticket.created"]
    assert webhook.created_by == world.admin
    # The secret is in no page one can GET, and in no audit row.
    assert webhook.secret not in text(client.get(f"/settings/webhooks/{webhook.pk}/"))
    assert webhook.secret not in text(client.get("/settings/webhooks/"))
    audit = AuditLog.objects.get(action="webhook.created")
    assert audit.data["url"] == GOOD["url"] and webhook.secret not in str(audit.data)


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"url": "javascript:alert(1)"}, "url", "must start with https://"),
        ({"url": "https://admin:hunter2@hooks.example.com/"}, "url", "user name and password"),
        ({"url": "https://127.0.0.1:8000/"}, "url", "not a public address (loopback)"),
        ({"url": "https://169.254.169.254/latest/"}, "url", "never sends webhooks there"),
        ({"url": "http://hooks.example.com/"}, "url", "Use https://"),
        ({"url": "https://hooks.example.com/a\x00b"}, "url", "Null characters are not allowed"),
        ({"url": "https://hooks.example.com/a\x07b"}, "url", "control characters"),
        ({"url": ""}, "url", "This field is required"),
        ({"events": []}, "events", "This field is required"),
        ({"events": ["ticket.created", "ping"]}, "events", "Select a valid choice"),
        ({"events": ["../../etc"]}, "events", "Select a valid choice"),
        ({"name": "   "}, "name", "This field is required"),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"name": "\u200b\u200b"}, "name", "may not be blank"),
    ],
)
def test_hostile_input_is_answered_next_to_its_field_and_nothing_is_saved(
    world: World, form: dict[str, Any], field: str, says: str
) -> None:
    response = client_for(world.admin).post("/settings/webhooks/new/", {**GOOD, **form})
    assert response.status_code == 400
    page = html.unescape(text(response))
    assert says in page, page[:3000]
    assert f'data-field="{field}"' in page
    assert (
        not Webhook.objects.exists()
        and not AuditLog.objects.filter(action__startswith="webhook").exists()
    )


def test_editing_validates_and_saves_with_an_audit_row(world: World) -> None:
    webhook = actions.do_create_webhook(actor=world.admin, **GOOD)
    client = client_for(world.admin)
    url = f"/settings/webhooks/{webhook.pk}/"
    bad = client.post(url, {**GOOD, "url": "https://10.0.0.5/"})
    assert bad.status_code == 400 and "(private network)" in html.unescape(text(bad))
    good = client.post(url, {**GOOD, "name": "Renamed", "events": ["ticket.solved", "trigger"]})
    assert good.status_code == 302 and good["Location"] == url
    webhook.refresh_from_db()
    assert webhook.name == "Renamed" and webhook.events == ["ticket.solved", "trigger"]
    audit = AuditLog.objects.get(action="webhook.updated")
    assert audit.data["changed"] == ["events", "name"]
    assert client.post(f"{url}deactivate/").status_code == 302
    webhook.refresh_from_db()
    assert not webhook.is_active
    assert client.post(f"{url}reactivate/").status_code == 302
    assert Webhook.objects.get().is_active
    assert client.get(f"{url}deactivate/").status_code == 405


def test_reveal_and_rotate_are_posts_and_audited(world: World) -> None:
    webhook = actions.do_create_webhook(actor=world.admin, **GOOD)
    client = client_for(world.admin)
    revealed = client.post(f"/settings/webhooks/{webhook.pk}/secret/")
    assert webhook.secret in text(revealed) and revealed["Cache-Control"] == "no-store"
    rotated = client.post(f"/settings/webhooks/{webhook.pk}/rotate-secret/")
    webhook.refresh_from_db()
    assert webhook.secret in text(rotated) and webhook.secret_rotated_at is not None
    assert [a.action for a in AuditLog.objects.filter(action__startswith="webhook.secret")] == [
        "webhook.secret_revealed", "webhook.secret_rotated",
    ]  # fmt: skip
    assert (
        client_for(world.manager).post(f"/settings/webhooks/{webhook.pk}/secret/").status_code
        == 403
    )


def test_a_test_ping_is_sent_at_once_and_its_result_shown(
    world: World, receiver: Receiver, settings: Any
) -> None:
    webhook = make_webhook(world, receiver)
    client = client_for(world.admin)
    response = client.post(f"/settings/webhooks/{webhook.pk}/ping/", follow=True)
    assert response.status_code == 200
    assert "The ping was delivered: the receiver answered 200." in text(response)
    [ping] = receiver.received
    assert ping.event == "ping" and ping.signature_ok
    assert ping.json["data"]["webhook"] == {"id": webhook.pk, "name": "Receiver"}

    receiver.answer(Answer(500, body=b"<script>alert(1)</script>"))
    failed = client.post(f"/settings/webhooks/{webhook.pk}/ping/", follow=True)
    page = text(failed)
    assert "The ping was not delivered: The receiver answered with an error" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    row = WebhookDelivery.objects.order_by("-id").first()
    assert row is not None and row.status == DeliveryStatus.DEAD  # a ping is tried once
    # ...and a ping that failed is not a dead letter.
    assert "No dead letters" in text(client.get("/settings/webhooks/dead/"))

    settings.DOUM_WEBHOOK_ALLOWED_HOSTS = []  # the host is no longer allowed
    refused = text(client.post(f"/settings/webhooks/{webhook.pk}/ping/", follow=True))
    assert "Refused: the address is not allowed" in refused
    assert len(receiver.received) == 2


def test_the_delivery_log_pages_newest_first_and_filters(world: World) -> None:
    webhook = actions.do_create_webhook(actor=world.admin, **{**GOOD, "events": ["trigger"]})
    ids = [
        actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={"n": n})
        for n in range(55)
    ]
    WebhookDelivery.objects.filter(pk=ids[3]).update(status=DeliveryStatus.DEAD)
    client = client_for(world.admin)
    url = f"/settings/webhooks/{webhook.pk}/deliveries/"
    first = client.get(url)
    rows = first.context["page"].rows
    assert [r.pk for r in rows] == list(reversed(ids))[:50]
    cursor = first.context["page"].next_cursor
    assert cursor and 'rel="next"' in text(first)
    second = client.get(url, {"cursor": cursor}, headers=PARTIAL)
    assert [r.pk for r in second.context["page"].rows] == list(reversed(ids))[50:]
    assert text(second).startswith('<div id="delivery-list">')
    dead = client.get(url, {"status": "dead"})
    assert [r.pk for r in dead.context["page"].rows] == [ids[3]]
    for hostile in ({"cursor": "'; DROP TABLE x;--"}, {"cursor": "9" * 40 + ".1"},
                    {"status": "<script>"}, {"cursor": "-1.-1"}):  # fmt: skip
        response = client.get(url, hostile)
        assert response.status_code == 200 and len(response.context["page"].rows) == 50
    assert client.get("/settings/webhooks/99999/deliveries/").status_code == 404


def test_dead_letters_are_listed_and_replayed_from_the_page(
    world: World, receiver: Receiver
) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    pk = actions.queue_webhook(webhook.pk, ticket_id=world.ticket.pk, event="trigger", payload={})
    WebhookDelivery.objects.filter(pk=pk).update(
        status=DeliveryStatus.DEAD, attempts=8, error_kind="timeout", error="no answer in 10 s"
    )
    client = client_for(world.admin)
    listed = client.get("/settings/webhooks/dead/")
    assert [r.pk for r in listed.context["page"].rows] == [pk]
    assert "No answer in time" in text(listed)
    assert "1 delivery gave up." in text(client.get("/settings/webhooks/"))
    detail = text(client.get(f"/settings/webhooks/deliveries/{pk}/"))
    assert "no answer in 10 s" in detail and 'id="delivery-replay"' in detail

    response = client.post(f"/settings/webhooks/deliveries/{pk}/replay/", {"back": "dead"})
    assert response.status_code == 302 and response["Location"] == "/settings/webhooks/dead/"
    row = WebhookDelivery.objects.get(pk=pk)
    assert row.status == DeliveryStatus.QUEUED and row.attempts == 0 and row.replays == 1
    assert AuditLog.objects.filter(action="webhook.delivery_replayed").count() == 1
    again = client.post(f"/settings/webhooks/deliveries/{pk}/replay/", follow=True)
    assert "can be replayed" in html.unescape(text(again))
    assert AuditLog.objects.filter(action="webhook.delivery_replayed").count() == 1
    assert client.post("/settings/webhooks/deliveries/99999/replay/").status_code == 404


def test_allowed_hosts_are_added_and_removed_on_their_page(world: World, settings: Any) -> None:
    settings.DOUM_WEBHOOK_ALLOWED_HOSTS = ["from-setting.test"]
    client = client_for(world.admin)
    url = "/settings/webhooks/allowed-hosts/"
    assert "from-setting.test" in text(client.get(url))
    for host, says in [
        ("169.254.169.254", "never sends webhooks there"),
        ("evil host<script>", "is not a valid host name"),
        ("", "This field is required"),
        ("from-setting.test", "already allowed by the DOUM_WEBHOOK_ALLOWED_HOSTS setting"),
    ]:
        response = client.post(url, {"host": host})
        assert response.status_code == 400 and says in html.unescape(text(response)), host
        assert "<script>" not in text(response)
    assert not AllowedHost.objects.exists()
    assert client.post(url, {"host": "Hooks.Internal.Test", "note": "ERP"}).status_code == 302
    row = AllowedHost.objects.get()
    assert row.host == "hooks.internal.test" and row.note == "ERP"
    assert "hooks.internal.test" in text(client.get(url))
    # Now a webhook may point there over plain http.
    webhook = actions.do_create_webhook(
        actor=world.admin, name="ERP", url="http://hooks.internal.test:8080/in", events=["trigger"]
    )
    assert webhook.pk
    assert client.post(f"{url}{row.pk}/remove/").status_code == 302
    assert not AllowedHost.objects.exists()


def test_names_and_answers_from_outside_are_shown_escaped(world: World) -> None:
    webhook = actions.do_create_webhook(
        actor=world.admin, name="<img src=x onerror=alert(1)>", url=GOOD["url"], events=["trigger"]
    )
    pk = actions.queue_webhook(
        webhook.pk, ticket_id=None, event="trigger", payload={"x": "</pre><b>"}
    )
    WebhookDelivery.objects.filter(pk=pk).update(
        status=DeliveryStatus.FAILED, response_excerpt="<iframe src=evil>", response_status=500,
        error_kind="http_status", error="HTTP 500", next_attempt_at=timezone.now(),
    )  # fmt: skip
    client = client_for(world.admin)
    for url in ("/settings/webhooks/", f"/settings/webhooks/{webhook.pk}/",
                f"/settings/webhooks/{webhook.pk}/deliveries/",
                f"/settings/webhooks/deliveries/{pk}/"):  # fmt: skip
        page = text(client.get(url))
        assert "<img src=x" not in page and "<iframe" not in page and "</pre><b>" not in page
