"""Reads of tickets, always through the viewer's permissions.

What a user may not see does not exist for them: `access_ticket` raises NotFound, never
Forbidden, so probing ids reveals nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from doum.accounts import roles
from doum.accounts.models import TeamMembership, User
from doum.accounts.roles import Role
from doum.core.errors import InvalidInput, NotFound
from doum.tickets import search
from doum.tickets.models import Attachment, Comment, Tag, Ticket, TicketEvent

LIST_RELATED = ("requester", "assignee", "team", "organization", "brand")


def ticket_scope(viewer: User) -> Q:
    """The condition a ticket must meet for the viewer to see it."""
    if not viewer.is_active:
        return Q(pk__in=[])
    if viewer.role == Role.CUSTOMER:
        mine = Q(requester_id=viewer.pk) | Q(ticketfollower__user_id=viewer.pk)
        if viewer.organization_id:
            mine |= Q(organization_id=viewer.organization_id, organization__shared_tickets=True)
        return mine & Q(is_spam=False, deleted_at__isnull=True)
    if viewer.role in roles.SEES_ALL_TICKETS:
        return Q()
    my_teams = TeamMembership.objects.filter(user_id=viewer.pk).values("team_id")
    scope = Q(team_id__in=my_teams) | Q(assignee_id=viewer.pk) | Q(team__isnull=True)
    if viewer.role == Role.TEAM_LEAD:
        scope |= Q(team__lead_id=viewer.pk)
    return scope


def visible_tickets(viewer: User, *, include_deleted: bool = False) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(ticket_scope(viewer))
    if viewer.role == Role.CUSTOMER:
        # Following a ticket can repeat rows through the join.
        qs = qs.distinct()
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs


def access_ticket(viewer: User, ticket_id: int, *, include_deleted: bool = False) -> Ticket:
    """The ticket if the viewer may see it; NotFound otherwise."""
    include_deleted = include_deleted and viewer.role in roles.MANAGES_PEOPLE
    ticket = (
        visible_tickets(viewer, include_deleted=include_deleted)
        .select_related(*LIST_RELATED)
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound("No such ticket.", field="ticket")
    return ticket


def visible_comments(viewer: User, ticket: Ticket) -> QuerySet[Comment]:
    qs = Comment.objects.filter(ticket=ticket).select_related("author")
    if not viewer.is_agent:
        qs = qs.filter(is_public=True)
    return qs.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    ).order_by("created_at", "id")


def ticket_events(viewer: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The audit trail of one ticket. Staff only: customers never see internal history."""
    if not viewer.is_agent:
        raise NotFound("No such ticket.", field="ticket")
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id")


SORTS = {
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "id": ("id",),
    "-id": ("-id",),
}


@dataclass
class TicketFilters:
    status: list[str] | None = None
    team_id: int | None = None
    team_ids: list[int] | None = None
    no_team: bool = False
    assignee_id: int | None = None
    unassigned: bool = False
    requester_id: int | None = None
    organization_id: int | None = None
    brand_id: int | None = None
    priority: list[str] | None = None
    type: str | None = None
    channel: str | None = None
    tag: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    q: str | None = None
    include_deleted: bool = False
    spam: bool = False


def filter_tickets(viewer: User, filters: TicketFilters) -> QuerySet[Ticket]:
    include_deleted = filters.include_deleted and viewer.role in roles.MANAGES_PEOPLE
    qs = visible_tickets(viewer, include_deleted=include_deleted)
    if viewer.is_agent:
        qs = qs.filter(is_spam=filters.spam)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.team_ids is not None:
        qs = qs.filter(team_id__in=filters.team_ids)
    if filters.no_team:
        qs = qs.filter(team__isnull=True)
    if filters.unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.requester_id is not None:
        qs = qs.filter(requester_id=filters.requester_id)
    if filters.organization_id is not None:
        qs = qs.filter(organization_id=filters.organization_id)
    if filters.brand_id is not None:
        qs = qs.filter(brand_id=filters.brand_id)
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.tag:
        qs = qs.filter(pk__in=Tag.objects.filter(name=filters.tag.lower()).values("tickets"))
    if filters.created_after:
        qs = qs.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__lt=filters.created_before)
    if filters.updated_after:
        qs = qs.filter(updated_at__gte=filters.updated_after)
    if filters.q:
        qs = _search(qs, viewer, filters.q)
    return qs


def _search(qs: QuerySet[Ticket], viewer: User, query: str) -> QuerySet[Ticket]:
    text = query.strip()
    number = text.lstrip("#")
    # ASCII digits only: "²".isdigit() is true but int("²") fails.
    is_number = number.isascii() and number.isdigit() and len(number) < 18
    by_number = Q(pk=int(number)) if is_number else Q(pk__in=[])
    subquery = search.matching_ticket_ids(text, public_only=not viewer.is_agent)
    if subquery is None:
        return qs.filter(by_number)
    return qs.filter(by_number | Q(pk__in=subquery))


def page_of_tickets(
    qs: QuerySet[Ticket], *, sort: str, limit: int, cursor: str | None
) -> tuple[list[Ticket], str | None]:
    """Keyset pagination: stable under inserts and constant-time at any depth."""
    if sort not in SORTS:
        raise InvalidInput(f"Unknown sort '{sort}'.", field="sort")
    order = SORTS[sort]
    if cursor:
        qs = qs.filter(_after_cursor(sort, cursor))
    rows = list(
        qs.select_related(*LIST_RELATED)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .order_by(*order)[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_for(sort, rows[-1])
    return rows, next_cursor


def _cursor_for(sort: str, ticket: Ticket) -> str:
    field = sort.lstrip("-")
    if field == "id":
        return str(ticket.pk)
    value: datetime = getattr(ticket, field)
    return f"{value.isoformat()}|{ticket.pk}"


def _after_cursor(sort: str, cursor: str) -> Q:
    field = sort.lstrip("-")
    descending = sort.startswith("-")
    op = "lt" if descending else "gt"
    try:
        if field == "id":
            return Q(**{f"id__{op}": int(cursor)})
        raw_value, raw_id = cursor.rsplit("|", 1)
        value = datetime.fromisoformat(raw_value)
        pk = int(raw_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("This cursor is not valid.", field="cursor") from exc
    if value.tzinfo is None:
        raise InvalidInput("This cursor is not valid.", field="cursor")
    return Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": pk})
