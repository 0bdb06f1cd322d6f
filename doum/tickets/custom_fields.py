"""Validation of typed custom field values against their definitions."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from doum.core.errors import InvalidInput
from doum.core.text import normalize
from doum.tickets.models import CustomField

FieldValue = str | int | float | bool | list[str] | None


def active_definitions(applies_to: str = CustomField.AppliesTo.TICKET) -> dict[str, CustomField]:
    return {f.key: f for f in CustomField.objects.filter(applies_to=applies_to, is_active=True)}


def clean_value(definition: CustomField, raw: Any) -> FieldValue:
    """One value, checked and normalised; None clears the field."""
    field = f"custom_fields.{definition.key}"
    if raw is None or raw == "" or raw == []:
        return None
    kind = definition.field_type
    if kind == CustomField.FieldType.TEXT:
        if not isinstance(raw, str):
            raise InvalidInput(_("Expected text."), field=field)
        value = normalize(raw)
        if len(value) > definition.max_length:
            raise InvalidInput(
                _("At most %(max_length)s characters.") % {"max_length": definition.max_length},
                field=field,
            )
        return value
    if kind == CustomField.FieldType.NUMBER:
        if isinstance(raw, bool):
            raise InvalidInput(_("Expected a number."), field=field)
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation as exc:
            raise InvalidInput(_("Expected a number."), field=field) from exc
        if not number.is_finite() or abs(number) > Decimal("1e15"):
            raise InvalidInput(_("Expected a finite number below 10^15."), field=field)
        as_float = float(number)
        if math.isfinite(as_float) and as_float.is_integer() and number == number.to_integral():
            return int(number)
        return as_float
    if kind == CustomField.FieldType.CHECKBOX:
        if not isinstance(raw, bool):
            raise InvalidInput(_("Expected true or false."), field=field)
        return raw
    if kind == CustomField.FieldType.DATE:
        if not isinstance(raw, str):
            raise InvalidInput(_("Expected a date as YYYY-MM-DD."), field=field)
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError as exc:
            raise InvalidInput(_("Expected a date as YYYY-MM-DD."), field=field) from exc
    allowed = {str(o.get("value")) for o in definition.options if isinstance(o, dict)}
    if kind == CustomField.FieldType.DROPDOWN:
        if not isinstance(raw, str) or raw not in allowed:
            raise InvalidInput(
                _("'%(value)s' is not one of the field's options.") % {"value": raw}, field=field
            )
        return raw
    if kind == CustomField.FieldType.MULTISELECT:
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise InvalidInput(_("Expected a list of options."), field=field)
        bad = [v for v in raw if v not in allowed]
        if bad:
            raise InvalidInput(
                _("'%(value)s' is not one of the field's options.") % {"value": bad[0]}, field=field
            )
        return sorted(set(raw))
    raise InvalidInput(_("Unknown field type."), field=field)


def clean_values(
    raw: dict[str, Any],
    definitions: dict[str, CustomField],
    *,
    customer: bool,
) -> dict[str, FieldValue]:
    cleaned: dict[str, FieldValue] = {}
    for key, value in raw.items():
        definition = definitions.get(key)
        if definition is None:
            raise InvalidInput(
                _("Unknown custom field '%(field)s'.") % {"field": key},
                field=f"custom_fields.{key}",
            )
        if customer and not (definition.visible_to_customers and definition.editable_by_customers):
            raise InvalidInput(
                _("Custom field '%(field)s' cannot be set by customers.") % {"field": key},
                field=f"custom_fields.{key}",
            )
        cleaned[key] = clean_value(definition, value)
    return cleaned


def missing_on_solve(values: dict[str, Any], definitions: dict[str, CustomField]) -> list[str]:
    return [
        key
        for key, d in definitions.items()
        if d.required_on_solve and values.get(key) in (None, "", [])
    ]


def visible_values(values: dict[str, Any], definitions: dict[str, CustomField]) -> dict[str, Any]:
    """The values a customer may see."""
    return {
        k: v for k, v in values.items() if k in definitions and definitions[k].visible_to_customers
    }
