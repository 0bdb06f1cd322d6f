"""Typed custom fields: every type, valid and invalid, through the ticket actions."""

from __future__ import annotations

from typing import Any

import pytest

from doum.core import clock
from doum.core.errors import InvalidInput
from doum.tickets import actions as tickets
from doum.tickets import field_definitions
from doum.tickets.models import CustomField, EventKind, Ticket, TicketEvent, Via
from tests.personas import World

FieldType = CustomField.FieldType


def define(key: str, field_type: str, **kw: Any) -> CustomField:
    # Field definitions are instance settings; there is no ticket action for them.
    return CustomField.objects.create(
        key=key, label=key.replace("_", " ").title(), field_type=field_type,
        created_at=clock.now(), **kw,
    )  # fmt: skip


@pytest.fixture
def fields(world: World) -> dict[str, CustomField]:
    return {
        "order_ref": define("order_ref", FieldType.TEXT, max_length=20),
        "amount": define("amount", FieldType.NUMBER),
        "reason": define(
            "reason",
            FieldType.DROPDOWN,
            options=[{"value": "refund", "label": "Refund"}, {"value": "exchange", "label": "Ex"}],
        ),
        "products": define(
            "products",
            FieldType.MULTISELECT,
            options=[{"value": v, "label": v.title()} for v in ("app", "web", "card")],
        ),
        "vip": define("vip", FieldType.CHECKBOX),
        "purchased_on": define("purchased_on", FieldType.DATE),
        "contact_pref": define(
            "contact_pref", FieldType.TEXT, visible_to_customers=True, editable_by_customers=True
        ),
        "shown_only": define("shown_only", FieldType.TEXT, visible_to_customers=True),
    }


def set_fields(world: World, values: dict[str, Any]) -> Ticket:
    return tickets.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"custom_fields": values}
    )


def stored(world: World) -> dict[str, Any]:
    return Ticket.objects.get(pk=world.ticket.pk).custom_fields


VALID: list[tuple[str, Any, Any]] = [
    ("order_ref", "A-1001", "A-1001"),
    ("order_ref", "x" * 20, "x" * 20),
    ("amount", 42, 42),
    ("amount", "42", 42),
    ("amount", " 12.50 ", 12.5),
    ("amount", -3.25, -3.25),
    ("amount", "1e15", 10**15),
    ("amount", 0, 0),
    ("reason", "refund", "refund"),
    ("products", ["web", "app", "web"], ["app", "web"]),
    ("vip", True, True),
    ("vip", False, False),
    ("purchased_on", "2024-02-29", "2024-02-29"),
    ("purchased_on", " 2024-03-01 ", "2024-03-01"),
]
INVALID: list[tuple[str, Any]] = [
    ("order_ref", 1001),
    ("order_ref", "x" * 21),
    ("order_ref", ["A"]),
    ("amount", "twelve"),
    ("amount", "NaN"),
    ("amount", "Infinity"),
    ("amount", "1e16"),
    ("amount", True),
    ("amount", [1]),
    ("reason", "REFUND"),
    ("reason", "other"),
    ("reason", ["refund"]),
    ("products", "app"),
    ("products", ["app", "tv"]),
    ("products", ["app", 1]),
    ("vip", "yes"),
    ("vip", 1),
    ("purchased_on", "2023-02-29"),
    ("purchased_on", "29/02/2024"),
    ("purchased_on", 20240229),
    ("purchased_on", "2024-02-29T10:00:00"),
]


def test_valid_values_are_stored_normalised(
    world: World, fields: dict[str, CustomField], subtests: pytest.Subtests
) -> None:
    for key, raw, expected in VALID:
        with subtests.test(key=key, raw=raw):
            set_fields(world, {key: None})  # start from an empty field
            set_fields(world, {key: raw})
            value = stored(world)[key]
            assert value == expected
            assert type(value) is type(expected)
            ticket = Ticket.objects.get(pk=world.ticket.pk)
            event = TicketEvent.objects.get(
                ticket=ticket, version=ticket.version, field=f"custom_fields.{key}"
            )
            assert event.kind == EventKind.FIELD_CHANGED
            assert event.old_value is None
            assert event.new_value is not None


def test_invalid_values_are_rejected_with_the_fields_name(
    world: World, fields: dict[str, CustomField], subtests: pytest.Subtests
) -> None:
    for key, raw in INVALID:
        with subtests.test(key=key, raw=raw):
            with pytest.raises(InvalidInput) as excinfo:
                set_fields(world, {key: raw})
            assert excinfo.value.field == f"custom_fields.{key}"
            assert stored(world) == {}
            assert Ticket.objects.get(pk=world.ticket.pk).version == 4


def test_changes_and_clearing_are_recorded(world: World, fields: dict[str, CustomField]) -> None:
    set_fields(world, {"reason": "refund", "products": ["card"], "amount": 10})
    set_fields(world, {"reason": "exchange", "products": ["card", "app"], "amount": None})
    assert stored(world) == {"reason": "exchange", "products": ["app", "card"]}
    changed = {
        e.field: (e.old_value, e.new_value)
        for e in TicketEvent.objects.filter(ticket=world.ticket, version=6)
    }
    assert changed == {
        "custom_fields.reason": ("refund", "exchange"),
        "custom_fields.products": ('["card"]', '["app", "card"]'),
        "custom_fields.amount": ("10", None),
    }

    # Setting the same values again, or clearing what is empty, is not a change.
    set_fields(world, {"reason": "exchange", "amount": "", "vip": None})
    assert Ticket.objects.get(pk=world.ticket.pk).version == 6


def test_checkbox_values_are_recorded_as_true_and_false(
    world: World, fields: dict[str, CustomField]
) -> None:
    set_fields(world, {"vip": True})
    set_fields(world, {"vip": False})
    values = list(
        TicketEvent.objects.filter(ticket=world.ticket, field="custom_fields.vip")
        .order_by("id")
        .values_list("old_value", "new_value")
    )
    assert values == [(None, "true"), ("true", "false")]


def test_unknown_and_inactive_fields_are_rejected(
    world: World, fields: dict[str, CustomField]
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        set_fields(world, {"nope": "x"})
    assert excinfo.value.field == "custom_fields.nope"

    fields["reason"].is_active = False
    fields["reason"].save()
    with pytest.raises(InvalidInput) as excinfo:
        set_fields(world, {"reason": "refund"})
    assert excinfo.value.field == "custom_fields.reason"


def test_custom_fields_must_be_an_object(world: World, fields: dict[str, CustomField]) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"custom_fields": ["reason"]}
        )
    assert excinfo.value.field == "custom_fields"


def test_customers_may_set_only_fields_they_may_edit(
    world: World, fields: dict[str, CustomField]
) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.customer,
        via=Via.PORTAL,
        subject="Call me",
        body="Please call.",
        custom_fields={"contact_pref": "phone after 6pm"},
    )
    assert ticket.custom_fields == {"contact_pref": "phone after 6pm"}
    for key in ("shown_only", "order_ref"):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_create_ticket(
                actor=world.customer,
                via=Via.PORTAL,
                subject="Sneaky",
                body="Setting a staff field",
                custom_fields={key: "x"},
            )
        assert excinfo.value.field == f"custom_fields.{key}"


def test_agents_may_set_every_type_when_creating(
    world: World, fields: dict[str, CustomField]
) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent,
        via=Via.PHONE,
        subject="Refund",
        body="Refund requested by phone",
        requester_id=world.customer.pk,
        custom_fields={
            "order_ref": "A-7",
            "amount": "19.99",
            "reason": "refund",
            "products": ["card"],
            "vip": True,
            "purchased_on": "2024-01-31",
        },
    )
    assert ticket.custom_fields == {
        "order_ref": "A-7",
        "amount": 19.99,
        "reason": "refund",
        "products": ["card"],
        "vip": True,
        "purchased_on": "2024-01-31",
    }
    created = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert created.data["custom_fields"] == ticket.custom_fields


# --- definitions: keys and labels -----------------------------------------------------------


def define_by_action(world: World, **kw: Any) -> CustomField:
    params: dict[str, Any] = {"key": "order_no", "label": "Order number", "field_type": "text"}
    return field_definitions.do_create_custom_field(actor=world.manager, **{**params, **kw})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key": ""}, "key"),
        ({"key": "   "}, "key"),
        ({"key": "Order_No"}, "key"),
        ({"key": "1st"}, "key"),
        ({"key": "_order"}, "key"),
        ({"key": "order-no"}, "key"),
        ({"key": "order no"}, "key"),
        ({"key": "주문"}, "key"),
        ({"key": "o" * 65}, "key"),
        ({"label": ""}, "label"),
        ({"label": "   "}, "label"),
        ({"label": "\u200b\u2060"}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"label_ko": "가" * 101}, "label_ko"),
    ],
)
def test_a_definition_needs_a_slug_key_and_a_label(
    world: World, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        define_by_action(world, **changes)
    assert excinfo.value.field == field
    assert not CustomField.objects.exists()


@pytest.mark.parametrize("key", ["a", "order_no", "tier2", "o" * 64])
def test_slug_keys_of_1_to_64_characters_are_accepted(world: World, key: str) -> None:
    field = define_by_action(world, key=key, label="x" * 100, label_ko="가" * 100)
    assert (field.key, len(field.label), len(field.label_ko)) == (key, 100, 100)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "\ufeff"}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"label_ko": "가" * 101}, "label_ko"),
    ],
)
def test_a_changed_label_is_checked_too(world: World, changes: dict[str, Any], field: str) -> None:
    definition = define_by_action(world)
    with pytest.raises(InvalidInput) as excinfo:
        field_definitions.do_update_custom_field(definition, actor=world.manager, changes=changes)
    assert excinfo.value.field == field
    assert CustomField.objects.get(pk=definition.pk).label == "Order number"


def test_the_korean_label_may_be_cleared(world: World) -> None:
    definition = define_by_action(world, label_ko="주문 번호")
    field_definitions.do_update_custom_field(
        definition, actor=world.manager, changes={"label_ko": "", "label": " Order no. "}
    )
    stored_definition = CustomField.objects.get(pk=definition.pk)
    assert (stored_definition.label, stored_definition.label_ko) == ("Order no.", "")
