"""Forms of the SLA settings pages: they read the text people type (periods separated by
commas, one date per line, durations such as 1h30m, JSON effects) into the shapes the actions
take; the actions in calendar_actions.py and policy_actions.py validate every value."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.dates import WEEKDAYS
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.accounts.models import Brand, Organization, Team
from doum.core.errors import DoumError
from doum.sla.calendar_actions import time_zones
from doum.sla.models import Calendar, Metric, SlaPolicy
from doum.sla.policy_actions import (
    DEFAULT_WARN_PERCENT,
    ESCALATION_KINDS,
    format_duration,
    parse_duration,
    policy_targets,
)
from doum.tickets.custom_fields import active_definitions
from doum.tickets.models import Channel, CustomField, Priority, TicketType

ORGANIZATIONS_LISTED = 1000


def add_action_error(form: forms.Form, error: DoumError, fields: Mapping[str, str]) -> int:
    """Show an action's error next to the field it names (or on the form); return its status."""
    name = error.field or ""
    if name in fields:
        field = fields[name]
    elif name.startswith("targets."):  # targets.<metric>.<priority>: that cell of the grid
        field = "t_" + name.removeprefix("targets.").replace(".", "_")
    else:  # weekly.<day>, conditions.<key>, escalations.<kind>
        field = name.removeprefix("conditions.").replace(".", "_")
    form.add_error(field if field in form.fields else None, error.message)
    return error.status_code


def _lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip()]


# --- calendars --------------------------------------------------------------------------------

CALENDAR_ACTION_FIELDS = {"weekly": "", "calendar": ""}


class CalendarForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone"), max_length=64, initial="Asia/Seoul",
        help_text=gettext_lazy("The business hours below are wall-clock times in this zone."),
    )  # fmt: skip
    country_holidays = forms.CharField(
        label=gettext_lazy("Public holidays of"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "One per line: a two-letter country code, with a region after a hyphen if it has "
            "its own holidays (KR, US-CA, DE-BY). Lunar-calendar holidays are included."
        ),
    )  # fmt: skip
    custom_holidays = forms.CharField(
        label=gettext_lazy("Custom holidays"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One date per line (YYYY-MM-DD): closed all day."),
    )  # fmt: skip
    partial_days = forms.CharField(
        label=gettext_lazy("Partial days"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One per line: a date and its hours, such as “2026-12-31 09:00-13:00”. A date "
            "alone is closed. A partial day wins over holidays and weekly hours."
        ),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = time_zones()
        self.fields["time_zone"].widget = forms.Select(choices=[(z, z) for z in zones])
        for day in range(7):
            self.fields[f"weekly_{day}"] = forms.CharField(
                label=WEEKDAYS[day], required=False, max_length=500,
                widget=forms.TextInput(attrs={"placeholder": "09:00-12:00, 13:00-18:00"}),
            )  # fmt: skip

    def weekly_fields(self) -> list[forms.BoundField]:
        return [self[f"weekly_{day}"] for day in range(7)]

    def action_values(self) -> dict[str, Any]:
        """The calendar in the actions' terms (they validate every value)."""
        data = self.cleaned_data
        partial = []
        for line in _lines(data["partial_days"]):
            day, _sep, periods = line.partition(" ")
            partial.append({"day": day.strip(), "periods": periods.strip()})
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "weekly": {str(day): data[f"weekly_{day}"] for day in range(7)},
            "country_holidays": [
                c for c in re.split(r"[\r\n,;]+", data["country_holidays"]) if c.strip()
            ],
            "custom_holidays": data["custom_holidays"],
            "partial_days": partial,
        }


def calendar_initial(calendar: Calendar) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "country_holidays": "\n".join(
            h["country"] + (f"-{h['subdivision']}" if h.get("subdivision") else "")
            for h in calendar.country_holidays or []
        ),
        "custom_holidays": "\n".join(calendar.custom_holidays or []),
        "partial_days": "\n".join(
            f"{p['day']} {', '.join(p.get('periods') or [])}".strip()
            for p in calendar.partial_days or []
        ),
    }
    for day in range(7):
        initial[f"weekly_{day}"] = ", ".join((calendar.weekly or {}).get(str(day), []))
    return initial


NEW_CALENDAR_INITIAL: dict[str, Any] = {
    "time_zone": "Asia/Seoul",
    "country_holidays": "KR",
    **{f"weekly_{day}": "09:00-12:00, 13:00-18:00" for day in range(5)},
}


class TeamCalendarForm(forms.Form):
    team = forms.IntegerField(min_value=1)
    calendar = forms.IntegerField(min_value=1, required=False)


# --- policies ---------------------------------------------------------------------------------

POLICY_ACTION_FIELDS = {
    "calendar_id": "calendar",
    "targets": "",
    "conditions": "",
    "conditions.custom_fields": "",
    "escalations": "",
    "order": "",
}


def target_field(metric: str, priority: str) -> str:
    return f"t_{metric}_{priority}"


def business_field(metric: str, priority: str) -> str:
    return f"bh_{metric}_{priority}"


class EffectsField(forms.CharField):
    """A JSON list of effects; the action checks each effect."""

    def __init__(self, *, when: str | Promise, **kwargs: Any) -> None:
        self.when = when
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if not text or not text.strip():
            return []
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _(
                    "The effects on %(when)s are not valid JSON: %(problem)s at line %(line)d, "
                    "column %(column)d."
                )
                % {"when": self.when, "problem": exc.msg, "line": exc.lineno, "column": exc.colno}
            ) from None
        if not isinstance(parsed, list):
            raise forms.ValidationError(
                _('The effects on %(when)s must be a JSON list, such as [{"type": "notify", '
                  '"to": "assignee"}].')
                % {"when": self.when}
            )  # fmt: skip
        return parsed


class PolicyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    is_active = forms.BooleanField(
        label=gettext_lazy("Active: applies to matching tickets"), required=False, initial=True
    )
    calendar = forms.ChoiceField(
        label=gettext_lazy("Business calendar"), required=False,
        help_text=gettext_lazy(
            "Business-hours targets count the open hours of this calendar. Without one, each "
            "ticket's team calendar is used (around the clock when the team has none)."
        ),
    )  # fmt: skip
    warn_percent = forms.CharField(
        label=gettext_lazy("At risk from (percent of the target)"), max_length=3,
        initial=DEFAULT_WARN_PERCENT,
        widget=forms.NumberInput(attrs={"min": 1, "max": 99}),
        help_text=gettext_lazy("A target is “at risk” once this share of its time has passed."),
    )  # fmt: skip
    priority = forms.MultipleChoiceField(
        label=gettext_lazy("Priority"), required=False, choices=Priority.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    channel = forms.MultipleChoiceField(
        label=gettext_lazy("Channel"), required=False, choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    type = forms.MultipleChoiceField(
        label=gettext_lazy("Type"), required=False, choices=TicketType.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    team_id = forms.MultipleChoiceField(label=gettext_lazy("Team"), required=False)
    brand_id = forms.MultipleChoiceField(label=gettext_lazy("Brand"), required=False)
    organization_id = forms.MultipleChoiceField(label=gettext_lazy("Organization"), required=False)
    tags_any = forms.CharField(
        label=gettext_lazy("Has any of these tags"), required=False, max_length=1000,
        help_text=gettext_lazy("Separate tags with commas."),
    )  # fmt: skip
    tags_all = forms.CharField(
        label=gettext_lazy("Has all of these tags"), required=False, max_length=1000,
        help_text=gettext_lazy("Separate tags with commas."),
    )  # fmt: skip
    escalations_warning = EffectsField(
        when=gettext_lazy("warning (at risk)"), label=gettext_lazy("When a target is at risk"),
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    escalations_breach = EffectsField(
        when=gettext_lazy("breach"), label=gettext_lazy("When a target is breached"),
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        calendar_field = self.fields["calendar"]
        assert isinstance(calendar_field, forms.ChoiceField)
        calendar_field.choices = [
            ("", _("Each ticket's team calendar")),
            *((str(pk), name) for pk, name in Calendar.objects.order_by("name").values_list(
                "pk", "name"
            )),
        ]  # fmt: skip
        for name, model in (("team_id", Team), ("brand_id", Brand)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                (str(pk), label) for pk, label in model.objects.order_by("name").values_list(
                    "pk", "name"
                )
            ]  # fmt: skip
        organizations = self.fields["organization_id"]
        assert isinstance(organizations, forms.ChoiceField)
        data = self.data
        posted = data.getlist("organization_id") if isinstance(data, QueryDict) else []
        chosen = [v for v in posted if isinstance(v, str) and v]
        chosen += [str(v) for v in (self.initial.get("organization_id") or [])]
        listed = list(
            Organization.objects.order_by("name").values_list("pk", "name")[:ORGANIZATIONS_LISTED]
        )
        extra_ids = {int(c) for c in chosen if c.isascii() and c.isdigit() and len(c) < 18}
        extra_ids -= {pk for pk, _name in listed}
        if extra_ids:
            listed += list(Organization.objects.filter(pk__in=extra_ids).values_list("pk", "name"))
        organizations.choices = [(str(pk), label) for pk, label in listed]
        self.definitions: dict[str, CustomField] = active_definitions()
        for key, definition in self.definitions.items():
            self.fields[f"cf_{key}"] = forms.CharField(
                label=definition.label, required=False, max_length=1000,
                help_text=gettext_lazy("Values that match, separated by commas."),
            )  # fmt: skip
        for metric in Metric.values:
            for priority in Priority.values:
                self.fields[target_field(metric, priority)] = forms.CharField(
                    label=f"{Metric(metric).label}, {Priority(priority).label}",
                    required=False, max_length=40,
                    widget=forms.TextInput(attrs={"size": 7, "placeholder": "1h30m"}),
                )  # fmt: skip
                self.fields[business_field(metric, priority)] = forms.BooleanField(
                    label=gettext_lazy("business hours"), required=False
                )

    def custom_field_fields(self) -> list[forms.BoundField]:
        return [self[f"cf_{key}"] for key in self.definitions]

    def grid(self) -> list[TargetRow]:
        rows = []
        for metric in Metric.values:
            cells = []
            for priority in Priority.values:
                bound = self[target_field(metric, priority)]
                value = bound.value()
                normalized = ""
                if isinstance(value, str) and value.strip():
                    try:
                        minutes = parse_duration(value)
                    except ValueError:
                        minutes = 0
                    if minutes > 0:
                        normalized = format_duration(minutes)
                cells.append(TargetCell(bound, self[business_field(metric, priority)], normalized))
            rows.append(TargetRow(str(Metric(metric).label), cells))
        return rows

    def action_values(self) -> dict[str, Any]:
        """The policy in the actions' terms (they validate every value)."""
        data = self.cleaned_data
        conditions: dict[str, Any] = {
            key: data[key]
            for key in ("priority", "channel", "type", "team_id", "brand_id", "organization_id")
            if data.get(key)
        }
        for key in ("tags_any", "tags_all"):
            tags = [t.strip() for t in data[key].split(",") if t.strip()]
            if tags:
                conditions[key] = tags
        custom: dict[str, list[str]] = {}
        for key in self.definitions:
            values = [v.strip() for v in data[f"cf_{key}"].split(",") if v.strip()]
            if values:
                custom[key] = values
        if custom:
            conditions["custom_fields"] = custom
        targets = []
        for metric in Metric.values:
            for priority in Priority.values:
                text = data[target_field(metric, priority)].strip()
                if text:
                    targets.append({
                        "priority": priority, "metric": metric, "minutes": text,
                        "business_hours": bool(data[business_field(metric, priority)]),
                    })  # fmt: skip
        escalations = {
            kind: data[f"escalations_{kind}"]
            for kind in ESCALATION_KINDS
            if data[f"escalations_{kind}"]
        }
        return {
            "name": data["name"],
            "description": data["description"],
            "is_active": data["is_active"],
            "calendar_id": data["calendar"] or None,
            "warn_percent": data["warn_percent"],
            "conditions": conditions,
            "targets": targets,
            "escalations": escalations,
        }


@dataclass(frozen=True)
class TargetCell:
    minutes: forms.BoundField
    business_hours: forms.BoundField
    normalized: str


@dataclass(frozen=True)
class TargetRow:
    label: str
    cells: list[TargetCell]


def new_policy_initial() -> dict[str, Any]:
    initial: dict[str, Any] = {"is_active": True, "warn_percent": DEFAULT_WARN_PERCENT}
    for metric in Metric.values:
        for priority in Priority.values:
            initial[business_field(metric, priority)] = True
    return initial


def policy_initial(policy: SlaPolicy) -> dict[str, Any]:
    conditions = policy.conditions or {}
    initial: dict[str, Any] = {
        "name": policy.name,
        "description": policy.description,
        "is_active": policy.is_active,
        "calendar": str(policy.calendar_id) if policy.calendar_id else "",
        "warn_percent": policy.warn_percent,
        "tags_any": ", ".join(conditions.get("tags_any") or []),
        "tags_all": ", ".join(conditions.get("tags_all") or []),
    }
    for key in ("priority", "channel", "type"):
        initial[key] = list(conditions.get(key) or [])
    for key in ("team_id", "brand_id", "organization_id"):
        initial[key] = [str(v) for v in conditions.get(key) or []]
    for key, values in (conditions.get("custom_fields") or {}).items():
        initial[f"cf_{key}"] = ", ".join(_value_text(v) for v in values)
    for kind in ESCALATION_KINDS:
        effects = (policy.escalations or {}).get(kind)
        initial[f"escalations_{kind}"] = (
            json.dumps(effects, ensure_ascii=False, indent=2) if effects else ""
        )
    for metric in Metric.values:
        for priority in Priority.values:
            initial[business_field(metric, priority)] = True
    for target in policy_targets(policy):
        initial[target_field(target.metric, target.priority)] = format_duration(target.minutes)
        initial[business_field(target.metric, target.priority)] = target.business_hours
    return initial


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
