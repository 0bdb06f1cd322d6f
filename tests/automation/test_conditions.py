"""Conditions: validation names the condition and what is wrong; evaluation covers fields,
text (Korean included, any normalisation form), business hours and time since events."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doum.automation.conditions import (
    AUTOMATION,
    TRIGGER,
    Facts,
    clean_conditions,
    matches,
)
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.sla.calendar_actions import do_create_calendar, do_set_team_calendar
from doum.tickets import actions as tickets
from doum.tickets.field_definitions import do_create_custom_field
from doum.tickets.models import Ticket, Via
from tests.automation.conftest import new_ticket
from tests.personas import World


def facts(ticket: Ticket, now: datetime | None = None, **kw: Any) -> Facts:
    ticket = Ticket.objects.select_related("requester", "team").get(pk=ticket.pk)
    tags = frozenset(ticket.tags.values_list("name", flat=True))
    return Facts(ticket=ticket, tags=tags, now=now or datetime.now(UTC), **kw)


def check(ticket: Ticket, conditions: Any, *, kind: str = TRIGGER, **kw: Any) -> bool:
    return matches(clean_conditions(conditions, kind=kind), facts(ticket, **kw))


BAD: list[tuple[str, Any, str]] = [
    (TRIGGER, "status is open", "Conditions are an object with the lists “all” and “any”."),
    (TRIGGER, {"all": [], "none": []}, "not “none”"),
    (TRIGGER, {"all": [], "any": []}, "Give at least one condition"),
    (TRIGGER, {"all": "status"}, "“all” must be a list of conditions."),
    (
        TRIGGER,
        [{"field": "nope", "op": "is", "value": 1}],
        "Condition 1 of “all”: unknown field “nope”",
    ),
    (
        TRIGGER,
        [
            {"field": "status", "op": "is", "value": "open"},
            {"field": "status", "op": "contains", "value": "x"},
        ],
        "Condition 2 of “all” (status): “contains” is not an operator for this field",
    ),
    (
        TRIGGER,
        {"any": [{"field": "status", "op": "is", "value": "bogus"}]},
        "Condition 1 of “any” (status): “bogus” is not a valid value (one of: new, open",
    ),
    (
        TRIGGER,
        [{"field": "hours_since_created", "op": "greater_than", "value": 3}],
        "time since an event is checked by automations",
    ),
    (AUTOMATION, [{"field": "via", "op": "is", "value": "email"}], "only triggers see changes"),
    (
        AUTOMATION,
        [
            {"field": "status", "op": "changed", "value": None},
            {"field": "hours_since_created", "op": "greater_than", "value": 1},
        ],
        "changes are seen by triggers only",
    ),
    (
        AUTOMATION,
        [
            {"field": "status", "op": "is", "value": "closed"},
            {"field": "hours_since_created", "op": "greater_than", "value": 1},
        ],
        "automations never see closed tickets",
    ),
    (
        AUTOMATION,
        [{"field": "status", "op": "is", "value": "open"}],
        "An automation needs a time condition",
    ),
    (
        AUTOMATION,
        [{"field": "hours_since_created", "op": "greater_than", "value": "1e9"}],
        "give a whole number of hours from 0 to 87600",
    ),
    (
        TRIGGER,
        [{"field": "team_id", "op": "is", "value": [999999]}],
        "(team_id): nothing has the id 999999",
    ),
    (TRIGGER, [{"field": "assignee_id", "op": "is", "value": ["1; DROP TABLE"]}], "is not an id"),
    (
        TRIGGER,
        [{"field": "subject", "op": "contains", "value": "x" * 501}],
        "a text value has at most 500 characters",
    ),
    (
        TRIGGER,
        [{"field": "subject", "op": "contains", "value": "a"}] * 31,
        "At most 30 conditions in “all”",
    ),
    (
        TRIGGER,
        [{"field": "tags", "op": "includes", "value": ["<script>"]}],
        "contains a character tags cannot hold",
    ),
    (
        TRIGGER,
        [{"field": "custom_fields.nope", "op": "is", "value": 1}],
        "there is no active custom field “nope”",
    ),
    (
        TRIGGER,
        [{"field": "status", "op": "is", "value": "open", "extra": 1}],
        "a condition is an object with a field, an operator and a value",
    ),
]


@pytest.mark.parametrize(("kind", "raw", "message"), BAD, ids=range(len(BAD)))
def test_bad_conditions_are_refused_with_a_message_naming_them(
    db: None, kind: str, raw: Any, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_conditions(raw, kind=kind)
    assert message in caught.value.message
    assert caught.value.field == "conditions"


def test_korean_and_case_insensitive_text_whatever_the_normalisation(world: World) -> None:
    decomposed = unicodedata.normalize("NFD", "결제 환불 요청 REFUND")
    ticket = new_ticket(world, subject=decomposed)
    assert check(ticket, [{"field": "subject", "op": "contains", "value": "환불"}])
    assert check(ticket, [{"field": "subject", "op": "contains", "value": "refund"}])
    assert check(ticket, [{"field": "subject", "op": "contains", "value": ["취소", "결제 환불"]}])
    assert not check(ticket, [{"field": "subject", "op": "contains", "value": "취소"}])
    assert check(ticket, [{"field": "subject", "op": "not_contains", "value": "취소"}])


def test_field_conditions(world: World) -> None:
    do_create_custom_field(
        actor=world.admin, key="plan", label="Plan", field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}, {"value": "free", "label": "Free"}],
    )  # fmt: skip
    ticket = tickets.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject="Card", body="x", requester_id=world.customer.pk,
        priority="high", team_id=world.billing.pk, tags=["vip"], custom_fields={"plan": "gold"},
    )  # fmt: skip
    assert check(ticket, {"all": [
        {"field": "priority", "op": "greater_than", "value": "normal"},
        {"field": "priority", "op": "less_than", "value": "urgent"},
        {"field": "team_id", "op": "is", "value": [world.billing.pk]},
        {"field": "assignee_id", "op": "is_empty"},
        {"field": "organization_id", "op": "is", "value": [world.acme.pk]},
        {"field": "requester_email", "op": "ends_with", "value": "@ACME.example"},
        {"field": "tags", "op": "includes", "value": ["vip", "other"]},
        {"field": "custom_fields.plan", "op": "is", "value": "gold"},
        {"field": "channel", "op": "is", "value": ["web"]},
    ]})  # fmt: skip
    assert not check(ticket, [{"field": "tags", "op": "excludes", "value": ["vip"]}])
    assert not check(ticket, [{"field": "custom_fields.plan", "op": "is", "value": "free"}])
    # "any": at least one
    assert check(ticket, {"all": [], "any": [
        {"field": "status", "op": "is", "value": "solved"},
        {"field": "brand_id", "op": "is", "value": [world.brand.pk]},
    ]})  # fmt: skip
    assert not check(ticket, {"any": [{"field": "status", "op": "is", "value": "solved"}]})


def test_business_hours_follow_the_team_calendar(world: World) -> None:
    calendar = do_create_calendar(
        actor=world.admin, name="Seoul office", time_zone="Asia/Seoul",
        weekly={str(d): ["09:00-12:00", "13:00-18:00"] for d in range(5)},
    )  # fmt: skip
    do_set_team_calendar(actor=world.admin, team_id=world.billing.pk, calendar_id=calendar.pk)
    billing = world.ticket  # Billing's ticket
    unrouted = new_ticket(world)  # no team: 24/7
    open_ = [{"field": "within_business_hours", "op": "is", "value": True}]
    monday_10_kst = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    monday_lunch = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    saturday = datetime(2026, 3, 7, 3, 0, tzinfo=UTC)
    assert check(billing, open_, now=monday_10_kst)
    assert not check(billing, open_, now=monday_lunch)
    assert not check(billing, open_, now=saturday)
    assert check(unrouted, open_, now=saturday)
    assert check(billing, [{"field": "within_business_hours", "op": "is", "value": "false"}],
                 now=saturday)  # fmt: skip


def test_time_since_counts_calendar_or_business_hours(world: World) -> None:
    calendar = do_create_calendar(
        actor=world.admin, name="Weekdays", time_zone="Asia/Seoul",
        weekly={str(d): ["09:00-18:00"] for d in range(5)},
    )  # fmt: skip
    do_set_team_calendar(actor=world.admin, team_id=world.billing.pk, calendar_id=calendar.pk)
    with clock.at(datetime(2026, 3, 6, 8, 0, tzinfo=UTC)):  # Friday 17:00 in Seoul
        ticket = tickets.do_create_ticket(
            actor=world.agent, via=Via.PHONE, subject="Call", body="x",
            requester_id=world.customer.pk, team_id=world.billing.pk,
        )  # fmt: skip
    monday_1030 = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)  # 65.5 h later, 2.5 business hours
    more_than = lambda field, h: [{"field": field, "op": "greater_than", "value": h}]  # noqa: E731
    assert check(ticket, more_than("hours_since_created", 65), kind=AUTOMATION, now=monday_1030)
    assert check(
        ticket, more_than("business_hours_since_created", 2), kind=AUTOMATION, now=monday_1030
    )
    assert not check(
        ticket, more_than("business_hours_since_created", 3), kind=AUTOMATION, now=monday_1030
    )
    friday_late = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # 4 calendar hours, 1 business hour
    assert not check(
        ticket, more_than("business_hours_since_created", 2), kind=AUTOMATION, now=friday_late
    )
    # Never set to pending: a "since pending" condition does not hold either way.
    assert not check(ticket, more_than("hours_since_pending", 1), kind=AUTOMATION,
                     now=monday_1030 + timedelta(days=30))  # fmt: skip


def test_rule_lines_on_the_list_pages_name_values_in_the_readers_language() -> None:
    from django.utils import translation

    from doum.automation.conditions import describe
    from doum.automation.effects import describe_effects

    conditions = {"all": [{"field": "status", "op": "is", "value": "solved"}], "any": []}
    effects = [
        {"type": "set", "field": "status", "value": "closed"},
        {"type": "mail", "to": "requester", "subject": "s", "body": "b"},
    ]
    with translation.override("ko"):
        lines = describe(conditions) + describe_effects(effects)
    text = " ".join(lines)
    assert "해결됨" in text and "종료" in text and "요청자" in text, lines
    assert "solved" not in text and "closed" not in text and "requester" not in text


def test_rule_lines_name_the_sla_policy_they_apply(world: World) -> None:
    from doum.automation.effects import describe_effects
    from doum.sla.policy_actions import do_create_policy

    policy = do_create_policy(
        actor=world.admin, name="Gold", targets=[{"priority": "high", "metric": "first_reply",
                                                 "minutes": 60}],
    )  # fmt: skip
    lines = describe_effects([{"type": "sla_policy", "policy_id": policy.pk}])
    assert lines == ["Apply SLA policy “Gold”"]
    assert describe_effects([{"type": "sla_policy", "policy_id": 999}]) == ["Apply SLA policy 999"]
