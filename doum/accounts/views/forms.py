"""Small input helpers the people, organization and profile pages share."""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext as _

from doum.accounts.crm import FieldRow
from doum.core.errors import DoumError, InvalidInput
from doum.tickets.models import CustomField

NOTES_MAX = 10_000

RawValue = str | bool | list[str] | None


def custom_field_input(rows: list[FieldRow], data: QueryDict) -> dict[str, RawValue]:
    """The raw values a form posted for ``rows`` (inputs named ``cf_<key>``), typed as the
    validators in ``tickets.custom_fields`` expect them. Fields not in the form are left out,
    except checkboxes, whose absence means "off"."""
    raw: dict[str, RawValue] = {}
    for row in rows:
        name = f"cf_{row.key}"
        kind = row.definition.field_type
        if kind == CustomField.FieldType.CHECKBOX:
            if f"{name}__present" in data:
                raw[row.key] = data.get(name) == "on"
            continue
        if kind == CustomField.FieldType.MULTISELECT:
            if f"{name}__present" in data:
                raw[row.key] = data.getlist(name) or None
            continue
        if name in data:
            value = data.get(name, "")
            raw[row.key] = value if value.strip() else None
    return raw


def errors_by_field(error: DoumError, known: set[str]) -> dict[str, str]:
    """{field: message} for a form, with "general" for errors of no field on the form."""
    field = error.field or ""
    if field.startswith("custom_fields."):
        field = "cf_" + field.split(".", 1)[1]
    return {field if field in known else "general": error.message}


def clean_notes(value: str) -> str:
    if len(value) > NOTES_MAX:
        raise InvalidInput(
            _("At most %(max)d characters.") % {"max": NOTES_MAX},
            field="notes",
        )
    return value
