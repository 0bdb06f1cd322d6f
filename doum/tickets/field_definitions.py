"""Writers of custom field definitions (the fields themselves; values live on tickets)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from doum.accounts import roles
from doum.accounts.models import AuditLog, User
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import single_line
from doum.tickets.models import CustomField

WITH_OPTIONS = {CustomField.FieldType.DROPDOWN, CustomField.FieldType.MULTISELECT}


def _check_options(field_type: str, options: list[dict[str, Any]]) -> list[dict[str, str]]:
    if field_type not in WITH_OPTIONS:
        if options:
            raise InvalidInput("Only drop-downs and multi-selects have options.", field="options")
        return []
    if not options:
        raise InvalidInput("A drop-down needs at least one option.", field="options")
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for option in options:
        value = single_line(str(option.get("value", "")))
        label = single_line(str(option.get("label", value)))
        if not value or len(value) > 100:
            raise InvalidInput("Each option needs a value of 1-100 characters.", field="options")
        if value in seen:
            raise InvalidInput(f"The option '{value}' is listed twice.", field="options")
        seen.add(value)
        entry = {"value": value, "label": label or value}
        if option.get("label_ko"):
            entry["label_ko"] = single_line(str(option["label_ko"]))
        cleaned.append(entry)
    return cleaned


def _audit(actor: User | None, action: str, field: CustomField, **data: Any) -> None:
    AuditLog.objects.create(
        actor=actor, action=action, target_type="customfield", target_id=str(field.pk),
        data=data, at=clock.now(),
    )  # fmt: skip


@transaction.atomic
def do_create_custom_field(
    *,
    actor: User | None,
    key: str,
    label: str,
    field_type: str,
    applies_to: str = CustomField.AppliesTo.TICKET,
    label_ko: str = "",
    options: list[dict[str, Any]] | None = None,
    required_on_solve: bool = False,
    visible_to_customers: bool = False,
    editable_by_customers: bool = False,
    max_length: int = 1000,
    position: int = 0,
) -> CustomField:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE:
        raise Forbidden("Only managers and admins define custom fields.")
    if field_type not in CustomField.FieldType.values:
        raise InvalidInput(f"Unknown field type '{field_type}'.", field="field_type")
    if applies_to not in CustomField.AppliesTo.values:
        raise InvalidInput(f"Unknown target '{applies_to}'.", field="applies_to")
    if CustomField.objects.filter(applies_to=applies_to, key=key).exists():
        raise InvalidInput(f"A field with the key '{key}' exists.", field="key")
    if editable_by_customers and not visible_to_customers:
        raise InvalidInput(
            "A field customers edit must be visible to them.", field="editable_by_customers"
        )
    field = CustomField.objects.create(
        key=key,
        applies_to=applies_to,
        label=single_line(label),
        label_ko=single_line(label_ko),
        field_type=field_type,
        options=_check_options(field_type, options or []),
        required_on_solve=required_on_solve,
        visible_to_customers=visible_to_customers,
        editable_by_customers=editable_by_customers,
        max_length=max_length,
        position=position,
        created_at=clock.now(),
    )
    _audit(actor, "custom_field.created", field, key=key, field_type=field_type)
    return field


UPDATABLE = {
    "label", "label_ko", "options", "required_on_solve", "visible_to_customers",
    "editable_by_customers", "max_length", "is_active", "position",
}  # fmt: skip


@transaction.atomic
def do_update_custom_field(
    field: CustomField, *, actor: User | None, changes: dict[str, Any]
) -> CustomField:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE:
        raise Forbidden("Only managers and admins define custom fields.")
    unknown = set(changes) - UPDATABLE
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(f"'{name}' cannot be changed (make a new field instead).", field=name)
    for key, value in changes.items():
        if key == "options":
            value = _check_options(field.field_type, value)
        elif key in ("label", "label_ko"):
            value = single_line(value)
        setattr(field, key, value)
    if field.editable_by_customers and not field.visible_to_customers:
        raise InvalidInput(
            "A field customers edit must be visible to them.", field="editable_by_customers"
        )
    field.save(update_fields=sorted(changes))
    _audit(actor, "custom_field.updated", field, fields=sorted(changes))
    return field
