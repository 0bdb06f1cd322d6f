"""Reads of tickets, always through the viewer's permissions.

What a user may not see does not exist for them: `access_ticket` raises NotFound, never
Forbidden, so probing ids reveals nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import (
    Case,
    DateTimeField,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import TeamMembership, User
from doum.accounts.roles import Role
from doum.core.errors import InvalidInput, NotFound
from doum.tickets import search
from doum.tickets.models import (
    PRIORITY_RANK,
    Attachment,
    Comment,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)

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
        raise NotFound(_("No such ticket."), field="ticket")
    return ticket


def access_attachment(viewer: User, attachment_id: int) -> Attachment:
    """An attachment whose ticket the viewer may see; customers only those on public replies."""
    attachment = Attachment.objects.select_related("comment").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such attachment."))
    access_ticket(viewer, attachment.ticket_id)
    if not viewer.is_agent and (attachment.comment is None or not attachment.comment.is_public):
        raise NotFound(_("No such attachment."))
    return attachment


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
        raise NotFound(_("No such ticket."), field="ticket")
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id")


# Each sort is a keyset: the columns a page is ordered by, ending in the primary key so the
# order is total. Priority and status sort by their rank (urgent above high, new before open),
# not by their text; ``order_tickets`` adds those ranks to the query.
SORTS: dict[str, tuple[str, ...]] = {
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "id": ("id",),
    "-id": ("-id",),
    "priority": ("priority_rank", "-updated_at", "-id"),
    "-priority": ("-priority_rank", "-updated_at", "-id"),
    "status": ("status_rank", "-updated_at", "-id"),
    "-status": ("-status_rank", "-updated_at", "-id"),
    # The next SLA deadline (doum.sla's TicketSla.next_deadline), tickets without one last.
    "sla_next_deadline": ("sla_due_at", "id"),
    "-sla_next_deadline": ("-sla_late_at", "-id"),
}
STATUS_RANK: dict[str, int] = {
    Status.NEW: 1,
    Status.OPEN: 2,
    Status.PENDING: 3,
    Status.ON_HOLD: 4,
    Status.SOLVED: 5,
    Status.CLOSED: 6,
}
_RANKS: dict[str, tuple[str, dict[str, int]]] = {
    "priority_rank": ("priority", {str(k): v for k, v in PRIORITY_RANK.items()}),
    "status_rank": ("status", {str(k): v for k, v in STATUS_RANK.items()}),
}
# The next SLA deadline with a stand-in for "none" that sorts it last either way.
_DEADLINES: dict[str, datetime] = {
    "sla_due_at": datetime(9999, 1, 1, tzinfo=UTC),
    "sla_late_at": datetime(1970, 1, 1, tzinfo=UTC),
}


def order_tickets(qs: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    """``qs`` in the order of ``sort`` (one of SORTS), with the ranks it sorts by."""
    order = SORTS[sort]
    for field in order:
        name = field.lstrip("-")
        if name in _RANKS:
            column, ranks = _RANKS[name]
            whens = [When(**{column: value}, then=Value(rank)) for value, rank in ranks.items()]
            qs = qs.annotate(**{name: Case(*whens, default=Value(0), output_field=IntegerField())})
        elif name in _DEADLINES:
            none = Value(_DEADLINES[name], output_field=DateTimeField())
            qs = qs.annotate(**{name: Coalesce(F("sla__next_deadline"), none)})
    return qs.order_by(*order)


def sort_value(ticket: Ticket, name: str) -> datetime | int:
    """The value of one keyset column (without the direction sign) for a loaded ticket."""
    if name == "id":
        return int(ticket.pk)
    if name in _RANKS:
        column, ranks = _RANKS[name]
        return ranks.get(getattr(ticket, column), 0)
    if name in _DEADLINES:
        # Annotated on listed tickets; read from the ticket's SLA row otherwise.
        deadline = getattr(ticket, name, None)
        if deadline is None:
            sla = getattr(ticket, "sla", None)
            deadline = getattr(sla, "next_deadline", None)
        return deadline if isinstance(deadline, datetime) else _DEADLINES[name]
    value: datetime = getattr(ticket, name)
    return value


def keyset_beyond(
    order: tuple[str, ...], values: tuple[datetime | int, ...], *, forward: bool
) -> Q:
    """Rows strictly after (``forward``) or before the row with ``values`` in ``order``."""
    condition = Q(pk__in=[])
    equal = Q()
    for field, value in zip(order, values, strict=True):
        name = field.lstrip("-")
        descending = field.startswith("-")
        op = "lt" if descending == forward else "gt"
        column = "pk" if name == "id" else name
        condition |= equal & Q(**{f"{column}__{op}": value})
        equal &= Q(**{column: value})
    if len(order) > 1:
        # The same bound again, on the first column alone: implied by the OR above, but a
        # form the database can start an index range scan from (without it PostgreSQL read a
        # whole index backwards, 90 ms at 100,000 tickets, to find the previous ticket).
        first = order[0]
        column = "pk" if first.lstrip("-") == "id" else first.lstrip("-")
        op = "lte" if first.startswith("-") == forward else "gte"
        condition &= Q(**{f"{column}__{op}": values[0]})
    return condition


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
    sla: str | None = None  # "at_risk" or "breached" (doum.sla's TicketSla flags)
    # Any further condition, ANDed in (a saved view's conditions, the list page's filters).
    where: Q | None = None


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
    if filters.sla is not None:
        qs = qs.filter(sla_state_condition(filters.sla))
    if filters.where is not None:
        qs = qs.filter(filters.where)
    if filters.q:
        qs = _search(qs, viewer, filters.q)
    return qs


SLA_STATES = ("at_risk", "breached")


def sla_state_condition(state: str) -> Q:
    """Tickets whose SLA is at risk (a target past its warning, none breached) or breached."""
    if state == "at_risk":
        return Q(sla__at_risk=True, sla__breached=False)
    if state == "breached":
        return Q(sla__breached=True)
    return Q(pk__in=[])


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


@dataclass
class TicketWindow:
    """One page of a keyset-paginated list and the cursors of the pages on either side."""

    rows: list[Ticket]
    next_cursor: str | None  # pass as ``after`` for the next page
    previous_cursor: str | None  # pass as ``before`` for the previous page
    at_start: bool  # this is the first page


def window_of_tickets(
    qs: QuerySet[Ticket],
    *,
    sort: str,
    limit: int,
    after: str | None = None,
    before: str | None = None,
) -> TicketWindow:
    """A page after ``after`` (or before ``before``, or the first page): constant-time at any
    depth and stable under inserts."""
    if sort not in SORTS:
        raise InvalidInput(_("Unknown sort '%(sort)s'.") % {"sort": sort}, field="sort")
    order = SORTS[sort]
    backward = bool(before) and not after
    cursor = before if backward else after
    if backward:
        order = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in order)
    qs = order_tickets(qs, sort).order_by(*order)
    if cursor:
        qs = qs.filter(keyset_beyond(order, _parse_cursor(order, cursor), forward=True))
    rows = list(
        qs.select_related(*LIST_RELATED).prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("id", "name").order_by("name"))
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        rows.reverse()
        return TicketWindow(
            rows=rows,
            next_cursor=_cursor_for(sort, rows[-1]) if rows else before,
            previous_cursor=_cursor_for(sort, rows[0]) if more and rows else None,
            at_start=not more,
        )
    return TicketWindow(
        rows=rows,
        next_cursor=_cursor_for(sort, rows[-1]) if more else None,
        previous_cursor=(_cursor_for(sort, rows[0]) if rows else after) if after else None,
        at_start=not after,
    )


def page_of_tickets(
    qs: QuerySet[Ticket], *, sort: str, limit: int, cursor: str | None
) -> tuple[list[Ticket], str | None]:
    """Keyset pagination: stable under inserts and constant-time at any depth."""
    window = window_of_tickets(qs, sort=sort, limit=limit, after=cursor)
    return window.rows, window.next_cursor


def _cursor_for(sort: str, ticket: Ticket) -> str:
    parts = []
    for field in SORTS[sort]:
        value = sort_value(ticket, field.lstrip("-"))
        parts.append(value.isoformat() if isinstance(value, datetime) else str(value))
    return "|".join(parts)


def _parse_cursor(order: tuple[str, ...], cursor: str) -> tuple[datetime | int, ...]:
    raw = cursor.split("|")
    if len(raw) != len(order):
        raise InvalidInput(_("This cursor is not valid."), field="cursor")
    values: list[datetime | int] = []
    try:
        for field, text in zip(order, raw, strict=True):
            if field.lstrip("-").endswith("_at"):
                instant = datetime.fromisoformat(text)
                if instant.tzinfo is None:
                    raise ValueError("naive")
                values.append(instant)
            else:
                values.append(int(text))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(_("This cursor is not valid."), field="cursor") from exc
    return tuple(values)
