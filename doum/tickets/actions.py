"""The only writers of tickets. Every web page, API endpoint, mail parser and importer calls
these functions, so a ticket behaves the same whichever door it came in by.

Each action is one transaction: it locks the ticket, checks what the actor may do, applies
the change, bumps the ticket's version, writes one TicketEvent per change, and queues
after-commit hooks. Nothing is written when any step fails. The shared machinery (the change
recorder, status and assignment rules, comments, attachments, tags) is in `changes.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts.actions import default_brand
from doum.accounts.models import AuditLog, Brand, User
from doum.accounts.roles import EDITS_TICKETS, Role
from doum.core import clock
from doum.core.db import one_or_none
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import normalize, single_line
from doum.tickets import hooks, search
from doum.tickets.changes import (
    Change,
    NewAttachment,
    active_agent,
    add_followers,
    apply_status,
    attach_files,
    change_tags,
    changes_since,
    check_choice,
    clean_filename,
    clean_subject,
    clean_tags,
    event_text,
    existing_team,
    lock_ticket,
    make_comment,
    resolve_assignment,
    search_entry,
    stored_files,
    tag_ids,
)
from doum.tickets.custom_fields import active_definitions, clean_values
from doum.tickets.models import (
    Channel,
    Comment,
    EventKind,
    Priority,
    SearchEntry,
    Status,
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
    check_can_see,
    is_participant,
)

# --- create ---------------------------------------------------------------------------------


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
    follow_up_of_id: int | None = None,
) -> Ticket:
    """Open a ticket with its first message.

    A customer opens tickets for themselves; staff who may edit tickets open them on a
    customer's behalf (the first message is then theirs, as with a phone call logged by an
    agent). The ticket's creation and its first comment are two events of one version.
    """
    customer = actor.role == Role.CUSTOMER
    if not actor.is_active:
        raise Forbidden(_("Inactive users cannot open tickets."))
    # An imported ticket keeps its origin (the source system's id and channel) even when
    # the customer opened it: the history file says so, not the customer.
    origin_given = via != Via.IMPORT
    if customer:
        given = {
            "assignee": assignee_id, "team": team_id, "status": status,
            "tags": list(tags) or None, "followers": list(follower_ids) or None,
            "external_id": external_id if origin_given else None,
            "channel": (
                channel if origin_given and channel not in (None, _default_channel(via)) else None
            ),
            "priority": priority if priority != Priority.NORMAL else None,
            "type": type if type != TicketType.QUESTION else None,
        }  # fmt: skip
        for name, value in given.items():
            if value is not None:
                raise InvalidInput(
                    _("Customers cannot set '%(field)s'.") % {"field": name}, field=name
                )
        if requester_id not in (None, actor.pk):
            raise InvalidInput(_("Customers open tickets for themselves only."), field="requester")
        if not public:
            raise InvalidInput(_("Customers cannot add internal notes."), field="public")
        requester = actor
    else:
        if actor.role not in EDITS_TICKETS:
            raise Forbidden(_("Your role may not open tickets."))
        if requester_id is None:
            raise InvalidInput(_("Say who the requester is."), field="requester")
        found = one_or_none(User.objects.filter(pk=requester_id).select_related("organization"))
        if found is None or not found.is_active:
            raise InvalidInput(_("No such requester."), field="requester")
        requester = found

    subject = clean_subject(subject)
    priority = check_choice(priority, Priority, "priority")
    type = check_choice(type, TicketType, "type")
    channel = check_choice(channel or _default_channel(via), Channel, "channel")
    if status is not None:
        check_choice(status, Status, "status")
        if status == Status.CLOSED:
            raise InvalidInput(_("A new ticket cannot be closed."), field="status")
    if type == TicketType.TASK and due_at is None:
        raise InvalidInput(_("A task needs a due date."), field="due_at")
    if type != TicketType.TASK and due_at is not None:
        raise InvalidInput(_("Only tasks have a due date."), field="due_at")
    if due_at is not None and due_at.tzinfo is None:
        raise InvalidInput(_("The due date needs a time zone."), field="due_at")
    brand = (
        one_or_none(Brand.objects.filter(pk=brand_id)) if brand_id is not None else default_brand()
    )
    if brand is None:
        raise InvalidInput(_("No such brand."), field="brand")
    definitions = active_definitions() if custom_fields else None
    values = (
        clean_values(custom_fields, definitions or {}, customer=customer) if custom_fields else {}
    )
    tag_names = clean_tags(tags)
    assignee = active_agent(assignee_id, "assignee")
    team = existing_team(team_id)
    resolved_team_id = resolve_assignment(None, assignee, team, team_given=team_id is not None)
    if external_id is not None:
        external_id = single_line(external_id)[:100] or None
        if external_id and Ticket.objects.filter(external_id=external_id).exists():
            raise InvalidInput(_("A ticket with this external id exists."), field="external_id")
    initial_status = status or (Status.OPEN if assignee is not None else Status.NEW)
    follow_up_of = None
    if follow_up_of_id is not None:
        follow_up_of = one_or_none(Ticket.objects.filter(pk=follow_up_of_id))
        if follow_up_of is None or (customer and not is_participant(actor, follow_up_of)):
            raise InvalidInput(_("No such ticket to follow up."), field="follow_up_of")

    now = clock.now()
    with stored_files(attachments) as stored:
        ticket = Ticket.objects.create(
            brand=brand,
            subject=subject,
            status=Status.NEW,
            priority=priority,
            type=type,
            channel=channel,
            requester=requester,
            submitter=actor,
            # Related rows already in hand stay cached on the instance, so callers can show
            # the new ticket without reading it back.
            organization=requester.organization if requester.organization_id else None,
            assignee=assignee,
            team=team if team is not None and team.pk == resolved_team_id else None,
            team_id=resolved_team_id,
            due_at=due_at,
            custom_fields=values,
            external_id=external_id,
            follow_up_of=follow_up_of,
            created_at=now,
            updated_at=now,
            version=1,
        )
        change = Change(ticket=ticket, actor=actor, via=via, at=now)
        change.event(
            EventKind.CREATED,
            new_value=Status.NEW,
            data={
                "status": Status.NEW, "priority": priority, "type": type,
                "channel": channel, "brand": brand.pk, "requester": requester.pk,
                "submitter": actor.pk, "organization": requester.organization_id,
                "assignee": assignee.pk if assignee else None, "team": resolved_team_id,
                "tags": tag_names, "custom_fields": values,
                **({"follow_up_of": follow_up_of.pk} if follow_up_of else {}),
            },
        )  # fmt: skip
        comment = make_comment(
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
            apply_status(change, initial_status, definitions)
        if tag_names:
            ids = tag_ids(tag_names)
            TicketTag.objects.bulk_create(
                [TicketTag(ticket=ticket, tag_id=ids[n]) for n in tag_names]
            )
        if follower_ids:
            add_followers(change, follower_ids)
        attach_files(change, comment, actor, stored)
        SearchEntry.objects.bulk_create(
            [
                search_entry(ticket, None, subject),
                search_entry(ticket, comment, comment.body_text, public=public),
            ]
        )
        # One version for the whole creation.
        if change.dirty:
            ticket.save(update_fields=sorted(change.dirty))
        for e in change.events:
            e.version = 1
        TicketEvent.objects.bulk_create(change.events)
    hooks.ticket_changed(
        hooks.TicketChange(
            ticket.pk, 1, tuple(e.kind for e in change.events), created=True, via=via
        )
    )
    return ticket


def _default_channel(via: str) -> str:
    return via if via in Channel.values else Channel.WEB


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
    ticket = lock_ticket(ticket, expected_version)
    check_can_comment(actor, ticket, public=public)
    if status is not None and not actor.is_agent:
        raise Forbidden(_("Customers cannot set the status."), field="status")
    change = Change(ticket=ticket, actor=actor, via=via)
    with stored_files(attachments) as stored:
        comment = make_comment(
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
        attach_files(change, comment, actor, stored)
        SearchEntry.objects.bulk_create(
            [search_entry(ticket, comment, comment.body_text, public=public)]
        )
        if status is not None:
            check_can_edit(actor, ticket)
            apply_status(change, status)
        elif (not actor.is_agent and ticket.status in (Status.PENDING, Status.SOLVED)) or (
            actor.is_agent and public and ticket.status == Status.NEW
        ):
            apply_status(change, Status.OPEN)
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
        raise InvalidInput(
            _("'%(field)s' cannot be changed.") % {"field": name.removesuffix("_id")}, field=name
        )
    ticket = lock_ticket(ticket, expected_version)
    check_can_edit(actor, ticket)
    change = Change(ticket=ticket, actor=actor, via=via)
    if "subject" in changes:
        subject = clean_subject(changes["subject"])
        if change.set("subject", subject):
            SearchEntry.objects.filter(ticket_id=ticket.pk, comment__isnull=True).update(
                document=search.document(subject)
            )
    if "priority" in changes:
        change.set("priority", check_choice(changes["priority"], Priority, "priority"))
    if "type" in changes or "due_at" in changes:
        new_type = check_choice(changes.get("type", ticket.type), TicketType, "type")
        due_at = changes.get("due_at", ticket.due_at if new_type == TicketType.TASK else None)
        if new_type == TicketType.TASK and due_at is None:
            raise InvalidInput(_("A task needs a due date."), field="due_at")
        if new_type != TicketType.TASK and due_at is not None:
            raise InvalidInput(_("Only tasks have a due date."), field="due_at")
        if due_at is not None and due_at.tzinfo is None:
            raise InvalidInput(_("The due date needs a time zone."), field="due_at")
        if (
            new_type != TicketType.PROBLEM
            and ticket.type == TicketType.PROBLEM
            and Ticket.objects.filter(problem_id=ticket.pk).exists()
        ):
            raise InvalidInput(_("Unlink this problem's incidents first."), field="type")
        change.set("type", new_type)
        change.set("due_at", due_at)
    # Loaded only when a change needs them (custom field values, or solving).
    definitions = None
    if "custom_fields" in changes:
        if not isinstance(changes["custom_fields"], dict):
            raise InvalidInput(_("Custom fields are an object."), field="custom_fields")
        definitions = active_definitions()
        cleaned = clean_values(changes["custom_fields"], definitions, customer=False)
        merged = {**ticket.custom_fields}
        for key, value in cleaned.items():
            if merged.get(key) == value:
                continue
            change.event(
                EventKind.FIELD_CHANGED,
                field=f"custom_fields.{key}",
                old_value=event_text(merged.get(key)),
                new_value=event_text(value),
            )
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        ticket.custom_fields = merged
        change.dirty.add("custom_fields")
    if "assignee_id" in changes or "team_id" in changes:
        assignee = (
            active_agent(changes["assignee_id"], "assignee")
            if "assignee_id" in changes
            else (User.objects.get(pk=ticket.assignee_id) if ticket.assignee_id else None)
        )
        team = existing_team(changes["team_id"]) if "team_id" in changes else None
        team_id = resolve_assignment(
            ticket.team_id, assignee, team, team_given="team_id" in changes
        )
        change.set("assignee", assignee.pk if assignee else None, attr="assignee_id")
        change.set("team", team_id, attr="team_id")
        if assignee is not None and ticket.status == Status.NEW and "status" not in changes:
            apply_status(change, Status.OPEN, definitions)
    if "status" in changes:
        apply_status(change, changes["status"], definitions)
    if {"tags", "add_tags", "remove_tags"} & set(changes):
        change_tags(change, changes)
    if changes.get("add_follower_ids"):
        add_followers(change, changes["add_follower_ids"])
    if changes.get("remove_follower_ids"):
        ids = list(changes["remove_follower_ids"])
        removed = TicketFollower.objects.filter(ticket_id=ticket.pk, user_id__in=ids)
        for uid in removed.values_list("user_id", flat=True):
            change.event(EventKind.FOLLOWER_REMOVED, field="followers", old_value=str(uid))
        removed.delete()
    change.save()
    return ticket


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
        raise InvalidInput(_("A ticket cannot be merged into itself."), field="target")
    first, second = sorted([source.pk, target.pk])
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second])}
    source, target = locked[source.pk], locked[target.pk]
    check_can_edit(actor, source)
    check_can_edit(actor, target)
    for t, name in ((source, "source"), (target, "target")):
        if t.status == Status.CLOSED:
            if name == "source":
                raise InvalidInput(
                    _("The source ticket is closed and cannot be merged."), field=name
                )
            raise InvalidInput(_("The target ticket is closed and cannot be merged."), field=name)
        if t.merged_into_id is not None or t.deleted_at is not None:
            if name == "source":
                raise InvalidInput(_("The source ticket was merged or deleted."), field=name)
            raise InvalidInput(_("The target ticket was merged or deleted."), field=name)
    src = Change(ticket=source, actor=actor, via=via)
    tgt = Change(ticket=target, actor=actor, via=via, at=src.at)
    extra = f"\n\n{normalize(note)}" if note.strip() else ""
    src_comment = make_comment(
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
    tgt_comment = make_comment(
        target, author=actor,
        body=f"Ticket #{source.pk} ({source.subject[:200]}) was merged into this ticket.{quoted}",
        is_html=False, is_public=False, via=via, at=tgt.at,
        metadata={"merge": {"from": source.pk}},
    )  # fmt: skip
    tgt.event(EventKind.COMMENT_ADDED, comment=tgt_comment, is_public=False)
    tgt.event(EventKind.MERGED_FROM, old_value=str(source.pk))
    # The source keeps its own search entries (it stays findable, closed, pointing at the
    # target); the target's note makes the source's subject and last reply findable there.
    SearchEntry.objects.bulk_create(
        [
            search_entry(source, src_comment, src_comment.body_text, public=False),
            search_entry(target, tgt_comment, tgt_comment.body_text, public=False),
        ]
    )
    if source.requester_id != target.requester_id:
        exists = TicketFollower.objects.filter(ticket=target, user_id=source.requester_id).exists()
        if not exists:
            add_followers(tgt, [source.requester_id])
    source_tags = list(TicketTag.objects.filter(ticket=source).values_list("tag__name", flat=True))
    if source_tags:
        change_tags(tgt, {"add_tags": source_tags})
    src.save()
    tgt.save()
    return target


def _force_solved(change: Change) -> None:
    """Merged tickets close without the solve checks (they are not answered on their own)."""
    change.set("status", Status.SOLVED)
    change.ticket.solved_at = change.at
    change.dirty.add("solved_at")


@transaction.atomic
def do_link_problem(incident: Ticket, problem: Ticket, *, actor: User, via: str) -> Ticket:
    """Link an incident to the problem ticket it is an instance of."""
    if incident.pk == problem.pk:
        raise InvalidInput(_("A ticket cannot be its own problem."), field="problem")
    incident = lock_ticket(incident, None)
    check_can_edit(actor, incident)
    problem = Ticket.objects.select_for_update().get(pk=problem.pk)
    check_can_see(actor, problem)
    if problem.deleted_at is not None or problem.status == Status.CLOSED:
        raise InvalidInput(_("The problem ticket is closed or deleted."), field="problem")
    if problem.type != TicketType.PROBLEM:
        raise InvalidInput(_("The linked ticket must be of type problem."), field="problem")
    if incident.type == TicketType.PROBLEM and Ticket.objects.filter(problem=incident).exists():
        raise InvalidInput(_("A problem with incidents cannot become an incident."), field="type")
    change = Change(ticket=incident, actor=actor, via=via)
    change.set("type", TicketType.INCIDENT)
    change.set("due_at", None)  # only tasks have a due date
    if change.set("problem", problem.pk, attr="problem_id"):
        other = Change(ticket=problem, actor=actor, via=via, at=change.at)
        other.event(EventKind.LINKED, field="incidents", new_value=str(incident.pk))
        other.save()
    change.save()
    return incident


@transaction.atomic
def do_unlink_problem(incident: Ticket, *, actor: User, via: str) -> Ticket:
    incident = lock_ticket(incident, None)
    check_can_edit(actor, incident)
    if incident.problem_id is None:
        return incident
    problem_id = incident.problem_id
    change = Change(ticket=incident, actor=actor, via=via)
    change.set("problem", None, attr="problem_id")
    other = Ticket.objects.select_for_update().get(pk=problem_id)
    other_change = Change(ticket=other, actor=actor, via=via, at=change.at)
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
    change = Change(ticket=locked, actor=actor, via=via)
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
    change = Change(ticket=locked, actor=actor, via=via)
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
    change = Change(ticket=locked, actor=actor, via=via)
    change.event(
        EventKind.RESTORED,
        data={"was_spam": locked.is_spam, "was_deleted": locked.deleted_at is not None},
    )
    change.set_quiet("deleted_at", None)
    change.set_quiet("is_spam", False)
    change.save()
    AuditLog.objects.create(
        actor=actor, action="ticket.restored", target_type="ticket", target_id=str(locked.pk),
        data={}, at=change.at,
    )  # fmt: skip
    return locked


# --- the requester solves their own request ------------------------------------------------

REQUESTER_MAY_SOLVE = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


@transaction.atomic
def do_solve_as_requester(
    ticket: Ticket, *, actor: User, via: str, expected_version: int | None = None
) -> Ticket:
    """The customer says their request is solved ("Mark as solved" on the portal).

    Only a participant (requester, follower, colleague in a sharing organization) may, and
    only once an agent is assigned (a solved ticket always has an assignee). Required-on-solve
    fields are the agents' bookkeeping and do not stop a customer who is satisfied.
    """
    if actor.is_agent:
        raise Forbidden(_("Staff change the status in the workspace."), field="status")
    ticket = lock_ticket(ticket, expected_version)
    if not actor.is_active or not is_participant(actor, ticket):
        raise Forbidden(_("You may not change this request."))
    if ticket.status not in REQUESTER_MAY_SOLVE:
        raise InvalidInput(_("This request is already solved."), field="status")
    if ticket.assignee_id is None:
        raise InvalidInput(
            _("This request cannot be marked as solved before an agent has taken it."),
            field="status",
        )
    change = Change(ticket=ticket, actor=actor, via=via)
    apply_status(change, Status.SOLVED, definitions={})
    change.save()
    return ticket


__all__ = [
    "NewAttachment",
    "changes_since",
    "clean_filename",
    "clean_tags",
    "do_add_comment",
    "do_assign",
    "do_change_status",
    "do_create_ticket",
    "do_delete_ticket",
    "do_link_problem",
    "do_mark_spam",
    "do_merge_tickets",
    "do_restore_ticket",
    "do_solve_as_requester",
    "do_unlink_problem",
    "do_update_ticket",
    "is_participant",
]
