"""Forms of the automation pages: they parse the input (the JSON of conditions and effects
included); the actions in doum.automation.actions validate it and write."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.automation.models import Automation, Macro, Trigger
from doum.core.errors import DoumError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

JSON_MAX = 100_000


def add_action_error(form: forms.Form, error: DoumError) -> int:
    """Show an action's error next to the field it names (or on the form); its status."""
    field = error.field or ""
    if field.startswith(("conditions", "custom_fields")):
        field = "conditions" if "conditions" in form.fields else "effects"
    form.add_error(field if field in form.fields else None, error.message)
    return error.status_code


def _json_field(label: StrOrPromise, help_text: StrOrPromise, rows: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=JSON_MAX,
        strip=False,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "false", "class": "code"}),
    )


def _parse(form: forms.Form, name: str, empty: Any) -> Any:
    raw = form.cleaned_data.get(name) or ""
    if not raw.strip():
        return empty
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            _("This is not valid JSON: %(problem)s (line %(line)d, column %(column)d).")
            % {"problem": error.msg, "line": error.lineno, "column": error.colno}
        ) from None
    except RecursionError:
        raise forms.ValidationError(_("This JSON is nested too deeply.")) from None


def pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


class RuleForm(forms.Form):
    """A trigger or an automation."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    conditions = _json_field(
        gettext_lazy("Conditions (JSON)"),
        gettext_lazy(
            'An object with two lists: "all" (every condition must hold) and "any" (at least '
            "one must hold, when it is not empty). Each condition is "
            '{"field": …, "op": …, "value": …}; see the reference below.'
        ),
        rows=12,
    )
    effects = _json_field(
        gettext_lazy("Effects (JSON)"),
        gettext_lazy('A list of effects, each {"type": …}; see the reference below.'),
        rows=10,
    )

    def clean_conditions(self) -> Any:
        return _parse(self, "conditions", {"all": [], "any": []})

    def clean_effects(self) -> Any:
        return _parse(self, "effects", [])

    def action_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "is_active": bool(data.get("is_active")),
            "conditions": data["conditions"],
            "effects": data["effects"],
        }


def rule_initial(rule: Trigger | Automation) -> dict[str, Any]:
    return {
        "name": rule.name,
        "description": rule.description,
        "is_active": rule.is_active,
        "conditions": pretty(rule.conditions),
        "effects": pretty(rule.effects),
    }


class MacroForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    reply_body = forms.CharField(
        label=gettext_lazy("Reply text"), max_length=20_000, required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "Added as the agent's reply (or internal note) when the macro is applied. "
            "Placeholders such as {{requester.first_name}} are filled in; see the list below."
        ),
    )  # fmt: skip
    reply_public = forms.TypedChoiceField(
        label=gettext_lazy("The text is"),
        choices=(("1", gettext_lazy("a public reply")), ("0", gettext_lazy("an internal note"))),
        coerce=lambda v: v == "1", initial="1", widget=forms.RadioSelect,
    )  # fmt: skip
    effects = _json_field(
        gettext_lazy("Effects (JSON)"),
        gettext_lazy(
            'A list of effects, each {"type": …}: set, raise_priority, add_tags, '
            "remove_tags, note. Leave empty for a reply-only macro."
        ),
        rows=8,
    )

    def clean_effects(self) -> Any:
        return _parse(self, "effects", [])

    def action_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "is_active": bool(data.get("is_active")),
            "effects": data["effects"],
            "reply_body": data.get("reply_body") or "",
            "reply_public": bool(data.get("reply_public")),
        }


def macro_initial(macro: Macro) -> dict[str, Any]:
    return {
        "name": macro.name,
        "description": macro.description,
        "is_active": macro.is_active,
        "reply_body": macro.reply_body,
        "reply_public": "1" if macro.reply_public else "0",
        "effects": pretty(macro.effects) if macro.effects else "",
    }


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=(("up", "up"), ("down", "down")))


class ApplyMacroForm(forms.Form):
    macro = forms.IntegerField(min_value=1, max_value=2**62)
    version = forms.IntegerField(min_value=1, max_value=2**62, required=False)
