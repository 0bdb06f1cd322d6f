"""SLA policy writers: conditions, targets, warning and escalations validated with messages
that say what is wrong; a policy and its targets in one transaction; order; audit rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from doum.accounts.models import AuditLog
from doum.core.errors import Forbidden, InvalidInput
from doum.sla import policy_actions as actions
from doum.sla.calendar_actions import do_create_calendar
from doum.sla.models import SlaPolicy, SlaTarget
from doum.tickets.field_definitions import do_create_custom_field
from tests.personas import World

FIRST_REPLY_HIGH = [{"priority": "high", "metric": "first_reply", "minutes": "1h30m"}]


def make(world: World, name: str = "Standard", **kw: Any) -> SlaPolicy:
    kw.setdefault("targets", FIRST_REPLY_HIGH)
    return actions.do_create_policy(actor=world.manager, name=name, **kw)


def error_of(world: World, **kw: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        make(world, **kw)
    return caught.value


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), (90, 90), ("1h30m", 90), ("1h 30m", 90), ("2d", 2880), ("1d 4h 30m", 1710),
     ("1:30", 90), ("45 min", 45), ("2 hours", 120), ("2일 3시간 30분", 3090), ("1H", 60)],
)  # fmt: skip
def test_durations_are_read_in_every_usual_form(text: object, minutes: int) -> None:
    assert actions.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "1.5h", "1x", "-5", "h", True, None, "1:75"])
def test_other_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        actions.parse_duration(text)


def test_durations_are_shown_normalised() -> None:
    assert actions.format_duration(90) == "1h 30m"
    assert actions.format_duration(2880) == "2d"
    assert actions.format_duration(1441) == "1d 1m"


def test_a_manager_creates_a_policy_with_conditions_targets_and_escalations(
    world: World,
) -> None:
    field = do_create_custom_field(
        actor=world.admin, key="plan", label="Plan", field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}, {"value": "free", "label": "Free"}],
    )  # fmt: skip
    calendar = do_create_calendar(actor=world.manager, name="Office", weekly={"0": "09:00-18:00"})
    policy = make(
        world,
        name="VIP <b>고객</b>",
        description="For <script>alert(1)</script> gold customers",
        conditions={
            "priority": ["high", "urgent", "high"], "channel": ["email"], "type": [],
            "team_id": [str(world.billing.pk)], "organization_id": [world.acme.pk],
            "brand_id": [world.brand.pk], "tags_any": ["VIP", "Gold Plan"], "tags_all": [],
            "custom_fields": {field.key: ["gold"]},
        },
        targets=[
            {"priority": "high", "metric": "first_reply", "minutes": "1h30m"},
            {"priority": "urgent", "metric": "first_reply", "minutes": 30, "business_hours": False},
            {"priority": "high", "metric": "resolution", "minutes": "2d"},
        ],
        calendar_id=calendar.pk,
        warn_percent="80",
        escalations={"warning": [{"type": "notify", "to": "assignee"}],
                     "breach": [{"type": "raise_priority"}, {"type": "add_tags", "tags": ["late"]}]},
    )  # fmt: skip
    policy.refresh_from_db()
    assert policy.name == "VIP <b>고객</b>" and policy.position == 0 and policy.is_active
    assert policy.conditions == {
        "priority": ["high", "urgent"], "channel": ["email"], "team_id": [world.billing.pk],
        "organization_id": [world.acme.pk], "brand_id": [world.brand.pk],
        "tags_any": ["vip", "gold_plan"], "custom_fields": {"plan": ["gold"]},
    }  # fmt: skip
    assert policy.calendar == calendar and policy.warn_percent == 80
    assert policy.escalations["breach"][0]["type"] == "raise_priority"
    targets = {(t.metric, t.priority): (t.minutes, t.business_hours) for t in policy.targets.all()}
    assert targets == {
        ("first_reply", "high"): (90, True),
        ("first_reply", "urgent"): (30, False),
        ("resolution", "high"): (2880, True),
    }
    assert AuditLog.objects.get(action="sla_policy.created").data["targets"][0]["minutes"] == 90
    proposed = actions.policy_rules(policy).proposed()
    assert proposed.targets[("urgent", "first_reply")] == (30, False)
    assert proposed.calendar_id == calendar.pk and proposed.warn_percent == 80
    # The next one goes last.
    assert make(world, name="Second").position == 1


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"targets": []}, "targets", ["at least one target"]),
        ({"targets": [{"priority": "high", "metric": "first_reply", "minutes": "soon"}]},
         "targets.first_reply.high", ["First reply, High", "“soon” is not a duration"]),
        ({"targets": [{"priority": "high", "metric": "first_reply", "minutes": 0}]},
         "targets.first_reply.high", ["at least 1 minute"]),
        ({"targets": [{"priority": "low", "metric": "resolution", "minutes": "366d"}]},
         "targets.resolution.low", ["at most 365 days"]),
        ({"targets": [{"priority": "asap", "metric": "first_reply", "minutes": 5}]},
         "targets", ["“asap” is not a valid priority"]),
        ({"targets": [{"priority": "high", "metric": "happiness", "minutes": 5}]},
         "targets", ["“happiness” is not a valid metric"]),
        ({"targets": FIRST_REPLY_HIGH * 2}, "targets.first_reply.high", ["given twice"]),
        ({"targets": [{"priority": "high", "metric": "first_reply", "minutes": 5,
                       "business_hours": "yes"}]}, "targets.first_reply.high", ["business hours"]),
        ({"targets": "first_reply=5"}, "targets", ["Targets are a list"]),
        ({"conditions": {"status": ["open"]}}, "conditions", ["“status” is not a condition"]),
        ({"conditions": {"priority": ["asap"]}}, "conditions.priority", ["“asap” is not a valid priority"]),
        ({"conditions": {"channel": ["pigeon"]}}, "conditions.channel", ["pigeon"]),
        ({"conditions": {"team_id": [99999]}}, "conditions.team_id", ["No team with id 99999"]),
        ({"conditions": {"organization_id": ["one"]}}, "conditions.organization_id", ["“one” is not an id"]),
        ({"conditions": {"brand_id": [True]}}, "conditions.brand_id", ["is not an id"]),
        ({"conditions": {"tags_any": ["a<b"]}}, "conditions.tags_any", ["cannot hold"]),
        ({"conditions": {"custom_fields": {"nope": ["x"]}}}, "conditions.custom_fields", ["no active custom field “nope”"]),
        ({"conditions": ["priority"]}, "conditions", ["Conditions map"]),
        ({"warn_percent": 0}, "warn_percent", ["from 1 to 99"]),
        ({"warn_percent": "100"}, "warn_percent", ["from 1 to 99"]),
        ({"warn_percent": "7.5"}, "warn_percent", ["from 1 to 99"]),
        ({"calendar_id": 424242}, "calendar_id", ["No such calendar"]),
        ({"escalations": {"later": []}}, "escalations", ["“later” is not an escalation"]),
        ({"escalations": {"breach": [{"type": "explode"}]}}, "escalations.breach", ["Escalation on breach"]),
        ({"escalations": {"warning": [{"type": "sla_policy", "policy_id": 1}]}}, "escalations.warning", ["Escalation on warning"]),
        ({"name": ""}, "name", ["may not be blank"]),
        ({"description": "x" * 2001}, "description", ["At most 2000"]),
    ],
)  # fmt: skip
def test_invalid_values_are_refused_with_a_precise_message(
    world: World, kw: dict[str, Any], field: str, words: list[str]
) -> None:
    error = error_of(world, **kw)
    assert error.field == field, error.message
    for word in words:
        assert word in error.message, (word, error.message)
    assert not SlaPolicy.objects.exists() and not SlaTarget.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="sla_policy.").exists()


def test_custom_field_values_are_checked_against_the_field(world: World) -> None:
    do_create_custom_field(
        actor=world.admin, key="plan", label="Plan", field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}],
    )  # fmt: skip
    error = error_of(world, conditions={"custom_fields": {"plan": ["silver"]}})
    assert "Plan" in error.message and "silver" in error.message


def test_messages_are_in_the_users_language(world: World) -> None:
    with translation.override("ko"):
        error = error_of(
            world, targets=[{"priority": "high", "metric": "first_reply", "minutes": "soon"}]
        )
    assert "soon" in error.message
    assert "높음" in error.message  # the priority's Korean name


def test_an_update_replaces_the_targets_in_the_same_transaction(world: World) -> None:
    policy = make(world)
    actions.do_update_policy(
        policy,
        actor=world.admin,
        name="Standard 2",
        targets=[{"priority": "low", "metric": "resolution", "minutes": "3d"}],
    )
    assert [(t.metric, t.priority, t.minutes) for t in policy.targets.all()] == [
        ("resolution", "low", 4320)
    ]
    row = AuditLog.objects.get(action="sla_policy.updated")
    assert row.data["changed"] == ["name", "targets"]
    # A bad target leaves the name and the targets as they were.
    with pytest.raises(InvalidInput):
        actions.do_update_policy(
            policy, actor=world.admin, name="Renamed",
            targets=[{"priority": "low", "metric": "resolution", "minutes": "never"}],
        )  # fmt: skip
    policy.refresh_from_db()
    assert policy.name == "Standard 2" and policy.targets.get().minutes == 4320
    actions.do_deactivate_policy(policy, actor=world.manager)
    policy.refresh_from_db()
    assert not policy.is_active
    assert AuditLog.objects.filter(action="sla_policy.deactivated").exists()
    actions.do_activate_policy(policy, actor=world.manager)
    assert AuditLog.objects.filter(action="sla_policy.activated").exists()


def test_policies_are_reordered_as_a_whole(world: World) -> None:
    a, b, c = (make(world, name=n) for n in ("A", "B", "C"))
    actions.do_reorder_policies(actor=world.manager, policy_ids=[c.pk, a.pk, b.pk])
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["C", "A", "B"]
    assert AuditLog.objects.get(action="sla_policy.reordered").data["order"] == [c.pk, a.pk, b.pk]
    for bad in ([a.pk, b.pk], [a.pk, a.pk, b.pk], [a.pk, b.pk, c.pk, 999], "abc", [str(c.pk), "x"]):
        with pytest.raises(InvalidInput, match="every SLA policy exactly once"):
            actions.do_reorder_policies(actor=world.manager, policy_ids=bad)
    actions.do_reorder_policies(actor=world.manager, policy_ids=[str(a.pk), str(b.pk), str(c.pk)])
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["A", "B", "C"]


def test_a_policy_is_deleted_with_its_targets(world: World) -> None:
    policy = make(world)
    actions.do_delete_policy(policy, actor=world.admin)
    assert not SlaPolicy.objects.exists() and not SlaTarget.objects.exists()
    assert AuditLog.objects.get(action="sla_policy.deleted").data["name"] == "Standard"


def test_a_policy_that_a_trigger_applies_is_not_deleted(world: World) -> None:
    from doum.automation.actions import do_create_trigger, do_delete_trigger

    policy = make(world)
    trigger = do_create_trigger(
        actor=world.admin, name="VIP gets Standard",
        conditions={"all": [{"field": "update_type", "op": "is", "value": "created"}]},
        effects=[{"type": "sla_policy", "policy_id": policy.pk}],
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="VIP gets Standard") as refused:
        actions.do_delete_policy(policy, actor=world.admin)
    assert refused.value.field == "policy"
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert not AuditLog.objects.filter(action="sla_policy.deleted").exists()
    do_delete_trigger(trigger, actor=world.admin)
    actions.do_delete_policy(policy, actor=world.admin)
    assert not SlaPolicy.objects.exists()


def test_only_managers_and_admins_write_policies(world: World) -> None:
    policy = make(world)
    for user in (world.agent, world.lead, world.director, world.qa):
        with pytest.raises(Forbidden):
            actions.do_create_policy(actor=user, name="Nope", targets=FIRST_REPLY_HIGH)
        with pytest.raises(Forbidden):
            actions.do_update_policy(policy, actor=user, name="Nope")
        with pytest.raises(Forbidden):
            actions.do_reorder_policies(actor=user, policy_ids=[policy.pk])
        with pytest.raises(Forbidden):
            actions.do_delete_policy(policy, actor=user)


def test_names_are_unique(world: World) -> None:
    make(world, name="Standard")
    assert "Another SLA policy" in error_of(world, name="standard").message


def test_changed_rules_queue_the_recompute_of_open_tickets(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    def queued() -> int:
        return DBTaskResult.objects.filter(task_path__endswith="recompute_open_task").count()

    with django_capture_on_commit_callbacks(execute=True):
        policy = make(world)
    assert queued() == 1
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_policy(policy, actor=world.manager, description="Only the words")
    assert queued() == 1  # a name or a description measures nothing differently
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_policy(policy, actor=world.manager, warn_percent=50)
    assert queued() == 2
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidInput):
        actions.do_update_policy(policy, actor=world.manager, warn_percent=500)
    assert queued() == 2  # nothing changed, nothing queued
