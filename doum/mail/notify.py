"""Outbound mail caused by ticket changes: agent replies to the requester (and CC'd
followers), the new-ticket acknowledgement, assignment and customer-reply notifications.

`connect()` registers one listener with `doum.tickets.hooks`; it runs after commit and queues
`OutboundMessage` rows through `outbound.queue_message`.

What is sent for one change (one ticket version):
- a public comment by staff (not imported): REPLY to the requester, CC the customers who
  follow the ticket, never to the comment's author. A comment written by a trigger or an
  automation is automatic mail ("auto-generated"); a person's reply is not.
- a new ticket that came in by email from the customer (not an auto-reply): ACKNOWLEDGEMENT
  to the requester ("auto-replied"), in reply to the customer's Message-ID.
- the assignee set to a staff member other than the one who made the change: ASSIGNMENT to
  that agent ("auto-generated").
- a public comment by a customer on an assigned ticket (not its creation): CUSTOMER_REPLY to
  the assignee ("auto-generated").
Nobody inactive or without an address is mailed, nor the person who made the change; nothing
is sent for historical or imported changes, spam or deleted tickets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from doum.accounts.models import User
from doum.accounts.roles import STAFF_ROLES, Role
from doum.core.text import single_line
from doum.mail import outbound, templates_store
from doum.mail.models import OutboundKind, OutboundMessage, OutboundStatus
from doum.tickets import hooks
from doum.tickets.models import (
    Channel,
    Comment,
    EventKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketFollower,
    Via,
)

log = logging.getLogger(__name__)

AUTOMATIC_VIA = frozenset({Via.TRIGGER, Via.AUTOMATION, Via.SYSTEM})


def connect() -> None:
    """Register the ticket listener (idempotent)."""
    hooks.register(on_ticket_changed)


def on_ticket_changed(change: hooks.TicketChange) -> None:
    if change.historical:
        return
    events = list(
        TicketEvent.objects.filter(ticket_id=change.ticket_id, version=change.version)
        .select_related("actor", "comment__author")
        .order_by("id")
    )
    events = [e for e in events if not e.imported and e.via != Via.IMPORT]
    if not events:
        return
    ticket = (
        Ticket.objects.select_related("brand", "requester", "assignee")
        .filter(pk=change.ticket_id)
        .first()
    )
    if ticket is None or ticket.deleted_at is not None or ticket.is_spam:
        return
    jobs: list[Callable[[], None]] = []
    if change.created:
        jobs.append(lambda: _acknowledge(ticket, events))
    for event in events:
        jobs.extend(_jobs_for(ticket, event, created=change.created))
    for job in jobs:
        try:
            job()
        except Exception:
            log.exception("mail notification for #%s v%s failed", ticket.pk, change.version)


def _jobs_for(ticket: Ticket, event: TicketEvent, *, created: bool) -> list[Callable[[], None]]:
    comment = event.comment
    if event.kind == EventKind.COMMENT_ADDED and event.is_public and comment is not None:
        if event.actor_role in STAFF_ROLES:
            return [lambda: _reply(ticket, event, comment)]
        if event.actor_role == Role.CUSTOMER and not created:
            return [lambda: _customer_reply(ticket, event, comment)]
    elif event.kind == EventKind.FIELD_CHANGED and event.field == "assignee" and event.new_value:
        assignee_id = int(event.new_value)
        return [lambda: _assignment(ticket, event, assignee_id)]
    elif event.kind == EventKind.CREATED and isinstance(event.data, dict):
        assignee = event.data.get("assignee")
        if isinstance(assignee, int):
            return [lambda: _assignment(ticket, event, assignee)]
    return []


# --- recipients -----------------------------------------------------------------------------


def _mailable(user: User | None, actor_id: int | None) -> bool:
    return bool(user is not None and user.is_active and user.email and user.pk != actor_id)


def _customer_followers(ticket: Ticket, exclude: set[int]) -> list[User]:
    rows = (
        TicketFollower.objects.filter(
            ticket_id=ticket.pk, user__role=Role.CUSTOMER, user__is_active=True
        )
        .exclude(user_id__in=exclude)
        .exclude(user__email__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("added_at", "id")[: int(settings.DOUM_MAIL_MAX_CC_FOLLOWERS)]
    )
    return [r.user for r in rows]


# --- the mails ------------------------------------------------------------------------------


def _reply(ticket: Ticket, event: TicketEvent, comment: Comment) -> None:
    author_id = comment.author_id
    requester = ticket.requester
    followers = _customer_followers(ticket, exclude={author_id, requester.pk})
    to = [requester] if _mailable(requester, author_id) else []
    if not to and not followers:
        return
    language = templates_store.language_for(requester if to else followers[0])
    files = outbound.comment_attachments(comment.pk)
    note = ""
    if files.files and not files.fits:
        with translation.override(language):
            note = _(
                "These attachments are too large to send by email: %(names)s. "
                "You can find them on your request page."
            ) % {"names": ", ".join(single_line(f.filename) for f in files.files)}
    context = _context(ticket, language, agent=comment.author, comment=comment, note=note)
    subject, text, html = templates_store.render(OutboundKind.REPLY, language, context)
    automatic = event.via in AUTOMATIC_VIA
    outbound.queue_message(
        kind=OutboundKind.REPLY,
        ticket=ticket,
        to=[u.email or "" for u in to],
        cc=[u.email or "" for u in followers],
        subject=subject,
        body_text=text,
        body_html=html,
        comment=comment,
        is_automatic=automatic,
        auto_value=outbound.auto_submitted_for(OutboundKind.REPLY),
        agent_name="" if automatic else comment.author.name,
    )


def _acknowledge(ticket: Ticket, events: list[TicketEvent]) -> None:
    if ticket.channel != Channel.EMAIL:
        return
    first = next((e for e in events if e.kind == EventKind.COMMENT_ADDED), None)
    if first is None or first.comment is None or first.actor_role != Role.CUSTOMER:
        return
    meta = _email_metadata(first.comment)
    if meta.get("automatic"):
        return
    requester = ticket.requester
    if not _mailable(requester, None):
        return
    _notice(
        OutboundKind.ACKNOWLEDGEMENT, ticket, requester,
        in_reply_to=str(meta.get("message_id") or ""),
    )  # fmt: skip


def _assignment(ticket: Ticket, event: TicketEvent, assignee_id: int) -> None:
    if ticket.assignee_id != assignee_id:
        return  # assigned again since; the later change tells the later assignee
    agent = ticket.assignee
    if agent is None or agent.role not in STAFF_ROLES or not _mailable(agent, event.actor_id):
        return
    _notice(OutboundKind.ASSIGNMENT, ticket, agent, agent=agent)


def _customer_reply(ticket: Ticket, event: TicketEvent, comment: Comment) -> None:
    agent = ticket.assignee
    if agent is None or agent.role not in STAFF_ROLES or not _mailable(agent, comment.author_id):
        return
    if _email_metadata(comment).get("automatic"):
        return  # an auto-reply that was kept on the ticket: not worth a notification
    _notice(OutboundKind.CUSTOMER_REPLY, ticket, agent, agent=agent, comment=comment)


def send_escalation_notice(
    ticket: Ticket, recipient: User, *, target: str, state: str, deadline: str
) -> str:
    """An SLA warning or breach notice to one staff member, in their language (queued as
    automatic mail after commit). Returns what became of it: "queued", "suppressed: <why>"
    (a bounced address, the automatic-mail caps) or "not mailable" (no address, inactive)."""
    if recipient.role not in STAFF_ROLES or not _mailable(recipient, None):
        return "not mailable"
    msg = _notice(
        OutboundKind.ESCALATION, ticket, recipient, agent=recipient,
        sla={"target": target, "state": state, "deadline": deadline},
    )  # fmt: skip
    if msg.status == OutboundStatus.SUPPRESSED:
        return f"suppressed: {msg.suppressed_reason}"
    return "queued"


def _notice(
    kind: str,
    ticket: Ticket,
    recipient: User,
    *,
    agent: User | None = None,
    comment: Comment | None = None,
    in_reply_to: str = "",
    sla: dict[str, str] | None = None,
) -> OutboundMessage:
    """One automatic mail (acknowledgement or notification) to one person, in their language."""
    language = templates_store.language_for(recipient)
    context = _context(ticket, language, agent=agent, comment=comment)
    if sla is not None:
        context["sla"] = sla
    subject, text, html = templates_store.render(kind, language, context)
    return outbound.queue_message(
        kind=kind,
        ticket=ticket,
        to=[recipient.email or ""],
        subject=subject,
        body_text=text,
        body_html=html,
        comment=comment,
        is_automatic=True,
        auto_value=outbound.auto_submitted_for(kind),
        in_reply_to=in_reply_to,
    )


def _email_metadata(comment: Comment) -> dict[str, Any]:
    """What the inbound mail wrote on a comment it became (empty for other comments)."""
    meta = comment.metadata.get("email") if comment.metadata else None
    return meta if isinstance(meta, dict) else {}


# --- what a template sees -------------------------------------------------------------------


def _base_url() -> str:
    return single_line(str(settings.DOUM_BASE_URL or "")).rstrip("/")


def ticket_url(ticket: Ticket) -> str:
    """The ticket in the workspace (empty when no DOUM_BASE_URL is configured)."""
    base = _base_url()
    return f"{base}{reverse('tickets:ticket', args=[ticket.pk])}" if base else ""


def portal_url(ticket: Ticket) -> str:
    """The request on the customer portal: on the brand's portal host when it has one."""
    path = reverse("portal:request", args=[ticket.pk])
    host = single_line(ticket.brand.portal_host or "").strip("/")
    if host and "/" not in host and " " not in host:
        return f"https://{host}{path}"
    base = _base_url()
    return f"{base}{path}" if base else ""


def _first_name(name: str) -> str:
    parts = single_line(name).split()
    return parts[0] if parts else ""


def _context(
    ticket: Ticket,
    language: str,
    *,
    agent: User | None = None,
    comment: Comment | None = None,
    note: str = "",
) -> dict[str, object]:
    """Plain values only: a template never sees a model instance."""
    requester = ticket.requester
    with translation.override(language):
        status = str(Status(ticket.status).label) if ticket.status in Status.values else ""
        priority = (
            str(Priority(ticket.priority).label) if ticket.priority in Priority.values else ""
        )
    context: dict[str, object] = {
        "ticket": {
            "number": str(ticket.pk),
            "subject": single_line(ticket.subject),
            "status": status,
            "priority": priority,
            "url": ticket_url(ticket),
        },
        "requester": {
            "name": single_line(requester.name),
            "first_name": _first_name(requester.name),
            "email": requester.email or "",
        },
        "brand": {"name": single_line(ticket.brand.name)},
        "portal_url": portal_url(ticket),
    }
    if agent is not None:
        context["agent"] = {"name": single_line(agent.name), "first_name": _first_name(agent.name)}
    if comment is not None:
        body_html = comment.body_html
        body_text = comment.body_text
        if note:
            body_text = f"{body_text}\n\n{note}"
            body_html = f"{body_html}<p>{escape(note)}</p>"
        context["comment"] = {
            "body": body_text,
            "body_html": body_html,
            "author": single_line(comment.author.name),
        }
    return context
