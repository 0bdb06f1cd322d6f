"""The machinery the ticket actions share: validation of field values, the change recorder
that turns attribute changes into TicketEvent rows, locking with the version check, status
and assignment rules, comments, attachments, tags and followers.

Only `doum.tickets.actions` calls these; every function here runs inside an action's
transaction.
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
from django.utils.translation import gettext as _

from doum.accounts.models import Team, TeamMembership, User
from doum.accounts.roles import EDITS_TICKETS
from doum.core import clock
from doum.core.db import one_or_none
from doum.core.errors import Conflict, InvalidInput
from doum.core.text import html_to_text, normalize, sanitize_html, single_line, text_to_html
from doum.tickets import hooks, rules, search
from doum.tickets.custom_fields import active_definitions, missing_on_solve
from doum.tickets.models import (
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

SUBJECT_MAX = 20_000
BODY_MAX = 1_000_000
TAG_MAX = 80
MAX_TAGS = 50
MAX_ATTACHMENTS = 20


# --- small helpers ----------------------------------------------------------------------------


def event_text(value: Any) -> str | None:
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
        raise InvalidInput(_("A ticket needs a subject."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise InvalidInput(
            _("The subject is longer than %(max)s characters.") % {"max": SUBJECT_MAX},
            field="subject",
        )
    return subject


def clean_tags(values: Iterable[str], field: str = "tags") -> list[str]:
    out: list[str] = []
    for raw in values:
        if not isinstance(raw, str):
            raise InvalidInput(_("Tags are text."), field=field)
        tag = single_line(raw).lower().replace(" ", "_")
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise InvalidInput(
                _("A tag has at most %(max)s characters.") % {"max": TAG_MAX}, field=field
            )
        if any(c in tag for c in ",<>\"'`"):
            raise InvalidInput(
                _("The tag '%(tag)s' contains a character tags cannot hold.") % {"tag": tag},
                field=field,
            )
        out.append(tag)
    unique = list(dict.fromkeys(out))
    if len(unique) > MAX_TAGS:
        raise InvalidInput(_("At most %(max)s tags per ticket.") % {"max": MAX_TAGS}, field=field)
    return unique


def check_choice(
    value: str, choices: type[Status | Priority | TicketType | Channel], field: str
) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInput(
            _("'%(value)s' is not a valid %(field)s (one of: %(allowed)s).")
            % {"value": value, "field": field, "allowed": allowed},
            field=field,
        )
    return value


def tag_ids(names: Sequence[str]) -> dict[str, int]:
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
def stored_files(files: Sequence[NewAttachment]) -> Iterator[list[tuple[NewAttachment, str]]]:
    """Write files under generated keys; remove them again if the surrounding write fails."""
    if len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(
            _("At most %(max)s attachments at once.") % {"max": MAX_ATTACHMENTS},
            field="attachments",
        )
    limit = settings.DOUM_ATTACHMENT_MAX_BYTES
    for f in files:
        if len(f.data) > limit:
            raise InvalidInput(
                _("'%(filename)s' is larger than %(size)s MB.")
                % {"filename": clean_filename(f.filename), "size": limit // (1024 * 1024)},
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
        for _file, key in stored:
            default_storage.delete(key)
        raise


# --- the change recorder --------------------------------------------------------------------


@dataclass
class Change:
    """Collects one action's changes to one ticket and writes them with its events."""

    ticket: Ticket
    actor: User | None
    via: str
    at: datetime = field(default_factory=clock.now)
    events: list[TicketEvent] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)

    def event(self, kind: str, **kw: Any) -> None:
        rule = rules.current_rule()
        if rule is not None:
            kw["data"] = {**kw.get("data", {}), "rule": rule.as_data()}
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
        self.event(
            EventKind.FIELD_CHANGED,
            field=name,
            old_value=event_text(old),
            new_value=event_text(value),
        )
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
                via=self.via,
            )
        )


def lock_ticket(ticket: Ticket, expected_version: int | None) -> Ticket:
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=ticket.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            _("This ticket changed since you opened it. Review the changes and try again."),
            field="version",
            current_version=locked.version,
            changes=changes_since(locked, expected_version),
        )
    if locked.deleted_at is not None:
        raise InvalidInput(
            _("This ticket is deleted; restore it before changing it."), field="ticket"
        )
    if locked.status == Status.CLOSED:
        raise InvalidInput(_("This ticket is closed and can no longer be changed."), field="status")
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


def active_agent(user_id: int | None, field_name: str) -> User | None:
    if user_id is None:
        return None
    user = one_or_none(User.objects.filter(pk=user_id, is_active=True))
    if user is None or user.role not in EDITS_TICKETS:
        raise InvalidInput(_("The assignee must be an active agent."), field=field_name)
    return user


def existing_team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = one_or_none(Team.objects.filter(pk=team_id))
    if team is None:
        raise InvalidInput(_("No such team."), field="team")
    return team


def resolve_assignment(
    current_team_id: int | None, assignee: User | None, team: Team | None, team_given: bool
) -> int | None:
    """The team a ticket ends in: an assignee must belong to the ticket's team."""
    team_id = (
        team.pk if team_given and team is not None else (None if team_given else current_team_id)
    )
    if assignee is None:
        return team_id
    member_of = list(
        TeamMembership.objects.filter(user=assignee)
        .order_by("team_id")
        .values_list("team_id", flat=True)
    )
    if team_id is not None and team_id in member_of:
        return team_id
    if team_given and team_id is not None:
        raise InvalidInput(_("The assignee is not a member of that team."), field="assignee")
    return member_of[0] if member_of else None


def apply_status(change: Change, status: str, definitions: dict[str, Any] | None = None) -> None:
    ticket = change.ticket
    check_choice(status, Status, "status")
    if status == ticket.status:
        return
    if status == Status.NEW:
        raise InvalidInput(_("A ticket cannot go back to New."), field="status")
    if status == Status.CLOSED and ticket.status != Status.SOLVED:
        raise InvalidInput(_("Only solved tickets can be closed."), field="status")
    if status == Status.SOLVED:
        if definitions is None:
            definitions = active_definitions()
        missing = missing_on_solve(ticket.custom_fields, definitions)
        if missing:
            raise InvalidInput(
                _("Fill in '%(field)s' before solving.") % {"field": missing[0]},
                field=f"custom_fields.{missing[0]}",
            )
        if ticket.assignee_id is None:
            if change.actor is None or change.actor.role not in EDITS_TICKETS:
                raise InvalidInput(_("A ticket needs an assignee to be solved."), field="assignee")
            change.set("assignee", change.actor.pk, attr="assignee_id")
            team_id = resolve_assignment(ticket.team_id, change.actor, None, team_given=False)
            change.set("team", team_id, attr="team_id")
        change.set("status", status)
        ticket.solved_at = change.at
        change.dirty.add("solved_at")
        return
    if ticket.status == Status.SOLVED and status != Status.CLOSED:
        ticket.solved_at = None
        change.dirty.add("solved_at")
    change.set("status", status)


def search_entry(
    ticket: Ticket, comment: Comment | None, *parts: str, public: bool = True
) -> SearchEntry:
    return SearchEntry(
        ticket_id=ticket.pk, comment=comment, is_public=public, document=search.document(*parts)
    )


def make_comment(
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
        raise InvalidInput(_("The message must be text."), field="body")
    if len(body) > BODY_MAX:
        raise InvalidInput(
            _("The message is longer than %(max)s characters.") % {"max": BODY_MAX}, field="body"
        )
    body_html = sanitize_html(body) if is_html else text_to_html(body)
    body_text = html_to_text(body_html) if is_html else normalize(body).strip()
    if not body_text and "<img" not in body_html:
        raise InvalidInput(_("The message is empty."), field="body")
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


def attach_files(
    change: Change, comment: Comment, uploader: User, stored: list[tuple[NewAttachment, str]]
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


def add_followers(change: Change, user_ids: Sequence[int]) -> None:
    existing = set(
        TicketFollower.objects.filter(ticket_id=change.ticket.pk).values_list("user_id", flat=True)
    )
    wanted = [uid for uid in dict.fromkeys(user_ids) if uid not in existing]
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    missing = [uid for uid in wanted if uid not in users]
    if missing:
        raise InvalidInput(_("No such user: %(user)s.") % {"user": missing[0]}, field="followers")
    TicketFollower.objects.bulk_create(
        [
            TicketFollower(ticket_id=change.ticket.pk, user_id=uid, added_at=change.at)
            for uid in wanted
        ]
    )
    for uid in wanted:
        change.event(EventKind.FOLLOWER_ADDED, field="followers", new_value=str(uid))


def change_tags(change: Change, changes: dict[str, Any]) -> None:
    ticket = change.ticket
    current = set(TicketTag.objects.filter(ticket_id=ticket.pk).values_list("tag__name", flat=True))
    wanted = set(clean_tags(changes["tags"])) if "tags" in changes else set(current)
    wanted |= set(clean_tags(changes.get("add_tags") or (), "add_tags"))
    wanted -= set(clean_tags(changes.get("remove_tags") or (), "remove_tags"))
    if len(wanted) > MAX_TAGS:
        raise InvalidInput(_("At most %(max)s tags per ticket.") % {"max": MAX_TAGS}, field="tags")
    added = sorted(wanted - current)
    removed = sorted(current - wanted)
    if added:
        ids = tag_ids(added)
        TicketTag.objects.bulk_create(
            [TicketTag(ticket_id=ticket.pk, tag_id=ids[n]) for n in added]
        )
    if removed:
        TicketTag.objects.filter(ticket_id=ticket.pk, tag__name__in=removed).delete()
    for name in added:
        change.event(EventKind.TAG_ADDED, field="tags", new_value=name)
    for name in removed:
        change.event(EventKind.TAG_REMOVED, field="tags", old_value=name)
