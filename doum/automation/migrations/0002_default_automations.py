"""The automations (and the trigger that goes with one of them) every Doum starts with.

"Close solved tickets after 4 days" is active, as in the well-known help desks; the reminder
and the escalation are examples, inactive until a manager turns them on (and adjusts their
texts) on Settings › Automations. The reminder adds a tag so that it fires once per pending
period; the example trigger removes the tag when the ticket leaves pending.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

REMINDER_TAG = "pending_reminder_sent"
ESCALATED_TAG = "escalated_unassigned"

AUTOMATIONS: list[dict[str, Any]] = [
    {
        "name": "Close solved tickets after 4 days",
        "description": "Solved tickets close 96 hours after they were solved.",
        "is_active": True,
        "conditions": {
            "all": [
                {"field": "status", "op": "is", "value": ["solved"]},
                {"field": "hours_since_solved", "op": "greater_than", "value": 96},
            ],
            "any": [],
        },
        "effects": [{"type": "set", "field": "status", "value": "closed"}],
    },
    {
        "name": "Remind pending customers after 3 days",
        "description": (
            "Mails the requester once per pending period when a ticket has waited 72 hours "
            "for their answer, and tags it."
        ),
        "is_active": False,
        "conditions": {
            "all": [
                {"field": "status", "op": "is", "value": ["pending"]},
                {"field": "hours_since_pending", "op": "greater_than", "value": 72},
                {"field": "tags", "op": "excludes", "value": [REMINDER_TAG]},
            ],
            "any": [],
        },
        "effects": [
            {
                "type": "mail",
                "to": "requester",
                "subject": "{{ticket.subject}}",
                "body": (
                    "{{requester.first_name}}님, 안녕하세요.\n\n"
                    "요청하신 건(#{{ticket.id}})에 대해 답변을 기다리고 있습니다. 이 메일에 "
                    "회신해 주시면 이어서 도와드리겠습니다.\n\n"
                    "Hello {{requester.first_name}},\n\n"
                    "We are waiting for your answer on your request #{{ticket.id}} "
                    "(“{{ticket.subject}}”). Reply to this mail and we will carry on.\n\n"
                    "{{brand.name}}"
                ),
            },
            {"type": "add_tags", "tags": [REMINDER_TAG]},
        ],
    },
    {
        "name": "Escalate unassigned tickets after 2 business hours",
        "description": (
            "Raises the priority of a ticket nobody has taken for 2 business hours (its "
            "team's calendar), tags it and tells the team lead."
        ),
        "is_active": False,
        "conditions": {
            "all": [
                {"field": "status", "op": "is", "value": ["new", "open"]},
                {"field": "assignee_id", "op": "is_empty", "value": None},
                {"field": "business_hours_since_created", "op": "greater_than", "value": 2},
                {"field": "tags", "op": "excludes", "value": [ESCALATED_TAG]},
            ],
            "any": [],
        },
        "effects": [
            {"type": "raise_priority"},
            {"type": "add_tags", "tags": [ESCALATED_TAG]},
            {
                "type": "notify",
                "to": "lead",
                "message": "#{{ticket.id}} “{{ticket.subject}}” has had no assignee for 2 "
                "business hours.",
            },
        ],
    },
]

TRIGGERS: list[dict[str, Any]] = [
    {
        "name": "Clear the pending reminder when the ticket leaves pending",
        "description": "Goes with the automation “Remind pending customers after 3 days”.",
        "is_active": False,
        "conditions": {
            "all": [
                {"field": "status", "op": "changed_from", "value": "pending"},
                {"field": "tags", "op": "includes", "value": [REMINDER_TAG]},
            ],
            "any": [],
        },
        "effects": [{"type": "remove_tags", "tags": [REMINDER_TAG]}],
    },
]


def create(apps: Any, schema_editor: Any) -> None:
    now = timezone.now()
    for model_name, rows in (("Automation", AUTOMATIONS), ("Trigger", TRIGGERS)):
        model = apps.get_model("automation", model_name)
        for position, row in enumerate(rows):
            model.objects.create(**row, position=position, created_at=now, updated_at=now)


def remove(apps: Any, schema_editor: Any) -> None:
    for model_name, rows in (("Automation", AUTOMATIONS), ("Trigger", TRIGGERS)):
        model = apps.get_model("automation", model_name)
        model.objects.filter(
            name__in=[r["name"] for r in rows], created_by__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("automation", "0001_triggers_automations_macros")]

    operations = [migrations.RunPython(create, remove)]
