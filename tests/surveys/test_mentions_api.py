"""POST /api/v1/social/mentions: the authenticated webhook of social listening tools."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from doum.accounts.actions import do_create_api_token
from doum.accounts.models import User
from doum.surveys.models import SocialMention
from tests.personas import World

URL = "/api/v1/social/mentions"
POST = {
    "channel": "twitter",
    "author_handle": "@KimMinji",
    "text": "배송이 너무 늦어요 @acme_help",
    "url": "https://x.com/kimminji/status/42",
    "posted_at": "2026-11-20T10:00:00+09:00",
}


def client_for(user: User) -> Client:
    secret = do_create_api_token(user, actor=user, name="listening").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def send(client: Client, body: Any) -> tuple[int, dict[str, Any]]:
    response = client.post(URL, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_authentication_and_roles(world: World) -> None:
    assert send(Client(), POST)[0] == 401
    assert (
        Client(HTTP_AUTHORIZATION="Bearer doum_wrong")
        .post(URL, json.dumps(POST), content_type="application/json")
        .status_code
        == 401
    )
    assert send(client_for(world.customer), POST)[0] == 404
    for user in (world.agent, world.lead, world.qa, world.director):
        status, body = send(client_for(user), POST)
        assert (status, body["code"]) == (403, "forbidden")
    assert not SocialMention.objects.exists()
    status, body = send(client_for(world.manager), POST)
    assert status == 200 and body["created"] == 1
    assert send(client_for(world.admin), {**POST, "url": ""})[1]["created"] == 1


def test_one_mention_is_recorded_and_analysed_once(world: World) -> None:
    client = client_for(world.manager)
    status, body = send(client, POST)
    assert status == 200
    assert (body["created"], body["existing"]) == (1, 0)
    first_id = body["mentions"][0]["id"]
    saved = SocialMention.objects.get(pk=first_id)
    assert (saved.channel, saved.author_handle, saved.source) == ("twitter", "kimminji", "webhook")
    assert saved.text == POST["text"] and saved.sentiment != ""
    # Sent again (a retrying tool): the same id, nothing new.
    status, body = send(client, POST)
    assert status == 200
    assert body == {
        "created": 0,
        "existing": 1,
        "mentions": [{"id": first_id, "created": False, "ticket_id": None}],
    }
    assert SocialMention.objects.count() == 1


def test_batches_in_both_shapes(world: World) -> None:
    client = client_for(world.manager)
    second = {**POST, "url": "", "author_handle": "lee", "channel": "x"}
    status, body = send(client, {"mentions": [POST, second, second]})
    assert status == 200
    assert (body["created"], body["existing"]) == (2, 1)
    ids = [m["id"] for m in body["mentions"]]
    assert ids[1] == ids[2]  # the same post twice in one batch is one mention
    status, body = send(client, [POST, second])
    assert status == 200 and [m["id"] for m in body["mentions"]] == ids[:2]
    assert SocialMention.objects.get(pk=ids[1]).channel == "twitter"


def test_hostile_input_is_refused_and_a_batch_is_all_or_nothing(world: World) -> None:
    client = client_for(world.manager)
    cases: list[tuple[dict[str, Any], str]] = [
        ({**POST, "text": 12345}, "text"),
        ({**POST, "text": ["a"]}, "text"),
        ({**POST, "posted_at": "yesterday"}, "posted_at"),
        ({**POST, "text": "x" * 10_001}, "text"),
        ({**POST, "url": "javascript:alert(document.cookie)"}, "url"),
        ({**POST, "url": "data:text/html,<script>1</script>"}, "url"),
        ({**POST, "url": "https://ok.example/\r\nSet-Cookie: a=b"}, "url"),
        ({**POST, "channel": "myspace"}, "channel"),
        ({**POST, "author_handle": "two words"}, "author_handle"),
        ({**POST, "text": "   "}, "text"),
        ({**POST, "posted_at": "2999-01-01T00:00:00Z"}, "posted_at"),
        ({**POST, "posted_at": "2026-11-20T10:00:00"}, "posted_at"),
        ({**POST, "ticket_id": 1}, "ticket_id"),
        ({k: v for k, v in POST.items() if k != "text"}, "text"),
    ]
    for body, field in cases:
        status, answer = send(client, body)
        assert status == 400, (body, answer)
        assert answer["field"].endswith(field), (field, answer)
    status, answer = send(client, {"mentions": [POST, {**POST, "url": "ftp://x.example/1"}]})
    assert status == 400 and answer["field"] == "mentions.1.url"
    status, answer = send(client, {"mentions": [POST] * 101})
    assert status == 400
    status, answer = send(client, {"mentions": []})
    assert status == 400
    response = client.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert not SocialMention.objects.exists()


def test_html_in_text_is_stored_as_text(world: World) -> None:
    client = client_for(world.admin)
    text = "<img src=x onerror=alert(1)> 최악"
    status, body = send(client, {**POST, "text": text})
    assert status == 200
    assert SocialMention.objects.get(pk=body["mentions"][0]["id"]).text == text
