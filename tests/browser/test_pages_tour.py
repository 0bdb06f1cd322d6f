"""Every main page opens in the browser, in English and Korean, with hostile data shown as text.

The screenshots this leaves under test-output/screenshots/ are the UI review: one per page
and language.
"""

from __future__ import annotations

from typing import Any

import pytest

from doum.accounts import actions as accounts
from doum.tickets import actions
from doum.tickets.models import Via
from tests.browser.conftest import shot, sign_in
from tests.personas import World
from tests.tickets.test_hostile_input import XSS

STAFF_PAGES = [
    ("home", "/"),
    ("ticket-list-all", "/tickets/?view=all"),
    ("ticket-page", "/tickets/{ticket}/"),
    ("ticket-history", "/tickets/{ticket}/history"),
    ("new-ticket", "/tickets/new"),
    ("customers", "/people/"),
    ("customer-page", "/people/{customer}/"),
    ("organizations", "/organizations/"),
    ("organization-page", "/organizations/{org}/"),
    ("profile", "/profile/"),
    ("views", "/tickets/views/"),
    ("settings", "/settings/"),
    ("settings-users", "/settings/users/"),
    ("settings-teams", "/settings/teams/"),
    ("settings-team", "/settings/teams/{team}/"),
    ("settings-fields", "/settings/fields/"),
    ("settings-tags", "/settings/tags/"),
]


def _fill(path: str, world: World) -> str:
    return path.format(
        ticket=world.ticket.pk, customer=world.customer.pk, org=world.acme.pk,
        team=world.billing.pk,
    )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_staff_page_opens_and_keeps_to_the_csp(
    page: Any, live_server: Any, world: World, language: str
) -> None:
    accounts.do_update_user(world.manager, actor=world.manager, changes={"language": language})
    actions.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["vip", "refund"]}
    )
    sign_in(page, live_server.url, world.manager.email or "")
    for name, path in STAFF_PAGES:
        response = page.goto(live_server.url + _fill(path, world))
        assert response is not None and response.status == 200, (name, response and response.status)
        assert page.locator("html").get_attribute("lang") == language
        shot(page, f"{language}-{name}")


def test_the_korean_workspace_uses_the_glossary_words(
    page: Any, live_server: Any, world: World
) -> None:
    accounts.do_update_user(world.agent, actor=world.agent, changes={"language": "ko"})
    sign_in(page, live_server.url, world.agent.email or "")
    page.goto(live_server.url + "/tickets/?view=all")
    body = page.locator("body").inner_text()
    assert "진행 중" in body  # the status "Open"
    assert "Sign out" not in body and "로그아웃" in body
    page.goto(f"{live_server.url}/tickets/{world.ticket.pk}/")
    body = page.locator("body").inner_text()
    assert "내부 메모" in body  # "Internal note"
    assert "Public reply" not in body


def test_the_korean_portal(page: Any, live_server: Any, world: World) -> None:
    accounts.do_update_user(world.customer, actor=world.customer, changes={"language": "ko"})
    sign_in(page, live_server.url, world.customer.email or "", path="/portal/login")
    for name, path in (
        ("portal-home", "/portal/"),
        ("portal-requests", "/portal/requests"),
        ("portal-request", f"/portal/requests/{world.ticket.pk}"),
        ("portal-new", "/portal/new"),
    ):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "ko"
        assert "Sign out" not in page.locator("body").inner_text()
        shot(page, f"ko-{name}")


def test_hostile_data_is_shown_as_text_on_every_page(
    page: Any, live_server: Any, world: World
) -> None:
    payload = XSS[0]
    hostile_name = XSS[1]
    accounts.do_update_user(world.customer, actor=world.agent, changes={"name": hostile_name})
    ticket = actions.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject=payload, body="\n".join(XSS)
    )
    actions.do_assign(
        ticket, actor=world.lead, via=Via.WEB, assignee_id=world.agent.pk, team_id=world.billing.pk
    )
    actions.do_add_comment(
        ticket, actor=world.agent, via=Via.WEB, body=XSS[2] + " " + XSS[4], public=True
    )
    sign_in(page, live_server.url, world.agent.email or "")
    for path in (
        "/tickets/?view=all",
        f"/tickets/{ticket.pk}/",
        f"/tickets/{ticket.pk}/history",
        f"/people/{world.customer.pk}/",
        f"/tickets/?view=all&q={payload}",
    ):
        page.goto(live_server.url + path)
        assert page.get_by_text(payload).count() + page.get_by_text(hostile_name).count() > 0, path
        assert page.locator("script:not([src])").count() == 0
        assert page.locator("img[src=x], svg[onload]").count() == 0
    shot(page, "hostile-search")
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    shot(page, "hostile-ticket")
    # The problems fixture fails the test if any payload opened a dialog.
