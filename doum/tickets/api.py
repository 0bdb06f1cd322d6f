"""REST endpoints for tickets: each parses input, calls one action or selector, returns a
schema. Permissions live in the selectors and actions, not here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from doum.accounts import roles
from doum.accounts.actions import do_find_or_create_customer
from doum.api.auth import current_user
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.tickets import actions, selectors
from doum.tickets.custom_fields import active_definitions
from doum.tickets.field_definitions import do_create_custom_field, do_update_custom_field
from doum.tickets.models import Attachment, CustomField, Tag, TicketEvent, TicketFollower, Via
from doum.tickets.schemas import (
    CommentIn,
    CommentOut,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldUpdateIn,
    EventOut,
    EventPage,
    MergeIn,
    ProblemLinkIn,
    TagOut,
    TicketCreateIn,
    TicketDetailOut,
    TicketOut,
    TicketPage,
    TicketUpdateIn,
    person,
    serialize_comment,
    serialize_event,
    serialize_ticket,
)

router = Router(tags=["tickets"])

DETAIL_COMMENT_LIMIT = 100


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


class TicketListParams(Schema):
    status: str | None = Field(default=None, description="Comma-separated: new,open,pending")
    team_id: int | None = None
    assignee_id: int | None = None
    assignee: str | None = Field(default=None, description="'me' or 'none'")
    requester_id: int | None = None
    organization_id: int | None = None
    brand_id: int | None = None
    priority: str | None = Field(default=None, description="Comma-separated")
    type: str | None = None
    channel: str | None = None
    tag: str | None = Field(default=None, max_length=80)
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    q: str | None = Field(default=None, max_length=500, description="Full-text search")
    include_deleted: bool = False
    spam: bool = False
    sort: str = "-updated_at"
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=100)


@router.get("/tickets", response=TicketPage, summary="List and search tickets")
def list_tickets(request: HttpRequest, params: Query[TicketListParams]) -> dict[str, Any]:
    user = current_user(request)
    assignee_id = params.assignee_id
    if params.assignee == "me":
        assignee_id = user.pk
    elif params.assignee not in (None, "none"):
        raise InvalidInput(
            _("assignee is 'me' or 'none'; use assignee_id for others."), field="assignee"
        )
    filters = selectors.TicketFilters(
        status=_split(params.status),
        team_id=params.team_id,
        assignee_id=assignee_id,
        unassigned=params.assignee == "none",
        requester_id=params.requester_id,
        organization_id=params.organization_id,
        brand_id=params.brand_id,
        priority=_split(params.priority),
        type=params.type,
        channel=params.channel,
        tag=params.tag,
        created_after=params.created_after,
        created_before=params.created_before,
        updated_after=params.updated_after,
        q=params.q,
        include_deleted=params.include_deleted,
        spam=params.spam,
    )
    rows, next_cursor = selectors.page_of_tickets(
        selectors.filter_tickets(user, filters),
        sort=params.sort,
        limit=params.limit,
        cursor=params.cursor,
    )
    definitions = {} if user.is_agent else active_definitions()
    return {
        "items": [serialize_ticket(t, viewer=user, definitions=definitions) for t in rows],
        "next_cursor": next_cursor,
    }


def _detail(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id, include_deleted=True)
    comments = list(selectors.visible_comments(user, ticket)[: DETAIL_COMMENT_LIMIT + 1])
    followers = [
        f.user
        for f in TicketFollower.objects.filter(ticket=ticket).select_related("user").order_by("id")
    ]
    prefetch_related_objects([ticket], Prefetch("tags", queryset=Tag.objects.order_by("name")))
    definitions = {} if user.is_agent else active_definitions()
    data = serialize_ticket(ticket, viewer=user, definitions=definitions)
    data["followers"] = [person(f, viewer=user) for f in followers] if user.is_agent else []
    data["comments"] = [serialize_comment(c, viewer=user) for c in comments[:DETAIL_COMMENT_LIMIT]]
    data["comments_truncated"] = len(comments) > DETAIL_COMMENT_LIMIT
    return data


@router.get(
    "/tickets/{ticket_id}", response=TicketDetailOut, summary="A ticket with its conversation"
)
def get_ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return _detail(request, ticket_id)


@router.post(
    "/tickets",
    response={201: TicketOut},
    summary="Open a ticket (the conversation is at /tickets/{id} and /tickets/{id}/comments)",
)
def create_ticket(request: HttpRequest, data: TicketCreateIn) -> tuple[int, dict[str, Any]]:
    user = current_user(request)
    requester_id = data.requester_id
    if data.requester_email is not None:
        if requester_id is not None:
            raise InvalidInput(
                _("Send requester_id or requester_email, not both."), field="requester_email"
            )
        if user.role not in roles.EDITS_TICKETS:
            raise InvalidInput(
                _("Customers open tickets for themselves only."), field="requester_email"
            )
        requester_id = do_find_or_create_customer(
            actor=user, email=data.requester_email, name=data.requester_name or ""
        ).pk
    ticket = actions.do_create_ticket(
        actor=user,
        via=Via.API,
        subject=data.subject,
        body=data.body,
        body_is_html=data.body_is_html,
        requester_id=requester_id,
        brand_id=data.brand_id,
        channel=data.channel,
        status=data.status,
        priority=data.priority,
        type=data.type,
        assignee_id=data.assignee_id,
        team_id=data.team_id,
        tags=data.tags,
        custom_fields=data.custom_fields,
        due_at=data.due_at,
        follower_ids=data.follower_ids,
        public=data.public,
        external_id=data.external_id,
    )
    definitions = {} if user.is_agent else active_definitions()
    tag_names = actions.clean_tags(data.tags)  # as the action stored them
    return 201, serialize_ticket(
        ticket, viewer=user, definitions=definitions, tag_names=sorted(tag_names)
    )


@router.patch("/tickets/{ticket_id}", response=TicketDetailOut, summary="Change a ticket's fields")
def update_ticket(request: HttpRequest, ticket_id: int, data: TicketUpdateIn) -> dict[str, Any]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id)
    changes = data.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    for key in ("subject", "status", "priority", "type"):
        if key in changes and changes[key] is None:
            raise InvalidInput(_("'%(field)s' cannot be empty.") % {"field": key}, field=key)
    if not changes:
        raise InvalidInput(_("Nothing to change."))
    actions.do_update_ticket(
        ticket, actor=user, via=Via.API, changes=changes, expected_version=version
    )
    return _detail(request, ticket_id)


@router.get("/tickets/{ticket_id}/comments", response=list[CommentOut], summary="The conversation")
def list_comments(
    request: HttpRequest,
    ticket_id: int,
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id, include_deleted=True)
    rows = selectors.visible_comments(user, ticket)[offset : offset + limit]
    return [serialize_comment(c, viewer=user) for c in rows]


@router.post(
    "/tickets/{ticket_id}/comments", response={201: CommentOut}, summary="Reply or add a note"
)
def add_comment(
    request: HttpRequest, ticket_id: int, data: CommentIn
) -> tuple[int, dict[str, Any]]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id)
    comment = actions.do_add_comment(
        ticket,
        actor=user,
        via=Via.API,
        body=data.body,
        body_is_html=data.body_is_html,
        public=data.public,
        status=data.status,
        expected_version=data.version,
    )
    return 201, _comment(user, comment.pk)


def _comment(user: Any, comment_id: int) -> dict[str, Any]:
    from doum.tickets.models import Comment

    comment = (
        Comment.objects.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .get(pk=comment_id)
    )
    return serialize_comment(comment, viewer=user)


class UploadCommentForm(Schema):
    body: str = Field(min_length=1, max_length=1_000_000)
    public: bool = True
    status: str | None = None
    version: int | None = None


@router.post(
    "/tickets/{ticket_id}/comments/upload",
    response={201: CommentOut},
    summary="Reply or add a note with attachments (multipart/form-data)",
)
def add_comment_with_files(
    request: HttpRequest,
    ticket_id: int,
    form: Form[UploadCommentForm],
    files: list[UploadedFile] = File(...),  # noqa: B008
) -> tuple[int, dict[str, Any]]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id)
    limit = _max_bytes()
    uploads = []
    for f in files:
        if f.size is not None and f.size > limit:
            raise InvalidInput(
                _("'%(filename)s' is too large.")
                % {"filename": actions.clean_filename(f.name or "")},
                field="files",
            )
        uploads.append(
            actions.NewAttachment(
                filename=f.name or "attachment",
                content_type=f.content_type or "application/octet-stream",
                data=f.read(),
            )
        )
    comment = actions.do_add_comment(
        ticket,
        actor=user,
        via=Via.API,
        body=form.body,
        public=form.public,
        status=form.status,
        expected_version=form.version,
        attachments=uploads,
    )
    return 201, _comment(user, comment.pk)


def _max_bytes() -> int:
    from django.conf import settings

    return int(settings.DOUM_ATTACHMENT_MAX_BYTES)


@router.get(
    "/attachments/{attachment_id}",
    url_name="download_attachment",
    summary="Download an attachment",
    response={200: None},
)
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    user = current_user(request)
    attachment = selectors.access_attachment(user, attachment_id)
    response = FileResponse(
        default_storage.open(attachment.storage_key, "rb"),
        content_type="application/octet-stream",
        as_attachment=True,
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"download\"; filename*=UTF-8''{quote(attachment.filename)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.get(
    "/tickets/{ticket_id}/events", response=list[EventOut], summary="A ticket's audit trail"
)
def list_ticket_events(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id, include_deleted=True)
    return [serialize_event(e, viewer=user) for e in selectors.ticket_events(user, ticket)]


@router.get(
    "/ticket-events",
    response=EventPage,
    summary="Every ticket event in order (incremental export for metrics and integrations)",
)
def list_events(
    request: HttpRequest,
    after_id: int = Query(0, ge=0),
    limit: int = Query(500, ge=1, le=1000),
) -> dict[str, Any]:
    user = current_user(request)
    if not user.is_agent:
        raise NotFound(_("Not found."))
    qs = TicketEvent.objects.filter(id__gt=after_id).select_related("actor").order_by("id")
    if user.role not in roles.SEES_ALL_TICKETS:
        qs = qs.filter(ticket__in=selectors.visible_tickets(user, include_deleted=True))
    rows = list(qs[: limit + 1])
    next_cursor = str(rows[limit - 1].pk) if len(rows) > limit else None
    return {
        "items": [serialize_event(e, viewer=user) for e in rows[:limit]],
        "next_cursor": next_cursor,
    }


@router.post(
    "/tickets/{ticket_id}/merge", response=TicketDetailOut, summary="Merge into another ticket"
)
def merge_ticket(request: HttpRequest, ticket_id: int, data: MergeIn) -> dict[str, Any]:
    user = current_user(request)
    source = selectors.access_ticket(user, ticket_id)
    try:
        target = selectors.access_ticket(user, data.target_id)
    except NotFound as exc:
        raise InvalidInput(_("No such target ticket."), field="target_id") from exc
    actions.do_merge_tickets(source, target, actor=user, via=Via.API, note=data.note)
    return _detail(request, target.pk)


@router.put("/tickets/{ticket_id}/problem", response=TicketDetailOut, summary="Link to a problem")
def link_problem(request: HttpRequest, ticket_id: int, data: ProblemLinkIn) -> dict[str, Any]:
    user = current_user(request)
    incident = selectors.access_ticket(user, ticket_id)
    try:
        problem = selectors.access_ticket(user, data.problem_id)
    except NotFound as exc:
        raise InvalidInput(_("No such problem ticket."), field="problem_id") from exc
    actions.do_link_problem(incident, problem, actor=user, via=Via.API)
    return _detail(request, ticket_id)


@router.delete(
    "/tickets/{ticket_id}/problem", response=TicketDetailOut, summary="Unlink the problem"
)
def unlink_problem(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    user = current_user(request)
    incident = selectors.access_ticket(user, ticket_id)
    actions.do_unlink_problem(incident, actor=user, via=Via.API)
    return _detail(request, ticket_id)


@router.post("/tickets/{ticket_id}/spam", response=TicketDetailOut, summary="Mark as spam")
def mark_spam(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id)
    actions.do_mark_spam(ticket, actor=user, via=Via.API)
    return _detail(request, ticket_id)


@router.delete("/tickets/{ticket_id}", response={204: None}, summary="Delete (restorable)")
def delete_ticket(request: HttpRequest, ticket_id: int) -> tuple[int, None]:
    user = current_user(request)
    ticket = selectors.access_ticket(user, ticket_id)
    actions.do_delete_ticket(ticket, actor=user, via=Via.API)
    return 204, None


@router.post(
    "/tickets/{ticket_id}/restore",
    response=TicketDetailOut,
    summary="Restore a deleted or spam ticket",
)
def restore_ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    user = current_user(request)
    if user.role not in roles.MANAGES_PEOPLE:
        # Others cannot see deleted tickets at all.
        selectors.access_ticket(user, ticket_id)
        raise Forbidden(_("Only managers and admins may restore tickets."))
    ticket = selectors.access_ticket(user, ticket_id, include_deleted=True)
    actions.do_restore_ticket(ticket, actor=user, via=Via.API)
    return _detail(request, ticket_id)


# --- tags and custom fields -----------------------------------------------------------------


@router.get("/tags", response=list[TagOut], summary="Tags in use", tags=["tags"])
def list_tags(
    request: HttpRequest,
    q: str | None = Query(None, max_length=80),
    limit: int = Query(100, ge=1, le=1000),
) -> list[Tag]:
    user = current_user(request)
    if not user.is_agent:
        return []
    qs = Tag.objects.order_by("name")
    if q:
        qs = qs.filter(name__startswith=q.strip().lower())
    return list(qs[:limit])


@router.get(
    "/custom-fields",
    response=list[CustomFieldOut],
    summary="Custom field definitions",
    tags=["custom fields"],
)
def list_custom_fields(request: HttpRequest, applies_to: str = "ticket") -> list[CustomField]:
    user = current_user(request)
    qs = CustomField.objects.filter(applies_to=applies_to)
    if not user.is_agent:
        qs = qs.filter(visible_to_customers=True, is_active=True)
    return list(qs)


@router.post(
    "/custom-fields",
    response={201: CustomFieldOut},
    summary="Define a custom field",
    tags=["custom fields"],
)
def create_custom_field(request: HttpRequest, data: CustomFieldIn) -> tuple[int, CustomField]:
    user = current_user(request)
    if not user.is_agent:
        raise NotFound(_("Not found."))
    field = do_create_custom_field(actor=user, **data.model_dump())
    return 201, field


@router.patch(
    "/custom-fields/{field_id}",
    response=CustomFieldOut,
    summary="Change a custom field",
    tags=["custom fields"],
)
def update_custom_field(
    request: HttpRequest, field_id: int, data: CustomFieldUpdateIn
) -> CustomField:
    user = current_user(request)
    field = CustomField.objects.filter(pk=field_id).first()
    if field is None or not user.is_agent:
        raise NotFound(_("No such custom field."))
    return do_update_custom_field(field, actor=user, changes=data.model_dump(exclude_unset=True))
