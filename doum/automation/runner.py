"""Time-based automations: the hourly run.

Each active automation (in order) is checked over the tickets that are not closed, deleted or
spam. A query narrows the candidates first (`conditions.prefilter`: statuses, teams, tags,
"created/updated/solved more than N hours ago" on indexed columns), in batches by id; the
conditions then decide per ticket, with the batch's tags and "set to pending"/"assigned"
instants read in one query each.

An automation fires at most once per ticket and episode (`AutomationRun`): the episode is
the instants its time conditions count from, so "remind after 3 days pending" fires again
only after the ticket has been set to pending anew. The run row is inserted in the same
transaction as the effects, before them: the unique constraint is the claim (a second
worker's insert fails and it moves on), and a firing whose effects fail leaves no row, so
the next hour tries again (and logs again). Before firing, the ticket is read again and the
conditions checked again, so a ticket that changed since the batch was read is not acted on
by stale facts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max

from doum.automation.conditions import (
    Conditions,
    Facts,
    anchors_needed,
    conditions_of,
    default_anchor,
    matches,
    prefilter,
)
from doum.automation.effects import apply_effects
from doum.automation.models import Automation, AutomationRun
from doum.core import clock
from doum.core.errors import DoumError
from doum.tickets.models import EventKind, Status, Ticket, TicketEvent, TicketTag, Via
from doum.tickets.rules import RuleRef

log = logging.getLogger(__name__)

BATCH = 500
_EVENT_ANCHORS: dict[str, dict[str, Any]] = {
    "pending": {"field": "status", "new_value": Status.PENDING},
    "assigned": {"field": "assignee", "new_value__isnull": False},
}


def run_automations(now: datetime | None = None) -> dict[int, int]:
    """Run every active automation once; how many tickets each fired on."""
    now = now or clock.now()
    fired: dict[int, int] = {}
    for automation in Automation.objects.filter(is_active=True).order_by("position", "id"):
        try:
            fired[automation.pk] = run_automation(automation, now)
        except Exception:
            log.exception("automation %s (%s) failed", automation.pk, automation.name)
    return fired


def run_automation(automation: Automation, now: datetime) -> int:
    conditions = conditions_of(automation.conditions)
    base = (
        Ticket.objects.filter(deleted_at__isnull=True, is_spam=False)
        .exclude(status=Status.CLOSED)
        .filter(prefilter(conditions, now))
        .select_related("requester", "team")
    )
    anchors = anchors_needed(conditions)
    fired = 0
    last_id = 0
    while True:
        batch = list(base.filter(pk__gt=last_id).order_by("pk")[:BATCH])
        if not batch:
            break
        last_id = batch[-1].pk
        done = set(
            AutomationRun.objects.filter(
                automation=automation, ticket_id__in=[t.pk for t in batch]
            ).values_list("ticket_id", "episode")
        )
        for facts in facts_for(batch, anchors, now):
            if not matches(conditions, facts):
                continue
            episode = episode_of(anchors, facts)
            if (facts.ticket.pk, episode) in done:
                continue
            if _fire(automation, conditions, facts.ticket.pk, anchors, now):
                fired += 1
    if fired:
        Automation.objects.filter(pk=automation.pk).update(
            fire_count=F("fire_count") + fired, last_fired_at=now
        )
    return fired


def facts_for(tickets: Sequence[Ticket], anchors: set[str], now: datetime) -> list[Facts]:
    """Facts for a batch of tickets: tags and event-based anchors in one query each."""
    ids = [t.pk for t in tickets]
    tags: dict[int, set[str]] = defaultdict(set)
    for ticket_id, name in TicketTag.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "tag__name"
    ):
        tags[ticket_id].add(name)
    instants: dict[str, dict[int, datetime]] = {}
    for anchor, where in _EVENT_ANCHORS.items():
        if anchor not in anchors:
            continue
        rows = (
            TicketEvent.objects.filter(ticket_id__in=ids, kind=EventKind.FIELD_CHANGED, **where)
            .values("ticket_id")
            .annotate(last=Max("at"))
        )
        instants[anchor] = {r["ticket_id"]: r["last"] for r in rows}
    out = []
    for ticket in tickets:
        values: dict[str, datetime | None] = {}
        for anchor in anchors:
            if anchor in instants:
                found = instants[anchor].get(ticket.pk)
                if found is None and anchor == "assigned" and ticket.assignee_id is not None:
                    found = ticket.created_at  # created assigned: no assignee event
                values[anchor] = found
            else:
                values[anchor] = default_anchor(ticket, anchor)
        out.append(
            Facts(ticket=ticket, tags=frozenset(tags.get(ticket.pk, ())), now=now, anchors=values)
        )
    return out


def episode_of(anchors: set[str], facts: Facts) -> str:
    """The instants the time conditions count from, e.g. "pending=1767225600"."""
    parts = []
    for anchor in sorted(anchors):
        instant = facts.anchors.get(anchor)
        parts.append(f"{anchor}={int(instant.timestamp()) if instant else '-'}")
    return ";".join(parts)


def _fire(
    automation: Automation, conditions: Conditions, ticket_id: int, anchors: set[str], now: datetime
) -> bool:
    rule = RuleRef("automation", automation.pk, automation.name)
    try:
        with transaction.atomic():
            fresh = Ticket.objects.select_related("requester", "team").filter(pk=ticket_id).first()
            if fresh is None or fresh.status == Status.CLOSED or fresh.deleted_at is not None:
                return False
            facts = facts_for([fresh], anchors, now)[0]
            if not matches(conditions, facts):
                return False
            AutomationRun.objects.create(
                automation=automation,
                ticket_id=ticket_id,
                episode=episode_of(anchors, facts),
                fired_at=now,
            )
            apply_effects(ticket_id, list(automation.effects), rule=rule, via=Via.AUTOMATION)
    except IntegrityError:
        return False  # another worker fired it in this episode
    except DoumError as error:
        log.warning(
            "automation %s (%s) skipped on #%s: %s",
            automation.pk,
            automation.name,
            ticket_id,
            error,
        )
        return False
    except Exception:
        log.exception("automation %s (%s) failed on #%s", automation.pk, automation.name, ticket_id)
        return False
    return True
