"""The trigger every Doum starts with: a CSAT survey after a ticket is solved by a person.

Active, as in the well-known help desks. Tickets solved by an automation, the system or an
import are left out by its conditions (and again by doum.surveys.delivery); spam, deleted
and merged tickets and staff requesters by delivery. A manager may turn it off or change it
on Settings › Triggers.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

NAME = "Send a satisfaction survey when a ticket is solved"
TRIGGER: dict[str, Any] = {
    "name": NAME,
    "description": (
        "Mails the requester a CSAT survey after the brand's delay (Settings › Surveys) "
        "when a person solves the ticket."
    ),
    "is_active": True,
    "conditions": {
        "all": [
            {"field": "status", "op": "changed_to", "value": "solved"},
            {"field": "via", "op": "is_not", "value": ["automation", "system", "import"]},
        ],
        "any": [],
    },
    "effects": [{"type": "survey", "kinds": ["csat"]}],
}


def create(apps: Any, schema_editor: Any) -> None:
    trigger = apps.get_model("automation", "Trigger")
    if trigger.objects.filter(name=NAME).exists():
        return
    last = trigger.objects.order_by("-position").values_list("position", flat=True).first()
    now = timezone.now()
    trigger.objects.create(**TRIGGER, position=(last or 0) + 1, created_at=now, updated_at=now)


def remove(apps: Any, schema_editor: Any) -> None:
    trigger = apps.get_model("automation", "Trigger")
    trigger.objects.filter(name=NAME, created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_surveys"),
        ("automation", "0002_default_automations"),
    ]

    operations = [migrations.RunPython(create, remove)]
