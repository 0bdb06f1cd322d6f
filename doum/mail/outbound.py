"""Sending mail: queue a rendered message as an `OutboundMessage`, send it from a background
task with retries and backoff, and build its headers (Message-ID, threading, loop headers).

`queue_message` writes one row (rendered once, so every retry sends the same message) and
enqueues `tasks.send_outbound_task` after commit. Before it queues, it drops recipients whose
address bounced, Doum's own addresses and malformed ones, and for automatic mail it applies
the loop caps (per ticket and per recipient within a sliding window); a message left without
anyone to go to is kept with status "suppressed" and the reason.

`send_outbound` claims a row with a conditional UPDATE (so two workers never send the same
message), sends it through Django's configured mail backend, and on a temporary failure
schedules the next attempt with exponential backoff. `send_due` is the periodic sweep that
picks up retries whose time has come and enqueues that were lost in a crash.

Every header value passes `single_line` first: a CR, LF or NUL in a name, subject or address
can never start a header of its own.
"""

from __future__ import annotations

import json
import logging
import random
import re
import smtplib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage as StdlibEmailMessage
from email.policy import Policy
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q, QuerySet

from doum.accounts.models import Identity
from doum.core import clock
from doum.core.text import single_line
from doum.mail import addresses
from doum.mail.models import (
    InboundMessage,
    Mailbox,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
)
from doum.tickets.models import Attachment, Comment, Ticket

log = logging.getLogger(__name__)

AUTO_REPLIED = "auto-replied"  # RFC 3834: a response to a message (the acknowledgement)
AUTO_GENERATED = "auto-generated"  # RFC 3834: not a response (notifications to agents)


def auto_submitted_for(kind: str) -> str:
    """The Auto-Submitted value of automatic mail of this kind."""
    return AUTO_REPLIED if kind == OutboundKind.ACKNOWLEDGEMENT else AUTO_GENERATED


THREAD_MAX_IDS = 20  # Message-IDs kept in References
SUBJECT_MAX = 900  # the column holds 1000; room for the "[#n] " prefix
# Attachments go into the mail up to this total; larger sets are named in the text instead.
ATTACH_MAX_BYTES = 10 * 1024 * 1024
# While one worker sends, the row is leased to it: nobody else claims it before this passes.
# A worker that dies mid-send leaves the row for the sweep once the lease has run out.
SEND_LEASE = timedelta(minutes=15)
# A queued row whose task was never enqueued (a crash between commit and enqueue) is picked
# up by the sweep once it is this old.
LOST_ENQUEUE_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 200
ERROR_MAX = 2000

# A Message-ID we are willing to repeat in a header: no spaces, brackets or quotes.
_MID = re.compile(r"^[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+$")


# --- queueing -------------------------------------------------------------------------------


def queue_message(
    *,
    kind: str,
    ticket: Ticket | None,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str,
    body_text: str,
    body_html: str = "",
    comment: Comment | None = None,
    is_automatic: bool,
    auto_value: str = AUTO_REPLIED,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    agent_name: str = "",
    attachments: Sequence[Mapping[str, str]] = (),
) -> OutboundMessage:
    """Write one outbound message for `ticket` and enqueue its sending after commit.

    `auto_value` is what Auto-Submitted says for automatic mail. It is not stored: the
    acknowledgement is "auto-replied" and every other automatic kind "auto-generated"
    (`auto_submitted_for`), and a value that disagrees with the kind is refused.
    `agent_name` (an agent's reply): the From name becomes "<agent> (<brand>)" instead of
    the brand's name. `in_reply_to`/`references` are added to the ticket's own thread (its
    inbound Message-IDs and earlier outbound ones). Returns the row; its status is "queued",
    or "suppressed" with `suppressed_reason` when nobody is left to send it to.

    `ticket` None: mail about no ticket (scheduled reports): sent from the default address,
    no thread, no reply token, the subject as given. `attachments`: files already in the
    default storage, sent with the message (`{"storage_key", "filename", "content_type"}`).
    """
    if is_automatic and auto_value != auto_submitted_for(kind):
        raise ValueError(f"{kind} mail is {auto_submitted_for(kind)}, not {auto_value}")
    now = clock.now()
    wanted_to = clean_addresses(to)
    wanted_cc = [a for a in clean_addresses(cc) if a not in wanted_to]
    files = [_clean_attachment(a) for a in attachments]
    if ticket is None:
        return _queue_without_ticket(
            kind=kind,
            to=wanted_to,
            cc=wanted_cc,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            is_automatic=is_automatic,
            attachments=files,
            now=now,
        )
    mailbox = mailbox_for(ticket)
    from_address = mailbox.address.lower() if mailbox else addresses.default_from_address()
    brand_name = single_line(ticket.brand.name)
    agent_name = single_line(agent_name)
    from_name = f"{agent_name} ({brand_name})" if agent_name else brand_name
    thread, last_received = thread_ids(ticket.pk, extra=references)
    parent = addresses.mid_key(in_reply_to) if in_reply_to else ""
    if parent and _MID.match(parent):
        thread = [m for m in thread if m != parent] + [parent]
    else:
        # What we answer is the customer's latest message, not our own last mail.
        parent = last_received or (thread[-1] if thread else "")
    if parent and parent not in thread:
        thread.append(parent)
    thread = thread[-THREAD_MAX_IDS:]

    send_to, send_cc, reason = _deliverable(wanted_to, wanted_cc)
    if not reason and is_automatic:
        send_to, send_cc, reason = _within_loop_caps(ticket.pk, send_to, send_cc, now)
    if reason:
        log.warning("outbound %s for #%s suppressed: %s", kind, ticket.pk, reason)

    with transaction.atomic():
        msg = OutboundMessage.objects.create(
            kind=kind,
            ticket=ticket,
            comment=comment,
            mailbox=mailbox,
            message_id=addresses.make_message_id(),
            in_reply_to=parent,
            references=thread,
            from_address=from_address,
            from_name=from_name[:200],
            reply_to=addresses.plus_address(from_address, ticket.pk),
            to=send_to if not reason else wanted_to,
            cc=send_cc if not reason else wanted_cc,
            subject=ticket_subject(ticket.pk, subject),
            body_text=body_text,
            body_html=body_html,
            attachments=files,
            is_automatic=is_automatic,
            status=OutboundStatus.SUPPRESSED if reason else OutboundStatus.QUEUED,
            suppressed_reason=reason[:200],
            created_at=now,
        )
        if not reason:
            msg_id = msg.pk
            transaction.on_commit(lambda: enqueue_send(msg_id))
    return msg


def _clean_attachment(item: Mapping[str, str]) -> dict[str, str]:
    key = str(item.get("storage_key") or "")
    if not key or ".." in key.split("/") or key.startswith("/"):
        raise ValueError(f"not a storage key: {key[:100]!r}")
    return {
        "storage_key": key,
        "filename": single_line(str(item.get("filename") or "attachment"))[:200],
        "content_type": single_line(str(item.get("content_type") or "application/octet-stream")),
    }


def _queue_without_ticket(
    *,
    kind: str,
    to: list[str],
    cc: list[str],
    subject: str,
    body_text: str,
    body_html: str,
    is_automatic: bool,
    attachments: list[dict[str, str]],
    now: datetime,
) -> OutboundMessage:
    """A message about no ticket (a scheduled report): the default sender, no thread."""
    send_to, send_cc, reason = _deliverable(to, cc)
    if not reason and is_automatic:
        send_to, send_cc, reason = _within_loop_caps(None, send_to, send_cc, now)
    if reason:
        log.warning("outbound %s suppressed: %s", kind, reason)
    with transaction.atomic():
        msg = OutboundMessage.objects.create(
            kind=kind,
            message_id=addresses.make_message_id(),
            from_address=addresses.default_from_address(),
            from_name=_default_from_name(),
            to=send_to if not reason else to,
            cc=send_cc if not reason else cc,
            subject=single_line(subject)[:SUBJECT_MAX],
            body_text=body_text,
            body_html=body_html,
            attachments=attachments,
            is_automatic=is_automatic,
            status=OutboundStatus.SUPPRESSED if reason else OutboundStatus.QUEUED,
            suppressed_reason=reason[:200],
            created_at=now,
        )
        if not reason:
            msg_id = msg.pk
            transaction.on_commit(lambda: enqueue_send(msg_id))
    return msg


def _default_from_name() -> str:
    return single_line(parseaddr(str(settings.DEFAULT_FROM_EMAIL))[0])[:200] or "Doum"


def clean_addresses(values: Iterable[str]) -> list[str]:
    """Lower-cased, one line, syntactically valid, without duplicates (order kept)."""
    found: list[str] = []
    for value in values:
        address = single_line(value or "").lower()
        if not address or address in found:
            continue
        try:
            validate_email(address)
        except ValidationError:
            log.info("outbound: dropping malformed address %r", address[:100])
            continue
        found.append(address)
    return found


def _deliverable(to: list[str], cc: list[str]) -> tuple[list[str], list[str], str]:
    """Drop Doum's own addresses and bounced ones; CC moves up when To is left empty."""
    everyone = to + cc
    bounced = set(
        Identity.objects.filter(
            kind=Identity.Kind.EMAIL, value__in=everyone, bounced_at__isnull=False
        ).values_list("value", flat=True)
    )
    keep_to = [a for a in to if a not in bounced and not addresses.is_own_address(a)]
    keep_cc = [a for a in cc if a not in bounced and not addresses.is_own_address(a)]
    if not keep_to:
        keep_to, keep_cc = keep_cc, []
    if not keep_to:
        why = "bounced" if bounced else "own or missing"
        return [], [], f"no recipients: every address is {why}"
    return keep_to, keep_cc, ""


def _within_loop_caps(
    ticket_id: int | None, to: list[str], cc: list[str], now: datetime
) -> tuple[list[str], list[str], str]:
    """The loop caps for automatic mail: per ticket, then per recipient (across tickets).
    Mail about no ticket (`ticket_id` None) has only the per-recipient cap."""
    minutes = int(settings.DOUM_MAIL_AUTO_WINDOW_MINUTES)
    recent = OutboundMessage.objects.filter(
        is_automatic=True, created_at__gt=now - timedelta(minutes=minutes)
    ).exclude(status=OutboundStatus.SUPPRESSED)
    per_ticket = int(settings.DOUM_MAIL_AUTO_PER_TICKET)
    if ticket_id is not None and recent.filter(ticket_id=ticket_id).count() >= per_ticket:
        return (
            to,
            cc,
            (
                f"loop cap: {per_ticket} automatic messages for ticket #{ticket_id} "
                f"in {minutes} minutes"
            ),
        )
    per_recipient = int(settings.DOUM_MAIL_AUTO_PER_RECIPIENT)
    capped = {a for a in to + cc if _recent_to(recent, a) >= per_recipient}
    keep_to = [a for a in to if a not in capped]
    keep_cc = [a for a in cc if a not in capped]
    if not keep_to:
        keep_to, keep_cc = keep_cc, []
    if not keep_to:
        first = sorted(capped)[0]
        return (
            to,
            cc,
            (f"loop cap: {per_recipient} automatic messages to {first} in {minutes} minutes"),
        )
    if capped:
        log.warning("outbound: loop cap reached for %s; left out", ", ".join(sorted(capped)))
    return keep_to, keep_cc, ""


def _recent_to(recent: QuerySet[OutboundMessage], address: str) -> int:
    """How many of `recent` went to `address` (To or CC).

    The address lists are JSON arrays; matching the quoted address in their text works on
    every database (JSON containment has no SQLite implementation). The quotes make it an
    element match: "ann@x.com" never matches "joann@x.com".
    """
    needle = json.dumps(address)
    return int(recent.filter(Q(to__icontains=needle) | Q(cc__icontains=needle)).count())


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The (active) mailbox the ticket's latest mail came in on, so that the customer hears
    back from the address they wrote to; else the brand's first active mailbox; else None
    (the default From address is used)."""
    came_in = (
        InboundMessage.objects.filter(ticket_id=ticket.pk, mailbox__is_active=True)
        .order_by("-received_at", "-id")
        .values_list("mailbox_id", flat=True)
        .first()
    )
    if came_in is not None:
        return Mailbox.objects.filter(pk=came_in).first()
    return Mailbox.objects.filter(brand_id=ticket.brand_id, is_active=True).order_by("id").first()


def thread_ids(ticket_id: int, *, extra: Sequence[str] = ()) -> tuple[list[str], str]:
    """The ticket's Message-IDs, oldest first: mail received for it and mail sent about it
    (not the suppressed or failed, which nobody received), then `extra` not already there;
    and the Message-ID of the latest mail received ("" if none)."""
    received = list(
        InboundMessage.objects.filter(ticket_id=ticket_id)
        .exclude(message_id="")
        .order_by("-received_at", "-id")
        .values_list("received_at", "message_id")[: THREAD_MAX_IDS * 2]
    )
    sent = (
        OutboundMessage.objects.filter(ticket_id=ticket_id)
        .exclude(status__in=[OutboundStatus.SUPPRESSED, OutboundStatus.FAILED])
        .order_by("-created_at", "-id")
        .values_list("created_at", "message_id")[:THREAD_MAX_IDS]
    )
    dated = sorted([*received, *sent], key=lambda pair: pair[0])
    ids: list[str] = []
    for mid in [m for _at, m in dated] + [addresses.mid_key(m) for m in extra]:
        if mid and _MID.match(mid) and mid not in ids:
            ids.append(mid)
    last_received = next((m for _at, m in received if _MID.match(m)), "")
    return ids[-THREAD_MAX_IDS:], last_received


def ticket_subject(ticket_id: int, subject: str) -> str:
    """`[#<ticket>] <subject>` on one line (the tag is not repeated if already there)."""
    text = single_line(subject)[:SUBJECT_MAX]
    if f"[#{ticket_id}]" in text:
        return text
    return f"[#{ticket_id}] {text}".strip()


def enqueue_send(outbound_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the send task; a failure to enqueue is logged, and the sweep finds the row."""
    from doum.mail.tasks import send_outbound_task

    try:
        task = send_outbound_task.using(run_after=run_after) if run_after else send_outbound_task
        task.enqueue(outbound_id)
    except Exception:
        log.exception("outbound %s: could not enqueue; the sweep will send it", outbound_id)


# --- building the message -------------------------------------------------------------------


def format_address(name: str, address: str) -> str:
    """`"Name" <addr>` with the name quoted as needed (one line; no name if it cannot be)."""
    name = single_line(name)
    address = single_line(address)
    if not name:
        return address
    try:
        return str(Address(display_name=name, addr_spec=address))
    except (ValueError, IndexError, HeaderParseError):
        return address


def _bracketed(ids: Iterable[str]) -> str:
    return " ".join(f"<{single_line(m)}>" for m in ids if m and _MID.match(m))


class DoumEmail(EmailMultiAlternatives):
    """Django's message, with a non-ASCII subject encoded knowing its header name.

    Django encodes the subject before it knows where it goes, so a long one is folded with
    an empty first line ("Subject: \\r\\n =?utf-8?b?...?="), which some readers show with a
    leading space. Encoded as a Header that knows it is the Subject, it starts on its line.
    """

    def message(self, *, policy: Policy | None = None) -> StdlibEmailMessage:
        msg = super().message()  # Django 5.2 takes no policy (its stubs are Django 6's)
        subject = single_line(str(self.subject))
        if not subject.isascii():
            msg.replace_header("Subject", Header(subject, "utf-8", header_name="Subject"))
        return msg


@dataclass(frozen=True)
class MailAttachments:
    files: list[Attachment]
    fits: bool  # False: too large together; the mail names them instead of carrying them


def comment_attachments(comment_id: int | None) -> MailAttachments:
    """The files of a comment, and whether they fit in one mail (ATTACH_MAX_BYTES)."""
    if comment_id is None:
        return MailAttachments([], True)
    files = list(Attachment.objects.filter(comment_id=comment_id).order_by("id"))
    return MailAttachments(files, sum(f.size for f in files) <= ATTACH_MAX_BYTES)


def build_email(msg: OutboundMessage) -> DoumEmail:
    """The message as it goes out; the same bytes (but Date) on every attempt."""
    headers = {
        "Message-ID": f"<{single_line(msg.message_id)}>",
        "X-Doum-Loop": single_line(str(settings.DOUM_MAIL_LOOP_ID)),
    }
    if msg.in_reply_to and _MID.match(msg.in_reply_to):
        headers["In-Reply-To"] = f"<{single_line(msg.in_reply_to)}>"
    references = _bracketed(msg.references or [])
    if references:
        headers["References"] = references
    if msg.is_automatic:
        # RFC 3834: Auto-Submitted is the signal; Exchange reads X-Auto-Response-Suppress.
        # "Precedence: auto_reply" is for the older responders that only know Precedence; it
        # is not "bulk", which some providers would file as mass mail.
        headers["Auto-Submitted"] = auto_submitted_for(msg.kind)
        headers["X-Auto-Response-Suppress"] = "All"
        headers["Precedence"] = "auto_reply"
    email = DoumEmail(
        subject=single_line(msg.subject),
        body=msg.body_text,
        from_email=format_address(msg.from_name, msg.from_address),
        to=[single_line(a) for a in msg.to],
        cc=[single_line(a) for a in msg.cc],
        reply_to=[single_line(msg.reply_to)] if msg.reply_to else None,
        headers=headers,
    )
    if msg.body_html:
        email.attach_alternative(msg.body_html, "text/html")
    if msg.kind == OutboundKind.REPLY and msg.comment_id is not None:
        found = comment_attachments(msg.comment_id)
        if found.fits:
            for a in found.files:
                try:
                    with default_storage.open(a.storage_key, "rb") as f:
                        data = f.read()
                except OSError:
                    log.warning("outbound %s: attachment %s is missing; sent without", msg.pk, a.pk)
                    continue
                email.attach(single_line(a.filename), data, single_line(a.content_type))
    for item in msg.attachments or []:
        try:
            with default_storage.open(str(item["storage_key"]), "rb") as f:
                data = f.read()
        except (OSError, KeyError, TypeError):
            log.warning("outbound %s: attached file %r is missing; sent without", msg.pk, item)
            continue
        email.attach(
            single_line(str(item.get("filename") or "attachment")),
            data,
            single_line(str(item.get("content_type") or "application/octet-stream")),
        )
    return email


# --- sending --------------------------------------------------------------------------------


def _claim(outbound_id: int, now: datetime) -> bool:
    """Take the row for this worker: queued and due; leased until `now + SEND_LEASE`."""
    return (
        OutboundMessage.objects.filter(pk=outbound_id, status=OutboundStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + SEND_LEASE)
        == 1
    )


def _is_permanent(error: BaseException) -> bool:
    """A 5xx answer: trying again sends the same thing to the same refusal."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and all(c >= 500 for c in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code) >= 500
    return False


def retry_delay(attempts: int) -> timedelta:
    """base * 2**(attempts-1), plus up to 10 % jitter so retries do not arrive in step."""
    base = float(settings.DOUM_MAIL_SEND_RETRY_BASE_S) * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=base + random.uniform(0, base / 10))


def send_outbound(outbound_id: int) -> str:
    """Send one queued message; returns its status afterwards.

    A message another worker holds, or whose next attempt is not due yet, is left alone
    (its current status is returned).
    """
    now = clock.now()
    if not _claim(outbound_id, now):
        status = (
            OutboundMessage.objects.filter(pk=outbound_id).values_list("status", flat=True).first()
        )
        return status or "missing"
    msg = OutboundMessage.objects.get(pk=outbound_id)
    max_attempts = int(settings.DOUM_MAIL_SEND_MAX_ATTEMPTS)
    try:
        email = build_email(msg)
        connection = get_connection(fail_silently=False)
        if connection.send_messages([email]) != 1:
            raise smtplib.SMTPException("the mail backend sent nothing")
    except (smtplib.SMTPException, OSError, ValueError) as error:
        text = single_line(f"{type(error).__name__}: {error}")[:ERROR_MAX]
        permanent = _is_permanent(error)
        if permanent or msg.attempts >= max_attempts:
            OutboundMessage.objects.filter(pk=msg.pk).update(
                status=OutboundStatus.FAILED, last_error=text, next_attempt_at=None
            )
            log.warning("outbound %s failed for good (attempt %s): %s", msg.pk, msg.attempts, text)
            return OutboundStatus.FAILED
        next_at = clock.now() + retry_delay(msg.attempts)
        OutboundMessage.objects.filter(pk=msg.pk).update(last_error=text, next_attempt_at=next_at)
        log.info(
            "outbound %s attempt %s failed, retry at %s: %s", msg.pk, msg.attempts, next_at, text
        )
        enqueue_send(msg.pk, run_after=next_at)
        return OutboundStatus.QUEUED
    OutboundMessage.objects.filter(pk=msg.pk).update(
        status=OutboundStatus.SENT, sent_at=clock.now(), next_attempt_at=None
    )
    return OutboundStatus.SENT


def send_due(limit: int = SWEEP_BATCH) -> int:
    """Send the queued messages whose time has come: retries that are due, leases that ran
    out (a worker died mid-send), and rows whose enqueue was lost. Returns how many went out.

    A row that has used up its attempts while leased is marked failed instead.
    """
    now = clock.now()
    due = (
        OutboundMessage.objects.filter(status=OutboundStatus.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - LOST_ENQUEUE_AFTER)
        )
        .order_by("id")
        .values_list("pk", "attempts")[:limit]
    )
    max_attempts = int(settings.DOUM_MAIL_SEND_MAX_ATTEMPTS)
    sent = 0
    for pk, attempts in list(due):
        if attempts >= max_attempts:
            OutboundMessage.objects.filter(
                pk=pk, status=OutboundStatus.QUEUED, next_attempt_at__lte=now
            ).update(status=OutboundStatus.FAILED, next_attempt_at=None)
            continue
        if send_outbound(pk) == OutboundStatus.SENT:
            sent += 1
    return sent
