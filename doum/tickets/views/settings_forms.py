"""Forms of the custom field and tag settings pages. They parse and type the input (one
drop-down option per line: ``value|English label|Korean label``); the actions in
field_definitions.py and tag_actions.py decide and write."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from doum.core.errors import DoumError
from doum.tickets.models import CustomField

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_OPTIONS = 500


def add_action_error(form: forms.Form, error: DoumError) -> int:
    """Show an action's error on the field it names (or on the form); return its status."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
    return error.status_code


def parse_options(text: str) -> list[dict[str, str]]:
    """``value|English label|Korean label`` per line; labels are optional, blank lines skipped."""
    options: list[dict[str, str]] = []
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate((line for line in lines if line), start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 3:
            raise ValidationError(
                gettext("Line %(n)s: write value|English label|Korean label (at most two “|”).")
                % {"n": number}
            )
        if not parts[0]:
            raise ValidationError(gettext("Line %(n)s: the value is missing.") % {"n": number})
        if any(len(p) > 100 for p in parts):
            raise ValidationError(
                gettext("Line %(n)s: values and labels have at most 100 characters.")
                % {"n": number}
            )
        option = {"value": parts[0], "label": parts[1] if len(parts) > 1 and parts[1] else parts[0]}
        if len(parts) > 2 and parts[2]:
            option["label_ko"] = parts[2]
        options.append(option)
    if len(options) > MAX_OPTIONS:
        raise ValidationError(gettext("At most %(n)s options.") % {"n": MAX_OPTIONS})
    return options


def format_options(options: list[Any]) -> str:
    lines = []
    for option in options:
        if not isinstance(option, dict):
            continue
        parts = [str(option.get("value", "")), str(option.get("label", ""))]
        if option.get("label_ko"):
            parts.append(str(option["label_ko"]))
        lines.append("|".join(parts))
    return "\n".join(lines)


class FieldForm(forms.Form):
    """What can change on an existing field."""

    label = forms.CharField(label=_("Label (English)"), max_length=100)
    label_ko = forms.CharField(label=_("Label (Korean)"), max_length=100, required=False)
    options = forms.CharField(
        label=_("Options"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        max_length=60_000,
        help_text=_("Drop-downs and multi-selects: one option per line, as "
                    "value|English label|Korean label."),
    )  # fmt: skip
    required_on_solve = forms.BooleanField(label=_("Required to solve a ticket"), required=False)
    visible_to_customers = forms.BooleanField(label=_("Visible to customers"), required=False)
    editable_by_customers = forms.BooleanField(label=_("Editable by customers"), required=False)
    max_length = forms.IntegerField(
        label=_("Maximum length (text)"), min_value=1, max_value=100_000, initial=1000
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=10_000, initial=0,
        help_text=_("Fields are shown in ascending position."),
    )  # fmt: skip

    def clean_options(self) -> list[dict[str, str]]:
        return parse_options(self.cleaned_data.get("options") or "")


class EditFieldForm(FieldForm):
    is_active = forms.BooleanField(
        label=_("Active"), required=False,
        help_text=_("An inactive field is hidden everywhere; its stored values are kept."),
    )  # fmt: skip


class NewFieldForm(FieldForm):
    applies_to = forms.ChoiceField(
        label=_("Field on"), choices=CustomField.AppliesTo.choices,
        initial=CustomField.AppliesTo.TICKET,
    )  # fmt: skip
    key = forms.CharField(
        label=_("Key"), max_length=64,
        help_text=_("Lower-case letters, digits and “_”, starting with a letter; used by the "
                    "API and cannot change later."),
    )  # fmt: skip
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomField.FieldType.choices)

    field_order = ["applies_to", "key", "label", "label_ko", "field_type"]

    def clean_key(self) -> str:
        key = str(self.cleaned_data.get("key") or "").strip()
        if not KEY_RE.match(key):
            raise ValidationError(
                gettext("Use lower-case letters, digits and “_”, starting with a letter.")
            )
        return key


class TagNameForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=200)


class TagMergeForm(forms.Form):
    target = forms.CharField(label=_("Merge into"), max_length=200)


class TagSearchForm(forms.Form):
    SORTS = (
        ("name", _("Name")),
        ("-count", _("Most used")),
        ("count", _("Least used")),
    )
    q = forms.CharField(label=_("Search tags"), required=False, max_length=80)
    sort = forms.ChoiceField(label=_("Order"), choices=SORTS, required=False)
