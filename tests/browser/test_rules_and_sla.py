"""Issue 5 in a real browser: a manager writes a trigger in the settings pages and it fires on
the next ticket; an agent applies a macro from the ticket page; the SLA column, the SLA views
and the ticket's SLA panel show the deadline; every new settings page opens in English and
Korean with hostile names shown as text (the `page` fixture watches the console and dialogs)."""

from __future__ import annotations

from typing import Any

import pytest

from doum.accounts import actions as accounts
from doum.automation import actions as automation
from doum.sla import calendar_actions, policy_actions
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.browser.conftest import PageProblems, shot, sign_in
from tests.personas import World

XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def test_a_trigger_written_in_the_settings_page_fires_on_the_next_ticket(
    page: Any, live_server: Any, world: World, problems: PageProblems
) -> None:
    problems.expected_statuses.add(400)  # the invalid draft comes back with its errors
    sign_in(page, live_server.url, world.manager.email or "")
    page.goto(live_server.url + "/settings/triggers/new/")
    form = page.locator("form:has(textarea[name=conditions])")
    form.locator("input[name=name]").fill("환불 문의는 높음으로")
    form.locator("textarea[name=conditions]").fill(
        '{"all": [{"field": "update_type", "op": "is", "value": "created"},'
        ' {"field": "subject", "op": "contains", "value": "환불"}]}'
    )
    form.locator("textarea[name=effects]").fill(
        '[{"type": "set", "field": "priority", "value": "nope"}]'
    )
    form.locator("button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "nope" in page.content()  # the form comes back and names the bad value
    form = page.locator("form:has(textarea[name=conditions])")
    form.locator("textarea[name=effects]").fill(
        '[{"type": "set", "field": "priority", "value": "high"},'
        ' {"type": "add_tags", "tags": ["refund"]}]'
    )
    form.locator("button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "환불 문의는 높음으로" in page.content()

    # The live server committed the trigger; a customer's request now goes through it.
    ticket = tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="환불 요청합니다", body="결제가 두 번 됐어요"
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.priority == "high"
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    assert "refund" in page.content()  # in the tag editor
    shot(page, "trigger-fired-ticket")


def test_an_agent_applies_a_macro_and_sees_the_sla_deadline(
    page: Any, live_server: Any, world: World
) -> None:
    policy_actions.do_create_policy(
        actor=world.manager,
        name="Standard",
        targets=[{"priority": p, "metric": "first_reply", "minutes": 240, "business_hours": False}
                 for p in ("low", "normal", "high", "urgent")],
    )  # fmt: skip
    ticket = tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject="Where is my parcel?", body="Order 77"
    )
    tickets.do_assign(ticket, actor=world.lead, via=Via.WEB, assignee_id=world.agent.pk)
    automation.do_create_macro(
        actor=world.agent,
        name="Ask for the order number",
        reply_body="Hello {{requester.first_name}}, which order is it?",
        effects=[{"type": "set", "field": "status", "value": "pending"}],
    )
    sign_in(page, live_server.url, world.agent.email or "")
    page.goto(live_server.url + "/tickets/")
    row = page.locator(f"tr[data-ticket='{ticket.pk}']")
    assert row.locator("time.sla-deadline.sla-ok").count() == 1  # the next-deadline cell
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    panel = page.locator("[data-testid=ticket-sla]")
    assert "Standard" in panel.inner_text()  # the policy that applies
    page.select_option("[data-testid=macro-select]", label="Ask for the order number")
    page.click("[data-testid=macro-apply]")
    page.wait_for_load_state("networkidle")
    thread = page.locator("body").inner_text()
    assert "which order is it?" in thread and "{{" not in thread
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    shot(page, "macro-applied-ticket")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_new_settings_page_opens(
    page: Any, live_server: Any, world: World, language: str
) -> None:
    accounts.do_update_user(world.admin, actor=world.admin, changes={"language": language})
    calendar = calendar_actions.do_create_calendar(
        actor=world.admin, name=f"Seoul {XSS}", time_zone="Asia/Seoul",
        weekly={str(d): ["09:00-12:00", "13:00-18:00"] for d in range(5)},
        country_holidays=[{"country": "KR"}],
    )  # fmt: skip
    policy = policy_actions.do_create_policy(
        actor=world.admin, name=f"Gold {XSS}", calendar_id=calendar.pk,
        targets=[{"priority": "high", "metric": "first_reply", "minutes": 60}],
    )  # fmt: skip
    sign_in(page, live_server.url, world.admin.email or "")
    pages = [
        ("calendars", "/settings/calendars/"),
        ("calendar", f"/settings/calendars/{calendar.pk}/"),
        ("sla-policies", "/settings/sla/policies/"),
        ("sla-policy", f"/settings/sla/policies/{policy.pk}/"),
        ("triggers", "/settings/triggers/"),
        ("automations", "/settings/automations/"),
        ("macros", "/settings/macros/"),
        ("routing", "/settings/routing/"),
        ("webhooks", "/settings/webhooks/"),
    ]
    for name, path in pages:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        if name.startswith(("calendar", "sla-polic")):
            assert XSS in page.locator("body").inner_text(), path  # the name, shown as text
        shot(page, f"settings-{name}-{language}")
