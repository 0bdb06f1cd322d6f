"""Automation models (fields and constraints only; writers are in actions.py).

* `Trigger`: conditions checked on every ticket change (create or update), in `position`
  order; effects applied when they hold. See doum.automation.engine.
* `Automation`: conditions checked hourly over unclosed tickets (time since created, updated,
  pending, solved, assigned, in calendar or business hours); effects applied at most once per
  ticket and episode (`AutomationRun`). An automation must have a condition its own effects
  make false (Zendesk asks the same), so a ticket does not match again right after it fired.
* `Macro`: a named bundle of effects plus a reply text that an agent applies to a ticket in
  one click; personal (`owner`) or shared (`owner` empty, managed by managers and admins).

Conditions and effects are JSON, validated by doum.automation.conditions and
doum.automation.effects before they are saved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


def _empty_conditions() -> dict[str, list[object]]:
    return {"all": [], "any": []}


class Rule(models.Model):
    """What triggers and automations share."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    conditions = models.JSONField(default=_empty_conditions)
    effects = models.JSONField(default=list)
    fire_count = models.PositiveBigIntegerField(default=0)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Trigger(Rule):
    """Runs on ticket changes; the first-listed active triggers run first."""

    class Meta(Rule.Meta):
        indexes = [models.Index(fields=["is_active", "position", "id"], name="trigger_active")]


class Automation(Rule):
    """Runs hourly over unclosed tickets."""

    class Meta(Rule.Meta):
        indexes = [models.Index(fields=["is_active", "position", "id"], name="automation_active")]


class AutomationRun(models.Model):
    """One firing of an automation on a ticket, in one episode.

    The episode names the instants the automation's time conditions count from (e.g. the
    moment the ticket was set to pending), so "remind after 3 days pending" fires once per
    pending period; an automation without time conditions has one episode per ticket. The
    unique constraint is the claim: a worker inserts the row before it fires, so two workers
    never fire the same automation on the same ticket twice.
    """

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    episode = models.CharField(max_length=200, blank=True, default="")
    fired_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["automation", "ticket", "episode"], name="automation_run_once"
            ),
        ]
        indexes = [models.Index(fields=["ticket"], name="automation_run_ticket")]

    def __str__(self) -> str:
        return f"automation {self.automation_id} on #{self.ticket_id}"


class Macro(models.Model):
    """Effects and a reply an agent applies in one click. `owner` empty: shared."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
    )
    effects = models.JSONField(default=list)
    reply_body = models.TextField(blank=True, default="")
    reply_public = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    usage_count = models.PositiveBigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["owner", "position", "id"], name="macro_owner")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None
