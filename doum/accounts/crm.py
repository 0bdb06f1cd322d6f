"""Reads for the customer (CRM) pages: finding people and organizations, their ticket counts
and one timeline of everything that happened with them, across channels.

Everything goes through the viewer's permissions: people through `visible_users`, tickets
and their comments through `visible_tickets`, so an agent sees the part of a customer's
history that lies in tickets they may see. The timeline is a keyset page over two tables
(tickets and comments) merged in Python: two queries per page, whatever the history's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from doum.accounts.models import Identity, Organization, User
from doum.accounts.roles import Role
from doum.accounts.selectors import visible_organizations, visible_users
from doum.core.errors import InvalidInput
from doum.tickets.models import UNSOLVED_STATUSES, Comment, CustomField, Status, Via
from doum.tickets.selectors import visible_tickets

PAGE_SIZE = 25
TIMELINE_SIZE = 20
EXCERPT = 240

# --- finding people and organizations -------------------------------------------------------


def search_customers(viewer: User, query: str) -> QuerySet[User]:
    """Customers the viewer may see whose name, e-mail, any identity (phone, handle) or
    organization matches ``query``; all of them, by name, when the query is empty."""
    qs = visible_users(viewer).filter(role=Role.CUSTOMER)
    text = query.strip()
    if text:
        condition = (
            Q(name__icontains=text)
            | Q(email__icontains=text)
            | Q(organization__name__icontains=text)
            | Q(pk__in=Identity.objects.filter(value__icontains=text.lower()).values("user_id"))
        )
        digits = "".join(c for c in text if c.isdigit() or c == "+")
        if len(digits) >= 4 and digits != text:
            # "010-1234 5678" finds the phone identity stored as "01012345678".
            condition |= Q(
                pk__in=Identity.objects.filter(
                    kind=Identity.Kind.PHONE, value__contains=digits
                ).values("user_id")
            )
        qs = qs.filter(condition)
    return qs.order_by("name", "id")


def search_organizations(viewer: User, query: str) -> QuerySet[Organization]:
    qs = visible_organizations(viewer)
    text = query.strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text) | Q(domains__domain__icontains=text.lower())
        ).distinct()
    return qs.annotate(member_count=Count("members", distinct=True)).order_by("name", "id")


# --- counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketCounts:
    unsolved: int
    solved: int
    total: int


def ticket_counts(viewer: User, tickets: Q) -> TicketCounts:
    """How many of the matching tickets the viewer sees are unsolved and solved (one query)."""
    solved_statuses = (Status.SOLVED, Status.CLOSED)
    row = (
        visible_tickets(viewer)
        .filter(tickets, is_spam=False)
        .aggregate(
            unsolved=Count("pk", filter=Q(status__in=UNSOLVED_STATUSES)),
            solved=Count("pk", filter=Q(status__in=solved_statuses)),
            total=Count("pk"),
        )
    )
    return TicketCounts(unsolved=row["unsolved"], solved=row["solved"], total=row["total"])


# --- the timeline ---------------------------------------------------------------------------

ItemKind = Literal["ticket", "call", "comment", "reply"]
_RANK = {"ticket": 0, "comment": 1}


@dataclass(frozen=True)
class TimelineItem:
    """One line of a person's or organization's history, newest first."""

    kind: ItemKind
    at: datetime
    ticket_id: int
    subject: str
    status: str
    channel: str  # the ticket's channel, or how the comment came in (its via)
    actor_name: str
    is_public: bool
    excerpt: str
    call_seconds: int | None
    call_direction: str
    key: str  # the cursor of this item

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label) if self.status in Status.values else self.status

    @property
    def channel_label(self) -> str:
        return str(Via(self.channel).label) if self.channel in Via.values else self.channel

    @property
    def call_duration(self) -> str:
        if self.call_seconds is None:
            return ""
        minutes, seconds = divmod(self.call_seconds, 60)
        return f"{minutes}:{seconds:02d}"


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str | None


@dataclass(frozen=True)
class _Cursor:
    at: datetime
    rank: int
    pk: int


def _parse_cursor(raw: str | None) -> _Cursor | None:
    if not raw:
        return None
    try:
        at_text, rank_text, pk_text = raw.rsplit("|", 2)
        at = datetime.fromisoformat(at_text)
        cursor = _Cursor(at=at, rank=int(rank_text), pk=int(pk_text))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(_("This page link is not valid."), field="before") from exc
    if at.tzinfo is None or cursor.rank not in _RANK.values():
        raise InvalidInput(_("This page link is not valid."), field="before")
    return cursor


def _before(cursor: _Cursor | None, rank: int, field: str) -> Q:
    """Rows of a table of ``rank`` that come after the cursor in (at, rank, id) descending."""
    if cursor is None:
        return Q()
    older = Q(**{f"{field}__lt": cursor.at})
    if cursor.rank > rank:
        return older | Q(**{field: cursor.at})
    if cursor.rank == rank:
        return older | Q(**{field: cursor.at, "pk__lt": cursor.pk})
    return older


def _key(at: datetime, rank: int, pk: int) -> str:
    return f"{at.isoformat()}|{rank}|{pk}"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _call(comment: Comment) -> tuple[int | None, str]:
    call = comment.metadata.get("call") if isinstance(comment.metadata, dict) else None
    if not isinstance(call, dict):
        return None, ""
    seconds = call.get("duration_seconds")
    direction = call.get("direction")
    return (
        seconds if isinstance(seconds, int) and not isinstance(seconds, bool) else None,
        direction if isinstance(direction, str) else "",
    )


def timeline(
    viewer: User,
    *,
    tickets: Q,
    own_comments: Q,
    cursor: str | None = None,
    limit: int = TIMELINE_SIZE,
) -> TimelinePage:
    """Tickets matching ``tickets`` (their creation), and on those tickets: comments matching
    ``own_comments`` (what the person or organization wrote), public replies to them, and
    logged phone calls — only in tickets the viewer sees, newest first.

    Internal notes are left out except calls logged as notes (a call is an interaction).
    """
    after = _parse_cursor(cursor)
    seen = visible_tickets(viewer).filter(tickets, is_spam=False)
    ticket_rows = list(
        seen.filter(_before(after, _RANK["ticket"], "created_at"))
        .select_related("submitter")
        .only(
            "id", "subject", "status", "channel", "created_at",
            "submitter__name", "submitter__email",
        )
        .order_by("-created_at", "-pk")[: limit + 1]
    )  # fmt: skip
    comment_rows = list(
        Comment.objects.filter(
            Q(ticket__in=seen.values("pk"))
            & (Q(is_public=True) | Q(metadata__has_key="call") | Q(via=Via.PHONE))
            | Q(ticket__in=visible_tickets(viewer).filter(is_spam=False).values("pk"))
            & own_comments
        )
        .filter(_before(after, _RANK["comment"], "created_at"))
        .select_related("ticket", "author")
        .only(
            "id", "is_public", "body_text", "via", "metadata", "created_at",
            "ticket__id", "ticket__subject", "ticket__status",
            "author__name", "author__email", "author__role",
        )
        .order_by("-created_at", "-pk")[: limit + 1]
    )  # fmt: skip
    items: list[TimelineItem] = [
        TimelineItem(
            kind="ticket",
            at=t.created_at,
            ticket_id=t.pk,
            subject=t.subject,
            status=t.status,
            channel=t.channel,
            actor_name=str(t.submitter),
            is_public=True,
            excerpt="",
            call_seconds=None,
            call_direction="",
            key=_key(t.created_at, _RANK["ticket"], t.pk),
        )
        for t in ticket_rows
    ]
    for c in comment_rows:
        seconds, direction = _call(c)
        is_call = seconds is not None or bool(direction) or c.via == Via.PHONE
        kind: ItemKind = "call" if is_call else ("reply" if c.author.is_agent else "comment")
        items.append(
            TimelineItem(
                kind=kind,
                at=c.created_at,
                ticket_id=c.ticket.pk,
                subject=c.ticket.subject,
                status=c.ticket.status,
                channel=c.via,
                actor_name=str(c.author),
                is_public=c.is_public,
                excerpt=_excerpt(c.body_text),
                call_seconds=seconds,
                call_direction=direction,
                key=_key(c.created_at, _RANK["comment"], c.pk),
            )
        )
    items.sort(key=lambda i: (i.at, _RANK["ticket" if i.kind == "ticket" else "comment"],
                              int(i.key.rsplit("|", 1)[1])), reverse=True)  # fmt: skip
    next_cursor = items[limit - 1].key if len(items) > limit else None
    return TimelinePage(items=items[:limit], next_cursor=next_cursor)


def person_timeline(viewer: User, person: User, cursor: str | None = None) -> TimelinePage:
    return timeline(
        viewer,
        tickets=Q(requester_id=person.pk),
        own_comments=Q(author_id=person.pk),
        cursor=cursor,
    )


def organization_timeline(
    viewer: User, organization: Organization, cursor: str | None = None
) -> TimelinePage:
    return timeline(
        viewer,
        tickets=Q(organization_id=organization.pk),
        own_comments=Q(author__organization_id=organization.pk),
        cursor=cursor,
    )


# --- custom fields --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    """A custom field definition with the value it holds on one person or organization."""

    definition: CustomField
    value: object

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def display(self) -> str:
        value = self.value
        if value is None or value == "" or value == []:
            return ""
        if isinstance(value, bool):
            return "✓" if value else "✗"
        labels = {
            str(o.get("value")): str(o.get("label") or o.get("value"))
            for o in self.definition.options
            if isinstance(o, dict)
        }
        if isinstance(value, list):
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))

    @property
    def selected(self) -> list[str]:
        value = self.value
        if isinstance(value, list):
            return [str(v) for v in value]
        return [] if value is None else [str(value)]


def field_rows(applies_to: str, values: dict[str, object]) -> list[FieldRow]:
    definitions = CustomField.objects.filter(applies_to=applies_to, is_active=True).order_by(
        "position", "id"
    )
    return [FieldRow(definition=d, value=values.get(d.key)) for d in definitions]
