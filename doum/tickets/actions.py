"""The only writers of tickets. Every web page, API endpoint, mail parser and importer calls
these functions, so a ticket behaves the same whichever door it came in by.

Each action is one transaction: it locks the ticket, checks what the actor may do, applies
the change, bumps the ticket's version, writes one TicketEvent per change, and queues
after-commit hooks. Nothing is written when any step fails.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from doum.accounts.actions import default_brand
from doum.accounts.models import AuditLog, Brand, Team, TeamMembership, User
from doum.accounts.roles import EDITS_TICKETS, Role
from doum.core import clock
from doum.core.errors import Conflict, Forbidden, InvalidInput
from doum.core.text import html_to_text, normalize, sanitize_html, single_line, text_to_html
from doum.tickets import hooks, search
from doum.tickets.custom_fields import active_definitions, clean_values, missing_on_solve
from doum.tickets.models import (
    UNSOLVED_STATUSES,
    Attachment,
    Channel,
    Comment,
    EventKind,
    Priority,
    SearchEntry,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketTag,
    TicketType,
    Via,
)
from doum.tickets.permissions import (
    check_can_comment,
    check_can_delete,
    check_can_edit,
    is_participant,
)

SUBJECT_MAX = 20_000
BODY_MAX = 1_000_000
TAG_MAX = 80
MAX_TAGS = 50
MAX_ATTACHMENTS = 20


# --- small helpers ----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """An event value as text: ids as decimal strings, instants in ISO 8601, empty as NULL."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def clean_subject(value: str) -> str:
    subject = single_line(value)
    if not subject:
        raise InvalidInput("A ticket needs a subject.", field="subject")
    if len(subject) > SUBJECT_MAX:
        raise InvalidInput(f"The subject is longer than {SUBJECT_MAX} characters.", field="subject")
    return subject


def clean_tags(values: Iterable[str], field: str = "tags") -> list[str]:
    out: list[str] = []
    for raw in values:
        if not isinstance(raw, str):
            raise InvalidInput("Tags are text.", field=field)
        tag = single_line(raw).lower().replace(" ", "_")
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise InvalidInput(f"A tag has at most {TAG_MAX} characters.", field=field)
        if any(c in tag for c in ",<>\"'`"):
            raise InvalidInput(f"The tag '{tag}' contains a character tags cannot hold.", field=field)
        out.append(tag)
    unique = list(dict.fromkeys(out))
    if len(unique) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags per ticket.", field=field)
    return unique


def _choice(value: str, choices: type[Status | Priority | TicketType | Channel], field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInput(f"'{value}' is not a valid {field} (one of: {allowed}).", field=field)
    return value


def _tag_ids(names: Sequence[str]) -> dict[str, int]:
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach, as received (the name is the sender's and is only displayed)."""

    filename: str
    content_type: str
    data: bytes
    is_inline: bool = False
    content_id: str = ""


def clean_filename(name: str) -> str:
    name = single_line(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')
    name = name.strip(". ") or "attachment"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:200]
    return name


@contextmanager
def _stored_files(files: Sequence[NewAttachment]) -> Iterator[list[tuple[NewAttachment, str]]]:
    """Write files under generated keys; remove them again if the surrounding write fails."""
    if len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(f"At most {MAX_ATTACHMENTS} attachments at once.", field="attachments")
    limit = settings.DOUM_ATTACHMENT_MAX_BYTES
    for f in files:
        if len(f.data) > limit:
            raise InvalidInput(
                f"'{clean_filename(f.filename)}' is larger than {limit // (1024 * 1024)} MB.",
                field="attachments",
            )
    stored: list[tuple[NewAttachment, str]] = []
    try:
        for f in files:
            now = clock.now()
            key = f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}"
            stored.append((f, default_storage.save(key, ContentFile(f.data))))
        yield stored
    except BaseException:
        for _, key in stored:
            default_storage.delete(key)
        raise


# --- the change recorder --------------------------------------------------------------------


@dataclass
class _Change:
    """Collects one action's changes to one ticket and writes them with its events."""

    ticket: Ticket
    actor: User | None
    via: str
    at: datetime = field(default_factory=clock.now)
    events: list[TicketEvent] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)

    def event(self, kind: str, **kw: Any) -> None:
        self.events.append(
            TicketEvent(
                ticket_id=self.ticket.pk,
                kind=kind,
                actor=self.actor,
                actor_role=self.actor.role if self.actor else "",
                via=self.via,
                at=self.at,
                imported=self.via == Via.IMPORT,
                **kw,
            )
        )

    def set(self, name: str, value: Any, *, attr: str | None = None) -> bool:
        attr = attr or name
        old = getattr(self.ticket, attr)
        if old == value:
            return False
        setattr(self.ticket, attr, value)
        self.dirty.add(attr)
        self.event(EventKind.FIELD_CHANGED, field=name, old_value=_text(old), new_value=_text(value))
        return True

    def set_quiet(self, attr: str, value: Any) -> None:
        """Change a column whose change is recorded by a dedicated event kind instead."""
        setattr(self.ticket, attr, value)
        self.dirty.add(attr)

    def save(self) -> None:
        """Bump the version, save changed fields, write events, queue the hooks."""
        if not self.events:
            return
        self.ticket.version += 1
        self.ticket.updated_at = self.at
        self.dirty |= {"version", "updated_at"}
        self.ticket.save(update_fields=sorted(self.dirty))
        for e in self.events:
            e.version = self.ticket.version
        TicketEvent.objects.bulk_create(self.events)
        hooks.ticket_changed(
            hooks.TicketChange(
                ticket_id=self.ticket.pk,
                version=self.ticket.version,
                event_kinds=tuple(e.kind for e in self.events),
                created=False,
            )
        )


def _lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    locked = (
        Ticket.objects.select_for_update(of=("self",)).select_related("organization").get(pk=ticket.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            "This ticket changed since you opened it. Review the changes and try again.",
            field="version",
            current_version=locked.version,
            changes=changes_since(locked, expected_version),
        )
    if locked.status == Status.CLOSED:
        raise InvalidInput(
            "This ticket is closed and can no longer be changed.", field="status"
        )
    return locked


def changes_since(ticket: Ticket, version: int) -> list[dict[str, Any]]:
    events = TicketEvent.objects.filter(ticket=ticket, version__gt=version).order_by("id")[:200]
    return [
        {
            "version": e.version,
            "kind": e.kind,
            "field": e.field or None,
            "old": e.old_value,
            "new": e.new_value,
            "actor_id": e.actor_id,
            "at": e.at.isoformat(),
        }
        for e in events
    ]


def _agent(user_id: int | None, field_name: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.role not in EDITS_TICKETS:
        raise InvalidInput("The assignee must be an active agent.", field=field_name)
    return user


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise InvalidInput("No such team.", field="team")
    return team


def _resolve_assignment(
    current_team_id: int | None, assignee: User | None, team: Team | None, team_given: bool
) -> int | None:
    """The team a ticket ends in: an assignee must belong to the ticket's team."""
    team_id = team.pk if team_given and team is not None else (None if team_given else current_team_id)
    if assignee is None:
        return team_id
    member_of = list(
        TeamMembership.objects.filter(user=assignee).order_by("team_id").values_list("team_id", flat=True)
    )
    if team_id is not None and team_id in member_of:
        return team_id
    if team_given and team_id is not None:
        raise InvalidInput("The assignee is not a member of that team.", field="assignee")
    return member_of[0] if member_of else None


def _apply_status(change: _Change, status: str, definitions: dict[str, Any] | None = None) -> None:
    ticket = change.ticket
    _choice(status, Status, "status")
    if status == ticket.status:
        return
    if status == Status.NEW:
        raise InvalidInput("A ticket cannot go back to New.", field="status")
    if status == Status.CLOSED and ticket.status != Status.SOLVED:
        raise InvalidInput("Only solved tickets can be closed.", field="status")
    if status == Status.SOLVED:
        missing = missing_on_solve(ticket.custom_fields, definitions or active_definitions())
        if missing:
            raise InvalidInput(
                f"Fill in '{missing[0]}' before solving.", field=f"custom_fields.{missing[0]}"
            )
        if ticket.assignee_id is None:
            if change.actor is None or change.actor.role not in EDITS_TICKETS:
                raise InvalidInput("A ticket needs an assignee to be solved.", field="assignee")
            change.set("assignee", change.actor.pk, attr="assignee_id")
            team_id = _resolve_assignment(ticket.team_id, change.actor, None, team_given=False)
            change.set("team", team_id, attr="team_id")
        change.set("status", status)
        ticket.solved_at = change.at
        change.dirty.add("solved_at")
        return
    if ticket.status == Status.SOLVED and status != Status.CLOSED:
        ticket.solved_at = None
        change.dirty.add("solved_at")
    change.set("status", status)


def _add_search(ticket: Ticket, comment: Comment | None, *parts: str, public: bool = True) -> SearchEntry:
    return SearchEntry(
        ticket_id=ticket.pk, comment=comment, is_public=public, document=search.document(*parts)
    )


def _make_comment(
    ticket: Ticket,
    *,
    author: User,
    body: str,
    is_html: bool,
    is_public: bool,
    via: str,
    at: datetime,
    metadata: dict[str, Any] | None,
) -> Comment:
    if not isinstance(body, str):
        raise InvalidInput("The message must be text.", field="body")
    if len(body) > BODY_MAX:
        raise InvalidInput(f"The message is longer than {BODY_MAX} characters.", field="body")
    body_html = sanitize_html(body) if is_html else text_to_html(body)
    body_text = html_to_text(body_html) if is_html else normalize(body).strip()
    if not body_text and "<img" not in body_html:
        raise InvalidInput("The message is empty.", field="body")
    return Comment.objects.create(
        ticket=ticket,
        author=author,
        is_public=is_public,
        body_html=body_html,
        body_text=body_text,
        via=via,
        metadata=metadata or {},
        created_at=at,
    )


def _attach(
    change: _Change, comment: Comment, uploader: User, stored: list[tuple[NewAttachment, str]]
) -> list[Attachment]:
    rows = [
        Attachment(
            ticket_id=change.ticket.pk,
            comment=comment,
            uploaded_by=uploader,
            filename=clean_filename(f.filename),
            content_type=single_line(f.content_type)[:255] or "application/octet-stream",
            size=len(f.data),
            sha256=hashlib.sha256(f.data).hexdigest(),
            storage_key=key,
            is_inline=f.is_inline,
            content_id=single_line(f.content_id)[:255],
            created_at=change.at,
        )
        for f, key in stored
    ]
    Attachment.objects.bulk_create(rows)
    for a in rows:
        change.event(
            EventKind.ATTACHMENT_ADDED,
            comment=comment,
            is_public=comment.is_public,
            new_value=a.filename,
            data={"size": a.size, "content_type": a.content_type},
        )
    return rows


# --- create ---------------------------------------------------------------------------------


CUSTOMER_FORBIDDEN_ON_CREATE = ("assignee_id", "team_id", "status", "tags", "requester_id")


@transaction.atomic
def do_create_ticket(
    *,
    actor: User,
    via: str,
    subject: str,
    body: str,
    body_is_html: bool = False,
    requester_id: int | None = None,
    brand_id: int | None = None,
    channel: str | None = None,
    status: str | None = None,
    priority: str = Priority.NORMAL,
    type: str = TicketType.QUESTION,
    assignee_id: int | None = None,
    team_id: int | None = None,
    tags: Sequence[str] = (),
    custom_fields: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    follower_ids: Sequence[int] = (),
    public: bool = True,
    external_id: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    comment_metadata: dict[str, Any] | None = None,
) -> Ticket:
    """Open a ticket with its first message.

    A customer opens tickets for themselves; staff who may edit tickets open them on a
    customer's behalf (the first message is then theirs, as with a phone call logged by an
    agent). The ticket's creation and its first comment are two events of one version.
    """
    customer = actor.role == Role.CUSTOMER
    if not actor.is_active:
        raise Forbidden("Inactive users cannot open tickets.")
    if customer:
        given = {
            "assignee_id": assignee_id, "team_id": team_id, "status": status,
            "tags": list(tags) or None, "follower_ids": list(follower_ids) or None,
        }  # fmt: skip
        for name, value in given.items():
            if value is not None:
                raise InvalidInput(
                    f"Customers cannot set '{name.removesuffix('_id')}'.",
                    field=name.removesuffix("_id"),
                )
        if requester_id not in (None, actor.pk):
            raise InvalidInput("Customers open tickets for themselves only.", field="requester")
        if not public:
            raise InvalidInput("Customers cannot add internal notes.", field="public")
        requester = actor
    else:
        if actor.role not in EDITS_TICKETS:
            raise Forbidden("Your role may not open tickets.")
        if requester_id is None:
            raise InvalidInput("Say who the requester is.", field="requester")
        found = User.objects.filter(pk=requester_id).select_related("organization").first()
        if found is None or not found.is_active:
            raise InvalidInput("No such requester.", field="requester")
        requester = found

    subject = clean_subject(subject)
    priority = _choice(priority, Priority, "priority")
    type = _choice(type, TicketType, "type")
    channel = _choice(channel or _default_channel(via), Channel, "channel")
    if status is not None:
        _choice(status, Status, "status")
        if status == Status.CLOSED:
            raise InvalidInput("A new ticket cannot be closed.", field="status")
    if type == TicketType.TASK and due_at is None:
        raise InvalidInput("A task needs a due date.", field="due_at")
    if type != TicketType.TASK and due_at is not None:
        raise InvalidInput("Only tasks have a due date.", field="due_at")
    if due_at is not None and due_at.tzinfo is None:
        raise InvalidInput("The due date needs a time zone.", field="due_at")
    brand = Brand.objects.filter(pk=brand_id).first() if brand_id is not None else default_brand()
    if brand is None:
        raise InvalidInput("No such brand.", field="brand")
    definitions = active_definitions()
    values = clean_values(custom_fields or {}, definitions, customer=customer)
    tag_names = clean_tags(tags)
    assignee = _agent(assignee_id, "assignee")
    team = _team(team_id)
    resolved_team_id = _resolve_assignment(None, assignee, team, team_given=team_id is not None)
    if external_id is not None:
        external_id = single_line(external_id)[:100] or None
        if external_id and Ticket.objects.filter(external_id=external_id).exists():
            raise InvalidInput("A ticket with this external id exists.", field="external_id")
    initial_status = status or (Status.OPEN if assignee is not None else Status.NEW)

    now = clock.now()
    with _stored_files(attachments) as stored:
        ticket = Ticket.objects.create(
            brand=brand,
            subject=subject,
            status=Status.NEW,
            priority=priority,
            type=type,
            channel=channel,
            requester=requester,
            submitter=actor,
            organization_id=requester.organization_id,
            assignee=assignee,
            team_id=resolved_team_id,
            due_at=due_at,
            custom_fields=values,
            external_id=external_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        change = _Change(ticket=ticket, actor=actor, via=via, at=now)
        change.event(
            EventKind.CREATED,
            new_value=Status.NEW,
            data={
                "status": Status.NEW, "priority": priority, "type": type,
                "channel": channel, "brand": brand.pk, "requester": requester.pk,
                "submitter": actor.pk, "organization": requester.organization_id,
                "assignee": assignee.pk if assignee else None, "team": resolved_team_id,
                "tags": tag_names, "custom_fields": values,
            },
        )  # fmt: skip
        comment = _make_comment(
            ticket,
            author=actor,
            body=body,
            is_html=body_is_html,
            is_public=public,
            via=via,
            at=now,
            metadata=comment_metadata,
        )
        change.event(EventKind.COMMENT_ADDED, comment=comment, is_public=public)
        if initial_status != Status.NEW:
            _apply_status(change, initial_status, definitions)
        if tag_names:
            ids = _tag_ids(tag_names)
            TicketTag.objects.bulk_create([TicketTag(ticket=ticket, tag_id=ids[n]) for n in tag_names])
        if follower_ids:
            _add_followers(change, follower_ids)
        _attach(change, comment, actor, stored)
        SearchEntry.objects.bulk_create(
            [
                _add_search(ticket, None, subject),
                _add_search(ticket, comment, comment.body_text, public=public),
            ]
        )
        # One version for the whole creation.
        if change.dirty:
            ticket.save(update_fields=sorted(change.dirty))
        for e in change.events:
            e.version = 1
        TicketEvent.objects.bulk_create(change.events)
    hooks.ticket_changed(
        hooks.TicketChange(ticket.pk, 1, tuple(e.kind for e in change.events), created=True)
    )
    return ticket


def _default_channel(via: str) -> str:
    return via if via in Channel.values else Channel.WEB


def _add_followers(change: _Change, user_ids: Sequence[int]) -> None:
    existing = set(
        TicketFollower.objects.filter(ticket_id=change.ticket.pk).values_list("user_id", flat=True)
    )
    wanted = [uid for uid in dict.fromkeys(user_ids) if uid not in existing]
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    missing = [uid for uid in wanted if uid not in users]
    if missing:
        raise InvalidInput(f"No such user: {missing[0]}.", field="followers")
    TicketFollower.objects.bulk_create(
        [TicketFollower(ticket_id=change.ticket.pk, user_id=uid, added_at=change.at) for uid in wanted]
    )
    for uid in wanted:
        change.event(EventKind.FOLLOWER_ADDED, field="followers", new_value=str(uid))


# --- comments -------------------------------------------------------------------------------


@transaction.atomic
def do_add_comment(
    ticket: Ticket,
    *,
    actor: User,
    via: str,
    body: str,
    body_is_html: bool = False,
    public: bool = True,
    status: str | None = None,
    expected_version: int | None = None,
    attachments: Sequence[NewAttachment] = (),
    metadata: dict[str, Any] | None = None,
) -> Comment:
    """A public reply or an internal note, optionally with a status change.

    A customer's reply reopens a solved ticket and moves a pending one back to open; an
    agent's first public reply moves a new ticket to open.
    """
    ticket = _lock(ticket, expected_version)
    check_can_comment(actor, ticket, public=public)
    if status is not None and not actor.is_agent:
        raise Forbidden("Customers cannot set the status.", field="status")
    change = _Change(ticket=ticket, actor=actor, via=via)
    with _stored_files(attachments) as stored:
        comment = _make_comment(
            ticket,
            author=actor,
            body=body,
            is_html=body_is_html,
            is_public=public,
            via=via,
            at=change.at,
            metadata=metadata,
        )
        change.event(EventKind.COMMENT_ADDED, comment=comment, is_public=public)
        _attach(change, comment, actor, stored)
        SearchEntry.objects.bulk_create([_add_search(ticket, comment, comment.body_text, public=public)])
        if status is not None:
            check_can_edit(actor, ticket)
            _apply_status(change, status)
        elif not actor.is_agent and ticket.status in (Status.PENDING, Status.SOLVED):
            _apply_status(change, Status.OPEN)
        elif actor.is_agent and public and ticket.status == Status.NEW:
            _apply_status(change, Status.OPEN)
        change.save()
    return comment


# --- field changes --------------------------------------------------------------------------

UPDATABLE = {
    "subject", "status", "priority", "type", "assignee_id", "team_id", "due_at",
    "custom_fields", "tags", "add_tags", "remove_tags", "add_follower_ids",
    "remove_follower_ids",
}  # fmt: skip


@transaction.atomic
def do_update_ticket(
    ticket: Ticket,
    *,
    actor: User | None,
    via: str,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Ticket:
    """Change any of the ticket's fields in one version. Unknown fields are an error."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(f"'{name.removesuffix('_id')}' cannot be changed.", field=name)
    ticket = _lock(ticket, expected_version)
    check_can_edit(actor, ticket)
    change = _Change(ticket=ticket, actor=actor, via=via)
    if "subject" in changes:
        subject = clean_subject(changes["subject"])
        if change.set("subject", subject):
            SearchEntry.objects.filter(ticket_id=ticket.pk, comment__isnull=True).update(
                document=search.document(subject)
            )
    if "priority" in changes:
        change.set("priority", _choice(changes["priority"], Priority, "priority"))
    if "type" in changes or "due_at" in changes:
        new_type = _choice(changes.get("type", ticket.type), TicketType, "type")
        due_at = changes.get("due_at", ticket.due_at if new_type == TicketType.TASK else None)
        if new_type == TicketType.TASK and due_at is None:
            raise InvalidInput("A task needs a due date.", field="due_at")
        if new_type != TicketType.TASK and due_at is not None:
            raise InvalidInput("Only tasks have a due date.", field="due_at")
        if due_at is not None and due_at.tzinfo is None:
            raise InvalidInput("The due date needs a time zone.", field="due_at")
        if new_type != TicketType.PROBLEM and ticket.type == TicketType.PROBLEM:
            if Ticket.objects.filter(problem_id=ticket.pk).exists():
                raise InvalidInput("Unlink this problem's incidents first.", field="type")
        change.set("type", new_type)
        change.set("due_at", due_at)
    definitions = active_definitions()
    if "custom_fields" in changes:
        if not isinstance(changes["custom_fields"], dict):
            raise InvalidInput("Custom fields are an object.", field="custom_fields")
        cleaned = clean_values(changes["custom_fields"], definitions, customer=False)
        merged = {**ticket.custom_fields}
        for key, value in cleaned.items():
            if merged.get(key) == value:
                continue
            change.event(
                EventKind.FIELD_CHANGED,
                field=f"custom_fields.{key}",
                old_value=_text(merged.get(key)),
                new_value=_text(value),
            )
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        ticket.custom_fields = merged
        change.dirty.add("custom_fields")
    if "assignee_id" in changes or "team_id" in changes:
        assignee = (
            _agent(changes["assignee_id"], "assignee")
            if "assignee_id" in changes
            else (User.objects.get(pk=ticket.assignee_id) if ticket.assignee_id else None)
        )
        team = _team(changes["team_id"]) if "team_id" in changes else None
        team_id = _resolve_assignment(ticket.team_id, assignee, team, team_given="team_id" in changes)
        change.set("assignee", assignee.pk if assignee else None, attr="assignee_id")
        change.set("team", team_id, attr="team_id")
        if assignee is not None and ticket.status == Status.NEW and "status" not in changes:
            _apply_status(change, Status.OPEN, definitions)
    if "status" in changes:
        _apply_status(change, changes["status"], definitions)
    if {"tags", "add_tags", "remove_tags"} & set(changes):
        _change_tags(change, changes)
    if changes.get("add_follower_ids"):
        _add_followers(change, changes["add_follower_ids"])
    if changes.get("remove_follower_ids"):
        ids = list(changes["remove_follower_ids"])
        removed = TicketFollower.objects.filter(ticket_id=ticket.pk, user_id__in=ids)
        for uid in removed.values_list("user_id", flat=True):
            change.event(EventKind.FOLLOWER_REMOVED, field="followers", old_value=str(uid))
        removed.delete()
    change.save()
    return ticket


def _change_tags(change: _Change, changes: dict[str, Any]) -> None:
    ticket = change.ticket
    current = set(
        TicketTag.objects.filter(ticket_id=ticket.pk).values_list("tag__name", flat=True)
    )
    if "tags" in changes:
        wanted = set(clean_tags(changes["tags"]))
    else:
        wanted = set(current)
    wanted |= set(clean_tags(changes.get("add_tags") or (), "add_tags"))
    wanted -= set(clean_tags(changes.get("remove_tags") or (), "remove_tags"))
    if len(wanted) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags per ticket.", field="tags")
    added = sorted(wanted - current)
    removed = sorted(current - wanted)
    if added:
        ids = _tag_ids(added)
        TicketTag.objects.bulk_create([TicketTag(ticket_id=ticket.pk, tag_id=ids[n]) for n in added])
    if removed:
        TicketTag.objects.filter(ticket_id=ticket.pk, tag__name__in=removed).delete()
    for name in added:
        change.event(EventKind.TAG_ADDED, field="tags", new_value=name)
    for name in removed:
        change.event(EventKind.TAG_REMOVED, field="tags", old_value=name)


def do_assign(
    ticket: Ticket,
    *,
    actor: User | None,
    via: str,
    assignee_id: int | None,
    team_id: int | None = None,
    expected_version: int | None = None,
) -> Ticket:
    changes: dict[str, Any] = {"assignee_id": assignee_id}
    if team_id is not None:
        changes["team_id"] = team_id
    return do_update_ticket(
        ticket, actor=actor, via=via, changes=changes, expected_version=expected_version
    )


def do_change_status(
    ticket: Ticket,
    *,
    actor: User | None,
    via: str,
    status: str,
    expected_version: int | None = None,
) -> Ticket:
    return do_update_ticket(
        ticket, actor=actor, via=via, changes={"status": status}, expected_version=expected_version
    )


# --- merge, link, spam, delete --------------------------------------------------------------


@transaction.atomic
def do_merge_tickets(
    source: Ticket, target: Ticket, *, actor: User, via: str, note: str = ""
) -> Ticket:
    """Merge `source` into `target`: the source closes with a pointer to the target, its
    requester follows the target, tags carry over, and both histories stay."""
    if source.pk == target.pk:
        raise InvalidInput("A ticket cannot be merged into itself.", field="target")
    first, second = sorted([source.pk, target.pk])
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second])}
    source, target = locked[source.pk], locked[target.pk]
    check_can_edit(actor, source)
    check_can_edit(actor, target)
    for t, name in ((source, "source"), (target, "target")):
        if t.status == Status.CLOSED:
            raise InvalidInput(f"The {name} ticket is closed and cannot be merged.", field=name)
        if t.merged_into_id is not None or t.deleted_at is not None:
            raise InvalidInput(f"The {name} ticket was merged or deleted.", field=name)
    src = _Change(ticket=source, actor=actor, via=via)
    tgt = _Change(ticket=target, actor=actor, via=via, at=src.at)
    extra = f"\n\n{normalize(note)}" if note.strip() else ""
    src_comment = _make_comment(
        source, author=actor, body=f"Merged into #{target.pk}.{extra}", is_html=False,
        is_public=False, via=via, at=src.at, metadata={"merge": {"into": target.pk}},
    )  # fmt: skip
    src.event(EventKind.COMMENT_ADDED, comment=src_comment, is_public=False)
    src.set_quiet("merged_into_id", target.pk)
    src.event(EventKind.MERGED_INTO, new_value=str(target.pk))
    if source.status != Status.SOLVED:
        _force_solved(src)
    src.set("status", Status.CLOSED)
    last_public = (
        Comment.objects.filter(ticket=source, is_public=True).order_by("-created_at", "-id").first()
    )
    quoted = f"\n\n{last_public.body_text}" if last_public else ""
    tgt_comment = _make_comment(
        target, author=actor, body=f"Ticket #{source.pk} was merged into this ticket.{quoted}",
        is_html=False, is_public=False, via=via, at=tgt.at,
        metadata={"merge": {"from": source.pk}},
    )  # fmt: skip
    tgt.event(EventKind.COMMENT_ADDED, comment=tgt_comment, is_public=False)
    tgt.event(EventKind.MERGED_FROM, old_value=str(source.pk))
    SearchEntry.objects.filter(ticket_id=source.pk).update(ticket_id=target.pk)
    if source.requester_id != target.requester_id:
        exists = TicketFollower.objects.filter(ticket=target, user_id=source.requester_id).exists()
        if not exists:
            _add_followers(tgt, [source.requester_id])
    source_tags = list(
        TicketTag.objects.filter(ticket=source).values_list("tag__name", flat=True)
    )
    if source_tags:
        _change_tags(tgt, {"add_tags": source_tags})
    src.save()
    tgt.save()
    return target


def _force_solved(change: _Change) -> None:
    """Merged tickets close without the solve checks (they are not answered on their own)."""
    change.set("status", Status.SOLVED)
    change.ticket.solved_at = change.at
    change.dirty.add("solved_at")


@transaction.atomic
def do_link_problem(incident: Ticket, problem: Ticket, *, actor: User, via: str) -> Ticket:
    """Link an incident to the problem ticket it is an instance of."""
    if incident.pk == problem.pk:
        raise InvalidInput("A ticket cannot be its own problem.", field="problem")
    incident = _lock(incident, None)
    check_can_edit(actor, incident)
    problem = Ticket.objects.select_for_update().get(pk=problem.pk)
    if problem.type != TicketType.PROBLEM:
        raise InvalidInput("The linked ticket must be of type problem.", field="problem")
    if incident.type == TicketType.PROBLEM and Ticket.objects.filter(problem=incident).exists():
        raise InvalidInput("A problem with incidents cannot become an incident.", field="type")
    change = _Change(ticket=incident, actor=actor, via=via)
    change.set("type", TicketType.INCIDENT)
    change.set("due_at", None)  # only tasks have a due date
    if change.set("problem", problem.pk, attr="problem_id"):
        other = _Change(ticket=problem, actor=actor, via=via, at=change.at)
        other.event(EventKind.LINKED, field="incidents", new_value=str(incident.pk))
        other.save()
    change.save()
    return incident


@transaction.atomic
def do_unlink_problem(incident: Ticket, *, actor: User, via: str) -> Ticket:
    incident = _lock(incident, None)
    check_can_edit(actor, incident)
    if incident.problem_id is None:
        return incident
    problem_id = incident.problem_id
    change = _Change(ticket=incident, actor=actor, via=via)
    change.set("problem", None, attr="problem_id")
    other = Ticket.objects.select_for_update().get(pk=problem_id)
    other_change = _Change(ticket=other, actor=actor, via=via, at=change.at)
    other_change.event(EventKind.UNLINKED, field="incidents", old_value=str(incident.pk))
    other_change.save()
    change.save()
    return incident


@transaction.atomic
def do_mark_spam(ticket: Ticket, *, actor: User, via: str) -> Ticket:
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    check_can_edit(actor, locked)
    if locked.is_spam:
        return locked
    change = _Change(ticket=locked, actor=actor, via=via)
    change.set_quiet("is_spam", True)
    change.event(EventKind.SPAM)
    change.save()
    return locked


@transaction.atomic
def do_delete_ticket(ticket: Ticket, *, actor: User, via: str) -> Ticket:
    """Soft-delete: hidden everywhere, restorable, history kept."""
    check_can_delete(actor)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.deleted_at is not None:
        return locked
    change = _Change(ticket=locked, actor=actor, via=via)
    change.set_quiet("deleted_at", change.at)
    change.event(EventKind.DELETED)
    change.save()
    AuditLog.objects.create(
        actor=actor, action="ticket.deleted", target_type="ticket", target_id=str(locked.pk),
        data={"subject": locked.subject[:200]}, at=change.at,
    )  # fmt: skip
    return locked


@transaction.atomic
def do_restore_ticket(ticket: Ticket, *, actor: User, via: str) -> Ticket:
    check_can_delete(actor)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.deleted_at is None and not locked.is_spam:
        return locked
    change = _Change(ticket=locked, actor=actor, via=via)
    change.event(EventKind.RESTORED, data={"was_spam": locked.is_spam, "was_deleted": locked.deleted_at is not None})
    change.set_quiet("deleted_at", None)
    change.set_quiet("is_spam", False)
    change.save()
    AuditLog.objects.create(
        actor=actor, action="ticket.restored", target_type="ticket", target_id=str(locked.pk),
        data={}, at=change.at,
    )  # fmt: skip
    return locked


def is_unsolved(ticket: Ticket) -> bool:
    return ticket.status in UNSOLVED_STATUSES


__all__ = [
    "NewAttachment",
    "do_add_comment",
    "do_assign",
    "do_change_status",
    "do_create_ticket",
    "do_delete_ticket",
    "do_link_problem",
    "do_mark_spam",
    "do_merge_tickets",
    "do_restore_ticket",
    "do_unlink_problem",
    "do_update_ticket",
    "is_participant",
]
