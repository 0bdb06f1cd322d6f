"""Receiving mail: store the raw bytes first, then parse, thread and write the ticket.

`store_inbound` is what every source (IMAP poller, SMTP/LMTP listener, HTTP endpoint) calls
first; once it returns, the message is safe (its bytes in storage, its row committed), and the
source may acknowledge it (flag it on the IMAP server, answer 250, answer 202).
`process_inbound` then turns it into a ticket or a comment in one transaction, or records why
it could not on the failed-mail list. A process killed between the two leaves a row in status
"received", which `process_pending` finishes; one killed inside `process_inbound` leaves
nothing of the ticket behind (the transaction never committed).

Duplicates: one row per Message-ID (or per content hash for mail without one); delivering
the same message again only counts the delivery, so it yields one ticket comment.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from doum.accounts.actions import (
    default_brand,
    do_find_or_create_customer,
    do_record_bounce,
)
from doum.accounts.actions.common import audit, require_role
from doum.accounts.models import User
from doum.accounts.roles import ADMINISTERS
from doum.core import clock
from doum.core.errors import DoumError, NotFound
from doum.core.text import single_line
from doum.mail import loops, threads
from doum.mail.addresses import base_address, is_own_address, mid_key
from doum.mail.message import MailParseError, ParsedMail, ParseLimits
from doum.mail.models import (
    InboundMessage,
    InboundSource,
    InboundStatus,
    Mailbox,
    OutboundMessage,
)
from doum.tickets import actions as ticket_actions
from doum.tickets.changes import MAX_ATTACHMENTS, NewAttachment
from doum.tickets.models import Comment, Status, Ticket, Via

log = logging.getLogger(__name__)

HEADER_SCAN_BYTES = 256 * 1024
STREAM_CHUNK = 1024 * 1024
QUOTED_MAX_CHARS = 100_000


@dataclass(frozen=True)
class Stored:
    inbound_id: int
    duplicate: bool  # the same message (Message-ID, or bytes) was stored before


# --- 1. store --------------------------------------------------------------------------------


def store_inbound(
    raw: bytes | IO[bytes],
    *,
    source: str,
    mailbox_id: int | None = None,
    envelope_to: Sequence[str] = (),
) -> Stored:
    """Keep the message: bytes to storage, then its row, committed. Nothing is parsed yet
    beyond the few headers the failed-mail list shows, so this cannot fail on bad mail.

    `raw` is the message's bytes, or a seekable binary file holding them (a large message
    spooled to disk is hashed and stored a megabyte at a time, never held in memory)."""
    if source not in InboundSource.values:
        raise ValueError(f"unknown mail source {source!r}")
    content: File[bytes]
    if isinstance(raw, bytes | bytearray):
        data = bytes(raw)
        sha, size, head = hashlib.sha256(data).hexdigest(), len(data), data[:HEADER_SCAN_BYTES]
        content = ContentFile(data)
    else:
        digest, size = hashlib.sha256(), 0
        raw.seek(0)
        while chunk := raw.read(STREAM_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        raw.seek(0)
        head = raw.read(HEADER_SCAN_BYTES)
        raw.seek(0)
        sha, content = digest.hexdigest(), File(raw)
    headers = _peek_headers(head)
    message_id = _first_message_id(headers.get("Message-ID", ""))
    dedupe_key = f"mid:{message_id}" if message_id else f"sha:{sha}"
    existing = _count_delivery(dedupe_key)
    if existing is not None:
        return Stored(existing, duplicate=True)
    now = clock.now()
    key = default_storage.save(f"mail/raw/{now:%Y/%m}/{uuid.uuid4().hex}.eml", content)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                source=source,
                mailbox_id=mailbox_id,
                envelope_to=[single_line(a)[:254] for a in envelope_to][:100],
                dedupe_key=dedupe_key,
                message_id=message_id,
                sha256=sha,
                size=size,
                storage_key=key,
                received_at=now,
                from_address=_decoded(headers.get("From", ""))[:254],
                subject=_decoded(headers.get("Subject", ""))[:500],
            )
    except IntegrityError:
        # The same message arrived by another path at the same moment.
        default_storage.delete(key)
        again = _count_delivery(dedupe_key)
        if again is None:
            raise
        return Stored(again, duplicate=True)
    except BaseException:
        default_storage.delete(key)
        raise
    return Stored(row.pk, duplicate=False)


def _count_delivery(dedupe_key: str) -> int | None:
    found = InboundMessage.objects.filter(dedupe_key=dedupe_key).values_list("pk", flat=True)
    pk = next(iter(found), None)
    if pk is not None:
        InboundMessage.objects.filter(pk=pk).update(times_delivered=F("times_delivered") + 1)
    return pk


def _peek_headers(head: bytes) -> dict[str, str]:
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=-1)
    if end >= 0:
        head = head[:end]
    try:
        parsed = BytesHeaderParser(policy=compat32).parsebytes(head)
    except Exception:  # nothing here may stop a message from being stored
        return {}
    out: dict[str, str] = {}
    for name in ("Message-ID", "From", "Subject"):
        value = parsed.get(name)
        if value is not None:
            out[name] = str(value)
    return out


def _first_message_id(value: str) -> str:
    value = single_line(value)
    if "<" in value and ">" in value.split("<", 1)[1]:
        value = value.split("<", 1)[1].split(">", 1)[0]
    value = value.strip()
    return mid_key(value) if value and " " not in value else ""


def _decoded(value: str) -> str:
    try:
        return single_line(str(make_header(decode_header(value))))
    except Exception:  # a display value only; the parser decides later
        return single_line(value)


def open_raw(inbound_id: int) -> File[bytes]:
    """The message as received, as an open file (downloads stream it; the caller closes it)."""
    row = InboundMessage.objects.filter(pk=inbound_id).only("storage_key").first()
    if row is None:
        raise NotFound(_("No such message."))
    opened: File[bytes] = default_storage.open(row.storage_key, "rb")
    return opened


def raw_bytes(inbound_id: int) -> bytes:
    """The whole message as received, in memory."""
    with open_raw(inbound_id) as f:
        data: bytes = f.read()
    return data


# --- 2. process ------------------------------------------------------------------------------


def process_inbound(inbound_id: int) -> str:
    """Process one stored message; returns its status afterwards ("processed", "failed",
    "ignored", or "received" when the database was busy and a later run should finish it).
    Safe to call again: a message already processed is left alone."""
    try:
        with transaction.atomic():
            row = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
            if row is None:
                raise NotFound(_("No such message."))
            if row.status != InboundStatus.RECEIVED:
                return row.status
            row.attempts += 1
            row.last_attempt_at = clock.now()
            _process(row)
            return row.status
    except (OperationalError, InterfaceError):
        log.warning("inbound mail %s: database busy, left for a later run", inbound_id)
        return InboundStatus.RECEIVED
    except NotFound:
        raise
    except MailParseError as exc:
        reason = exc.reason
    except DoumError as exc:
        reason = f"could not be written to a ticket: {exc.message}"
    except Exception as exc:  # any failure lands on the failed-mail list
        log.exception("inbound mail %s failed", inbound_id)
        reason = f"internal error: {type(exc).__name__}: {exc}"
    _mark_failed(inbound_id, reason)
    return InboundStatus.FAILED


def process_pending(limit: int = 1000) -> int:
    """Process every stored message not processed yet (after a crash, say); returns how many."""
    ids = list(
        InboundMessage.objects.filter(status=InboundStatus.RECEIVED)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        process_inbound(pk)
    return len(ids)


def _mark_failed(inbound_id: int, reason: str) -> None:
    reason = reason.replace("\x00", "")[:5000]
    log.warning("inbound mail %s failed: %s", inbound_id, single_line(reason)[:300])
    InboundMessage.objects.filter(pk=inbound_id, status=InboundStatus.RECEIVED).update(
        status=InboundStatus.FAILED,
        failure_reason=reason,
        attempts=F("attempts") + 1,
        last_attempt_at=clock.now(),
    )


def _process(row: InboundMessage) -> None:
    from doum.mail.parse import parse_message

    limits = ParseLimits.from_settings()
    if row.size > limits.max_bytes:
        # Refused before a byte of it is read back: memory stays bounded.
        raise MailParseError(f"message is {row.size} bytes, over the limit of {limits.max_bytes}")
    with default_storage.open(row.storage_key, "rb") as f:
        raw: bytes = f.read()
    parsed = parse_message(raw, limits)
    sender_address = parsed.from_.address if parsed.from_ else ""
    row.from_address = sender_address[:254] or row.from_address
    row.subject = parsed.subject[:500]
    verdict = loops.classify(parsed)
    row.is_automatic = verdict.automatic
    row.automatic_reason = verdict.reason[:100]
    if verdict.drop:
        log.warning("inbound mail %s dropped: %s", row.pk, verdict.reason)
        _finish(row, InboundStatus.IGNORED, "dropped", reason=verdict.reason)
        return
    if parsed.bounce is not None:
        _record_bounce(row, parsed)
        return
    if not sender_address:
        raise MailParseError("the message has no valid sender address (From)")
    sender = _sender(parsed)
    mailbox = _mailbox(row, parsed)
    match = threads.find_ticket(parsed, sender=sender, envelope_to=row.envelope_to)
    attachments, skipped = _attachments(parsed)
    metadata = {"email": _email_metadata(row, parsed, verdict.automatic, skipped)}
    followers = _cc_followers(parsed, sender)
    if match is not None and match.ticket.status != Status.CLOSED:
        ticket = match.ticket
        body = parsed.new_text.strip() or parsed.text.strip()
        comment = ticket_actions.do_add_comment(
            ticket,
            actor=sender,
            via=Via.EMAIL,
            body=body or _("(This message has no text; see its attachments.)"),
            attachments=attachments,
            metadata=metadata,
        )
        _add_followers(ticket, followers)
        _finish(row, InboundStatus.PROCESSED, f"comment:{match.how}", ticket, comment)
        return
    follow_up = match.ticket if match is not None else None
    brand_id = mailbox.brand_id if mailbox else default_brand().pk
    use_html = bool(parsed.html) and follow_up is None
    body = parsed.html if use_html else (parsed.new_text.strip() or parsed.text.strip())
    ticket = ticket_actions.do_create_ticket(
        actor=sender,
        via=Via.EMAIL,
        subject=parsed.subject or _("(no subject)"),
        body=body or _("(This message has no text; see its attachments.)"),
        body_is_html=use_html and bool(body),
        requester_id=sender.pk,
        brand_id=brand_id,
        attachments=attachments,
        comment_metadata=metadata,
        follow_up_of_id=follow_up.pk if follow_up else None,
    )
    changes: dict[str, Any] = {}
    if mailbox is not None and mailbox.team_id and ticket.team_id is None:
        changes["team_id"] = mailbox.team_id
    if followers:
        changes["add_follower_ids"] = followers
    if changes:
        ticket_actions.do_update_ticket(ticket, actor=None, via=Via.EMAIL, changes=changes)
    first = Comment.objects.filter(ticket=ticket).order_by("id").first()
    _finish(
        row,
        InboundStatus.PROCESSED,
        "follow_up" if follow_up else "new_ticket",
        ticket,
        first,
    )


def _finish(
    row: InboundMessage,
    status: str,
    outcome: str,
    ticket: Ticket | None = None,
    comment: Comment | None = None,
    *,
    reason: str = "",
) -> None:
    row.status = status
    row.outcome = outcome
    row.failure_reason = reason
    row.ticket = ticket
    row.comment = comment
    row.processed_at = clock.now()
    row.save()


def _sender(parsed: ParsedMail) -> User:
    """Whoever has the address as an identity (customer or staff), else a new customer."""
    assert parsed.from_ is not None
    return do_find_or_create_customer(
        actor=None, email=parsed.from_.address, name=parsed.from_.name
    )


def _mailbox(row: InboundMessage, parsed: ParsedMail) -> Mailbox | None:
    if row.mailbox_id is not None:
        return Mailbox.objects.filter(pk=row.mailbox_id).first()
    candidates = [base_address(a) for a in row.envelope_to]
    candidates += [base_address(a.address) for a in (*parsed.to, *parsed.cc) if a.address]
    if not candidates:
        return None
    by_address = {
        m.address: m for m in Mailbox.objects.filter(address__in=candidates, is_active=True)
    }
    return next((by_address[a] for a in candidates if a in by_address), None)


def _attachments(parsed: ParsedMail) -> tuple[list[NewAttachment], list[str]]:
    limit = settings.DOUM_ATTACHMENT_MAX_BYTES
    kept: list[NewAttachment] = []
    skipped: list[str] = []
    for a in parsed.attachments:
        if len(a.data) > limit or len(kept) >= MAX_ATTACHMENTS:
            skipped.append(single_line(a.filename)[:200])
        else:
            kept.append(a)
    return kept, skipped


def _email_metadata(
    row: InboundMessage, parsed: ParsedMail, automatic: bool, skipped: list[str]
) -> dict[str, Any]:
    return {
        "inbound_id": row.pk,
        "message_id": row.message_id,
        "from": parsed.from_.address if parsed.from_ else "",
        "to": [a.address for a in parsed.to if a.address][:50],
        "cc": [a.address for a in parsed.cc if a.address][:50],
        "automatic": automatic,
        "automatic_reason": row.automatic_reason,
        "quoted_text": parsed.quoted_text[:QUOTED_MAX_CHARS],
        "skipped_attachments": skipped,
    }


def _cc_followers(parsed: ParsedMail, sender: User) -> list[int]:
    """People CC'd on the mail follow the ticket (found or created as customers)."""
    ids: list[int] = []
    for a in parsed.cc[: settings.DOUM_MAIL_MAX_CC_FOLLOWERS]:
        if not a.address or is_own_address(a.address):
            continue
        try:
            person = do_find_or_create_customer(actor=None, email=a.address, name=a.name)
        except DoumError:
            continue  # an address we cannot accept is not worth failing the mail for
        if person.pk != sender.pk and person.is_active and person.pk not in ids:
            ids.append(person.pk)
    return ids


def _add_followers(ticket: Ticket, follower_ids: list[int]) -> None:
    if follower_ids:
        ticket_actions.do_update_ticket(
            ticket, actor=None, via=Via.EMAIL, changes={"add_follower_ids": follower_ids}
        )


def _record_bounce(row: InboundMessage, parsed: ParsedMail) -> None:
    bounce = parsed.bounce
    assert bounce is not None
    reason = f"{bounce.status} {bounce.diagnostic}".strip() or "bounced"
    for address in bounce.recipients:
        do_record_bounce(address=address, reason=reason, permanent=bounce.permanent)
    original = None
    if bounce.original_message_id:
        original = OutboundMessage.objects.filter(
            message_id=mid_key(bounce.original_message_id)
        ).first()
    if original is not None:
        OutboundMessage.objects.filter(pk=original.pk).update(
            last_error=f"bounced: {reason}"[:2000]
        )
    _finish(
        row,
        InboundStatus.PROCESSED,
        "bounce",
        original.ticket if original is not None else None,
        reason=f"bounce for {', '.join(bounce.recipients)[:500]}: {reason}",
    )


# --- 3. the failed-mail list -----------------------------------------------------------------


def do_retry_inbound(inbound_id: int, *, actor: User) -> str:
    """An admin retries a failed message (after a fix); returns the new status. Audited."""
    require_role(actor, ADMINISTERS, _("Only admins may handle failed mail."))
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
        if row is None:
            raise NotFound(_("No such message."))
        if row.status == InboundStatus.PROCESSED:
            return row.status
        InboundMessage.objects.filter(pk=row.pk).update(
            status=InboundStatus.RECEIVED, failure_reason=""
        )
        audit(actor, "mail.retried", row, previous=row.status)
    return process_inbound(inbound_id)


@transaction.atomic
def do_dismiss_inbound(inbound_id: int, *, actor: User, note: str = "") -> None:
    """An admin decides a failed message needs no ticket: it becomes ignored, with who and
    why in its failure reason. The raw bytes stay. Audited."""
    require_role(actor, ADMINISTERS, _("Only admins may handle failed mail."))
    row = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
    if row is None:
        raise NotFound(_("No such message."))
    if row.status == InboundStatus.PROCESSED:
        return
    note = single_line(note)[:500]
    reason = f"dismissed by {actor.name or actor.pk}" + (f": {note}" if note else "")
    previous = row.failure_reason
    InboundMessage.objects.filter(pk=row.pk).update(
        status=InboundStatus.IGNORED,
        outcome="dismissed",
        failure_reason=f"{reason}\n\n{previous}".strip()[:5000],
    )
    audit(actor, "mail.dismissed", row, note=note)
