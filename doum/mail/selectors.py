"""Reads for the email channel's admin pages: mailboxes, received mail (the failed-mail list
and the recent log), sent mail, and the original of an e-mailed comment.

Everything here but `access_original` is for admins only; a non-admin is answered "not
found", like every selector answers for what the viewer may not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import User
from doum.core.errors import NotFound
from doum.mail.models import (
    InboundMessage,
    InboundStatus,
    Mailbox,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
)
from doum.tickets.selectors import access_ticket

PAGE_SIZE = 50
Row = TypeVar("Row", bound=Model)


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a newest-first list; `next_cursor` is "" on the last page."""

    rows: Sequence[Row]
    next_cursor: str


def _is_admin(user: User) -> bool:
    return user.is_active and user.role in roles.ADMINISTERS


# --- keyset pages over (time, id), newest first ---------------------------------------------


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def encode_cursor(at: datetime, pk: int) -> str:
    return f"{(at - EPOCH) // MICROSECOND}.{pk}"


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The position a cursor names; None for an empty or malformed one (the first page)."""
    micros, _dot, pk = cursor.partition(".")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
        return None
    try:
        at = EPOCH + int(micros) * MICROSECOND
    except OverflowError:
        return None
    return at, int(pk)


def _keyset(qs: QuerySet[Row], time_field: str, cursor: str, limit: int) -> Page[Row]:
    limit = max(1, min(limit, 200))
    position = decode_cursor(cursor)
    if position is not None:
        at, pk = position
        qs = qs.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "pk__lt": pk}))
    rows = list(qs.order_by(f"-{time_field}", "-pk")[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, "")
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, encode_cursor(getattr(last, time_field), int(last.pk)))


# --- mailboxes ------------------------------------------------------------------------------


def mailbox_list() -> QuerySet[Mailbox]:
    """Every mailbox, active ones first, with its brand and team."""
    return Mailbox.objects.select_related("brand", "team").order_by("-is_active", "address")


def access_mailbox(user: User, mailbox_id: int) -> Mailbox:
    mailbox = mailbox_list().filter(pk=mailbox_id).first() if _is_admin(user) else None
    if mailbox is None:
        raise NotFound(_("No such mailbox."))
    return mailbox


# --- received mail --------------------------------------------------------------------------


def _inbound() -> QuerySet[InboundMessage]:
    return InboundMessage.objects.select_related("mailbox").defer(
        "envelope_to", "storage_key", "sha256"
    )


def recent_inbound(
    status: str | None = None, *, cursor: str = "", limit: int = PAGE_SIZE
) -> Page[InboundMessage]:
    """Received messages, newest first; only those with ``status`` when one is given."""
    qs = _inbound()
    if status:
        qs = qs.filter(status=status)
    return _keyset(qs, "received_at", cursor, limit)


def failed_inbound(*, cursor: str = "", limit: int = PAGE_SIZE) -> Page[InboundMessage]:
    """The failed-mail list: what could not become a ticket or a comment, newest first."""
    return recent_inbound(InboundStatus.FAILED, cursor=cursor, limit=limit)


def failed_count() -> int:
    return InboundMessage.objects.filter(status=InboundStatus.FAILED).count()


def access_inbound(user: User, inbound_id: int) -> InboundMessage:
    """One received message for an admin (its row: the raw bytes are `inbound.raw_bytes`)."""
    found = None
    if _is_admin(user):
        found = (
            InboundMessage.objects.select_related("mailbox", "ticket").filter(pk=inbound_id).first()
        )
    if found is None:
        raise NotFound(_("No such message."))
    return found


def access_original(user: User, inbound_id: int) -> InboundMessage:
    """A received message that became part of a ticket the user may see (staff opening the
    original of an e-mailed comment); NotFound otherwise, whoever the user is."""
    found = InboundMessage.objects.filter(pk=inbound_id).only("pk", "ticket_id").first()
    if found is None or found.ticket_id is None or not user.is_agent:
        raise NotFound(_("No such message."))
    try:
        access_ticket(user, found.ticket_id)
    except NotFound as error:
        raise NotFound(_("No such message.")) from error
    return found


# --- sent mail ------------------------------------------------------------------------------


def outbound_log(
    *, status: str = "", kind: str = "", cursor: str = "", limit: int = PAGE_SIZE
) -> Page[OutboundMessage]:
    """Messages Doum sent or tried to send, newest first, without their bodies."""
    qs = OutboundMessage.objects.defer("body_text", "body_html", "references")
    if status in OutboundStatus.values:
        qs = qs.filter(status=status)
    if kind in OutboundKind.values:
        qs = qs.filter(kind=kind)
    return _keyset(qs, "created_at", cursor, limit)


def outbound_for_ticket(ticket_id: int, *, limit: int = 50) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(ticket_id=ticket_id)
        .defer("body_text", "body_html")
        .order_by("-created_at", "-pk")[:limit]
    )
