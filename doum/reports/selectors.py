"""Reads of the reports app: the tickets of an exported list, a user's exports, reports.

The ticket export reads exactly the list the viewer sees: `doum.tickets.queues.list_state`
on the list's own query string, then `ListState.queryset(viewer)` (which starts from
`visible_tickets`), in the list's order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.accounts import roles
from doum.accounts.models import User
from doum.core.errors import NotFound
from doum.reports.exports import Cell
from doum.reports.models import Export, ScheduledReport
from doum.tickets.models import Channel, Priority, Status, Ticket, TicketType
from doum.tickets.queues import LIST_PARAMS, ListState, list_state
from doum.tickets.selectors import order_tickets

CHUNK = 2000
# Who may manage scheduled reports (the settings pages).
MANAGES_REPORTS = roles.MANAGES_PEOPLE


def sync_max_rows() -> int:
    return int(getattr(settings, "DOUM_EXPORT_SYNC_MAX_ROWS", 5000))


def list_params(params: QueryDict) -> dict[str, list[str]]:
    """The ticket list's own parameters from a query string (everything else dropped)."""
    return {name: params.getlist(name)[:20] for name in LIST_PARAMS if params.getlist(name)}


def as_query_dict(params: Mapping[str, Sequence[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in params.items():
        if name in LIST_PARAMS:
            query.setlist(name, [str(v) for v in values])
    return query


def ticket_list_state(viewer: User, params: Mapping[str, Sequence[str]]) -> ListState:
    """The list as the viewer sees it (NotFound for a view they may not open)."""
    return list_state(viewer, as_query_dict(params))


def export_queryset(viewer: User, state: ListState) -> QuerySet[Ticket]:
    qs = order_tickets(state.queryset(viewer), state.sort)
    return qs.select_related("requester", "organization", "assignee", "team").prefetch_related(
        "tags"
    )


def count_up_to(qs: QuerySet[Ticket], limit: int) -> int:
    """How many rows, counting no further than ``limit + 1``."""
    return len(qs.order_by().values_list("pk", flat=True)[: limit + 1])


TICKET_COLUMNS = (
    gettext_lazy("Number"),
    gettext_lazy("Subject"),
    gettext_lazy("Status"),
    gettext_lazy("Priority"),
    gettext_lazy("Type"),
    gettext_lazy("Channel"),
    gettext_lazy("Requester"),
    gettext_lazy("Requester e-mail"),
    gettext_lazy("Organization"),
    gettext_lazy("Team"),
    gettext_lazy("Assignee"),
    gettext_lazy("Tags"),
    gettext_lazy("Created"),
    gettext_lazy("Updated"),
    gettext_lazy("Solved"),
)


def ticket_header() -> list[Cell]:
    return [str(c) for c in TICKET_COLUMNS]


def ticket_rows(qs: QuerySet[Ticket]) -> Iterator[list[Cell]]:
    """One row per ticket, read in chunks of CHUNK (tags prefetched per chunk). The labels
    are translated now, in the active language (a streamed response iterates later)."""
    statuses = {k: str(v) for k, v in Status.choices}
    priorities = {k: str(v) for k, v in Priority.choices}
    types = {k: str(v) for k, v in TicketType.choices}
    channels = {k: str(v) for k, v in Channel.choices}
    return _rows(qs, statuses, priorities, types, channels)


def _rows(
    qs: QuerySet[Ticket],
    statuses: dict[str, str],
    priorities: dict[str, str],
    types: dict[str, str],
    channels: dict[str, str],
) -> Iterator[list[Cell]]:
    for t in qs.iterator(chunk_size=CHUNK):
        yield [
            t.pk,
            t.subject,
            statuses.get(t.status, t.status),
            priorities.get(t.priority, t.priority),
            types.get(t.type, t.type),
            channels.get(t.channel, t.channel),
            t.requester.name,
            t.requester.email,
            t.organization.name if t.organization else "",
            t.team.name if t.team else "",
            t.assignee.name if t.assignee else "",
            " ".join(tag.name for tag in t.tags.all()),
            t.created_at,
            t.updated_at,
            t.solved_at,
        ]


def my_exports(viewer: User, limit: int = 50) -> list[Export]:
    return list(Export.objects.filter(requested_by=viewer).order_by("-created_at", "-id")[:limit])


def access_export(viewer: User, export_id: int) -> Export:
    """The viewer's own export; NotFound for anyone else's (same answer as a missing one)."""
    found = Export.objects.filter(pk=export_id, requested_by=viewer).first()
    if found is None:
        raise NotFound(_("No such export."), field="export")
    return found


def scheduled_reports() -> QuerySet[ScheduledReport]:
    return ScheduledReport.objects.select_related("owner").order_by("name", "id")


def access_scheduled_report(viewer: User, report_id: int) -> ScheduledReport:
    if viewer.role not in MANAGES_REPORTS:
        raise NotFound(_("No such scheduled report."), field="report")
    found = ScheduledReport.objects.filter(pk=report_id).first()
    if found is None:
        raise NotFound(_("No such scheduled report."), field="report")
    return found


def recipient_labels(report: ScheduledReport) -> list[str]:
    """The recipients as people read them (names for users, addresses as they are)."""
    ids = [int(r["user"]) for r in report.recipients if isinstance(r, dict) and "user" in r]
    names: dict[int, Any] = dict(User.objects.filter(pk__in=ids).values_list("pk", "name"))
    out = []
    for r in report.recipients:
        if isinstance(r, dict) and "user" in r:
            out.append(str(names.get(int(r["user"]), f"#{r['user']}")))
        elif isinstance(r, dict) and "email" in r:
            out.append(str(r["email"]))
    return out
