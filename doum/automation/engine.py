"""The trigger cycle: after every committed ticket change, the active triggers are checked
in order and the matching ones fire.

Semantics (Zendesk's):
* Triggers are checked in `position` order against the ticket as it is now and the change
  being processed (its events: what changed, the comment it added, where it came from).
* Each trigger fires at most once per cycle. When a trigger changes the ticket, the cycle
  starts again from the top with the triggers that have not fired yet, against the new state
  (the changes the cycle made count as part of the change: "status changed to solved" holds
  after an earlier trigger solved the ticket).
* The cycle stops when a pass fires nothing, or after `MAX_PASSES` restarts (logged). Since
  each trigger fires once, two triggers that flip a field back and forth stop by themselves.
* Changes made by triggers (via "trigger") are not cycles of their own: the cycle that made
  them re-evaluates. Other listeners that write (routing assigns a ticket) start a nested
  cycle; a context variable stops nesting at `MAX_DEPTH` (logged), so no chain of listeners
  can recurse forever.
* Historical changes (demo data, imports), deleted, spam and closed tickets are skipped.
* A trigger whose effects fail (an action refuses: a closed ticket, an assignee who left) is
  logged and skipped; nothing of it is applied, and the request that made the change never
  sees the error (this runs after commit).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from django.db.models import F

from doum.accounts.roles import Role
from doum.automation.conditions import (
    EVENT_FIELDS,
    CommentFacts,
    Facts,
    FieldChange,
    conditions_of,
    fold,
    matches,
)
from doum.automation.effects import apply_effects
from doum.automation.models import Trigger
from doum.automation.selectors import active_triggers
from doum.core import clock
from doum.core.errors import DoumError
from doum.tickets import hooks
from doum.tickets.changes import event_text
from doum.tickets.models import EventKind, Status, Ticket, TicketEvent, TicketTag, Via
from doum.tickets.rules import RuleRef

log = logging.getLogger(__name__)

MAX_PASSES = 10
MAX_DEPTH = 3

_depth: ContextVar[int] = ContextVar("doum_trigger_depth", default=0)

# Initial values of a new ticket that count as changes from nothing.
_CREATED_FIELDS = {"status", "priority", "type", "assignee", "team"}


def connect() -> None:
    """Register the ticket listener (idempotent)."""
    hooks.register(on_ticket_changed)


def on_ticket_changed(change: hooks.TicketChange) -> None:
    if change.historical or change.via == Via.TRIGGER:
        return
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        log.warning(
            "triggers: change #%s v%s not evaluated: listeners nested %d deep (a rule loop?)",
            change.ticket_id,
            change.version,
            depth,
        )
        return
    token = _depth.set(depth + 1)
    try:
        run_triggers(change)
    finally:
        _depth.reset(token)


def _load(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("brand", "requester", "assignee", "team", "organization")
        .filter(pk=ticket_id)
        .first()
    )


def _tags(ticket_id: int) -> frozenset[str]:
    return frozenset(
        TicketTag.objects.filter(ticket_id=ticket_id).values_list("tag__name", flat=True)
    )


def field_changes(events: list[TicketEvent]) -> dict[str, FieldChange]:
    """Per field: its first old and last new value over `events` (in order)."""
    changes: dict[str, FieldChange] = {}
    watched = set(EVENT_FIELDS.values())
    for event in events:
        if event.kind == EventKind.CREATED and isinstance(event.data, dict):
            for name in _CREATED_FIELDS:
                value = event.data.get(name)
                if value is not None and value != "":
                    changes[name] = FieldChange(None, event_text(value))
        elif event.kind == EventKind.FIELD_CHANGED and event.field in watched:
            prior = changes.get(event.field)
            old = prior.old if prior is not None else event.old_value
            changes[event.field] = FieldChange(old, event.new_value)
    return changes


def comment_facts(events: list[TicketEvent]) -> CommentFacts | None:
    """The (first) comment the change added."""
    for event in events:
        if event.kind == EventKind.COMMENT_ADDED and event.comment is not None:
            return CommentFacts(
                is_public=bool(event.is_public),
                author="customer" if event.actor_role == Role.CUSTOMER else "agent",
                text=fold(event.comment.body_text),
            )
    return None


def _facts(
    ticket: Ticket,
    change: hooks.TicketChange,
    events: list[TicketEvent],
    comment: CommentFacts | None,
) -> Facts:
    return Facts(
        ticket=ticket,
        tags=_tags(ticket.pk),
        now=clock.now(),
        update_type="created" if change.created else "updated",
        via=change.via,
        changes=field_changes(events),
        comment=comment,
    )


def _skipped(ticket: Ticket | None) -> bool:
    return (
        ticket is None
        or ticket.deleted_at is not None
        or ticket.is_spam
        or ticket.status == Status.CLOSED
    )


def run_triggers(change: hooks.TicketChange) -> list[int]:
    """Run the cycle for one change; the ids of the triggers that fired, in order."""
    triggers = active_triggers()
    if not triggers:
        return []
    ticket = _load(change.ticket_id)
    if ticket is None or _skipped(ticket):
        return []
    events = list(
        TicketEvent.objects.filter(ticket_id=ticket.pk, version=change.version)
        .select_related("comment")
        .order_by("id")
    )
    comment = comment_facts(events)
    facts = _facts(ticket, change, events, comment)
    fired: list[int] = []
    done: set[int] = set()
    passes = 0
    while True:
        restarted = False
        for trigger in triggers:
            if trigger.pk in done:
                continue
            if not _matches(trigger, facts):
                continue
            done.add(trigger.pk)
            version = facts.ticket.version
            if not _fire(trigger, facts.ticket.pk):
                continue
            fired.append(trigger.pk)
            fresh = _load(ticket.pk)
            if fresh is None or _skipped(fresh):
                return fired
            if fresh.version != version:
                since = list(
                    TicketEvent.objects.filter(
                        ticket_id=ticket.pk, version__gt=change.version
                    ).order_by("id")
                )
                facts = _facts(fresh, change, events + since, comment)
                restarted = True
                break
        if not restarted:
            return fired
        passes += 1
        if passes >= MAX_PASSES:
            log.warning(
                "triggers: the cycle on #%s (v%s) stopped after %d passes; fired: %s",
                ticket.pk,
                change.version,
                passes,
                fired,
            )
            return fired


def _matches(trigger: Trigger, facts: Facts) -> bool:
    try:
        return matches(conditions_of(trigger.conditions), facts)
    except Exception:
        log.exception("trigger %s (%s): its conditions could not be checked", trigger.pk, trigger)
        return False


def _fire(trigger: Trigger, ticket_id: int) -> bool:
    rule = RuleRef("trigger", trigger.pk, trigger.name)
    try:
        apply_effects(ticket_id, list(trigger.effects), rule=rule, via=Via.TRIGGER)
    except DoumError as error:
        log.warning(
            "trigger %s (%s) skipped on #%s: %s", trigger.pk, trigger.name, ticket_id, error
        )
        return False
    except Exception:
        log.exception("trigger %s (%s) failed on #%s", trigger.pk, trigger.name, ticket_id)
        return False
    Trigger.objects.filter(pk=trigger.pk).update(
        fire_count=F("fire_count") + 1, last_fired_at=clock.now()
    )
    return True
