"""Loading what `definitions.compute` needs for a batch of tickets (two queries).

`load(ids)` reads the tickets (the columns `TicketFacts` holds) and then their events in
(ticket, at, id) order — one query each, whatever the batch size (up to `BATCH` ids per
query pair). `compute_many(ids)` loads a batch and computes every ticket's metrics on its
team's business calendar (`calendar_for`, read once per team per call).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from doum.metrics.definitions import EventFacts, TicketFacts, TicketMetricValues, compute
from doum.sla.calendar import BusinessCalendar
from doum.sla.selectors import team_calendar
from doum.tickets.models import Ticket, TicketEvent

BATCH = 2000

_TICKET_FIELDS = (
    "pk", "created_at", "status", "channel", "priority", "type", "brand_id", "team_id",
    "assignee_id", "organization_id", "requester_id", "submitter_id", "is_spam", "deleted_at",
    "merged_into_id", "version",
)  # fmt: skip

_EVENT_FIELDS = (
    "ticket_id", "id", "kind", "field", "old_value", "new_value", "actor_id", "actor_role",
    "via", "at", "is_public", "imported", "data", "comment__metadata__email__automatic",
)  # fmt: skip


def _ticket_facts(row: Sequence[Any]) -> TicketFacts:
    (pk, created_at, status, channel, priority, type_, brand_id, team_id, assignee_id,
     organization_id, requester_id, submitter_id, is_spam, deleted_at, merged_into_id,
     version) = row  # fmt: skip
    return TicketFacts(
        id=pk,
        created_at=created_at,
        status=status,
        channel=channel,
        priority=priority,
        type=type_,
        brand_id=brand_id,
        team_id=team_id,
        assignee_id=assignee_id,
        organization_id=organization_id,
        requester_id=requester_id,
        submitter_id=submitter_id,
        is_spam=bool(is_spam),
        deleted=deleted_at is not None,
        merged_into_id=merged_into_id,
        version=version,
    )


def _event_facts(row: Sequence[Any]) -> EventFacts:
    (_, pk, kind, field, old, new, actor_id, role, via, at, public, imported, data,
     automatic) = row  # fmt: skip
    return EventFacts(
        id=pk,
        kind=kind,
        field=field or "",
        old_value=old,
        new_value=new,
        actor_id=actor_id,
        actor_role=role or "",
        via=via,
        at=at,
        is_public=public,
        imported=bool(imported),
        data=data if isinstance(data, dict) else {},
        automatic=automatic is True,
    )


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


def load(ticket_ids: Sequence[int]) -> list[tuple[TicketFacts, list[EventFacts]]]:
    """Each ticket's facts and its events ordered by (at, id); missing tickets are skipped.
    The result follows the order of `ticket_ids` (repeated ids once)."""
    ids = _unique(ticket_ids)
    out: list[tuple[TicketFacts, list[EventFacts]]] = []
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        tickets = {
            row[0]: _ticket_facts(row)
            for row in Ticket.objects.filter(pk__in=chunk).values_list(*_TICKET_FIELDS)
        }
        if not tickets:
            continue
        events: dict[int, list[EventFacts]] = {pk: [] for pk in tickets}
        rows = (
            TicketEvent.objects.filter(ticket_id__in=list(tickets))
            .order_by("ticket_id", "at", "id")
            .values_list(*_EVENT_FIELDS)
        )
        for row in rows:
            events[row[0]].append(_event_facts(row))
        out.extend((tickets[pk], events[pk]) for pk in chunk if pk in tickets)
    return out


def calendar_for(
    team_id: int | None, cache: dict[int | None, BusinessCalendar] | None = None
) -> BusinessCalendar:
    """The business calendar of a team (24/7 without one); `cache` keeps it for a batch."""
    if cache is None:
        return team_calendar(team_id)
    found = cache.get(team_id)
    if found is None:
        found = cache[team_id] = team_calendar(team_id)
    return found


def compute_many(ticket_ids: Sequence[int]) -> list[TicketMetricValues]:
    """Load and compute a batch: each existing ticket's metrics, in the order of the ids, on
    its current team's calendar."""
    calendars: dict[int | None, BusinessCalendar] = {}
    return [
        compute(facts, events, calendar_for(facts.team_id, calendars))
        for facts, events in load(ticket_ids)
    ]
