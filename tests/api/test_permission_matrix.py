"""Every API operation and every page × every role × method, against an expected status table.

The operations are read from the live OpenAPI document and the pages from the URL resolver,
so a new endpoint or page without an entry here fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from doum.accounts.actions import do_create_api_token
from doum.accounts.models import ApiToken, User
from doum.api.api import api
from doum.tickets import actions
from doum.tickets.field_definitions import do_create_custom_field
from doum.tickets.models import Attachment, Via
from tests.api import (
    pages_accounts,
    pages_alerts,
    pages_automation,
    pages_core,
    pages_feedback_import,
    pages_mail,
    pages_metrics,
    pages_portal,
    pages_reports,
    pages_routing,
    pages_settings,
    pages_sla,
    pages_survey_public,
    pages_surveys,
    pages_tickets,
    pages_tickets_list,
    pages_webhooks,
)
from tests.api.pages_common import ROLES, PageCase
from tests.personas import World


@dataclass
class Call:
    path: str
    body: dict[str, Any] | None = None
    multipart: bool = False
    raw: bytes | None = None  # sent as message/rfc822


Builder = Callable[[World, User | None], Call]


def _other_billing_ticket(w: World) -> int:
    t = actions.do_create_ticket(
        actor=w.customer, via=Via.PORTAL, subject="second one", body="also broken"
    )
    actions.do_assign(t, actor=w.admin, via=Via.WEB, assignee_id=w.agent.pk, team_id=w.billing.pk)
    return t.pk


def _problem_ticket(w: World) -> int:
    t = actions.do_create_ticket(
        actor=w.agent, via=Via.WEB, subject="Outage", body="known problem",
        requester_id=w.customer.pk, type="problem", team_id=w.billing.pk,
    )  # fmt: skip
    return t.pk


def _attachment(w: World) -> int:
    comment = actions.do_add_comment(
        w.ticket, actor=w.customer, via=Via.PORTAL, body="photo attached",
        attachments=[actions.NewAttachment("photo.png", "image/png", b"\x89PNG fake")],
    )  # fmt: skip
    return Attachment.objects.get(comment=comment).pk


def _field(w: World) -> int:
    return do_create_custom_field(
        actor=w.admin, key="order_no", label="Order number", field_type="text"
    ).pk


def _admin_token(w: World) -> int:
    return do_create_api_token(w.admin, actor=w.admin, name="to revoke").token.pk


def _new_ticket_body(w: World, user: User | None) -> Call:
    body: dict[str, Any] = {"subject": "Card declined / 카드 결제 실패", "body": "help"}
    if user is not None and user.is_agent:
        body["requester_id"] = w.customer.pk
    return Call("/api/v1/tickets", body)


T = "/api/v1/tickets/{ticket_id}"

# (method, OpenAPI path) -> how to call it, and the expected status per role.
OPERATIONS: dict[tuple[str, str], tuple[Builder, dict[str, int]]] = {}


def op(method: str, path: str, builder: Builder, **expected: int) -> None:
    missing = set(ROLES) - set(expected) - {"anonymous"}
    assert not missing, f"{method} {path}: no expectation for {sorted(missing)}"
    expected.setdefault("anonymous", 401)
    OPERATIONS[(method, path)] = (builder, expected)


ALL_OK = dict.fromkeys(ROLES[1:], 200)
SEE_TICKET = dict(customer=200, outsider=404, agent=200, tech_agent=404, lead=200, qa=200,
                  director=200, manager=200, admin=200)  # fmt: skip
EDIT_TICKET = dict(customer=403, outsider=404, agent=200, tech_agent=404, lead=200, qa=403,
                   director=403, manager=200, admin=200)  # fmt: skip
REPLY = dict(customer=201, outsider=404, agent=201, tech_agent=404, lead=201, qa=403,
             director=403, manager=201, admin=201)  # fmt: skip
STAFF_ONLY_READ = dict(customer=404, outsider=404, agent=200, tech_agent=200, lead=200, qa=200,
                       director=200, manager=200, admin=200)  # fmt: skip
EDIT_CUSTOMERS = dict(customer=404, outsider=404, agent=201, tech_agent=201, lead=201, qa=403,
                      director=403, manager=201, admin=201)  # fmt: skip
MANAGERS = dict(customer=404, outsider=404, agent=403, tech_agent=403, lead=403, qa=403,
                director=403, manager=200, admin=200)  # fmt: skip

op("GET", "/api/v1/tickets", lambda w, u: Call("/api/v1/tickets?status=open&limit=5"), **ALL_OK)
op("POST", "/api/v1/tickets", _new_ticket_body,
   customer=201, outsider=201, agent=201, tech_agent=201, lead=201, qa=403, director=403,
   manager=201, admin=201)  # fmt: skip
op("GET", T, lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}"), **SEE_TICKET)
op(
    "PATCH",
    T,
    lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}", {"priority": "high"}),
    **EDIT_TICKET,
)
op("DELETE", T, lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}"),
   customer=403, outsider=404, agent=403, tech_agent=404, lead=403, qa=403, director=403,
   manager=204, admin=204)  # fmt: skip
op(
    "GET",
    T + "/comments",
    lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/comments"),
    **SEE_TICKET,
)
op(
    "POST",
    T + "/comments",
    lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/comments", {"body": "thanks"}),
    **REPLY,
)
op("POST", T + "/comments/upload",
   lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/comments/upload", {"body": "file"}, multipart=True),
   **REPLY)  # fmt: skip
op(
    "GET",
    "/api/v1/attachments/{attachment_id}",
    lambda w, u: Call(f"/api/v1/attachments/{_attachment(w)}"),
    **SEE_TICKET,
)
op("GET", T + "/events", lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/events"),
   customer=404, outsider=404, agent=200, tech_agent=404, lead=200, qa=200, director=200,
   manager=200, admin=200)  # fmt: skip
op(
    "GET",
    "/api/v1/ticket-events",
    lambda w, u: Call("/api/v1/ticket-events?limit=10"),
    **STAFF_ONLY_READ,
)
op("POST", T + "/merge",
   lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/merge", {"target_id": _other_billing_ticket(w)}),
   **EDIT_TICKET)  # fmt: skip
op("PUT", T + "/problem",
   lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/problem", {"problem_id": _problem_ticket(w)}),
   **EDIT_TICKET)  # fmt: skip
op(
    "DELETE",
    T + "/problem",
    lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/problem"),
    **EDIT_TICKET,
)
op("POST", T + "/spam", lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/spam"), **EDIT_TICKET)
op("POST", T + "/restore", lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/restore"),
   customer=403, outsider=404, agent=403, tech_agent=404, lead=403, qa=403, director=403,
   manager=200, admin=200)  # fmt: skip
op("GET", "/api/v1/tags", lambda w, u: Call("/api/v1/tags"), **ALL_OK)
op("GET", "/api/v1/custom-fields", lambda w, u: Call("/api/v1/custom-fields"), **ALL_OK)
op("POST", "/api/v1/custom-fields",
   lambda w, u: Call("/api/v1/custom-fields", {"key": "plan", "label": "Plan", "field_type": "text"}),
   **{**MANAGERS, "manager": 201, "admin": 201})  # fmt: skip
op(
    "PATCH",
    "/api/v1/custom-fields/{field_id}",
    lambda w, u: Call(f"/api/v1/custom-fields/{_field(w)}", {"label": "Order no."}),
    **MANAGERS,
)
op("GET", "/api/v1/users/me", lambda w, u: Call("/api/v1/users/me"), **ALL_OK)
op("GET", "/api/v1/users", lambda w, u: Call("/api/v1/users?limit=5"), **ALL_OK)
op("POST", "/api/v1/users",
   lambda w, u: Call("/api/v1/users", {"name": "New Person", "email": "new.person@example.org"}),
   **EDIT_CUSTOMERS)  # fmt: skip
op(
    "GET",
    "/api/v1/users/{user_id}",
    lambda w, u: Call(f"/api/v1/users/{w.colleague.pk}"),
    **STAFF_ONLY_READ,
)
op(
    "PATCH",
    "/api/v1/users/{user_id}",
    lambda w, u: Call(f"/api/v1/users/{w.colleague.pk}", {"name": "Park C."}),
    **{**EDIT_CUSTOMERS, **dict.fromkeys(("agent", "tech_agent", "lead", "manager", "admin"), 200)},
)
op("PUT", "/api/v1/users/{user_id}/role",
   lambda w, u: Call(f"/api/v1/users/{w.idle_agent.pk}/role", {"role": "team_lead"}),
   **{**MANAGERS, "manager": 403})  # fmt: skip
op(
    "POST",
    "/api/v1/users/{user_id}/deactivate",
    lambda w, u: Call(f"/api/v1/users/{w.idle_agent.pk}/deactivate"),
    **MANAGERS,
)
op("POST", "/api/v1/users/{user_id}/identities",
   lambda w, u: Call(f"/api/v1/users/{w.colleague.pk}/identities", {"kind": "phone", "value": "+82 10-1234-5678"}),
   **EDIT_CUSTOMERS)  # fmt: skip
op("GET", "/api/v1/organizations", lambda w, u: Call("/api/v1/organizations"), **ALL_OK)
op("POST", "/api/v1/organizations",
   lambda w, u: Call("/api/v1/organizations", {"name": "Beta Ltd", "domains": ["beta.example"]}),
   **EDIT_CUSTOMERS)  # fmt: skip
op(
    "GET",
    "/api/v1/organizations/{organization_id}",
    lambda w, u: Call(f"/api/v1/organizations/{w.acme.pk}"),
    **{**STAFF_ONLY_READ, "customer": 200},
)
op(
    "PATCH",
    "/api/v1/organizations/{organization_id}",
    lambda w, u: Call(f"/api/v1/organizations/{w.acme.pk}", {"notes": "VIP"}),
    **{
        **EDIT_CUSTOMERS,
        "customer": 403,
        **dict.fromkeys(("agent", "tech_agent", "lead", "manager", "admin"), 200),
    },
)
op("GET", "/api/v1/teams", lambda w, u: Call("/api/v1/teams"), **ALL_OK)
op("POST", "/api/v1/teams", lambda w, u: Call("/api/v1/teams", {"name": "Returns"}),
   **{**MANAGERS, "manager": 201, "admin": 201})  # fmt: skip
op(
    "GET",
    "/api/v1/teams/{team_id}",
    lambda w, u: Call(f"/api/v1/teams/{w.billing.pk}"),
    **STAFF_ONLY_READ,
)
op(
    "PUT",
    "/api/v1/teams/{team_id}/lead",
    lambda w, u: Call(f"/api/v1/teams/{w.billing.pk}/lead", {"lead_id": w.agent.pk}),
    **MANAGERS,
)
op("POST", "/api/v1/teams/{team_id}/members",
   lambda w, u: Call(f"/api/v1/teams/{w.billing.pk}/members", {"user_id": w.idle_agent.pk}),
   **{**MANAGERS, "lead": 201, "manager": 201, "admin": 201})  # fmt: skip
op("DELETE", "/api/v1/teams/{team_id}/members/{user_id}",
   lambda w, u: Call(f"/api/v1/teams/{w.billing.pk}/members/{w.agent.pk}"),
   **{**MANAGERS, "lead": 200})  # fmt: skip
op("GET", "/api/v1/brands", lambda w, u: Call("/api/v1/brands"), **ALL_OK)
op("GET", "/api/v1/tokens", lambda w, u: Call("/api/v1/tokens"), **ALL_OK)
op("POST", "/api/v1/tokens", lambda w, u: Call("/api/v1/tokens", {"name": "zap"}),
   **dict.fromkeys(ROLES[1:], 201))  # fmt: skip
op("DELETE", "/api/v1/tokens/{token_id}", lambda w, u: Call(f"/api/v1/tokens/{_admin_token(w)}"),
   **{**dict.fromkeys(ROLES[1:], 404), "admin": 204})  # fmt: skip
op(
    "GET",
    "/api/v1/audit-log",
    lambda w, u: Call("/api/v1/audit-log"),
    **{**MANAGERS, "agent": 404, "tech_agent": 404, "lead": 404, "qa": 404, "director": 404},
)

ADMINS = dict(customer=404, outsider=404, agent=403, tech_agent=403, lead=403, qa=403,
              director=403, manager=403, admin=200)  # fmt: skip
_MAIL = b"From: Pat <pat@example.com>\r\nTo: help@acme.test\r\nSubject: Hi\r\n\r\nHello\r\n"


def _failed_mail(w: World) -> int:
    from doum.mail import inbound

    stored = inbound.store_inbound(b"\x00garbage", source="http")
    inbound.process_inbound(stored.inbound_id)
    return stored.inbound_id


op("POST", "/api/v1/mail/inbound", lambda w, u: Call("/api/v1/mail/inbound", raw=_MAIL),
   **{**ADMINS, "admin": 202})  # fmt: skip
op("GET", "/api/v1/mail/inbound", lambda w, u: Call("/api/v1/mail/inbound?status=failed"),
   **ADMINS)  # fmt: skip
op("POST", "/api/v1/mail/inbound/{inbound_id}/retry",
   lambda w, u: Call(f"/api/v1/mail/inbound/{_failed_mail(w)}/retry"), **ADMINS)  # fmt: skip


def _shared_macro(w: World) -> int:
    from doum.automation.actions import do_create_macro

    return do_create_macro(
        actor=w.admin, shared=True, name="Thanks", reply_body="Thanks, {{requester.first_name}}!",
        effects=[{"type": "add_tags", "tags": ["thanked"]}],
    ).pk  # fmt: skip


op("GET", "/api/v1/macros", lambda w, u: Call("/api/v1/macros"), **STAFF_ONLY_READ)
op("POST", "/api/v1/tickets/{ticket_id}/macros/{macro_id}/apply",
   lambda w, u: Call(f"/api/v1/tickets/{w.ticket.pk}/macros/{_shared_macro(w)}/apply", {}),
   **EDIT_TICKET)  # fmt: skip

_MENTION = {"channel": "twitter", "author_handle": "matrix", "text": "Where is my order?",
            "posted_at": "2026-01-01T00:00:00Z"}  # fmt: skip
op("POST", "/api/v1/social/mentions", lambda w, u: Call("/api/v1/social/mentions", _MENTION),
   **MANAGERS)  # fmt: skip

# Pages outside the API: each area's rows, merged (see pages_common.py).
PAGES: dict[str, PageCase] = {}
_AREAS = (
    pages_core,
    pages_tickets,
    pages_tickets_list,
    pages_accounts,
    pages_settings,
    pages_mail,
    pages_portal,
    pages_sla,
    pages_automation,
    pages_routing,
    pages_webhooks,
    pages_metrics,
    pages_reports,
    pages_alerts,
    pages_surveys,
    pages_survey_public,
    pages_feedback_import,
)
for _module in _AREAS:
    _overlap = set(PAGES) & set(_module.PAGES)
    assert not _overlap, f"pages listed twice: {_overlap}"
    PAGES.update(_module.PAGES)


def _api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return {(m.upper(), p) for p, methods in schema["paths"].items() for m in methods}


def _pages() -> set[str]:
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("admin/", "api/v1/")):
                    found.add(route)  # covered as a whole: the admin site, the API
                    continue
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                found.add(route)

    walk(get_resolver().url_patterns, "")
    return found


def test_every_api_operation_has_an_expectation() -> None:
    assert _api_operations() == set(OPERATIONS)


def test_every_page_has_an_expectation() -> None:
    assert _pages() - {"api/v1/"} == set(PAGES)


def _client(world: World, role: str) -> tuple[Client, User | None]:
    if role == "anonymous":
        return Client(), None
    user = world.by_role()[role]
    secret = do_create_api_token(user, actor=user, name="matrix").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), user


def _send(client: Client, method: str, call: Call) -> int:
    if call.raw is not None:
        return int(client.post(call.path, call.raw, content_type="message/rfc822").status_code)
    if call.multipart:
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {**(call.body or {}), "files": SimpleUploadedFile("a.txt", b"hello", "text/plain")}
        return int(client.post(call.path, data).status_code)
    kwargs: dict[str, Any] = {}
    if call.body is not None:
        kwargs = {"data": call.body, "content_type": "application/json"}
    return int(getattr(client, method.lower())(call.path, **kwargs).status_code)


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda o: f"{o[0]} {o[1]}")
def test_api_status_by_role(world: World, operation: tuple[str, str]) -> None:
    builder, expected = OPERATIONS[operation]
    method = operation[0]
    got: dict[str, int] = {}
    for role in ROLES:
        # Each role acts on the same starting state: its changes are rolled back.
        with transaction.atomic():
            client, user = _client(world, role)
            got[role] = _send(client, method, builder(world, user))
            transaction.set_rollback(True)
    assert got == expected


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_status_by_role(world: World, page: str) -> None:
    got = {}
    case = PAGES[page]
    path = case.path(world) if case.path else page
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.by_role()[role])
        got[role] = client.get("/" + path.lstrip("/")).status_code
    assert got == case.expected


def test_matrix_tokens_do_not_leak_between_roles(world: World) -> None:
    # The matrix creates tokens inside rolled-back savepoints: none survive.
    before = ApiToken.objects.count()
    with transaction.atomic():
        _client(world, "agent")
        transaction.set_rollback(True)
    assert ApiToken.objects.count() == before
