"""Effects: the things a rule does to a ticket, shared by triggers, automations, macros and
SLA escalations. One JSON shape, one validator, one executor.

An effect list is a JSON list of objects, each with a "type":

* {"type": "set", "field": F, "value": V}: F is "status", "priority", "type", "team_id",
  "assignee_id" or "custom_fields.<key>"; V as the ticket actions take it (ids as ints,
  None clears).
* {"type": "raise_priority"}: one step up (low → normal → high → urgent; urgent stays).
* {"type": "add_tags", "tags": [...]}, {"type": "remove_tags", "tags": [...]}
* {"type": "note", "body": "..."}: an internal note (placeholders allowed).
* {"type": "mail", "to": "requester" | "assignee" | "team" | "lead" | "address",
   "address": "x@y" (for "address" only), "subject": "...", "body": "..."}: placeholders
  such as {{ticket.id}}, {{ticket.subject}}, {{requester.first_name}} are filled in; sent
  through doum.mail's outbound queue as automatic mail.
* {"type": "notify", "to": "assignee" | "lead" | "team"}: a standard notification mail.
* {"type": "webhook", "webhook_id": N}: doum.webhooks.actions.queue_webhook.
* {"type": "sla_policy", "policy_id": N}: doum.sla.actions.do_apply_policy.
* {"type": "require_skills", "skills": ["billing", ...]}:
  doum.routing.actions.do_set_required_skills.

`apply_effects` runs inside `doum.tickets.rules.applied_by(rule)`, writes every field
change through the ticket actions (one version for all "set"/tag effects), so each event
carries the rule; side effects (mail, webhooks) run after commit.
"""

from __future__ import annotations

from typing import Any

from doum.tickets.rules import RuleRef

EFFECT_TYPES = (
    "set", "raise_priority", "add_tags", "remove_tags", "note", "mail", "notify", "webhook",
    "sla_policy", "require_skills",
)  # fmt: skip


def validate_effects(
    effects: object, *, allowed: tuple[str, ...] = EFFECT_TYPES
) -> list[dict[str, Any]]:
    """The cleaned effect list, or InvalidInput naming the effect and what is wrong."""
    raise NotImplementedError


def apply_effects(
    ticket_id: int, effects: list[dict[str, Any]], *, rule: RuleRef, via: str
) -> list[str]:
    """Apply validated effects to a ticket; returns the names of what changed."""
    raise NotImplementedError
