"""Effects: the validator names the effect and what is wrong; webhooks, required skills and
SLA policies are applied through their apps' actions, with the rule on every event."""

from __future__ import annotations

from typing import Any

import pytest

from doum.accounts.actions import do_deactivate_user
from doum.automation.effects import MACRO_EFFECT_TYPES, apply_effects, validate_effects
from doum.core.errors import InvalidInput
from doum.routing.actions import do_create_skill
from doum.routing.models import TicketSkillRequirement
from doum.tickets.field_definitions import do_create_custom_field
from doum.tickets.models import TicketEvent, Via
from doum.tickets.rules import RuleRef
from doum.webhooks.actions import do_create_webhook
from doum.webhooks.models import WebhookDelivery
from tests.automation.conftest import Commit, new_ticket, trigger
from tests.personas import World

BAD: list[tuple[Any, str]] = [
    ({"type": "set"}, "Effects are a list of objects."),
    (["set"], "Effect 1 (?): an effect is an object with a “type”."),
    (
        [{"type": "set", "field": "status", "value": "new"}],
        "Effect 1 (set): “new” is not a status a rule can set",
    ),
    ([{"type": "set", "field": "type", "value": "task"}], "is not a type a rule can set"),
    (
        [
            {"type": "set", "field": "priority", "value": "high"},
            {"type": "set", "field": "priority", "value": "low"},
        ],
        "Effect 2 (set): “priority” is already set by an earlier effect.",
    ),
    ([{"type": "set", "field": "team_id", "value": 999999}], "there is no team with the id"),
    ([{"type": "set", "field": "assignee_id", "value": "{customer}"}], "is not an id"),
    ([{"type": "add_tags", "tags": []}], "Effect 1 (add_tags): name at least one tag."),
    ([{"type": "add_tags", "tags": "a", "extra": True}], "“extra” is not a setting"),
    ([{"type": "notify", "to": "everyone"}], "“to” is one of: assignee, lead, team."),
    (
        [{"type": "mail", "to": "requester", "address": "x@y.z", "subject": "s", "body": "b"}],
        "an address is only given when “to” is “address”.",
    ),
    ([{"type": "mail", "to": "requester", "subject": "", "body": "b"}], "the text is empty."),
    ([{"type": "webhook", "webhook_id": 999999}], "there is no webhook with the id 999999"),
    ([{"type": "sla_policy", "policy_id": 999999}], "there is no SLA policy with the id 999999"),
    ([{"type": "require_skills", "skills": ["no-such-skill"]}], "Effect 1 (require_skills)"),
    (
        [{"type": "set", "field": "custom_fields.plan", "value": "platinum"}],
        "Effect 1 (set): 'platinum' is not one of the field's options.",
    ),
]


@pytest.mark.parametrize(("raw", "message"), BAD, ids=range(len(BAD)))
def test_bad_effects_are_refused_with_a_message_naming_them(
    world: World, raw: Any, message: str
) -> None:
    do_create_custom_field(
        actor=world.admin, key="plan", label="Plan", field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}],
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        validate_effects(raw)
    assert message in caught.value.message
    assert caught.value.field == "effects"


def test_an_assignee_who_left_is_refused_when_saving_and_skipped_when_firing(
    world: World,
) -> None:
    effects = validate_effects([{"type": "set", "field": "assignee_id", "value": world.agent.pk}])
    do_deactivate_user(world.agent, actor=world.admin)
    with pytest.raises(InvalidInput, match="is not an active agent"):
        validate_effects(effects)
    with pytest.raises(InvalidInput):
        apply_effects(world.ticket.pk, effects, rule=RuleRef("trigger", 1, "x"), via=Via.TRIGGER)
    with pytest.raises(InvalidInput, match="unknown effect type"):
        validate_effects([{"type": "mail"}], allowed=MACRO_EFFECT_TYPES)


def test_webhook_and_required_skills_effects(world: World, committed: Commit) -> None:
    webhook = do_create_webhook(
        actor=world.admin, name="CRM", url="https://crm.example.com/doum", events=["trigger"]
    )
    silent = do_create_webhook(
        actor=world.admin, name="Other", url="https://other.example.com/", events=["ticket.created"]
    )
    with pytest.raises(InvalidInput, match="does not receive rule events"):
        validate_effects([{"type": "webhook", "webhook_id": silent.pk}])
    do_create_skill(actor=world.admin, name="billing")
    rule = trigger(
        world, "Billing questions",
        {"all": [{"field": "subject", "op": "contains", "value": "invoice"}]},
        [{"type": "webhook", "webhook_id": webhook.pk},
         {"type": "require_skills", "skills": ["billing:2"]}],
    )  # fmt: skip
    with committed():
        ticket = new_ticket(world, subject="Wrong invoice")
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.ticket_id == ticket.pk and delivery.event == "trigger"
    assert delivery.payload["rule"] == {"kind": "trigger", "id": rule.pk, "name": rule.name}
    assert delivery.payload["ticket"]["subject"] == "Wrong invoice"
    required = TicketSkillRequirement.objects.get(ticket=ticket)
    assert (required.skill.name, required.min_level) == ("billing", 2)
    event = TicketEvent.objects.get(ticket=ticket, field="required_skills")
    assert event.via == Via.TRIGGER and event.data["rule"]["id"] == rule.pk


def test_sla_policy_effect(world: World, committed: Commit) -> None:
    from doum.sla.models import TicketSla
    from doum.sla.policy_actions import do_create_policy

    policy = do_create_policy(
        actor=world.admin, name="VIP", conditions={"priority": ["urgent"]},
        targets=[{"metric": "first_reply", "priority": "normal", "minutes": 60,
                  "business_hours": False}],
    )  # fmt: skip
    effects = validate_effects([{"type": "sla_policy", "policy_id": policy.pk}])
    changed = apply_effects(
        world.ticket.pk, effects, rule=RuleRef("trigger", 1, "VIP"), via=Via.TRIGGER
    )
    assert changed == ["sla_policy"]
    assert TicketSla.objects.get(ticket=world.ticket).pinned_policy_id == policy.pk
