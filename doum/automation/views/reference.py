"""The reference shown beside the JSON editors: fields, operators, effects, placeholders."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from doum.automation import conditions
from doum.automation.effects import EFFECT_TYPES, MACRO_EFFECT_TYPES
from doum.automation.placeholders import PLACEHOLDERS


def effect_reference(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    texts = {
        "set": _(
            '{"type": "set", "field": "status" | "priority" | "type" | "team_id" | '
            '"assignee_id" | "custom_fields.<key>", "value": …} (null clears team, assignee '
            "and custom fields)"
        ),
        "raise_priority": _('{"type": "raise_priority"}: one step up; urgent stays urgent'),
        "add_tags": _('{"type": "add_tags", "tags": ["vip", …]}'),
        "remove_tags": _('{"type": "remove_tags", "tags": ["vip", …]}'),
        "note": _('{"type": "note", "body": "…"}: an internal note; placeholders allowed'),
        "mail": _(
            '{"type": "mail", "to": "requester" | "assignee" | "team" | "lead" | "address", '
            '"address": "x@example.com" (with "address" only), "subject": "…", "body": "…"}'
        ),
        "notify": _(
            '{"type": "notify", "to": "assignee" | "lead" | "team", "message": "…"}: a '
            "notification mail naming the rule and the ticket"
        ),
        "webhook": _('{"type": "webhook", "webhook_id": 3}: send the ticket to a webhook'),
        "sla_policy": _('{"type": "sla_policy", "policy_id": 2}: apply an SLA policy'),
        "require_skills": _(
            '{"type": "require_skills", "skills": ["billing", "korean:3"]}: the skills '
            "routing looks for"
        ),
        "survey": _(
            '{"type": "survey", "kinds": ["csat"] | ["ces"] | ["csat", "ces"], '
            '"delay_minutes": 60 (optional)}: schedules the satisfaction survey of the '
            "latest solve"
        ),
    }
    return [(kind, texts[kind]) for kind in kinds]


def reference_context(kind: str) -> dict[str, Any]:
    fields = [
        row
        for row in conditions.field_reference()
        if kind == "macro"
        or (kind == "trigger" and not conditions.is_time_field(row[0]))
        or (kind == "automation" and row[0] not in _TRIGGER_ONLY)
    ]
    return {
        "reference_fields": fields,
        "reference_effects": effect_reference(
            MACRO_EFFECT_TYPES if kind == "macro" else EFFECT_TYPES
        ),
        "reference_placeholders": [(name, str(text)) for name, text in PLACEHOLDERS.items()],
        "reference_kind": kind,
    }


_TRIGGER_ONLY = {
    name for name, spec in conditions.FIELDS.items() if spec.only == conditions.TRIGGER
}
