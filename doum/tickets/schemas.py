"""API shapes for tickets. Input models forbid unknown fields; output is built by
`serialize_*` from rows the selectors loaded (no lazy queries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from pydantic import Field

from doum.accounts.models import User
from doum.api.schemas import Input, Out
from doum.tickets.custom_fields import visible_values
from doum.tickets.models import Attachment, Comment, CustomField, Ticket, TicketEvent

# --- output -----------------------------------------------------------------------------------


class Ref(Out):
    id: int
    name: str


class PersonRef(Out):
    id: int
    name: str
    email: str | None = None
    role: str


class TicketOut(Out):
    id: int
    subject: str
    status: str
    priority: str
    type: str
    channel: str
    brand: Ref
    requester: PersonRef
    organization: Ref | None
    assignee: PersonRef | None
    team: Ref | None
    tags: list[str]
    custom_fields: dict[str, Any]
    due_at: datetime | None
    problem_id: int | None
    merged_into_id: int | None
    is_spam: bool
    deleted: bool
    created_at: datetime
    updated_at: datetime
    solved_at: datetime | None
    version: int


class AttachmentOut(Out):
    id: int
    filename: str
    content_type: str
    size: int
    inline: bool
    url: str


class CommentOut(Out):
    id: int
    author: PersonRef
    public: bool
    body_html: str
    body_text: str
    via: str
    metadata: dict[str, Any]
    created_at: datetime
    attachments: list[AttachmentOut]


class TicketDetailOut(TicketOut):
    followers: list[PersonRef]
    comments: list[CommentOut]
    comments_truncated: bool


class TicketPage(Out):
    items: list[TicketOut]
    next_cursor: str | None


class EventOut(Out):
    id: int
    ticket_id: int
    kind: str
    field: str | None
    old: str | None
    new: str | None
    actor: PersonRef | None
    actor_role: str
    via: str
    at: datetime
    comment_id: int | None
    public: bool | None
    version: int
    imported: bool
    data: dict[str, Any]


class EventPage(Out):
    items: list[EventOut]
    next_cursor: str | None


class CustomFieldOut(Out):
    id: int
    key: str
    applies_to: str
    label: str
    label_ko: str
    field_type: str
    options: list[dict[str, Any]]
    required_on_solve: bool
    visible_to_customers: bool
    editable_by_customers: bool
    max_length: int
    is_active: bool
    position: int


class TagOut(Out):
    name: str


def person(user: User, *, viewer: User) -> dict[str, Any]:
    # Customers see staff by name only: no addresses of agents leave the help desk.
    email = user.email if viewer.is_agent or user.pk == viewer.pk else None
    return {"id": user.pk, "name": user.name, "email": email, "role": user.role}


def serialize_ticket(
    ticket: Ticket,
    *,
    viewer: User,
    definitions: dict[str, CustomField],
    tag_names: list[str] | None = None,
) -> dict[str, Any]:
    """`tag_names` saves the tag query when the caller already knows them."""
    staff = viewer.is_agent
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "channel": ticket.channel,
        "brand": {"id": ticket.brand.pk, "name": ticket.brand.name},
        "requester": person(ticket.requester, viewer=viewer),
        "organization": (
            {"id": ticket.organization.pk, "name": ticket.organization.name}
            if ticket.organization
            else None
        ),
        "assignee": person(ticket.assignee, viewer=viewer) if ticket.assignee else None,
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if staff and ticket.team else None,
        "tags": (tag_names if tag_names is not None else [t.name for t in ticket.tags.all()])
        if staff
        else [],
        "custom_fields": (
            ticket.custom_fields if staff else visible_values(ticket.custom_fields, definitions)
        ),
        "due_at": ticket.due_at,
        "problem_id": ticket.problem_id if staff else None,
        "merged_into_id": ticket.merged_into_id,
        "is_spam": ticket.is_spam,
        "deleted": ticket.deleted_at is not None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "solved_at": ticket.solved_at,
        "version": ticket.version,
    }


def serialize_attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "inline": attachment.is_inline,
        "url": reverse("api-v1:download_attachment", kwargs={"attachment_id": attachment.pk}),
    }


def serialize_comment(comment: Comment, *, viewer: User) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": person(comment.author, viewer=viewer),
        "public": comment.is_public,
        "body_html": comment.body_html,
        "body_text": comment.body_text,
        "via": comment.via,
        "metadata": comment.metadata,
        "created_at": comment.created_at,
        "attachments": [serialize_attachment(a) for a in comment.attachments.all()],
    }


def serialize_event(event: TicketEvent, *, viewer: User) -> dict[str, Any]:
    return {
        "id": event.pk,
        "ticket_id": event.ticket_id,
        "kind": event.kind,
        "field": event.field or None,
        "old": event.old_value,
        "new": event.new_value,
        "actor": person(event.actor, viewer=viewer) if event.actor else None,
        "actor_role": event.actor_role,
        "via": event.via,
        "at": event.at,
        "comment_id": event.comment_id,
        "public": event.is_public,
        "version": event.version,
        "imported": event.imported,
        "data": event.data,
    }


# --- input ------------------------------------------------------------------------------------

SUBJECT = Field(min_length=1, max_length=20_000)
BODY = Field(min_length=1, max_length=1_000_000)


class TicketCreateIn(Input):
    subject: str = SUBJECT
    body: str = BODY
    body_is_html: bool = False
    public: bool = True
    requester_id: int | None = None
    requester_email: str | None = Field(default=None, max_length=254)
    requester_name: str | None = Field(default=None, max_length=200)
    brand_id: int | None = None
    channel: str | None = None
    status: str | None = None
    priority: str = "normal"
    type: str = "question"
    assignee_id: int | None = None
    team_id: int | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    due_at: datetime | None = None
    follower_ids: list[int] = Field(default_factory=list, max_length=100)
    external_id: str | None = Field(default=None, max_length=100)


class TicketUpdateIn(Input):
    version: int | None = Field(
        default=None, description="The version you last read; a stale one gets 409."
    )
    subject: str | None = Field(default=None, min_length=1, max_length=20_000)
    status: str | None = None
    priority: str | None = None
    type: str | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    due_at: datetime | None = None
    custom_fields: dict[str, Any] | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    add_tags: list[str] | None = Field(default=None, max_length=50)
    remove_tags: list[str] | None = Field(default=None, max_length=50)
    add_follower_ids: list[int] | None = Field(default=None, max_length=100)
    remove_follower_ids: list[int] | None = Field(default=None, max_length=100)


class CommentIn(Input):
    body: str = BODY
    body_is_html: bool = False
    public: bool = True
    status: str | None = None
    version: int | None = None


class MergeIn(Input):
    target_id: int
    note: str = Field(default="", max_length=10_000)


class ProblemLinkIn(Input):
    problem_id: int


class CustomFieldIn(Input):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    applies_to: str = "ticket"
    label: str = Field(min_length=1, max_length=100)
    label_ko: str = Field(default="", max_length=100)
    field_type: str
    options: list[dict[str, str]] = Field(default_factory=list, max_length=500)
    required_on_solve: bool = False
    visible_to_customers: bool = False
    editable_by_customers: bool = False
    max_length: int = Field(default=1000, ge=1, le=100_000)
    position: int = Field(default=0, ge=0)


class CustomFieldUpdateIn(Input):
    label: str | None = Field(default=None, min_length=1, max_length=100)
    label_ko: str | None = Field(default=None, max_length=100)
    options: list[dict[str, str]] | None = Field(default=None, max_length=500)
    required_on_solve: bool | None = None
    visible_to_customers: bool | None = None
    editable_by_customers: bool | None = None
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    is_active: bool | None = None
    position: int | None = Field(default=None, ge=0)
