"""The ticket page's side panel, one-button actions, history, live warning and neighbours."""

from __future__ import annotations

from django.test import Client

from doum.tickets import actions
from doum.tickets.field_definitions import do_create_custom_field
from doum.tickets.models import EventKind, Ticket, TicketEvent, Via
from tests.pages import signed_in as client_for
from tests.personas import World


def side_data(client: Client, ticket: Ticket) -> dict[str, object]:
    """The side panel's fields exactly as the page renders them (incl. hidden initials)."""
    ticket.refresh_from_db()
    data: dict[str, object] = {
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "team": str(ticket.team_id or ""),
        "assignee": str(ticket.assignee_id or ""),
        "tags": ", ".join(sorted(ticket.tags.values_list("name", flat=True))),
        "followers": [str(i) for i in ticket.followers.values_list("id", flat=True)],
        "due_at": "",
        "version": ticket.version,
    }
    for key in list(data):
        if key != "version":
            data[f"initial-{key}"] = data[key]
    return data


def test_changing_fields_writes_only_what_changed(world: World) -> None:
    client = client_for(world.agent)
    data = side_data(client, world.ticket)
    data.update(priority="urgent", tags="vip, refund")
    response = client.post(f"/tickets/{world.ticket.pk}/fields", data)
    assert response.status_code == 302
    world.ticket.refresh_from_db()
    assert world.ticket.priority == "urgent"
    events = TicketEvent.objects.filter(ticket=world.ticket, version=world.ticket.version)
    assert sorted((e.kind, e.field, e.new_value) for e in events) == [
        (EventKind.FIELD_CHANGED, "priority", "urgent"),
        (EventKind.TAG_ADDED, "tags", "refund"),
        (EventKind.TAG_ADDED, "tags", "vip"),
    ]


def test_field_conflict_keeps_edits_and_never_reverts_others(world: World) -> None:
    client = client_for(world.agent)
    data = side_data(client, world.ticket)
    actions.do_change_status(world.ticket, actor=world.lead, via=Via.WEB, status="on_hold")
    data.update(priority="high")
    response = client.post(f"/tickets/{world.ticket.pk}/fields", data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Lee Lead changed Status: Open → On-hold" in body
    assert '<option value="high" selected>' in body  # the agent's edit is kept
    assert '<option value="on_hold" selected>' in body  # the other change is shown
    world.ticket.refresh_from_db()
    assert world.ticket.priority == "normal"
    # "Save anyway": the re-rendered form carries the current version and the agent's edit
    # only; the status someone else set stays.
    data2 = side_data(client, world.ticket)
    data2.update(priority="high")
    assert client.post(f"/tickets/{world.ticket.pk}/fields", data2).status_code == 302
    world.ticket.refresh_from_db()
    assert (world.ticket.priority, world.ticket.status) == ("high", "on_hold")


def test_bad_field_input_gets_field_errors(world: World) -> None:
    client = client_for(world.agent)
    for field, value, message in [
        ("priority", "extreme", "Select a valid choice"),
        ("assignee", "999999", "Select a valid choice"),
        ("tags", "bad<tag>", "contains a character tags cannot hold"),
        ("tags", "x" * 5000, "at most 4000 characters"),
        ("type", "task", "A task needs a due date."),
        ("due_at", "not a date", "Enter a valid date/time."),
    ]:
        data = side_data(client, world.ticket)
        data[field] = value
        response = client.post(f"/tickets/{world.ticket.pk}/fields", data)
        assert response.status_code == 400, field
        assert message in response.content.decode(), field


def test_custom_fields_render_by_type_and_are_required_on_solve(world: World) -> None:
    do_create_custom_field(
        actor=world.admin, key="reason", label="Reason", field_type="dropdown",
        options=[{"value": "refund", "label": "Refund"}], required_on_solve=True,
    )  # fmt: skip
    do_create_custom_field(
        actor=world.admin, key="urgent_flag", label="Flag", field_type="checkbox"
    )
    client = client_for(world.agent)
    body = client.get(f"/tickets/{world.ticket.pk}/").content.decode()
    assert '<select name="cf_reason"' in body and '<option value="refund">Refund</option>' in body
    assert 'type="checkbox" name="cf_urgent_flag"' in body
    assert 'class="required-on-solve"' in body
    world.ticket.refresh_from_db()
    refused = client.post(f"/tickets/{world.ticket.pk}/solve", {"version": world.ticket.version})
    assert refused.status_code == 400
    assert "Fill in &#x27;reason&#x27; before solving." in refused.content.decode()
    data = side_data(client, world.ticket)
    data.update({"cf_reason": "refund", "initial-cf_reason": "", "initial-cf_urgent_flag": "False"})
    assert client.post(f"/tickets/{world.ticket.pk}/fields", data).status_code == 302
    world.ticket.refresh_from_db()
    assert world.ticket.custom_fields == {"reason": "refund"}
    solved = client.post(f"/tickets/{world.ticket.pk}/solve", {"version": world.ticket.version})
    assert solved.status_code == 302
    world.ticket.refresh_from_db()
    assert world.ticket.status == "solved"


def test_assign_to_me(world: World) -> None:
    world.ticket.refresh_from_db()
    response = client_for(world.lead).post(
        f"/tickets/{world.ticket.pk}/assign-to-me",
        {"version": world.ticket.version},
        HTTP_X_DOUM_PARTIAL="1",
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<aside id="ticket-side"')
    world.ticket.refresh_from_db()
    assert world.ticket.assignee_id == world.lead.pk
    assert client_for(world.qa).post(f"/tickets/{world.ticket.pk}/assign-to-me").status_code == 403


def test_link_a_problem_by_number(world: World) -> None:
    problem = actions.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject="Outage", body="known", type="problem",
        requester_id=world.customer.pk, team_id=world.billing.pk,
    )  # fmt: skip
    client = client_for(world.agent)
    missing = client.post(f"/tickets/{world.ticket.pk}/problem", {"problem": "999999"})
    assert missing.status_code == 400 and "No such problem ticket." in missing.content.decode()
    not_a_number = client.post(f"/tickets/{world.ticket.pk}/problem", {"problem": "abc"})
    assert not_a_number.status_code == 400
    assert (
        client.post(f"/tickets/{world.ticket.pk}/problem", {"problem": problem.pk}).status_code
        == 302
    )
    world.ticket.refresh_from_db()
    assert world.ticket.problem_id == problem.pk
    body = client.get(f"/tickets/{problem.pk}/").content.decode()
    assert f'href="/tickets/{world.ticket.pk}/"' in body  # the problem lists its incident


def test_history_fragment_reads_like_sentences(world: World) -> None:
    actions.do_update_ticket(
        world.ticket, actor=world.lead, via=Via.WEB,
        changes={"priority": "high", "add_tags": ["vip"]},
    )  # fmt: skip
    client = client_for(world.agent)
    response = client.get(f"/tickets/{world.ticket.pk}/history", HTTP_X_DOUM_PARTIAL="1")
    body = response.content.decode()
    assert body.lstrip().startswith('<ol class="timeline"')
    assert "changed Priority" in body and 'Normal</span> → <span class="new">High' in body
    assert "changed Assignee" in body and "Ari Agent" in body
    assert "changed Team" in body and "Billing" in body
    assert "added the tag vip" in body and "added an internal note" in body
    assert "via Portal" in body
    full = client.get(f"/tickets/{world.ticket.pk}/history")
    assert "<!doctype html>" in full.content.decode()
    assert (
        client_for(world.tech_agent).get(f"/tickets/{world.ticket.pk}/history").status_code == 404
    )


def test_activity_shows_changes_by_others_and_who_else_is_here(world: World) -> None:
    world.ticket.refresh_from_db()
    seen = world.ticket.version
    agent = client_for(world.agent)
    url = f"/tickets/{world.ticket.pk}/activity?version={seen}"
    quiet = agent.get(url).content.decode()
    assert "changed since you opened it" not in quiet and "Also viewing" not in quiet
    # The lead opens the ticket and starts typing; then replies and changes the status.
    lead = client_for(world.lead)
    lead.get(f"/tickets/{world.ticket.pk}/")
    lead.get(f"/tickets/{world.ticket.pk}/activity?version={seen}&typing=1")
    here = agent.get(url).content.decode()
    assert "Also viewing:" in here and "Lee Lead" in here and "typing a reply" in here
    actions.do_add_comment(
        world.ticket, actor=world.lead, via=Via.WEB, body="Done", status="pending"
    )
    moved = agent.get(url).content.decode()
    assert "This ticket changed since you opened it" in moved
    assert "Lee Lead replied publicly" in moved
    assert "Lee Lead changed Status: Open → Pending" in moved
    assert f'href="/tickets/{world.ticket.pk}/"' in moved
    # The agent's own changes do not warn the agent.
    world.ticket.refresh_from_db()
    own = world.ticket.version
    actions.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="mine")
    assert (
        "changed since"
        not in agent.get(f"/tickets/{world.ticket.pk}/activity?version={own}").content.decode()
    )
    assert agent.get(f"/tickets/{world.ticket.pk}/activity?version=zz").status_code == 200


def test_previous_and_next_follow_the_list_and_keep_its_query(world: World) -> None:
    made = [
        actions.do_create_ticket(
            actor=world.agent,
            via=Via.WEB,
            subject=f"queue {i}",
            body="b",
            requester_id=world.customer.pk,
            team_id=world.billing.pk,
        )
        for i in range(3)
    ]
    first, middle, last = made
    query = "view=all&sort=id"
    body = client_for(world.agent).get(f"/tickets/{middle.pk}/?{query}").content.decode()
    assert (
        f'id="previous-ticket" class="button secondary" href="/tickets/{first.pk}/?{query.replace("&", "&amp;")}"'
        in body
    )
    assert (
        f'id="next-ticket" class="button secondary" href="/tickets/{last.pk}/?{query.replace("&", "&amp;")}"'
        in body
    )
    assert 'data-shortcut="j"' in body and 'data-shortcut="k"' in body
    # The forms post back with the list's query string, so their redirect keeps it.
    assert f'action="/tickets/{middle.pk}/comments?{query.replace("&", "&amp;")}"' in body
    end = client_for(world.agent).get(f"/tickets/{last.pk}/?{query}").content.decode()
    assert 'id="next-ticket"' not in end and 'id="previous-ticket"' in end
    # An unknown view is no error: just no neighbours.
    odd = client_for(world.agent).get(f"/tickets/{middle.pk}/?view=nope")
    assert odd.status_code == 200 and 'id="next-ticket"' not in odd.content.decode()
