"""The analytics pages: each dashboard for each role, a known figure on it, filters that
narrow it, the drill-down listing exactly the tickets a figure counts, hostile filter values
answered with a clear error, and the analytics settings (cost per hour, goals)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from doum.accounts.models import AuditLog, User
from doum.core.errors import Forbidden, InvalidInput
from doum.metrics import goals
from doum.metrics.models import AnalyticsSettings, Goal
from tests.metrics.scenario import HOSTILE_TAG, Scenario, scenario  # noqa: F401
from tests.personas import World

WEEK = "period=custom&from=2026-11-16&to=2026-11-22"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _figure(html: str, key: str) -> str:
    match = re.search(rf'data-figure="{re.escape(key)}"[^>]*>([^<]*)<', html)
    assert match, f"no figure {key}"
    return match.group(1).strip()


def _figure_href(html: str, key: str) -> str:
    match = re.search(rf'href="([^"]*)" data-figure="{re.escape(key)}"', html)
    assert match, f"no figure link {key}"
    return match.group(1).replace("&amp;", "&")


def _drill_ids(client: Client, href: str) -> list[int]:
    response = client.get(href)
    assert response.status_code == 200, response.content.decode()[:2000]
    return [int(n) for n in re.findall(r'data-ticket="(\d+)"', response.content.decode())]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("agent", "/analytics/agent/"),
        ("lead", "/analytics/team/"),
        ("manager", "/analytics/operations/"),
        ("admin", "/analytics/operations/"),
        ("qa", "/analytics/operations/"),
        ("director", "/analytics/executive/"),
    ],
)
def test_analytics_opens_each_roles_own_dashboard(world: World, role: str, expected: str) -> None:
    response = _client(getattr(world, role)).get("/analytics/")
    assert response.status_code == 302
    assert response["Location"] == expected


def test_the_tab_bar_shows_the_dashboards_a_role_may_open(scenario: Scenario) -> None:  # noqa: F811
    w = scenario.world
    tabs = {
        "agent": ["agent"],
        "lead": ["agent", "team", "feedback"],
        "qa": ["operations", "feedback"],
        "manager": ["agent", "team", "operations", "feedback", "executive"],
        "director": ["agent", "team", "operations", "feedback", "executive"],
    }
    pages = {"agent": "agent", "lead": "team", "qa": "operations", "manager": "operations",
             "director": "executive"}  # fmt: skip
    for role, keys in tabs.items():
        html = _client(getattr(w, role)).get(f"/analytics/{pages[role]}/").content.decode()
        assert re.findall(r'data-tab="(\w+)"', html) == (keys if len(keys) > 1 else [])
    assert _client(w.agent).get("/analytics/team/").status_code == 403
    assert _client(w.qa).get("/analytics/agent/").status_code == 403
    assert _client(w.lead).get("/analytics/operations/").status_code == 403


def test_the_agent_sees_their_own_week_against_the_team_and_goals(scenario: Scenario) -> None:  # noqa: F811
    w = scenario.world
    goals.do_set_goal(actor=w.manager, metric="solved", target=5, agent_id=w.agent.pk)
    goals.do_set_goal(actor=w.manager, metric="one_touch_rate", target=0.4, team_id=w.billing.pk)
    client = _client(w.agent)
    html = client.get("/analytics/agent/").content.decode()
    assert _figure(html, "solved") == "2"
    assert _figure(html, "first_reply@median") == "30m"  # median of 0 (refund), 30m, 2h
    assert _figure(html, "one_touch_rate") == "50.0%"
    assert "Goal: 5 ✗" in html
    assert "Goal: 40.0% ✓" in html
    # An agent cannot look at a colleague's numbers.
    other = client.get(f"/analytics/agent/?agent={w.tech_agent.pk}").content.decode()
    assert _figure(other, "solved") == "2"
    # The figure's drill-down lists exactly the tickets it counts.
    ids = _drill_ids(client, _figure_href(html, "solved"))
    assert sorted(ids) == sorted([scenario.card.pk, scenario.double.pk])


def test_the_team_lead_sees_todays_kpis_backlog_agents_and_workload(scenario: Scenario) -> None:  # noqa: F811
    w = scenario.world
    html = _client(w.lead).get("/analytics/team/").content.decode()
    assert 'id="backlog-now"' in html
    assert re.search(r'id="backlog-now"[^>]*>1<', html)  # the open refund ticket
    assert "Ari Agent" in html
    assert "Taehee Tech" not in html.split('id="agent-table"')[1]  # not the lead's team
    assert 'id="workload-table"' in html
    # Per-agent table: Ari solved 2, and the number links to those tickets.
    row = html.split(f'data-agent="{w.agent.pk}"')[1].split("</tr>")[0]
    link = re.search(r'href="([^"]+)">2<', row)
    assert link
    ids = _drill_ids(_client(w.lead), link.group(1).replace("&amp;", "&"))
    assert sorted(ids) == sorted([scenario.card.pk, scenario.double.pk])


def test_operations_compares_periods_and_filters_narrow(scenario: Scenario) -> None:  # noqa: F811
    w = scenario.world
    client = _client(w.manager)
    html = client.get(f"/analytics/operations/?{WEEK}").content.decode()
    assert _figure(html, "solved") == "3"
    assert _figure(html, "created") == "4"
    assert 'id="ops-heatmap"' in html and 'id="ops-status"' in html
    assert ('id="ops-histogram"' in html and 'id="sla-table"' in html) or "No SLA target" in html
    assert "Previous period" in html
    narrowed = client.get(f"/analytics/operations/?{WEEK}&team={w.technical.pk}").content.decode()
    assert _figure(narrowed, "solved") == "1"
    by_channel = client.get(f"/analytics/operations/?{WEEK}&channel=email").content.decode()
    assert _figure(by_channel, "created") == "1"
    # Every figure's drill-down has as many tickets as the figure says.
    for key in ("created", "solved"):
        ids = _drill_ids(client, _figure_href(html, key))
        assert len(ids) == int(_figure(html, key))
    ids = _drill_ids(client, _figure_href(narrowed, "solved"))
    assert ids == [scenario.crash.pk]


def test_the_drill_down_only_lists_what_the_viewer_may_see(scenario: Scenario) -> None:  # noqa: F811
    w = scenario.world
    ids = _drill_ids(_client(w.agent), f"/analytics/tickets/?metric=solved&{WEEK}")
    assert scenario.crash.pk not in ids
    response = _client(w.agent).get(f"/analytics/tickets/?metric=solved&{WEEK}")
    assert f'href="/tickets/{scenario.card.pk}/"' in response.content.decode()


def test_the_executive_summary_shows_cost_per_ticket_and_prints(scenario: Scenario) -> None:  # noqa: F811
    w = scenario.world
    client = _client(w.manager)
    response = client.post(
        "/analytics/settings/save/",
        {"hourly_cost": "10000", "currency": "KRW", "paid_hours_per_week": "40"},
    )
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="analytics_settings.updated").count() == 1
    director = _client(w.director)
    html = director.get(f"/analytics/executive/?{WEEK}&team={w.billing.pk}").content.decode()
    # 10,000 KRW × 40 h × 1 week × 2 agents (Ari and Lee, Billing's lead) ÷ 2 solved
    assert "400,000 KRW" in html
    assert "× 2 agents ÷ 2 solved" in html
    assert 'data-figure="csat">—' in html  # no survey answers in the period
    assert 'data-figure="nps">—' in html
    printed = director.get(f"/analytics/executive/print/?{WEEK}")
    assert printed.status_code == 200
    assert "metrics/print.css" in printed.content.decode()


@pytest.mark.parametrize(
    ("query", "field_text"),
    [
        ("period=custom&from=2026-13-45&to=2026-11-22", ""),
        ("team=999999999999999999999999", ""),
        ("agent=-1", ""),
        ("period=forever", ""),
        ("custom=nokeyvalue", ""),
        ("from=2026-11-22&to=2026-11-01", ""),
    ],
)
def test_bad_filter_values_get_a_clear_error_not_a_crash(
    scenario: Scenario,  # noqa: F811
    query: str,
    field_text: str,
) -> None:
    client = _client(scenario.world.manager)
    for page in ("operations", "executive", "team", "agent", "tickets"):
        url = f"/analytics/{page}/?{query}" + ("&metric=solved" if page == "tickets" else "")
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert 'id="filter-error"' in response.content.decode()


def test_hostile_tag_names_are_shown_as_text(scenario: Scenario) -> None:  # noqa: F811
    client = _client(scenario.world.manager)
    response = client.get("/analytics/operations/", {"tag": "<script>alert(1)</script>"})
    body = response.content.decode()
    assert response.status_code in (200, 400)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    html = client.get("/analytics/tickets/", {"metric": "created", "tag": HOSTILE_TAG}).content
    assert b'value="crash&amp;bug"' in html
    assert f'data-ticket="{scenario.crash.pk}"'.encode() in html


def test_an_unknown_drill_down_metric_is_refused(scenario: Scenario) -> None:  # noqa: F811
    response = _client(scenario.world.manager).get("/analytics/tickets/?metric=<x>")
    assert response.status_code == 400
    assert "&lt;x&gt;" in response.content.decode()


def test_drill_down_pages_by_100(scenario: Scenario) -> None:  # noqa: F811
    import time_machine

    from doum.metrics import refresh
    from doum.tickets import actions
    from doum.tickets.models import Via
    from tests.metrics.scenario import NOW

    w = scenario.world
    with time_machine.travel(NOW, tick=False):
        for n in range(101):
            actions.do_create_ticket(actor=w.customer, via=Via.PORTAL, subject=f"n{n}", body="x")
        refresh.rebuild()  # (a test transaction never commits, so nothing marked them)
    client = _client(w.manager)
    first = client.get(f"/analytics/tickets/?metric=created&{WEEK}").content.decode()
    assert "105 tickets behind" in first
    assert len(re.findall(r'data-ticket="', first)) == 100
    next_url = re.search(r'href="([^"]+)" id="drill-next"', first)
    assert next_url
    second = client.get(next_url.group(1).replace("&amp;", "&")).content.decode()
    assert len(re.findall(r'data-ticket="', second)) == 5


def test_the_pages_work_in_korean(scenario: Scenario) -> None:  # noqa: F811
    client = _client(scenario.world.director)
    for page in ("executive", "operations", "team", "agent"):
        response = client.get(f"/analytics/{page}/", HTTP_ACCEPT_LANGUAGE="ko")
        assert response.status_code == 200
        assert 'lang="ko"' in response.content.decode()


def test_goal_and_settings_writers_check_role_and_values(world: World) -> None:
    with pytest.raises(Forbidden):
        goals.do_set_goal(actor=world.lead, metric="solved", target=3, team_id=world.billing.pk)
    with pytest.raises(InvalidInput):
        goals.do_set_goal(
            actor=world.manager, metric="nonsense", target=1, team_id=world.billing.pk
        )
    with pytest.raises(InvalidInput):
        goals.do_set_goal(actor=world.manager, metric="solved", target=1)
    with pytest.raises(InvalidInput):
        goals.do_set_goal(
            actor=world.manager, metric="sla_rate", target=2, team_id=world.billing.pk
        )
    goal = goals.do_set_goal(
        actor=world.manager, metric="solved", target=3, team_id=world.billing.pk
    )
    again = goals.do_set_goal(
        actor=world.manager, metric="solved", target=4, team_id=world.billing.pk
    )
    assert goal.pk == again.pk and Goal.objects.get().target == 4
    goals.do_delete_goal(goal.pk, actor=world.admin)
    assert not Goal.objects.exists()
    assert list(
        AuditLog.objects.filter(target_type="goal").order_by("pk").values_list("action", flat=True)
    ) == ["goal.created", "goal.updated", "goal.deleted"]
    for bad in ({"hourly_cost": "-1"}, {"hourly_cost": "NaN"}, {"currency": "<b>"},
                {"paid_hours_per_week": "0"}, {"hourly_cost": "1e40"}):  # fmt: skip
        values = {"hourly_cost": "1", "currency": "KRW", "paid_hours_per_week": "40", **bad}
        with pytest.raises(InvalidInput):
            goals.do_update_analytics_settings(actor=world.manager, **values)
    assert not AnalyticsSettings.objects.exists()


def test_the_settings_page_shows_errors_inline(world: World) -> None:
    client = _client(world.manager)
    assert client.get("/analytics/settings/").status_code == 200
    response = client.post(
        "/analytics/settings/save/",
        {"hourly_cost": "abc", "currency": "KRW", "paid_hours_per_week": "40"},
    )
    assert response.status_code == 400
    assert 'id="settings-error"' in response.content.decode()
    response = client.post("/analytics/settings/goals/", {"metric": "solved", "target": "x"})
    assert response.status_code == 400
    response = client.post(
        "/analytics/settings/goals/",
        {"metric": "first_reply@median", "target": "30", "team": str(world.billing.pk)},
    )
    assert response.status_code == 302
    assert Goal.objects.get().target == 1800
    assert _client(world.director).get("/analytics/settings/").status_code == 403


def test_a_heatmap_cell_lists_the_tickets_created_in_that_hour(scenario: Scenario) -> None:  # noqa: F811
    client = _client(scenario.world.manager)
    html = client.get(f"/analytics/operations/?{WEEK}").content.decode()
    heat = html.split('id="ops-heatmap"')[1].split("</figure>")[0]
    monday_nine = re.search(
        r'<a href="([^"]+)" class="mark-link"><rect[^>]*data-tip="Mon 09:00: 3"', heat
    )
    assert monday_nine, "Monday 09:00 holds the three tickets created then"
    ids = _drill_ids(client, monday_nine.group(1).replace("&amp;", "&"))
    assert sorted(ids) == sorted([scenario.card.pk, scenario.double.pk, scenario.crash.pk])


def test_business_hours_and_every_filter_are_accepted(scenario: Scenario) -> None:  # noqa: F811
    w = scenario.world
    client = _client(w.manager)
    query = (
        f"{WEEK}&hours=business&team={w.billing.pk}&agent={w.agent.pk}&channel=portal"
        f"&priority=normal&type=question&tag=vip&organization={w.acme.pk}"
    )
    for page in ("operations", "executive", "team", "agent"):
        response = client.get(f"/analytics/{page}/?{query}")
        assert response.status_code == 200, page
        assert "durations in business hours" in response.content.decode()


def test_the_agent_table_links_to_its_exports_with_the_same_filters(scenario: Scenario) -> None:  # noqa: F811
    client = _client(scenario.world.manager)
    html = client.get(f"/analytics/operations/?{WEEK}").content.decode()
    link = re.search(r'href="([^"]+)" id="export-agents-csv"', html)
    assert link and "from=2026-11-16" in link.group(1)
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert b"Ari Agent" in b"".join(
        response.streaming_content if response.streaming else [response.content]
    )  # type: ignore[attr-defined]
