"""Settings › Triggers, Automations and Macros: create, edit, order, deactivate and delete
from the pages; every refused input says exactly what is wrong and saves nothing."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from django.test import Client

from doum.accounts.models import AuditLog, User
from doum.automation.models import Automation, Macro, Trigger
from tests.personas import World

GOOD_CONDITIONS = {"all": [{"field": "subject", "op": "contains", "value": "refund"}]}
GOOD_EFFECTS = [{"type": "add_tags", "tags": ["refund"]}]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Refunds",
        "description": "",
        "is_active": "on",
        "conditions": json.dumps(GOOD_CONDITIONS),
        "effects": json.dumps(GOOD_EFFECTS),
    }
    data.update(overrides)
    return data


def test_a_manager_creates_edits_orders_and_deletes_triggers(world: World) -> None:
    client = client_for(world.manager)
    assert "New trigger" in client.get("/settings/triggers/").text
    assert client.post("/settings/triggers/new/", form()).status_code == 302
    assert client.post("/settings/triggers/new/", form(name="Second")).status_code == 302
    first = Trigger.objects.get(name="Refunds")
    second = Trigger.objects.get(name="Second")
    assert first.created_by == world.manager and first.conditions == {
        "all": [{"field": "subject", "op": "contains", "value": ["refund"]}], "any": []
    }  # fmt: skip
    page = client.get(f"/settings/triggers/{first.pk}/").text
    assert "&quot;contains&quot;" in page  # the stored JSON, pretty-printed, in the editor
    response = client.post(f"/settings/triggers/{second.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    listed = [t.name for t in Trigger.objects.order_by("position", "id") if t.created_by_id]
    assert listed == ["Second", "Refunds"]
    client.post(f"/settings/triggers/{first.pk}/active/", {"active": "0"})
    first.refresh_from_db()
    assert not first.is_active
    edited = client.post(f"/settings/triggers/{first.pk}/", form(name="Refund requests"))
    assert edited.status_code == 302
    first.refresh_from_db()
    assert first.name == "Refund requests" and first.is_active
    assert client.post(f"/settings/triggers/{first.pk}/delete/").status_code == 302
    assert not Trigger.objects.filter(pk=first.pk).exists()
    actions = set(AuditLog.objects.filter(target_type="trigger").values_list("action", flat=True))
    assert {
        "trigger.created",
        "trigger.updated",
        "trigger.deactivated",
        "trigger.deleted",
    } <= actions


HOSTILE: list[tuple[dict[str, Any], str, str]] = [
    (form(conditions='{"all": [}'), "conditions", "This is not valid JSON"),
    (form(conditions="[" * 5000 + "]" * 5000), "conditions", "JSON"),
    (
        form(conditions=json.dumps({"all": [{"field": "nope", "op": "is", "value": 1}]})),
        "conditions",
        "Condition 1 of “all”: unknown field “nope”",
    ),
    (
        form(
            conditions=json.dumps({"all": [{"field": "status", "op": "is", "value": "x" * 10000}]})
        ),
        "conditions",
        "is not a valid value",
    ),
    (
        form(effects=json.dumps([{"type": "delete_everything"}])),
        "effects",
        "Effect 1 (delete_everything): unknown effect type",
    ),
    (
        form(effects=json.dumps([{"type": "set", "field": "requester_id", "value": 1}])),
        "effects",
        "Effect 1 (set): “requester_id” cannot be set",
    ),
    (
        form(effects=json.dumps([{"type": "note", "body": "x" * 20001}])),
        "effects",
        "Effect 1 (note): the text has more than 20000 characters.",
    ),
    (
        form(
            effects=json.dumps(
                [
                    {
                        "type": "mail",
                        "to": "address",
                        "address": "a@b.c\r\nBcc: x@y.z",
                        "subject": "s",
                        "body": "b",
                    }
                ]
            )
        ),
        "effects",
        "is not a valid e-mail address",
    ),
    (
        form(effects=json.dumps([{"type": "note", "body": "{{ ticket.__class__ }}"}])),
        "effects",
        "Unknown placeholder “{{ ticket.__class__ }}”",
    ),
    (
        form(effects=json.dumps([{"type": "add_tags", "tags": ["ok"]}] * 21)),
        "effects",
        "At most 20 effects.",
    ),
    (form(effects="[]"), "effects", "Give at least one effect."),
    (form(name=""), "name", "This field is required."),
    (form(name="x" * 101), "name", "Ensure this value has at most 100 characters"),
    (form(name="\u200b\u200b"), "name", "Give it a name."),
    (form(effects="x" * 100_001), "effects", "at most 100000 characters"),
]


@pytest.mark.parametrize(("data", "field", "message"), HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_refused_with_a_clear_message_and_nothing_is_saved(
    world: World, data: dict[str, Any], field: str, message: str
) -> None:
    before = Trigger.objects.count()
    response = client_for(world.admin).post("/settings/triggers/new/", data)
    assert response.status_code == 400
    # The message shows in the row of the field at fault.
    row = html.unescape(response.text.split(f'data-field="{field}"', 1)[1].split("data-field=")[0])
    assert message in row
    assert Trigger.objects.count() == before


def test_html_in_names_and_notes_is_shown_as_text(world: World) -> None:
    client = client_for(world.admin)
    hostile = "<img src=x onerror=alert(1)>"
    data = form(name=hostile, effects=json.dumps([{"type": "note", "body": hostile}]))
    assert client.post("/settings/triggers/new/", data).status_code == 302
    listing = client.get("/settings/triggers/").text
    assert hostile not in listing and "&lt;img src=x onerror=alert(1)&gt;" in listing


def test_automations_page_explains_what_an_automation_needs(world: World) -> None:
    client = client_for(world.admin)
    page = client.get("/settings/automations/").text
    assert "Close solved tickets after 4 days" in page
    data = form(
        conditions=json.dumps({"all": [
            {"field": "status", "op": "is", "value": ["pending"]},
            {"field": "hours_since_pending", "op": "greater_than", "value": 48}]}),
        effects=json.dumps([{"type": "mail", "to": "requester", "subject": "Hi",
                             "body": "Still there?"}]),
    )  # fmt: skip
    before = Automation.objects.count()
    response = client.post("/settings/automations/new/", data)
    assert response.status_code == 400
    assert "must become false through the automation" in response.text
    assert Automation.objects.count() == before
    shared = client.post(
        "/settings/macros/new/",
        {"name": "Shared hello", "reply_body": "Hello", "reply_public": "1", "effects": ""},
    )
    assert shared.status_code == 302
    assert Macro.objects.get(name="Shared hello").owner is None


def test_the_trigger_list_names_policies_with_a_fixed_number_of_queries(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from doum.automation.actions import do_create_trigger
    from doum.sla.policy_actions import do_create_policy

    client = client_for(world.manager)

    def add_rule(n: int) -> None:
        policy = do_create_policy(
            actor=world.admin, name=f"Policy {n}",
            targets=[{"priority": "high", "metric": "first_reply", "minutes": 60}],
        )  # fmt: skip
        do_create_trigger(
            actor=world.admin, name=f"Rule {n}", conditions=GOOD_CONDITIONS,
            effects=[{"type": "sla_policy", "policy_id": policy.pk}],
        )  # fmt: skip

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/settings/triggers/")
        assert response.status_code == 200
        return len(queries), html.unescape(response.content.decode())

    add_rule(1)
    one, _ = page()
    for n in (2, 3, 4):
        add_rule(n)
    four, text = page()
    assert all(f"“Policy {n}”" in text for n in (1, 2, 3, 4))
    assert four == one
