"""The browser can reach Doum, sign in, and every page keeps to the security headers."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import shot, sign_in
from tests.personas import World


def test_an_agent_signs_in_and_out(page: Any, live_server: Any, world: World) -> None:
    response = page.goto(live_server.url + "/")
    assert "/login/" in page.url
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    shot(page, "sign-in")
    sign_in(page, live_server.url, world.agent.email or "")
    assert page.url.rstrip("/") == live_server.url
    assert page.get_by_text(world.agent.name).first.is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")


def test_a_wrong_password_is_refused_with_a_message(
    page: Any, live_server: Any, world: World
) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", world.agent.email or "")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").is_visible()
    assert "/login/" in page.url
