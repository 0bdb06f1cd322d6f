"""The ticket list page: views with counts, search, filters, sorting, keyset pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doum.accounts.models import User
from doum.tickets import actions
from doum.tickets.models import Priority, Ticket, Via
from doum.tickets.queues import list_state, neighbours
from doum.tickets.views.list_counts import COUNT_CAP, view_links
from tests.api.pages_common import ROLES
from tests.api.pages_tickets_list import LIST_PAGES
from tests.pages import billing_ticket as make
from tests.pages import signed_in as client_for
from tests.personas import World

XSS = '<script>alert("x")</script>'


def listed(html: str) -> list[int]:
    """Ticket numbers in the order the table shows them."""
    import re

    return [int(n) for n in re.findall(r'<tr data-ticket="(\d+)"', html)]


def get(user: User, params: dict[str, Any] | None = None, partial: bool = False) -> str:
    client = client_for(user)
    headers = {"X-Doum-Partial": "1"} if partial else {}
    response = client.get("/tickets/", params or {}, headers=headers)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


# --- who may open it --------------------------------------------------------------------------


@pytest.mark.parametrize("route", sorted(LIST_PAGES))
def test_list_routes_answer_each_role_as_the_matrix_row_says(world: World, route: str) -> None:
    """The same check as tests/api/test_permission_matrix.py, for this area's rows."""
    case = LIST_PAGES[route]
    path = case.path(world) if case.path else route
    got = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.by_role()[role])
        got[role] = client.get("/" + path.lstrip("/")).status_code
    assert got == case.expected


def test_customers_are_sent_to_the_portal_and_anonymous_to_sign_in(world: World) -> None:
    assert client_for(world.customer).get("/tickets/")["Location"] == "/portal/"
    assert "/login/" in Client().get("/tickets/")["Location"]


# --- the list ---------------------------------------------------------------------------------


def test_my_open_tickets_show_every_column_and_link_to_the_ticket_with_the_list(
    world: World,
) -> None:
    actions.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["vip", "refund"]}
    )
    html = get(world.agent, {"view": "mine"})
    assert listed(html) == [world.ticket.pk]
    assert "환불 요청 — refund please" in html
    assert f'href="/tickets/{world.ticket.pk}/?view=mine"' in html
    assert "Kim Customer" in html and "Ari Agent" in html and "Billing" in html
    assert 'class="badge status-open"' in html and 'class="badge priority-normal"' in html
    assert '<span class="tag">refund</span><span class="tag">vip</span>' in html
    assert 'data-select-all="ticket"' in html  # agents may bulk edit


def test_dates_are_shown_in_the_users_time_zone(world: World) -> None:
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC), tick=False):
        ticket = make(world, "Late night", assignee_id=world.agent.pk)
    world.agent.time_zone = "Asia/Seoul"
    world.agent.save(update_fields=["time_zone"])  # test set-up, not business state
    html = get(world.agent, {"view": "mine"})
    assert ticket.pk in listed(html)
    assert 'datetime="2025-03-02T08:30:00+09:00"' in html


def test_an_agent_of_billing_sees_no_technical_tickets_in_lists_or_counts(world: World) -> None:
    secret = make(world, "Technical secret", team_id=world.technical.pk)
    html = get(world.agent, {"view": "all"})
    assert secret.pk not in listed(html) and "Technical secret" not in html
    counts = {v.key: v.count for v in view_links(world.agent)}
    assert counts["all"] == 1  # only the Billing ticket
    assert secret.pk not in listed(get(world.agent, {"view": "all", "q": "Technical"}))
    assert secret.pk in listed(get(world.tech_agent, {"view": "all"}))
    assert f"team-{world.technical.pk}" not in counts


def test_the_side_panel_lists_builtin_then_personal_then_shared_views_with_counts(
    world: World,
) -> None:
    from doum.tickets.saved_views import do_create_saved_view

    do_create_saved_view(
        actor=world.agent, name="Urgent ones", conditions=[
            {"field": "priority", "op": "is", "value": ["urgent"]}
        ],
    )  # fmt: skip
    do_create_saved_view(actor=world.admin, name="Everything shared", conditions=[], shared=True)
    make(world, "Urgent!", priority=Priority.URGENT)
    html = get(world.agent)
    assert html.index('data-testid="builtin-views"') < html.index('data-testid="personal-views"')
    assert html.index('data-testid="personal-views"') < html.index('data-testid="shared-views"')
    assert "Urgent ones" in html and "Everything shared" in html
    assert 'data-poll="/tickets/counts?view=mine" data-interval="30"' in html
    counts = {v.key: v.count for v in view_links(world.agent)}
    assert counts["mine"] == 1 and counts["all"] == 2


def test_counts_are_cached_for_a_while_and_the_fragment_polls(world: World) -> None:
    client = client_for(world.agent)
    first = client.get("/tickets/counts", {"view": "all"}, headers={"X-Doum-Partial": "1"})
    assert first.status_code == 200
    assert "<html" not in first.content.decode()
    assert 'data-view="all" data-target="#ticket-list" data-push-url aria-current="page"' in (
        first.content.decode()
    )
    make(world, "Another")
    with CaptureQueriesContext(connection) as cached:
        client.get("/tickets/counts")
    cache.clear()
    with CaptureQueriesContext(connection) as fresh:
        client.get("/tickets/counts")
    assert len(fresh) > len(cached)  # one COUNT per view only when the cache is cold


def test_counts_are_capped(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from doum.tickets.views import list_counts

    monkeypatch.setattr(list_counts, "COUNT_CAP", 2)
    for i in range(3):
        make(world, f"Many {i}")
    links = {v.key: v for v in view_links(world.agent)}
    assert links["all"].count == 3 and links["all"].count_text == "2+"
    assert COUNT_CAP == 9999


def test_the_list_query_count_does_not_grow_with_rows(world: World) -> None:
    def queries(n_more: int) -> tuple[int, int]:
        for i in range(n_more):
            t = make(world, f"Row {i}", assignee_id=world.agent.pk, tags=["a", f"t{i}"])
            assert t.pk
        client = client_for(world.agent)
        client.get("/tickets/", {"view": "all"})  # warm the counts cache and the session
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/tickets/", {"view": "all"}).content.decode()
        return len(ctx), len(listed(html))

    five, rows5 = queries(4)
    twenty_five, rows25 = queries(20)
    assert rows5 == 5 and rows25 == 25
    assert five == twenty_five


def test_partial_request_returns_only_the_list(world: World) -> None:
    html = get(world.agent, {"view": "all"}, partial=True)
    assert html.lstrip().startswith('<div id="ticket-list"')
    assert "<html" not in html and "view-counts" not in html


def test_search_finds_korean_and_english_and_numbers(world: World) -> None:
    other = make(world, "Password reset", assignee_id=world.agent.pk)
    assert listed(get(world.agent, {"q": "환불"})) == [world.ticket.pk]
    assert listed(get(world.agent, {"q": "password"})) == [other.pk]
    assert listed(get(world.agent, {"q": f"#{other.pk}"})) == [other.pk]
    # A search from the top bar (no view) looks in every view.
    assert "No tickets match" in get(world.agent, {"q": "nothing-like-this"})


def test_filters_narrow_the_view(world: World) -> None:
    urgent = make(world, "Urgent thing", priority=Priority.URGENT, tags=["vip"])
    unassigned = make(world, "Nobody's")
    nteam = make(world, "No team", team_id=None)
    assert listed(get(world.agent, {"view": "all", "priority": "urgent"})) == [urgent.pk]
    assert listed(get(world.agent, {"view": "all", "tag": "VIP"})) == [urgent.pk]
    assert set(listed(get(world.agent, {"view": "all", "assignee": "none"}))) == {
        urgent.pk, unassigned.pk, nteam.pk,
    }  # fmt: skip
    assert listed(get(world.agent, {"view": "all", "assignee": "me"})) == [world.ticket.pk]
    assert listed(get(world.agent, {"view": "all", "team": "none"})) == [nteam.pk]
    mine = get(world.agent, {"view": "all", "assignee": str(world.agent.pk), "status": "open"})
    assert listed(mine) == [world.ticket.pk]
    # Filters narrow a view, they never widen it.
    assert listed(get(world.agent, {"view": "pending", "status": "open"})) == []


def test_sorting_by_each_column_and_paging_through_every_ticket_once(world: World) -> None:
    made = [world.ticket.pk]
    for i, priority in enumerate(["low", "urgent", "high", "normal"] * 8):
        made.append(make(world, f"S{i}", priority=priority).pk)
    client = client_for(world.agent)
    for sort in ["-updated_at", "updated_at", "created_at", "-id", "id", "-priority",
                 "priority", "status", "-status", "-created_at"]:  # fmt: skip
        seen: list[int] = []
        url: str | None = f"/tickets/?view=all&sort={sort}"
        while url:
            html = client.get(url).content.decode()
            seen += listed(html)
            import html as html_lib
            import re

            nxt = re.search(r'id="page-next" href="([^"]+)"', html)
            url = html_lib.unescape(nxt.group(1)) if nxt else None
        assert sorted(seen) == sorted(made), sort
        if sort == "-priority":
            ranks = {"urgent": 4, "high": 3, "normal": 2, "low": 1}
            prio = dict(Ticket.objects.values_list("pk", "priority"))
            assert [ranks[prio[p]] for p in seen] == sorted(
                (ranks[prio[p]] for p in seen), reverse=True
            )
        if sort == "id":
            assert seen == sorted(made)


def test_previous_and_first_page_links_walk_back(world: World) -> None:
    import html as html_lib
    import re

    for i in range(30):
        make(world, f"P{i}")
    client = client_for(world.agent)
    first = client.get("/tickets/?view=all&sort=id").content.decode()
    assert 'id="page-previous"' not in first and 'id="page-first"' not in first
    found = re.search(r'id="page-next" href="([^"]+)"', first)
    assert found
    nxt = html_lib.unescape(found.group(1))
    second = client.get(nxt).content.decode()
    assert len(listed(second)) == 6
    found = re.search(r'id="page-previous" href="([^"]+)"', second)
    assert found
    prev = html_lib.unescape(found.group(1))
    again = client.get(prev).content.decode()
    assert listed(again) == listed(first)
    assert 'id="page-previous"' not in again
    assert 'id="page-first"' in second


def test_sortable_headers_toggle_and_mark_the_current_sort(world: World) -> None:
    html = get(world.agent, {"view": "all", "sort": "-priority"})
    assert 'data-column="priority" aria-sort="descending"' in html
    assert "sort=priority" in html  # clicking again sorts ascending


def test_saved_view_columns_are_the_ones_shown(world: World) -> None:
    from doum.tickets.saved_views import do_create_saved_view

    view = do_create_saved_view(
        actor=world.agent, name="Slim", conditions=[], columns=["channel", "organization"]
    )
    html = get(world.agent, {"view": view.key})
    assert 'data-column="channel"' in html and 'data-column="organization"' in html
    assert 'data-column="assignee"' not in html and 'data-column="tags"' not in html


# --- bad input ------------------------------------------------------------------------------


def test_hostile_search_and_filters_are_escaped_and_explained(world: World) -> None:
    html = get(world.agent, {"view": "all", "q": XSS, "status": XSS, "sort": XSS, "tag": XSS})
    assert XSS not in html
    assert "&lt;script&gt;" in html
    assert "is not a valid status" in html
    assert "Unknown sort" in html
    assert "contains a character tags cannot hold" in html


def test_hostile_ticket_subject_and_names_are_escaped(world: World) -> None:
    make(world, XSS, assignee_id=world.agent.pk)
    html = get(world.agent, {"view": "mine"})
    assert XSS not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"view": "all", "team": "abc"}, "No team with id"),
        ({"view": "all", "team": "999999"}, "No team with id"),
        ({"view": "all", "assignee": "99999999"}, "No agent with id"),
        ({"view": "all", "priority": "extreme"}, "is not a valid priority"),
        ({"view": "all", "type": "x"}, "is not a valid type"),
        ({"view": "all", "after": "garbage"}, "This page link is not valid"),
        ({"view": "all", "sort": "-priority", "after": "x|y|z"}, "This page link is not valid"),
        ({"view": "all", "before": "2020-01-01T00:00:00|1"}, "This page link is not valid"),
        ({"view": "all", "q": "x" * 600}, "The search was cut"),
    ],
)
def test_bad_parameters_give_a_message_not_an_error(
    world: World, params: dict[str, str], message: str
) -> None:
    html = get(world.agent, params)
    assert message in html
    if "q" not in params:  # the bad parameter is left out, the rest of the list stays
        assert world.ticket.pk in listed(html)


@pytest.mark.parametrize("view", ["nope", "v999999", "v", "team-999", "v1' OR 1=1", XSS])
def test_unknown_views_are_not_found(world: World, view: str) -> None:
    response = client_for(world.agent).get("/tickets/", {"view": view})
    assert response.status_code == 404
    assert "No such view." in response.content.decode()
    assert XSS not in response.content.decode()


def test_agents_do_not_get_the_spam_view_managers_do(world: World) -> None:
    assert client_for(world.agent).get("/tickets/?view=spam").status_code == 404
    assert client_for(world.manager).get("/tickets/?view=spam").status_code == 200


def test_qa_sees_the_list_without_bulk_controls(world: World) -> None:
    html = get(world.qa, {"view": "all"})
    assert world.ticket.pk in listed(html)
    assert 'id="bulk-form"' not in html and "data-select-all" not in html


# --- the ticket page's next/previous --------------------------------------------------------


def test_neighbours_follow_the_list_order_including_priority(world: World) -> None:
    from django.http import QueryDict

    low = make(world, "low", priority=Priority.LOW)
    urgent = make(world, "urgent", priority=Priority.URGENT)
    state = list_state(world.agent, QueryDict("view=all&sort=-priority"))
    order = listed(get(world.agent, {"view": "all", "sort": "-priority"}))
    assert order[0] == urgent.pk and order[-1] == low.pk
    middle = Ticket.objects.get(pk=order[1])
    assert neighbours(world.agent, state, middle) == (order[0], order[2])
    assert neighbours(world.agent, state, urgent) == (None, order[1])
