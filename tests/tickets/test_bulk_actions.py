"""Bulk actions from the ticket list: each ticket through its own action and transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from doum.accounts.models import User
from doum.tickets import actions
from doum.tickets.models import EventKind, Status, Ticket, TicketEvent, Via
from tests.pages import billing_ticket as make
from tests.pages import signed_in as client_for
from tests.personas import World

XSS = "<script>alert(1)</script>"


def bulk(user: User, operation: str, tickets: list[int], **data: Any) -> str:
    response = client_for(user).post(
        f"/tickets/bulk/{operation}",
        {"ticket": [str(t) for t in tickets], "next": "/tickets/?view=all", **data},
        follow=True,
    )
    assert response.redirect_chain[0] == ("/tickets/?view=all", 302)
    return response.content.decode()


def test_assign_to_me_to_an_agent_and_unassign(world: World) -> None:
    a, b = make(world, "a"), make(world, "b")
    html = bulk(world.lead, "assign", [a.pk, b.pk], assignee="me")
    assert "2 tickets updated." in html
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[a.pk, b.pk])} == {world.lead.pk}
    bulk(world.lead, "assign", [a.pk], assignee=str(world.agent.pk))
    a.refresh_from_db()
    assert a.assignee_id == world.agent.pk
    bulk(world.lead, "assign", [a.pk], assignee="none")
    a.refresh_from_db()
    assert a.assignee_id is None
    # Every change wrote its event, as a single change would.
    assert TicketEvent.objects.filter(ticket=a, field="assignee").count() == 3


def test_status_priority_team_and_tags(world: World) -> None:
    a, b = (
        make(world, "a", assignee_id=world.agent.pk),
        make(world, "b", assignee_id=world.agent.pk),
    )
    assert "2 tickets updated." in bulk(world.agent, "status", [a.pk, b.pk], status="pending")
    assert "2 tickets updated." in bulk(world.agent, "priority", [a.pk, b.pk], priority="high")
    assert "2 tickets updated." in bulk(world.agent, "tags", [a.pk, b.pk], add_tags="VIP, refund")
    for t in Ticket.objects.filter(pk__in=[a.pk, b.pk]):
        assert (t.status, t.priority) == ("pending", "high")
        assert sorted(t.tags.values_list("name", flat=True)) == ["refund", "vip"]
    c = make(world, "c")
    html = bulk(world.manager, "team", [a.pk, c.pk], team=str(world.technical.pk))
    a.refresh_from_db()
    c.refresh_from_db()
    assert "1 ticket updated." in html and c.team_id == world.technical.pk
    # The assignment rule of the action holds in bulk too, and says why.
    assert f"1 ticket failed: #{a.pk} The assignee is not a member of that team." in html
    assert a.team_id == world.billing.pk


def test_failures_are_reported_with_reasons_and_do_not_stop_the_others(world: World) -> None:
    good = make(world, "good", assignee_id=world.agent.pk)
    closed = make(world, "closed", assignee_id=world.agent.pk)
    actions.do_change_status(closed, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    actions.do_change_status(closed, actor=world.agent, via=Via.WEB, status=Status.CLOSED)
    hidden = make(world, "technical", team_id=world.technical.pk)
    html = bulk(world.agent, "priority", [good.pk, closed.pk, hidden.pk, 999999], priority="urgent")
    assert "1 ticket updated." in html
    assert "3 tickets failed:" in html
    assert f"#{closed.pk} " in html and "closed" in html.lower()
    assert f"#{hidden.pk} No such ticket." in html  # another team's ticket does not exist here
    assert "#999999 No such ticket." in html
    good.refresh_from_db()
    closed.refresh_from_db()
    assert good.priority == "urgent" and closed.priority == "normal"


def test_merge_into_the_chosen_one(world: World) -> None:
    a, b, target = make(world, "a"), make(world, "b"), make(world, "target")
    html = bulk(world.agent, "merge", [a.pk, b.pk, target.pk], merge_target=str(target.pk))
    assert f"2 tickets merged into #{target.pk}." in html
    for source in (a, b):
        source.refresh_from_db()
        assert source.status == Status.CLOSED and source.merged_into_id == target.pk
    html = bulk(world.agent, "merge", [target.pk], merge_target=str(a.pk))
    assert "Choose which of the selected tickets to merge into." in html
    html = bulk(world.agent, "merge", [target.pk], merge_target=str(target.pk))
    assert "Select at least two tickets to merge." in html


def test_mark_spam(world: World) -> None:
    a = make(world, "spammy")
    assert "1 ticket updated." in bulk(world.agent, "spam", [a.pk])
    a.refresh_from_db()
    assert a.is_spam
    assert TicketEvent.objects.filter(ticket=a, kind=EventKind.SPAM).exists()


@pytest.mark.parametrize("role", ["qa", "director"])
def test_roles_that_may_not_edit_get_403_and_nothing_changes(world: World, role: str) -> None:
    user = world.by_role()[role]
    for operation, data in [("assign", {"assignee": "me"}), ("status", {"status": "pending"}),
                            ("spam", {}), ("merge", {"merge_target": str(world.ticket.pk)})]:  # fmt: skip
        response = client_for(user).post(
            f"/tickets/bulk/{operation}", {"ticket": [str(world.ticket.pk)], **data}
        )
        assert response.status_code == 403, operation
    world.ticket.refresh_from_db()
    assert world.ticket.status == "open" and not world.ticket.is_spam


def test_customers_and_anonymous_cannot_post(world: World) -> None:
    response = client_for(world.customer).post("/tickets/bulk/spam", {"ticket": [world.ticket.pk]})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert Client().post("/tickets/bulk/spam", {"ticket": [world.ticket.pk]}).status_code == 302
    world.ticket.refresh_from_db()
    assert not world.ticket.is_spam


@pytest.mark.parametrize(
    ("operation", "data", "message"),
    [
        ("assign", {"ticket": [], "assignee": "me"}, "Select at least one ticket."),
        ("assign", {"ticket": ["abc"], "assignee": "me"}, "is not a ticket number"),
        ("assign", {"ticket": [XSS], "assignee": "me"}, "is not a ticket number"),
        ("assign", {"assignee": "somebody"}, "Choose whom to assign"),
        ("assign", {"assignee": "999999"}, "The assignee must be an active agent."),
        ("status", {"status": XSS}, "Choose a valid status."),
        ("priority", {"priority": "extreme"}, "Choose a valid priority."),
        ("team", {"team": "999999"}, "Choose a team."),
        ("tags", {"add_tags": "a<b"}, "cannot hold"),
        ("tags", {"add_tags": "  "}, "Give at least one tag"),
        ("merge", {"merge_target": "x"}, "Choose which of the selected tickets"),
    ],
)
def test_bad_input_is_explained_not_a_500(
    world: World, operation: str, data: dict[str, Any], message: str
) -> None:
    payload = {"ticket": [str(world.ticket.pk)], "next": "/tickets/?view=all", **data}
    response = client_for(world.agent).post(f"/tickets/bulk/{operation}", payload, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert XSS not in html


def test_too_many_tickets_at_once(world: World) -> None:
    html = bulk(world.agent, "spam", list(range(1, 102)))
    assert "Select at most 100 tickets at a time." in html


def test_missing_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent)
    response = client.post("/tickets/bulk/spam", {"ticket": [world.ticket.pk]})
    assert response.status_code == 403
    world.ticket.refresh_from_db()
    assert not world.ticket.is_spam


def test_next_must_stay_on_this_site(world: World) -> None:
    response = client_for(world.agent).post(
        "/tickets/bulk/priority",
        {"ticket": [world.ticket.pk], "priority": "low", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/tickets/"


def test_a_partial_request_is_told_where_to_go(world: World) -> None:
    response = client_for(world.agent).post(
        "/tickets/bulk/priority",
        {"ticket": [world.ticket.pk], "priority": "low", "next": "/tickets/?view=mine"},
        headers={"X-Doum-Partial": "1"},
    )
    assert response.status_code == 204 and response["X-Doum-Redirect"] == "/tickets/?view=mine"
