"""Saved views: validation, compiling, who sees and changes them, and their pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from doum.accounts.models import AuditLog, User
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.tickets.field_definitions import do_create_custom_field
from doum.tickets.models import Priority, SavedView
from doum.tickets.queues import queue_for
from doum.tickets.saved_views import (
    access_saved_view,
    clean_conditions,
    do_create_saved_view,
    do_delete_saved_view,
    do_move_saved_view,
    do_update_saved_view,
    visible_saved_views,
)
from doum.tickets.selectors import filter_tickets
from tests.pages import billing_ticket as make
from tests.pages import signed_in as client_for
from tests.personas import World

XSS = '<img src=x onerror="alert(1)">'


def shown(user: User, view: SavedView) -> set[int]:
    return set(filter_tickets(user, queue_for(user, view.key).filters).values_list("pk", flat=True))


def view_of(user: User, conditions: list[dict[str, Any]]) -> SavedView:
    return do_create_saved_view(actor=user, name="v", conditions=conditions)


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "field", "words"),
    [
        ({"field": "colour", "op": "is", "value": ["red"]}, "conditions", "Unknown field “colour”"),
        ({"field": "status", "op": "like", "value": ["open"]}, "status", "not an operator"),
        ({"field": "status", "op": "is", "value": ["shut"]}, "status", "not a valid status"),
        ({"field": "status", "op": "is", "value": []}, "status", "Give a value"),
        ({"field": "team", "op": "is", "value": ["x"]}, "team", "not an id"),
        ({"field": "team", "op": "is", "value": [999999]}, "team", "No team with id 999999"),
        ({"field": "assignee", "op": "is", "value": ["you"]}, "assignee", "not an id"),
        ({"field": "requester", "op": "is_empty"}, "requester", "not an operator"),
        ({"field": "created", "op": "within_days", "value": "0"}, "created", "whole number"),
        ({"field": "updated", "op": "within_days", "value": "1e9"}, "updated", "whole number"),
        ({"field": "tag", "op": "is", "value": ["a<b"]}, "tag", "cannot hold"),
        ({"field": "custom_fields.nope", "op": "is", "value": "x"}, "conditions", "Unknown field"),
        ({"field": "status", "op": "is", "value": ["open"], "x": 1}, "conditions", "an object"),
        ("status=open", "conditions", "an object"),
    ],
)
def test_conditions_are_validated_strictly_naming_the_field(
    world: World, condition: Any, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        view_of(world.agent, [condition])
    assert error.value.field == field
    assert words in error.value.message


def test_conditions_are_normalised(world: World) -> None:
    cleaned = clean_conditions(
        [
            {"field": "status", "op": "is", "value": "open"},
            {"field": "tag", "op": "is_not", "value": ["VIP", "vip"]},
            {"field": "assignee", "op": "is_empty", "value": "ignored"},
            {"field": "created", "op": "within_days", "value": "7"},
            {"field": "team", "op": "is", "value": [str(world.billing.pk)]},
        ]
    )
    assert cleaned == [
        {"field": "status", "op": "is", "value": ["open"]},
        {"field": "tag", "op": "is_not", "value": ["vip"]},
        {"field": "assignee", "op": "is_empty", "value": None},
        {"field": "created", "op": "within_days", "value": 7},
        {"field": "team", "op": "is", "value": [world.billing.pk]},
    ]


def test_name_columns_and_sort_are_validated(world: World) -> None:
    with pytest.raises(InvalidInput, match="name"):
        do_create_saved_view(actor=world.agent, name="  ", conditions=[])
    with pytest.raises(InvalidInput, match="At most 100"):
        do_create_saved_view(actor=world.agent, name="x" * 101, conditions=[])
    with pytest.raises(InvalidInput, match="Unknown column “secret”"):
        do_create_saved_view(actor=world.agent, name="x", conditions=[], columns=["secret"])
    with pytest.raises(InvalidInput, match="Unknown sort"):
        do_create_saved_view(actor=world.agent, name="x", conditions=[], sort="random()")


# --- compiling ------------------------------------------------------------------------------


def test_each_kind_of_condition_selects_the_right_tickets(world: World) -> None:
    urgent = make(world, "urgent", priority=Priority.URGENT, tags=["vip"])
    tech = make(world, "tech", team_id=world.technical.pk)
    unrouted = make(world, "unrouted", team_id=None)
    base = world.ticket.pk
    cases: list[tuple[list[dict[str, Any]], set[int]]] = [
        ([{"field": "priority", "op": "is", "value": ["urgent"]}], {urgent.pk}),
        ([{"field": "priority", "op": "is_not", "value": ["urgent"]}], {base, tech.pk, unrouted.pk}),
        ([{"field": "tag", "op": "is", "value": ["vip"]}], {urgent.pk}),
        ([{"field": "tag", "op": "is_not", "value": ["vip"]}], {base, tech.pk, unrouted.pk}),
        ([{"field": "team", "op": "is_empty"}], {unrouted.pk}),
        ([{"field": "team", "op": "is_not", "value": [world.billing.pk]}], {tech.pk, unrouted.pk}),
        ([{"field": "assignee", "op": "is", "value": [world.agent.pk]}], {base}),
        ([{"field": "assignee", "op": "is_set"}], {base}),
        ([{"field": "assignee", "op": "is_empty"}], {urgent.pk, tech.pk, unrouted.pk}),
        ([{"field": "requester", "op": "is", "value": [world.colleague.pk]}], set()),
        ([{"field": "organization", "op": "is", "value": [world.acme.pk]}],
         {base, urgent.pk, tech.pk, unrouted.pk}),
        ([{"field": "brand", "op": "is", "value": [world.ticket.brand_id]}],
         {base, urgent.pk, tech.pk, unrouted.pk}),
        ([{"field": "created", "op": "within_days", "value": 1}],
         {base, urgent.pk, tech.pk, unrouted.pk}),
        ([{"field": "updated", "op": "older_than_days", "value": 1}], set()),
        ([{"field": "status", "op": "is", "value": ["open"]},
          {"field": "team", "op": "is", "value": [world.billing.pk]}], {base}),
    ]  # fmt: skip
    for conditions, expected in cases:
        view = view_of(world.manager, conditions)
        assert shown(world.manager, view) == expected, conditions


def test_a_shared_view_never_shows_what_the_viewer_may_not_see(world: World) -> None:
    tech = make(world, "tech", team_id=world.technical.pk)
    view = do_create_saved_view(actor=world.admin, name="All", conditions=[], shared=True)
    assert tech.pk in shown(world.admin, view)
    assert tech.pk not in shown(world.agent, view)
    # "me" is whoever opens it.
    mine = do_create_saved_view(
        actor=world.admin, name="Mine", shared=True,
        conditions=[{"field": "assignee", "op": "is", "value": ["me"]}],
    )  # fmt: skip
    assert shown(world.agent, mine) == {world.ticket.pk}
    assert shown(world.tech_agent, mine) == set()


def test_custom_field_conditions(world: World) -> None:
    do_create_custom_field(
        actor=world.admin, key="plan", label="Plan", field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}, {"value": "free", "label": "Free"}],
    )  # fmt: skip
    gold = make(world, "gold", custom_fields={"plan": "gold"})
    make(world, "free", custom_fields={"plan": "free"})
    view = view_of(world.manager, [{"field": "custom_fields.plan", "op": "is", "value": "gold"}])
    assert shown(world.manager, view) == {gold.pk}
    empty = view_of(world.manager, [{"field": "custom_fields.plan", "op": "is_empty"}])
    assert shown(world.manager, empty) == {world.ticket.pk}
    with pytest.raises(InvalidInput) as error:
        view_of(world.manager, [{"field": "custom_fields.plan", "op": "is", "value": "platinum"}])
    assert error.value.field == "custom_fields.plan"


# --- who sees and changes views -------------------------------------------------------------


def test_personal_views_are_invisible_to_others_and_shared_ones_read_only(world: World) -> None:
    mine = do_create_saved_view(actor=world.agent, name="Mine", conditions=[])
    shared = do_create_saved_view(actor=world.manager, name="Team", conditions=[], shared=True)
    assert set(visible_saved_views(world.agent)) == {mine, shared}
    assert set(visible_saved_views(world.tech_agent)) == {shared}
    assert list(visible_saved_views(world.customer)) == []
    with pytest.raises(NotFound):
        access_saved_view(world.tech_agent, mine.pk)
    with pytest.raises(NotFound):
        access_saved_view(world.admin, mine.pk)  # personal means personal, even for admins
    with pytest.raises(NotFound):
        do_update_saved_view(mine, actor=world.tech_agent, name="stolen")
    with pytest.raises(Forbidden):
        do_update_saved_view(shared, actor=world.agent, name="changed")
    with pytest.raises(Forbidden):
        do_delete_saved_view(shared, actor=world.agent)
    with pytest.raises(Forbidden):
        do_create_saved_view(actor=world.agent, name="x", conditions=[], shared=True)
    with pytest.raises(Forbidden):
        do_create_saved_view(actor=world.customer, name="x", conditions=[])
    assert client_for(world.tech_agent).get(f"/tickets/?view=v{mine.pk}").status_code == 404
    assert client_for(world.tech_agent).get(f"/tickets/views/{mine.pk}/edit").status_code == 404
    assert client_for(world.agent).get(f"/tickets/?view=v{shared.pk}").status_code == 200


def test_writes_leave_audit_rows(world: World) -> None:
    view = do_create_saved_view(actor=world.agent, name="Mine", conditions=[])
    do_update_saved_view(view, actor=world.agent, name="Renamed")
    do_delete_saved_view(view, actor=world.agent)
    rows = list(
        AuditLog.objects.filter(target_type="savedview", target_id=str(view.pk))
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert rows == [
        ("saved_view.created", world.agent.pk),
        ("saved_view.updated", world.agent.pk),
        ("saved_view.deleted", world.agent.pk),
    ]
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_reordering_shared_views(world: World) -> None:
    a, b, c = (
        do_create_saved_view(actor=world.admin, name=n, conditions=[], shared=True) for n in "abc"
    )
    do_move_saved_view(c, actor=world.admin, direction="up")
    assert [v.name for v in visible_saved_views(world.agent)] == ["a", "c", "b"]
    do_move_saved_view(a, actor=world.admin, direction="up")  # already first: no change
    assert [v.name for v in visible_saved_views(world.agent)] == ["a", "c", "b"]
    response = client_for(world.admin).post(f"/tickets/views/{a.pk}/move", {"direction": "down"})
    assert response.status_code == 302
    assert [v.name for v in visible_saved_views(world.agent)] == ["c", "a", "b"]
    with pytest.raises(InvalidInput):
        do_move_saved_view(a, actor=world.admin, direction="sideways")
    assert (
        client_for(world.agent).post(f"/tickets/views/{a.pk}/move", {"direction": "up"}).status_code
        == 403
    )
    assert b.pk


# --- pages ----------------------------------------------------------------------------------


def test_save_as_view_from_the_list_keeps_the_view_and_the_filters(world: World) -> None:
    urgent = make(world, "urgent", priority=Priority.URGENT, assignee_id=world.agent.pk)
    client = client_for(world.agent)
    response = client.post(
        "/tickets/views/save",
        {"name": "My urgent", "view": "mine", "priority": "urgent", "sort": "-priority",
         "next": "/tickets/?view=mine"},
    )  # fmt: skip
    view = SavedView.objects.get(name="My urgent")
    assert response["Location"] == f"/tickets/?view=v{view.pk}"
    assert view.owner == world.agent and view.sort == "-priority"
    assert {"field": "assignee", "op": "is", "value": ["me"]} in view.conditions
    assert {"field": "priority", "op": "is", "value": ["urgent"]} in view.conditions
    html = client.get(response["Location"]).content.decode()
    assert re.findall(r'<tr data-ticket="(\d+)"', html) == [str(urgent.pk)]
    assert "My urgent" in html and 'id="edit-view"' in html


def test_save_as_view_with_a_bad_name_says_why(world: World) -> None:
    client = client_for(world.agent)
    response = client.post("/tickets/views/save", {"name": "", "view": "all"}, follow=True)
    assert "Give the view a name." in response.content.decode()
    assert not SavedView.objects.exists()


def test_the_edit_form_creates_and_changes_a_view(world: World) -> None:
    client = client_for(world.agent)
    assert client.get("/tickets/views/new").status_code == 200
    response = client.post(
        "/tickets/views/new",
        {
            "name": "Billing urgent",
            "cond_field": ["team", "priority", "created", ""],
            "cond_op": ["is", "is", "within_days", "is"],
            "cond_value": [str(world.billing.pk), "urgent, high", "30", ""],
            "columns": ["status", "tags"],
            "sort": "-priority",
        },
    )
    view = SavedView.objects.get(name="Billing urgent")
    assert response.status_code == 302
    assert view.conditions == [
        {"field": "team", "op": "is", "value": [world.billing.pk]},
        {"field": "priority", "op": "is", "value": ["urgent", "high"]},
        {"field": "created", "op": "within_days", "value": 30},
    ]
    assert view.columns == ["status", "tags"]
    page = client.get(f"/tickets/views/{view.pk}/edit").content.decode()
    assert 'value="urgent, high"' in page
    client.post(
        f"/tickets/views/{view.pk}/edit",
        {"name": "Renamed", "cond_field": ["status"], "cond_op": ["is"], "cond_value": ["open"],
         "columns": ["status"], "sort": "-updated_at"},
    )  # fmt: skip
    view.refresh_from_db()
    assert view.name == "Renamed" and view.conditions[0]["value"] == ["open"]


def test_the_edit_form_shows_errors_and_keeps_the_input_escaped(world: World) -> None:
    client = client_for(world.agent)
    response = client.post(
        "/tickets/views/new",
        {"name": XSS, "cond_field": ["status"], "cond_op": ["is"], "cond_value": [XSS],
         "columns": ["status"], "sort": "-updated_at"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a valid status" in html
    assert XSS not in html and "&lt;img src=x" in html
    assert not SavedView.objects.exists()
    response = client.post(
        "/tickets/views/new",
        {"name": "x", "cond_field": ["hacked"], "cond_op": ["is"], "cond_value": ["1"],
         "columns": ["nope"], "sort": "-updated_at"},
    )  # fmt: skip
    assert response.status_code == 400 and "Unknown field" in response.content.decode()


def test_hostile_view_names_are_escaped_in_the_side_panel_and_manage_page(world: World) -> None:
    do_create_saved_view(actor=world.agent, name=XSS, conditions=[])
    client = client_for(world.agent)
    for url in ("/tickets/", "/tickets/views/", "/tickets/counts"):
        html = client.get(url).content.decode()
        assert XSS not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html, url


def test_managers_create_shared_views_and_agents_cannot(world: World) -> None:
    form = {"name": "Shared", "columns": ["status"], "sort": "-updated_at", "shared": "1"}
    assert client_for(world.manager).post("/tickets/views/new", form).status_code == 302
    assert SavedView.objects.get(name="Shared").owner is None
    response = client_for(world.agent).post("/tickets/views/new", {**form, "name": "Mine"})
    assert response.status_code == 403
    assert not SavedView.objects.filter(name="Mine").exists()


def test_delete_page(world: World) -> None:
    view = do_create_saved_view(actor=world.agent, name="Gone soon", conditions=[])
    assert client_for(world.tech_agent).post(f"/tickets/views/{view.pk}/delete").status_code == 404
    response = client_for(world.agent).post(f"/tickets/views/{view.pk}/delete", follow=True)
    assert "View “Gone soon” deleted." in response.content.decode()
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_manage_page_lists_conditions_readably(world: World) -> None:
    do_create_saved_view(
        actor=world.agent, name="Readable",
        conditions=[{"field": "status", "op": "is", "value": ["open", "pending"]},
                    {"field": "updated", "op": "within_days", "value": 3}],
    )  # fmt: skip
    html = client_for(world.agent).get("/tickets/views/").content.decode()
    assert "Status is open, pending" in html
    assert "Updated: within the last 3 days" in html


def test_editing_a_view_refreshes_its_count(world: World) -> None:
    from doum.tickets.views.list_counts import view_links

    view = do_create_saved_view(actor=world.agent, name="Urgent", conditions=[
        {"field": "priority", "op": "is", "value": ["urgent"]}])  # fmt: skip
    assert {v.key: v.count for v in view_links(world.agent)}[view.key] == 0
    client_for(world.agent).post(
        f"/tickets/views/{view.pk}/edit",
        {"name": "Normal", "cond_field": ["priority"], "cond_op": ["is"],
         "cond_value": ["normal"], "columns": ["status"], "sort": "-updated_at"},
    )  # fmt: skip
    assert {v.key: v.count for v in view_links(world.agent)}[view.key] == 1
