"""Issue 6's dashboards in a real browser: every dashboard opens in English and Korean with no
CSP violation or script error (the `page` fixture watches), hovering a chart point shows its
tooltip, the legend hides a series, and clicking a number lands on its drill-down listing the
tickets behind it. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from doum.accounts import actions as accounts
from tests.browser.conftest import shot, sign_in
from tests.metrics.scenario import Scenario, build

WEEK = "period=custom&from=2026-11-16&to=2026-11-22"


@pytest.fixture
def live_scenario(transactional_db: None) -> Iterator[Scenario]:
    yield from build()


def _listed(page: Any) -> list[int]:
    return sorted(int(n) for n in page.locator("#drill-table tr[data-ticket]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-ticket'))"
    ))  # fmt: skip


def test_a_manager_hovers_a_chart_and_follows_a_number_to_its_tickets(
    page: Any, live_server: Any, live_scenario: Scenario
) -> None:
    s = live_scenario
    sign_in(page, live_server.url, s.world.manager.email or "")
    page.goto(f"{live_server.url}/analytics/")
    assert page.url.endswith("/analytics/operations/")
    page.goto(f"{live_server.url}/analytics/operations/?{WEEK}")
    shot(page, "analytics-operations-en")

    # Hover a point of the volume chart: the tooltip box shows its value.
    point = page.locator("#ops-volume .mark").first
    point.hover()
    tooltip = page.locator("#ops-volume .chart-tooltip")
    tooltip.wait_for(state="visible")
    assert re.search(r"Created · .+: \d", tooltip.inner_text())
    # The legend hides and shows a series.
    page.locator('#ops-volume [data-toggle-series="solved"]').click()
    assert "is-hidden" in (
        page.locator('#ops-volume g.series[data-series="solved"]').get_attribute("class") or ""
    )
    page.locator('#ops-volume [data-toggle-series="solved"]').click()

    # The "solved" figure opens the three solved tickets.
    assert page.locator('[data-figure="solved"]').inner_text().strip() == "3"
    page.locator('[data-figure="solved"]').click()
    page.wait_for_load_state("networkidle")
    assert "/analytics/tickets/" in page.url and "metric=solved" in page.url
    assert _listed(page) == sorted([s.card.pk, s.double.pk, s.crash.pk])
    shot(page, "analytics-drill-down-en")

    # A chart point is a link to its own drill-down too.
    page.goto(f"{live_server.url}/analytics/operations/?{WEEK}")
    page.locator("#ops-volume a.mark-link").first.click()
    page.wait_for_load_state("networkidle")
    assert "/analytics/tickets/" in page.url and "metric=created" in page.url

    for name, path in (
        ("team", "/analytics/team/"),
        ("executive", "/analytics/executive/"),
        ("executive-print", "/analytics/executive/print/"),
        ("agent", "/analytics/agent/"),
        ("settings", "/analytics/settings/"),
    ):
        page.goto(f"{live_server.url}{path}?{WEEK}")
        assert page.locator("h1").first.is_visible()
        shot(page, f"analytics-{name}-en")


@pytest.mark.parametrize("role", ["agent", "lead", "director"])
def test_each_dashboard_opens_in_korean(
    page: Any, live_server: Any, live_scenario: Scenario, role: str
) -> None:
    user = getattr(live_scenario.world, role)
    accounts.do_update_user(user, actor=live_scenario.world.admin, changes={"language": "ko"})
    sign_in(page, live_server.url, user.email or "")
    page.goto(f"{live_server.url}/analytics/")
    assert page.locator("html").get_attribute("lang") == "ko"
    tabs = page.locator("nav.tabs a").evaluate_all("links => links.map(a => a.href)")
    for url in tabs or [page.url]:
        page.goto(url + ("&" if "?" in url else "?") + WEEK)
        chart = page.locator("figure.chart .mark").first
        if chart.count():
            chart.hover()
            page.locator("figure.chart .chart-tooltip").first.wait_for(state="visible")
        shot(page, f"analytics-{role}-{url.rstrip('/').rsplit('/', 1)[-1]}-ko")
    # Ari's solved figure opens Ari's two solved tickets.
    if role == "agent":
        page.goto(f"{live_server.url}/analytics/agent/?{WEEK}")
        page.locator('[data-figure="solved"]').click()
        page.wait_for_load_state("networkidle")
        assert _listed(page) == sorted([live_scenario.card.pk, live_scenario.double.pk])
