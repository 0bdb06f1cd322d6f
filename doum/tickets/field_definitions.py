"""Writers of custom field definitions (the fields themselves; values live on tickets)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import AuditLog, User
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import is_blank, single_line
from doum.tickets.models import CustomField

WITH_OPTIONS = {CustomField.FieldType.DROPDOWN, CustomField.FieldType.MULTISELECT}
KEY_MAX = 64
LABEL_MAX = 100
# A key names the field in the API, in conditions and in stored values: a slug that starts
# with a letter (the settings form checks the same).
_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")


def _check_key(key: Any) -> str:
    key = key.strip() if isinstance(key, str) else ""
    if not key:
        raise InvalidInput(_("A custom field needs a key."), field="key")
    if len(key) > KEY_MAX:
        raise InvalidInput(
            _("A key has at most %(max)s characters.") % {"max": KEY_MAX}, field="key"
        )
    if not _KEY_RE.fullmatch(key):
        raise InvalidInput(
            _("Use lower-case letters, digits and “_”, starting with a letter."), field="key"
        )
    return key


def _check_label(value: Any, field: str) -> str:
    """A label (``label``, required) or a Korean label (``label_ko``, may be empty)."""
    label = single_line(value) if isinstance(value, str) else ""
    if field == "label" and is_blank(label):
        raise InvalidInput(_("A custom field needs a label."), field=field)
    if len(label) > LABEL_MAX:
        if field == "label":
            message = _("The label has at most %(max)s characters.")
        else:
            message = _("The Korean label has at most %(max)s characters.")
        raise InvalidInput(message % {"max": LABEL_MAX}, field=field)
    return label


def _check_options(field_type: str, options: list[dict[str, Any]]) -> list[dict[str, str]]:
    if field_type not in WITH_OPTIONS:
        if options:
            raise InvalidInput(
                _("Only drop-downs and multi-selects have options."), field="options"
            )
        return []
    if not options:
        raise InvalidInput(_("A drop-down needs at least one option."), field="options")
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for option in options:
        value = single_line(str(option.get("value", "")))
        label = single_line(str(option.get("label", value)))
        if not value or len(value) > 100:
            raise InvalidInput(_("Each option needs a value of 1-100 characters."), field="options")
        if value in seen:
            raise InvalidInput(
                _("The option '%(value)s' is listed twice.") % {"value": value}, field="options"
            )
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
        raise Forbidden(_("Only managers and admins define custom fields."))
    key = _check_key(key)
    label = _check_label(label, "label")
    label_ko = _check_label(label_ko, "label_ko")
    if field_type not in CustomField.FieldType.values:
        raise InvalidInput(
            _("Unknown field type '%(field_type)s'.") % {"field_type": field_type},
            field="field_type",
        )
    if applies_to not in CustomField.AppliesTo.values:
        raise InvalidInput(
            _("Unknown target '%(applies_to)s'.") % {"applies_to": applies_to}, field="applies_to"
        )
    if CustomField.objects.filter(applies_to=applies_to, key=key).exists():
        raise InvalidInput(_("A field with the key '%(key)s' exists.") % {"key": key}, field="key")
    if editable_by_customers and not visible_to_customers:
        raise InvalidInput(
            _("A field customers edit must be visible to them."), field="editable_by_customers"
        )
    field = CustomField.objects.create(
        key=key,
        applies_to=applies_to,
        label=label,
        label_ko=label_ko,
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
        raise Forbidden(_("Only managers and admins define custom fields."))
    unknown = set(changes) - UPDATABLE
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(
            _("'%(field)s' cannot be changed (make a new field instead).") % {"field": name},
            field=name,
        )
    for key, value in changes.items():
        if key == "options":
            value = _check_options(field.field_type, value)
        elif key in ("label", "label_ko"):
            value = _check_label(value, key)
        setattr(field, key, value)
    if field.editable_by_customers and not field.visible_to_customers:
        raise InvalidInput(
            _("A field customers edit must be visible to them."), field="editable_by_customers"
        )
    field.save(update_fields=sorted(changes))
    _audit(actor, "custom_field.updated", field, fields=sorted(changes))
    return field
