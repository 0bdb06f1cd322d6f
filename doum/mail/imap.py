"""Fetching mail from IMAP mailboxes: one poll stores, processes, then acknowledges each message.

The order is the point. For each message not handled yet:

1. its bytes are stored (`store_inbound`, committed: from here on nothing can be lost),
2. it is processed (`process_inbound`: a ticket, a comment, or a row on the failed-mail list),
3. only then is it acknowledged on the server: flagged `\\Seen` and `$DoumStored`, or moved to
   `imap_move_to` when the mailbox has one.

A poll killed between any two steps leaves the message unacknowledged on the server, so the
next poll fetches it again; `store_inbound` recognises it (Message-ID, else a hash of the
bytes) and the message is processed at most once. "Not handled yet" is the absence of the
`$DoumStored` keyword, not `\\Seen`: a person reading the mailbox in a mail client marks mail
seen without Doum having it. Servers that keep no custom keywords need `imap_move_to`.

Mailbox rows are written here only as operational status (`last_polled_at`, `last_error`),
with single-row UPDATEs; everything about tickets goes through `doum.mail.inbound`.
"""

from __future__ import annotations

import logging
import socket
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import close_old_connections
from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError

from doum.core.clock import now
from doum.mail.inbound import Stored, process_inbound, store_inbound
from doum.mail.models import InboundMessage, InboundStatus, Mailbox

log = logging.getLogger(__name__)

KEYWORD = "$DoumStored"
CONNECT_TIMEOUT_S = 20.0
READ_TIMEOUT_S = 120.0
# Messages larger than DOUM_MAIL_SMTP_MAX_BYTES are read in pieces of this size.
CHUNK_BYTES = 4 * 1024 * 1024
ERROR_MAX_CHARS = 2000


class PollError(Exception):
    """The mailbox cannot be polled as configured (a message for the operator)."""


@dataclass
class PollResult:
    mailbox_id: int
    address: str
    fetched: int = 0  # messages read from the server
    stored: int = 0  # new InboundMessage rows
    duplicates: int = 0  # already stored (a poll interrupted before acknowledging, say)
    processed: int = 0  # became a ticket or a comment (or were ignored as Doum's own mail)
    failed: int = 0  # on the failed-mail list, or could not be stored / processed now
    pending: int = 0  # stored, processing left for later (`process_pending`): database busy
    error: str = ""  # the poll stopped: connection, login, folder (also on the mailbox row)

    @property
    def ok(self) -> bool:
        return not self.error

    def summary(self) -> str:
        counts = (
            f"{self.fetched} fetched, {self.stored} new, {self.duplicates} already stored, "
            f"{self.processed} processed, {self.failed} failed"
        ) + (f", {self.pending} left for later" if self.pending else "")
        return f"{self.address}: {counts}" + (f"; error: {self.error}" if self.error else "")


# --- mailbox status (operational, not business state) -------------------------------------


def _record_poll(mailbox_id: int, error: str) -> None:
    """A finished poll: clear the error, or record it (the mailbox list shows it)."""
    at = now()
    if error:
        Mailbox.objects.filter(pk=mailbox_id).update(
            last_error=error[:ERROR_MAX_CHARS], last_error_at=at
        )
    else:
        Mailbox.objects.filter(pk=mailbox_id).update(last_polled_at=at, last_error="")


def _describe(exc: BaseException) -> str:
    """An operator's one-line account of why a poll failed (never the password)."""
    if isinstance(exc, IMAPClientError):
        kind = type(exc).__name__
        text = str(exc)
    elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
        kind, text = "TLS", str(exc)
    elif isinstance(exc, socket.timeout | TimeoutError):
        kind, text = "timeout", str(exc) or "no answer from the server"
    elif isinstance(exc, OSError):
        kind, text = "connection", exc.strerror or str(exc)
    else:
        kind, text = type(exc).__name__, str(exc)
    return f"{kind}: {text}".strip().rstrip(":")[:ERROR_MAX_CHARS]


# --- the server session --------------------------------------------------------------------


def _connect(mailbox: Mailbox) -> IMAPClient:
    timeout = SocketTimeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
    security = mailbox.imap_security
    context = ssl.create_default_context()
    if security == Mailbox.Security.SSL:
        client = IMAPClient(
            mailbox.imap_host, port=mailbox.imap_port, ssl=True, ssl_context=context,
            timeout=timeout,
        )  # fmt: skip
    else:
        client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=False, timeout=timeout)
        if security == Mailbox.Security.STARTTLS:
            # Never falls back to plain text: no STARTTLS on the server is an error.
            client.starttls(context)
    try:
        client.login(mailbox.imap_username, mailbox.imap_password)
    except BaseException:
        _close(client, logged_in=False)
        raise
    return client


def _close(client: IMAPClient, *, logged_in: bool = True) -> None:
    try:
        if logged_in:
            client.logout()
        else:
            client.shutdown()
    except (IMAPClientError, OSError):
        pass


def _keeps_keywords(select_response: dict[bytes, Any]) -> bool:
    permanent = select_response.get(b"PERMANENTFLAGS", ())
    return b"\\*" in permanent or KEYWORD.encode() in permanent


def _pending_uids(client: IMAPClient, *, keywords: bool) -> list[int]:
    """Messages in the selected folder that Doum has not acknowledged, oldest first. Without
    keywords (and so moving fetched mail away), everything still in the folder is pending."""
    criteria = ["NOT", "DELETED", "NOT", "KEYWORD", KEYWORD] if keywords else ["NOT", "DELETED"]
    return sorted(int(uid) for uid in client.search(criteria))


def _fetch_sizes(client: IMAPClient, uids: Sequence[int]) -> dict[int, int]:
    """RFC822.SIZE of each message, in one command (a message expunged meanwhile is absent)."""
    if not uids:
        return {}
    fetched = client.fetch(list(uids), ["RFC822.SIZE"])
    return {
        int(uid): int(data[b"RFC822.SIZE"])
        for uid, data in fetched.items()
        if b"RFC822.SIZE" in data
    }


def _body_part(data: dict[bytes, Any]) -> bytes:
    for key, value in data.items():
        if key.startswith(b"BODY[") and isinstance(value, bytes):
            return value
    return b""


def _fetch_whole(client: IMAPClient, uid: int) -> bytes | None:
    data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
    return None if data is None else _body_part(data)


def _fetch_in_chunks(client: IMAPClient, uid: int, size: int) -> IO[bytes] | None:
    """A large message, read a piece at a time into a temporary file (so the IMAP library never
    holds more than one piece), which `store_inbound` streams into storage; the caller closes
    it."""
    spool = tempfile.TemporaryFile(prefix="doum-imap-")  # noqa: SIM115 - the caller closes it
    offset = 0
    while True:
        data = client.fetch([uid], [f"BODY.PEEK[]<{offset}.{CHUNK_BYTES}>"]).get(uid)
        if data is None:
            spool.close()
            return None
        piece = _body_part(data)
        spool.write(piece)
        offset += len(piece)
        if len(piece) < CHUNK_BYTES or offset >= size:
            break
    spool.seek(0)
    return spool


def _acknowledge(client: IMAPClient, uid: int, *, move_to: str, can_move: bool) -> None:
    if not move_to:
        client.add_flags([uid], [b"\\Seen", KEYWORD.encode()], silent=True)
    elif can_move:
        client.move([uid], move_to)
    else:
        client.copy([uid], move_to)
        client.delete_messages([uid], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()


# --- one message ---------------------------------------------------------------------------


def _still_received(inbound_id: int) -> bool:
    return InboundMessage.objects.filter(pk=inbound_id, status=InboundStatus.RECEIVED).exists()


def _take(raw: bytes | IO[bytes], mailbox_id: int, result: PollResult) -> bool:
    """Store, then process one message; True when it may be acknowledged on the server."""
    try:
        stored: Stored = store_inbound(raw, source="imap", mailbox_id=mailbox_id)
    except Exception:
        # Not stored: leave it on the server for the next poll.
        log.exception("imap: could not store a message for mailbox %s", mailbox_id)
        result.failed += 1
        return False
    if stored.duplicate:
        result.duplicates += 1
        # Stored by an earlier poll that stopped before processing it: finish the job.
        if not _still_received(stored.inbound_id):
            return True
    else:
        result.stored += 1
    try:
        status = process_inbound(stored.inbound_id)
    except Exception:
        # Stored and safe; `process_pending` (run by `doum fetch-mail`) tries again.
        log.exception("imap: processing inbound message %s failed", stored.inbound_id)
        result.failed += 1
        return True
    if status == InboundStatus.FAILED:
        result.failed += 1
    elif status == InboundStatus.RECEIVED:
        result.pending += 1
    else:
        result.processed += 1
    return True


def _poll(client: IMAPClient, mailbox: Mailbox, limit: int, result: PollResult) -> None:
    move_to = mailbox.imap_move_to.strip()
    selected = client.select_folder(mailbox.imap_folder or "INBOX")
    keywords = _keeps_keywords(selected)
    if not keywords and not move_to:
        raise PollError(
            "this IMAP server does not keep custom flags; set a folder to move fetched mail to"
        )
    if move_to and not client.folder_exists(move_to):
        raise PollError(f"the folder {move_to!r} to move fetched mail to does not exist")
    can_move = client.has_capability("MOVE")
    max_bytes = int(settings.DOUM_MAIL_SMTP_MAX_BYTES)
    uids = _pending_uids(client, keywords=keywords)[:limit]
    sizes = _fetch_sizes(client, uids)
    for uid in uids:
        size = sizes.get(uid)
        if size is None:
            continue  # expunged meanwhile (by a person, or another poller)
        raw = _fetch_in_chunks(client, uid, size) if size > max_bytes else _fetch_whole(client, uid)
        if raw is None:
            continue
        result.fetched += 1
        try:
            taken = _take(raw, mailbox.pk, result)
        finally:
            if not isinstance(raw, bytes):
                raw.close()
        if taken:
            _acknowledge(client, uid, move_to=move_to, can_move=can_move)


def poll_mailbox(mailbox: Mailbox, *, limit: int = 500) -> PollResult:
    """Fetch up to `limit` new messages from the mailbox's IMAP folder (see the module doc).

    Never raises for the server's sake: a connection, TLS, login or folder problem is recorded
    on the mailbox (`last_error`) and returned in `PollResult.error`.
    """
    result = PollResult(mailbox_id=mailbox.pk, address=mailbox.address)
    if not mailbox.imap_host:
        return result
    try:
        client = _connect(mailbox)
    except Exception as exc:
        result.error = _describe(exc)
    else:
        try:
            _poll(client, mailbox, limit, result)
        except PollError as exc:
            result.error = str(exc)
        except Exception as exc:
            result.error = _describe(exc)
        finally:
            _close(client)
    if result.error:
        log.warning("imap: polling %s failed: %s", mailbox.address, result.error)
    _record_poll(mailbox.pk, result.error)
    return result


def pollable_mailboxes(address: str = "") -> list[Mailbox]:
    mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk")
    if address:
        mailboxes = mailboxes.filter(address=address.strip().lower())
    return list(mailboxes)


def poll_all(
    *,
    address: str = "",
    limit: int = 500,
    on_result: Callable[[PollResult], None] | None = None,
) -> list[PollResult]:
    """Poll every active mailbox that has an IMAP host (or the one with `address`)."""
    results: list[PollResult] = []
    for mailbox in pollable_mailboxes(address):
        try:
            result = poll_mailbox(mailbox, limit=limit)
        except Exception as exc:  # the database, say: the other mailboxes still get polled
            log.exception("imap: polling %s failed", mailbox.address)
            result = PollResult(mailbox.pk, mailbox.address, error=_describe(exc))
            close_old_connections()
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def totals(results: Sequence[PollResult]) -> PollResult:
    """The sum of several polls (for a one-line summary)."""
    total = PollResult(mailbox_id=0, address=f"{len(results)} mailbox(es)")
    for r in results:
        total.fetched += r.fetched
        total.stored += r.stored
        total.duplicates += r.duplicates
        total.processed += r.processed
        total.failed += r.failed
        total.pending += r.pending
    errors = sum(1 for r in results if r.error)
    total.error = f"{errors} mailbox(es) could not be polled" if errors else ""
    return total
