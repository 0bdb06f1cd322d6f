"""The SLA in the ticket views and on the ticket page: the next-deadline column (relative time,
absolute in its title, red when breached, amber at risk), sorting by it with tickets without
an SLA last, the built-in "SLA at risk" and "SLA breached" views, saved-view conditions, and
the ticket page's SLA panel.

The display tests write each ticket's SLA rows directly (what the SLA core stores); one test
goes through the real recompute after commit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doum.accounts import actions as accounts
from doum.core import clock
from doum.sla.models import SlaPolicy, SlaTimer, TicketSla, TimerStatus
from doum.sla.policy_actions import do_create_policy
from doum.tickets import actions
from doum.tickets.models import Status, Ticket, Via
from doum.tickets.queues import list_state
from doum.tickets.saved_views import do_create_saved_view
from tests.pages import billing_ticket, text
from tests.pages import signed_in as client_for
from tests.personas import World

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 12:00 in Seoul


@pytest.fixture(autouse=True)
def _frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-ticket="(\d+)"', html)]


def policy() -> SlaPolicy:
    found = SlaPolicy.objects.filter(name="Standard").first()
    return found or do_create_policy(
        actor=None, name="Standard",
        targets=[{"priority": "normal", "metric": "first_reply", "minutes": 120}],
    )  # fmt: skip


def with_sla(
    ticket: Ticket,
    deadline: datetime | None,
    *,
    at_risk: bool = False,
    breached: bool = False,
) -> Ticket:
    TicketSla.objects.create(
        ticket=ticket, policy=policy(), next_deadline=deadline, at_risk=at_risk,
        breached=breached, updated_at=clock.now(),
    )  # fmt: skip
    return ticket


def timer(ticket: Ticket, metric: str, status: str, cycle: int = 1, **kw: Any) -> SlaTimer:
    kw.setdefault("target_minutes", 120)
    kw.setdefault("started_at", NOW - timedelta(hours=1))
    return SlaTimer.objects.create(
        ticket=ticket, policy=policy(), metric=metric, cycle=cycle, status=status,
        updated_at=NOW, **kw,
    )  # fmt: skip


def get(world: World, params: dict[str, str]) -> str:
    return text(client_for(world.agent).get("/tickets/", params))


def row_of(html: str, ticket: Ticket) -> str:
    return html.split(f'<tr data-ticket="{ticket.pk}">')[1].split("</tr>")[0]


def test_the_list_shows_the_next_deadline_relative_with_the_time_in_its_title(
    world: World,
) -> None:
    soon = with_sla(billing_ticket(world, "Soon"), NOW + timedelta(hours=2, minutes=5))
    risky = with_sla(billing_ticket(world, "Risky"), NOW + timedelta(minutes=20), at_risk=True)
    late = with_sla(
        billing_ticket(world, "Late"), NOW - timedelta(hours=3), at_risk=True, breached=True
    )
    done = with_sla(billing_ticket(world, "Met earlier, breached"), None, breached=True)
    html = get(world, {"view": "all"})
    assert 'data-column="sla"' in html
    cell = row_of(html, soon)
    assert "in 2\xa0hours, 5\xa0minutes" in cell and "sla-ok" in cell
    assert 'datetime="2026-03-10T14:05:00+09:00"' in cell  # the agent's zone (Asia/Seoul)
    assert 'title="' in cell
    assert "sla-at-risk" in row_of(html, risky) and "in 20\xa0minutes" in row_of(html, risky)
    late_cell = row_of(html, late)
    assert "sla-breached" in late_cell and "3\xa0hours overdue" in late_cell
    assert "sla-breached" in row_of(html, done) and "Breached" in row_of(html, done)
    assert "—" in row_of(html, world.ticket)  # no SLA


def test_sorting_by_the_next_deadline_puts_tickets_without_one_last(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from doum.tickets.views import lists

    b = with_sla(billing_ticket(world, "b"), NOW + timedelta(hours=5))
    a = with_sla(billing_ticket(world, "a"), NOW + timedelta(hours=1))
    c = with_sla(billing_ticket(world, "c"), NOW + timedelta(hours=9))
    none = with_sla(billing_ticket(world, "no deadline"), None)
    plain = world.ticket
    html = get(world, {"view": "all", "sort": "sla_next_deadline"})
    assert listed(html) == [a.pk, b.pk, c.pk, plain.pk, none.pk]
    assert 'data-column="sla" aria-sort="ascending"' in html
    html = get(world, {"view": "all", "sort": "-sla_next_deadline"})
    assert listed(html) == [c.pk, b.pk, a.pk, none.pk, plain.pk]
    # The column header sorts soonest first on the first click.
    html = get(world, {"view": "all"})
    assert re.search(r'data-sort-link="sla"', html)
    assert "sort=sla_next_deadline" in html.split('data-column="sla"')[1].split("</th>")[0]
    # Pages follow the same order (keyset cursors over the deadline).
    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    client = client_for(world.agent)
    seen: list[int] = []
    url = "/tickets/?view=all&sort=sla_next_deadline"
    while url:
        page = text(client.get(url))
        seen += listed(page)
        match = re.search(r'id="page-next" href="([^"]+)"', page)
        url = match.group(1).replace("&amp;", "&") if match else ""
    assert seen == [a.pk, b.pk, c.pk, plain.pk, none.pk]


def test_next_and_previous_on_the_ticket_page_follow_the_deadline_order(world: World) -> None:
    first = with_sla(billing_ticket(world, "first"), NOW + timedelta(hours=1))
    second = with_sla(billing_ticket(world, "second"), NOW + timedelta(hours=2))
    html = text(
        client_for(world.agent).get(f"/tickets/{first.pk}/?view=all&sort=sla_next_deadline")
    )
    assert f"/tickets/{second.pk}/?" in html.split('id="next-ticket"')[1].split(">")[0]


def test_the_sla_at_risk_and_breached_views(world: World) -> None:
    risky = with_sla(billing_ticket(world, "Risky"), NOW + timedelta(minutes=50), at_risk=True)
    riskier = with_sla(billing_ticket(world, "Riskier"), NOW + timedelta(minutes=5), at_risk=True)
    late = with_sla(
        billing_ticket(world, "Late"), NOW - timedelta(minutes=5), at_risk=True, breached=True
    )
    with_sla(billing_ticket(world, "Fine"), NOW + timedelta(hours=8))
    solved = with_sla(billing_ticket(world, "Solved late"), None, breached=True)
    actions.do_change_status(solved, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    html = get(world, {"view": "sla-at-risk"})
    assert listed(html) == [riskier.pk, risky.pk]  # by next deadline
    assert "SLA at risk" in html and 'href="/tickets/?view=sla-breached"' in html
    assert listed(get(world, {"view": "sla-breached"})) == [late.pk]
    # The Technical agent does not see Billing's tickets in them.
    other = text(client_for(world.tech_agent).get("/tickets/", {"view": "sla-at-risk"}))
    assert listed(other) == []
    state = list_state(world.agent, _query({"view": "sla-at-risk"}))
    assert state.sort == "sla_next_deadline"


def _query(params: dict[str, str]) -> Any:
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in params.items():
        query[key] = value
    return query


def test_the_sla_views_query_count_does_not_grow_with_rows(world: World) -> None:
    def queries(n_more: int) -> tuple[int, int]:
        for i in range(n_more):
            with_sla(
                billing_ticket(world, f"Row {i}", tags=["a", f"t{i}"]),
                NOW + timedelta(minutes=10 + i),
                at_risk=True,
            )
        client = client_for(world.agent)
        client.get("/tickets/", {"view": "sla-at-risk"})  # warm the counts and the session
        with CaptureQueriesContext(connection) as ctx:
            html = text(client.get("/tickets/", {"view": "sla-at-risk"}))
        return len(ctx), len(listed(html))

    five, rows5 = queries(5)
    twenty_five, rows25 = queries(20)
    assert (rows5, rows25) == (5, 25)
    assert five == twenty_five


def test_saved_views_filter_on_the_sla_and_save_as_view_keeps_it(world: World) -> None:
    risky = with_sla(billing_ticket(world, "Risky"), NOW + timedelta(minutes=5), at_risk=True)
    late = with_sla(billing_ticket(world, "Late"), NOW - timedelta(minutes=5), breached=True)
    view = do_create_saved_view(
        actor=world.agent, name="Not breached", sort="sla_next_deadline",
        conditions=[{"field": "sla", "op": "is_not", "value": ["breached"]}],
    )  # fmt: skip
    shown = listed(get(world, {"view": view.key}))
    assert late.pk not in shown and risky.pk in shown and world.ticket.pk in shown
    with pytest.raises(Exception, match="not a valid sla"):
        do_create_saved_view(
            actor=world.agent, name="Bad",
            conditions=[{"field": "sla", "op": "is", "value": ["doomed"]}],
        )  # fmt: skip
    client = client_for(world.agent)
    response = client.post("/tickets/views/save", {"view": "sla-at-risk", "name": "Mine at risk"})
    assert response.status_code == 302
    saved = listed(text(client.get(response["Location"])))
    assert saved == [risky.pk]


def test_the_ticket_page_has_an_sla_panel(world: World) -> None:
    ticket = with_sla(billing_ticket(world, "Panel"), NOW + timedelta(minutes=30), at_risk=True)
    timer(ticket, "first_reply", TimerStatus.BREACHED, deadline=NOW - timedelta(minutes=65),
          breached_at=NOW - timedelta(minutes=65), breach_seconds=65 * 60)  # fmt: skip
    timer(ticket, "next_reply", TimerStatus.BREACHED, cycle=1, breach_seconds=30)
    timer(ticket, "next_reply", TimerStatus.ACTIVE, cycle=2, deadline=NOW + timedelta(minutes=30),
          warn_at=NOW - timedelta(minutes=1))  # fmt: skip
    timer(ticket, "resolution", TimerStatus.PAUSED, target_minutes=2880,
          remaining_seconds=3 * 3600 + 20 * 60)  # fmt: skip
    timer(ticket, "periodic_update", TimerStatus.FULFILLED, fulfilled_at=NOW - timedelta(minutes=2))
    accounts.do_update_user(
        world.agent, actor=world.agent, changes={"time_zone": "America/New_York"}
    )
    html = text(client_for(world.agent).get(f"/tickets/{ticket.pk}/"))
    panel = html.split('data-testid="ticket-sla"')[1].split("</section>")[0]
    assert "Policy: Standard" in panel and "sla-at-risk" in panel
    first = panel.split('data-timer="first_reply"')[1].split("</dd>")[0]
    assert "Breached" in first and "by 1h 5m" in first
    nxt = panel.split('data-timer="next_reply"')[1].split("</dd>")[0]
    assert "due in 30\xa0minutes" in nxt and "1 earlier cycle breached" in nxt
    assert 'datetime="2026-03-09T23:30:00-04:00"' in nxt  # the viewer's time zone
    assert "3h 20m left" in panel.split('data-timer="resolution"')[1].split("</dd>")[0]
    assert "Fulfilled" in panel.split('data-timer="periodic_update"')[1].split("</dd>")[0]
    # The metrics come in their order; the customer never sees the panel.
    assert panel.index("first_reply") < panel.index("next_reply") < panel.index("resolution")
    portal = text(client_for(world.customer).get(f"/portal/requests/{ticket.pk}/"))
    assert "ticket-sla" not in portal


def test_no_panel_without_an_sla(world: World) -> None:
    html = text(client_for(world.agent).get(f"/tickets/{world.ticket.pk}/"))
    assert 'data-testid="ticket-sla"' not in html


def test_a_real_recompute_shows_in_the_list_and_on_the_page(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    do_create_policy(
        actor=world.manager, name="Everyone",
        targets=[{"priority": "normal", "metric": "first_reply", "minutes": 60,
                  "business_hours": False}],
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.do_create_ticket(
            actor=world.customer, via=Via.PORTAL, subject="Need help", body="please"
        )
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.next_deadline == NOW + timedelta(hours=1)
    html = get(world, {"view": "all", "sort": "sla_next_deadline"})
    assert listed(html)[0] == ticket.pk and "in 1\xa0hour" in row_of(html, ticket)
    page = text(client_for(world.agent).get(f"/tickets/{ticket.pk}/"))
    assert 'data-timer="first_reply"' in page and "due in 1\xa0hour" in page
