"""The tickets API as an integration would use it: create, read, change, converse, page."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doum.accounts.actions import do_create_api_token, do_revoke_api_token
from doum.core import clock
from doum.tickets import actions
from doum.tickets.models import Comment, Ticket, TicketEvent, Via
from tests.api.conftest import ClientFor
from tests.personas import World

JSON = "application/json"


def _create(client: Client, **body: object) -> dict:
    r = client.post("/api/v1/tickets", body, content_type=JSON)
    assert r.status_code == 201, r.content
    return r.json()


def test_agent_creates_ticket_for_customer_and_events_are_written(
    world: World, client_for: ClientFor
) -> None:
    data = _create(
        client_for(world.agent),
        subject="배송 지연 / delivery late",
        body="고객이 전화로 문의함",
        requester_id=world.customer.pk,
        team_id=world.billing.pk,
        assignee_id=world.agent.pk,
        tags=["Delivery", "vip"],
        priority="high",
    )
    assert data["status"] == "open"  # assigned at creation
    assert data["requester"]["id"] == world.customer.pk
    assert data["organization"]["id"] == world.acme.pk
    assert data["tags"] == ["delivery", "vip"]
    assert data["channel"] == "api"
    assert "comments" not in data  # the conversation is read from the ticket
    detail = client_for(world.agent).get(f"/api/v1/tickets/{data['id']}").json()
    assert detail["comments"][0]["author"]["id"] == world.agent.pk
    assert detail["team"]["name"] == "Billing" and detail["tags"] == ["delivery", "vip"]
    kinds = list(
        TicketEvent.objects.filter(ticket_id=data["id"]).values_list("kind", "via", "version")
    )
    assert ("created", "api", 1) in kinds
    assert ("comment_added", "api", 1) in kinds


def test_requester_by_email_finds_or_creates_the_customer(
    world: World, client_for: ClientFor
) -> None:
    client = client_for(world.agent)
    first = _create(client, subject="a", body="b", requester_email="Kim@Acme.Example")
    assert first["requester"]["id"] == world.customer.pk
    second = _create(client, subject="a", body="b", requester_email="new.one@acme.example")
    assert second["requester"]["id"] != world.customer.pk
    assert second["organization"]["id"] == world.acme.pk  # by mail domain


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        ({"requester_id": 1}, "requester_id", "read-only"),
        ({"requester": 1}, "requester", "read-only"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at", "read-only"),
        ({"channel": "email"}, "channel", "read-only"),
        ({"colour": "red"}, "colour", "not a field"),
        ({"priority": "whenever"}, "priority", "not a valid priority"),
        ({"status": "new"}, "status", "cannot go back"),
        ({"subject": ""}, "subject", "subject"),
        ({"assignee_id": 999999}, "assignee", "active agent"),
        ({"custom_fields": {"nope": 1}}, "custom_fields.nope", "Unknown custom field"),
    ],
)
def test_bad_updates_are_rejected_with_a_clear_400(
    world: World, client_for: ClientFor, body: dict, field: str, needle: str
) -> None:
    before = Ticket.objects.get(pk=world.ticket.pk)
    r = client_for(world.agent).patch(f"/api/v1/tickets/{world.ticket.pk}", body, content_type=JSON)
    assert r.status_code == 400, r.content
    error = r.json()
    assert error["field"] == field
    assert needle in error["message"]
    after = Ticket.objects.get(pk=world.ticket.pk)
    assert (after.version, after.requester_id, after.priority) == (
        before.version,
        before.requester_id,
        before.priority,
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/users/{colleague}", {"role": "admin"}, "role"),
        ("/api/v1/users/{colleague}", {"is_staff": True}, "is_staff"),
        ("/api/v1/users/{colleague}", {"password": "x"}, "password"),
        ("/api/v1/users/{colleague}", {"email": "x@y.z"}, "email"),
    ],
)
def test_read_only_user_fields_are_rejected(
    world: World, client_for: ClientFor, path: str, body: dict, field: str
) -> None:
    url = path.format(colleague=world.colleague.pk)
    r = client_for(world.admin).patch(url, body, content_type=JSON)
    assert r.status_code == 400
    assert r.json()["field"] == field
    assert "read-only" in r.json()["message"]
    world.colleague.refresh_from_db()
    assert world.colleague.role == "customer"


def test_create_user_with_password_is_rejected(world: World, client_for: ClientFor) -> None:
    r = client_for(world.admin).post(
        "/api/v1/users", {"name": "X", "email": "x@example.org", "password": "p"}, content_type=JSON
    )
    assert r.status_code == 400
    assert r.json()["field"] == "password"


def test_stale_version_gets_409_with_what_changed(world: World, client_for: ClientFor) -> None:
    agent, lead = client_for(world.agent), client_for(world.lead)
    version = world.ticket.version
    r = lead.patch(
        f"/api/v1/tickets/{world.ticket.pk}",
        {"priority": "urgent", "version": version},
        content_type=JSON,
    )
    assert r.status_code == 200
    r = agent.patch(
        f"/api/v1/tickets/{world.ticket.pk}",
        {"priority": "low", "version": version},
        content_type=JSON,
    )
    assert r.status_code == 409
    body = r.json()
    assert body["current_version"] == version + 1
    assert [(c["field"], c["old"], c["new"]) for c in body["changes"]] == [
        ("priority", "normal", "urgent")
    ]
    assert Ticket.objects.get(pk=world.ticket.pk).priority == "urgent"
    r = agent.post(
        f"/api/v1/tickets/{world.ticket.pk}/comments",
        {"body": "late reply", "version": version},
        content_type=JSON,
    )
    assert r.status_code == 409


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "‮evil.exe‬ right-to-left override",
    "x" * 20_000,
    "줄바꿈\r\nInjected: header",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_subjects_are_stored_faithfully(
    world: World, client_for: ClientFor, text: str
) -> None:
    data = _create(client_for(world.customer), subject=text, body=text)
    ticket = Ticket.objects.get(pk=data["id"])
    expected = text.replace("\r\n", " ")
    assert ticket.subject == expected
    assert data["subject"] == expected
    comment = Comment.objects.get(ticket=ticket)
    assert comment.body_text == text.replace("\r\n", "\n") or comment.body_text == text
    assert "<script" not in comment.body_html
    assert "onerror" not in comment.body_html or "&lt;" in comment.body_html


def test_html_bodies_are_sanitised(world: World, client_for: ClientFor) -> None:
    data = _create(
        client_for(world.agent),
        subject="html",
        requester_id=world.customer.pk,
        body_is_html=True,
        body='<p onclick="x()">Hi <a href="javascript:alert(1)">link</a><script>bad()</script>'
        '<img src="https://example.org/a.png" onerror="steal()"></p>',
    )
    html = (
        client_for(world.agent)
        .get(f"/api/v1/tickets/{data['id']}")
        .json()["comments"][0]["body_html"]
    )
    for bad in ("onclick", "javascript:", "<script", "onerror", "bad()"):
        assert bad not in html
    assert "Hi" in html
    assert 'src="https://example.org/a.png"' in html


def test_nul_and_nfd_are_normalised(world: World, client_for: ClientFor) -> None:
    nfd = unicodedata.normalize("NFD", "환불 요청")
    data = _create(client_for(world.customer), subject=f"{nfd}\x00 now", body=f"본문\x00{nfd}")
    ticket = Ticket.objects.get(pk=data["id"])
    assert ticket.subject == "환불 요청 now"
    assert unicodedata.is_normalized("NFC", ticket.subject)
    assert "\x00" not in Comment.objects.get(ticket=ticket).body_text


def test_too_long_subject_is_a_400(world: World, client_for: ClientFor) -> None:
    r = client_for(world.customer).post(
        "/api/v1/tickets", {"subject": "x" * 20_001, "body": "b"}, content_type=JSON
    )
    assert r.status_code == 400
    assert r.json()["field"] == "subject"
    assert not Ticket.objects.filter(subject__startswith="xxxx").exists()


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe\x00{", b'{"subject": "a", "body": ', b"[]", b'"just a string"', b"null"],
)
def test_broken_json_is_a_400(world: World, client_for: ClientFor, raw: bytes) -> None:
    before = Ticket.objects.count()
    r = client_for(world.customer).post("/api/v1/tickets", raw, content_type=JSON)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    assert Ticket.objects.count() == before


def test_customer_never_sees_internal_notes_or_staff_fields(
    world: World, client_for: ClientFor
) -> None:
    detail = client_for(world.customer).get(f"/api/v1/tickets/{world.ticket.pk}").json()
    bodies = [c["body_text"] for c in detail["comments"]]
    assert "Looking into it." in bodies
    assert not any("SECRET" in b for b in bodies)
    assert detail["team"] is None and detail["tags"] == []
    assert detail["assignee"]["email"] is None  # agents' addresses stay inside
    listing = client_for(world.customer).get("/api/v1/tickets?q=SECRET").json()
    assert listing["items"] == []
    comments = client_for(world.customer).get(f"/api/v1/tickets/{world.ticket.pk}/comments").json()
    assert not any("SECRET" in c["body_text"] for c in comments)
    agent_view = client_for(world.agent).get(f"/api/v1/tickets/{world.ticket.pk}").json()
    assert any("SECRET" in c["body_text"] for c in agent_view["comments"])


def test_korean_and_english_search(world: World, client_for: ClientFor) -> None:
    client = client_for(world.agent)
    for q in ("환불을", "환불", "REFUND", f"#{world.ticket.pk}", "취소하고"):
        items = client.get("/api/v1/tickets", {"q": q}).json()["items"]
        assert [t["id"] for t in items] == [world.ticket.pk], q
    for q in ('"', "*", "NEAR(a b)", "a OR", "'; DROP TABLE tickets_ticket; --", "()"):
        r = client.get("/api/v1/tickets", {"q": q})
        assert r.status_code == 200, q


def test_cursor_pagination_walks_every_ticket_once(world: World, client_for: ClientFor) -> None:
    base = clock.now() - timedelta(days=1)
    for i in range(12):
        with clock.at(base + timedelta(minutes=i)):
            actions.do_create_ticket(
                actor=world.customer, via=Via.PORTAL, subject=f"t{i}", body="b"
            )
    client = client_for(world.manager)
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/tickets", params).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == Ticket.objects.count()
    r = client.get("/api/v1/tickets", {"cursor": "garbage"})
    assert r.status_code == 400 and r.json()["field"] == "cursor"


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_list_and_detail_query_counts_are_pinned(world: World, client_for: ClientFor) -> None:
    client = client_for(world.agent)
    client.get("/api/v1/tickets")  # first use of the token records last_used_at
    path = f"/api/v1/tickets?team_id={world.billing.pk}&limit=25"
    few = _queries(client, path)
    for i in range(10):
        t = actions.do_create_ticket(
            actor=world.agent, via=Via.WEB, subject=f"n{i}", body="b",
            requester_id=world.customer.pk, team_id=world.billing.pk, tags=["a", f"t{i}"],
        )  # fmt: skip
        actions.do_add_comment(t, actor=world.agent, via=Via.WEB, body="x", public=False)
    many = _queries(client, path)
    assert few == many == 3  # token+user, tickets with joins, tags
    detail = f"/api/v1/tickets/{world.ticket.pk}"
    before = _queries(client, detail)
    for i in range(5):
        actions.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body=f"c{i}")
    assert _queries(client, detail) == before


def test_revoked_and_expired_tokens_are_refused(world: World) -> None:
    issued = do_create_api_token(world.agent, actor=world.agent, name="short")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get("/api/v1/users/me").status_code == 200
    do_revoke_api_token(issued.token, actor=world.agent)
    assert client.get("/api/v1/users/me").status_code == 401
    expiring = do_create_api_token(
        world.agent, actor=world.agent, name="exp", expires_at=clock.now() + timedelta(minutes=5)
    )
    later = Client(HTTP_AUTHORIZATION=f"Bearer {expiring.secret}")
    assert later.get("/api/v1/users/me").status_code == 200
    with clock.at(clock.now() + timedelta(minutes=6)):
        assert later.get("/api/v1/users/me").status_code == 401
    assert (
        Client(HTTP_AUTHORIZATION="Bearer doum_forged").get("/api/v1/users/me").status_code == 401
    )


def test_session_auth_needs_csrf_for_writes(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.customer)
    assert client.get("/api/v1/tickets").status_code == 200
    body = {"subject": "from the browser", "body": "hi"}
    r = client.post("/api/v1/tickets", body, content_type=JSON)
    assert r.status_code == 403
    assert not Ticket.objects.filter(subject="from the browser").exists()
    client.get("/login/")  # sets the csrftoken cookie... but signed-in users are redirected
    token = client.cookies.get("csrftoken")
    if token is None:
        from django.middleware.csrf import _get_new_csrf_string

        secret = _get_new_csrf_string()
        client.cookies["csrftoken"] = secret
        token = client.cookies["csrftoken"]
    r = client.post("/api/v1/tickets", body, content_type=JSON, HTTP_X_CSRFTOKEN=token.value)
    assert r.status_code == 201


def test_rate_limit_answers_429_with_retry_after(
    world: World, client_for: ClientFor, settings: object
) -> None:
    settings.DOUM_RATE_LIMIT_TOKEN_PER_MIN = 3  # type: ignore[attr-defined]
    client = client_for(world.agent)
    codes = [client.get("/api/v1/users/me").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    r = client.get("/api/v1/users/me")
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 60
    assert r.json()["code"] == "rate_limited"
    # Another token is counted on its own.
    assert client_for(world.lead).get("/api/v1/users/me").status_code == 200


def test_anonymous_calls_are_limited_per_ip(world: World, settings: object) -> None:
    settings.DOUM_RATE_LIMIT_ANON_PER_MIN = 2  # type: ignore[attr-defined]
    client = Client(REMOTE_ADDR="10.9.8.7")
    assert [client.get("/api/v1/tickets").status_code for _ in range(2)] == [401, 401]
    assert client.get("/api/v1/tickets").status_code == 429
    assert Client(REMOTE_ADDR="10.9.8.6").get("/api/v1/tickets").status_code == 401


def test_attachments_upload_download_and_limits(
    world: World, client_for: ClientFor, settings: object
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(world.customer)
    name = '../../etc/<passwd>"\r\n.html'
    r = client.post(
        f"/api/v1/tickets/{world.ticket.pk}/comments/upload",
        {"body": "see file", "files": SimpleUploadedFile(name, b"<script>x</script>", "text/html")},
    )
    assert r.status_code == 201, r.content
    attachment = r.json()["attachments"][0]
    assert "/" not in attachment["filename"] and "<" not in attachment["filename"]
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"<script>x</script>"
    assert client_for(world.outsider).get(attachment["url"]).status_code == 404

    settings.DOUM_ATTACHMENT_MAX_BYTES = 10  # type: ignore[attr-defined]
    comments_before = Comment.objects.count()
    r = client.post(
        f"/api/v1/tickets/{world.ticket.pk}/comments/upload",
        {"body": "big", "files": SimpleUploadedFile("big.bin", b"x" * 11)},
    )
    assert r.status_code == 400 and r.json()["field"] in ("files", "attachments")
    assert Comment.objects.count() == comments_before


def test_internal_note_attachment_is_hidden_from_customer(
    world: World, client_for: ClientFor
) -> None:
    comment = actions.do_add_comment(
        world.ticket, actor=world.agent, via=Via.WEB, body="internal scan", public=False,
        attachments=[actions.NewAttachment("scan.pdf", "application/pdf", b"%PDF")],
    )  # fmt: skip
    attachment_id = comment.attachments.get().pk
    assert client_for(world.customer).get(f"/api/v1/attachments/{attachment_id}").status_code == 404
    assert client_for(world.agent).get(f"/api/v1/attachments/{attachment_id}").status_code == 200


def test_openapi_document_is_served(world: World) -> None:
    client = Client()
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/tickets" in doc["paths"]
    assert client.get("/api/docs").status_code == 302
    assert client.get("/api/v1/docs").status_code == 200


def test_merge_and_problem_link_through_the_api(world: World, client_for: ClientFor) -> None:
    client = client_for(world.agent)
    other = _create(client, subject="dup", body="same issue", requester_id=world.colleague.pk,
                    team_id=world.billing.pk)  # fmt: skip
    r = client.post(
        f"/api/v1/tickets/{other['id']}/merge", {"target_id": world.ticket.pk}, content_type=JSON
    )
    assert r.status_code == 200
    merged = Ticket.objects.get(pk=other["id"])
    assert merged.status == "closed" and merged.merged_into_id == world.ticket.pk
    assert world.colleague.pk in [f["id"] for f in r.json()["followers"]]
    problem = _create(client, subject="outage", body="x", requester_id=world.customer.pk,
                      type="problem", team_id=world.billing.pk)  # fmt: skip
    r = client.put(
        f"/api/v1/tickets/{world.ticket.pk}/problem",
        {"problem_id": problem["id"]},
        content_type=JSON,
    )
    assert r.status_code == 200 and r.json()["problem_id"] == problem["id"]
    r = client.put(
        f"/api/v1/tickets/{problem['id']}/problem",
        {"problem_id": world.ticket.pk},
        content_type=JSON,
    )
    assert r.status_code == 400


def test_create_query_count_is_pinned(world: World, client_for: ClientFor) -> None:
    client = client_for(world.agent)
    body = {
        "subject": "q",
        "body": "b",
        "requester_id": world.customer.pk,
        "team_id": world.billing.pk,
    }
    client.post("/api/v1/tickets", body, content_type=JSON)  # warm the token and brand caches
    with CaptureQueriesContext(connection) as first:
        assert client.post("/api/v1/tickets", body, content_type=JSON).status_code == 201
    for i in range(5):
        actions.do_create_ticket(
            actor=world.agent, via=Via.WEB, subject=f"x{i}", body="y" * 5000,
            requester_id=world.customer.pk, team_id=world.billing.pk,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as later:
        assert client.post("/api/v1/tickets", body, content_type=JSON).status_code == 201
    # token+user, requester, team, ticket, comment, search entries, events (transaction
    # statements aside)
    writes_and_reads = [
        q["sql"]
        for q in first.captured_queries
        if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]
    assert len(writes_and_reads) == 7, writes_and_reads
    assert len(later.captured_queries) == len(first.captured_queries)
