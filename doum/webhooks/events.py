"""Ticket changes as webhook events.

A `doum.tickets.hooks` listener (after commit, ids only) turns each change into events for
the active webhooks that subscribe to them:

* a new ticket: ``ticket.created`` (only that);
* otherwise ``comment.added`` when the change added a comment or an internal note,
  ``ticket.solved`` when its status became solved, and ``ticket.updated`` when it changed
  anything else (fields, tags, followers, links, merges, spam, deletion) — so one change
  can make more than one event, each delivered to the webhooks subscribed to it.

Changes written in the past (demo seeding, history import) are skipped. The payload is
compact: the ticket as it is now, the change's events, and the comments it added. An
internal note is announced with ``is_public: false`` but its body is only sent to
webhooks that opt in (`Webhook.include_internal`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from doum.core import clock
from doum.tickets import hooks
from doum.tickets.models import Comment, EventKind, Status, Tag, Ticket, TicketEvent
from doum.webhooks.delivery import create_delivery
from doum.webhooks.models import Webhook, WebhookEvent

TICKET_EVENTS = frozenset(
    {
        WebhookEvent.TICKET_CREATED,
        WebhookEvent.TICKET_UPDATED,
        WebhookEvent.COMMENT_ADDED,
        WebhookEvent.TICKET_SOLVED,
    }
)
COMMENT_BODY_MAX = 20_000
# Event kinds that belong to the comment they came with (not an "update" of their own).
_COMMENT_KINDS = frozenset({EventKind.COMMENT_ADDED, EventKind.ATTACHMENT_ADDED})


def connect() -> None:
    hooks.register(on_ticket_changed)


def on_ticket_changed(change: hooks.TicketChange) -> None:
    if change.historical:
        return
    webhooks = [
        w
        for w in Webhook.objects.filter(is_active=True).only("id", "events", "include_internal")
        if TICKET_EVENTS & set(w.events or [])
    ]
    if not webhooks:
        return
    ticket = (
        Ticket.objects.select_related("assignee", "team", "requester")
        .filter(pk=change.ticket_id)
        .first()
    )
    if ticket is None:
        return
    rows = list(
        TicketEvent.objects.filter(ticket_id=ticket.pk, version=change.version)
        .exclude(kind=EventKind.SLA)
        .select_related("actor")
        .order_by("id")
    )
    names = event_names(change, rows)
    payloads: dict[bool, dict[str, Any]] = {}
    with transaction.atomic():
        for webhook in webhooks:
            for name in names:
                if name not in webhook.events:
                    continue
                internal = webhook.include_internal
                if internal not in payloads:
                    payloads[internal] = ticket_change_payload(
                        ticket, change, rows, include_internal=internal
                    )
                create_delivery(
                    webhook, event=name, ticket_id=ticket.pk, payload=payloads[internal]
                )


def event_names(change: hooks.TicketChange, rows: list[TicketEvent]) -> list[str]:
    """The webhook events one ticket change makes (see the module's docstring)."""
    if change.created:
        return [WebhookEvent.TICKET_CREATED]
    names: list[str] = []
    solved = [
        r
        for r in rows
        if r.kind == EventKind.FIELD_CHANGED
        and r.field == "status"
        and r.new_value == Status.SOLVED
    ]
    if any(r.kind == EventKind.COMMENT_ADDED for r in rows):
        names.append(WebhookEvent.COMMENT_ADDED)
    if solved:
        names.append(WebhookEvent.TICKET_SOLVED)
    others = [r for r in rows if r.kind not in _COMMENT_KINDS and r not in solved]
    if others or not names:
        names.append(WebhookEvent.TICKET_UPDATED)
    return names


def _person(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.name}


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """The ticket as webhooks see it (no bodies; ids and names, not e-mail addresses)."""
    tags = sorted(Tag.objects.filter(tickets=ticket.pk).values_list("name", flat=True))
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "channel": ticket.channel,
        "brand_id": ticket.brand_id,
        "requester": _person(ticket.requester),
        "organization_id": ticket.organization_id,
        "assignee": _person(ticket.assignee),
        "team": None if ticket.team is None else {"id": ticket.team.pk, "name": ticket.team.name},
        "tags": tags,
        "version": ticket.version,
        "is_spam": ticket.is_spam,
        "is_deleted": ticket.deleted_at is not None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "solved_at": ticket.solved_at,
        "url": settings.DOUM_BASE_URL + reverse("tickets:ticket", args=[ticket.pk]),
    }


def _event_data(row: TicketEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": row.kind}
    if row.field:
        data.update(field=row.field, old=row.old_value, new=row.new_value)
    if row.comment_id is not None:
        data.update(comment_id=row.comment_id, is_public=row.is_public)
    rule = (row.data or {}).get("rule")
    if rule:
        data["rule"] = rule
    return data


def _comment_data(comment: Comment, *, include_internal: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": comment.pk,
        "is_public": comment.is_public,
        "author_id": comment.author_id,
        "via": comment.via,
        "created_at": comment.created_at,
    }
    if comment.is_public or include_internal:
        data["body"] = comment.body_text[:COMMENT_BODY_MAX]
        data["body_truncated"] = len(comment.body_text) > COMMENT_BODY_MAX
    return data


def ticket_change_payload(
    ticket: Ticket, change: hooks.TicketChange, rows: list[TicketEvent], *, include_internal: bool
) -> dict[str, Any]:
    first = rows[0] if rows else None
    comment_ids = [r.comment_id for r in rows if r.kind == EventKind.COMMENT_ADDED and r.comment_id]
    comments = Comment.objects.filter(pk__in=comment_ids).order_by("id") if comment_ids else []
    return {
        "ticket": ticket_data(ticket),
        "change": {
            "version": change.version,
            "created": change.created,
            "via": change.via or (first.via if first else ""),
            "at": first.at if first else clock.now(),
            "actor": None
            if first is None or first.actor is None
            else {**(_person(first.actor) or {}), "role": first.actor_role},
            "events": [_event_data(r) for r in rows],
        },
        "comments": [_comment_data(c, include_internal=include_internal) for c in comments],
    }
