"""Receiving mail by SMTP or LMTP: `doum mail-server` (an aiosmtpd listener).

The mail server in front (Postfix, Exim, a relay) hands mail for the support addresses to this
listener. A recipient is accepted only when its address without +detail is an active
mailbox's, so this is never an open relay; messages above DOUM_MAIL_SMTP_MAX_BYTES are refused
(552). A message is stored once (all accepted recipients are its envelope) and answered 250 only
after `store_inbound` committed; a storage or database failure answers 451, so the sender
keeps the message and tries again. Processing (`process_inbound`) runs afterwards on a worker
thread, so a session never waits for ticket writes; what a crash leaves unprocessed is
finished by `process_pending` (run at start and by `doum fetch-mail`).

Over LMTP, the answer to DATA is one status line per accepted recipient.

The listener has no authentication and no TLS: bind it to 127.0.0.1 (or a private network
behind a firewall) and let the MTA in front speak to the Internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connections

from doum.mail.addresses import base_address
from doum.mail.inbound import process_inbound, process_pending, store_inbound
from doum.mail.models import Mailbox

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RECIPIENTS = 100
IO_THREADS = 4


def _close_thread_connections(pool: ThreadPoolExecutor, size: int) -> None:
    """Close the database connections of every thread of `pool` (each thread has its own).
    One job per thread, held at a barrier until all have started, so that each runs on a
    different thread."""
    barrier = threading.Barrier(size)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        connections.close_all()

    for future in [pool.submit(close) for _ in range(size)]:
        with contextlib.suppress(Exception):
            future.result(timeout=10)


def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run a database function on a worker thread: fresh connections before and after."""
    close_old_connections()
    try:
        return fn(*args)
    finally:
        close_old_connections()


def _mailbox_for(address: str) -> int | None:
    """The active mailbox an envelope recipient belongs to (its address without +detail)."""
    found = Mailbox.objects.filter(address=base_address(address), is_active=True)
    return found.values_list("pk", flat=True).first()


def _process_one(inbound_id: int) -> None:
    try:
        status = process_inbound(inbound_id)
    except Exception:
        log.exception("mail-server: processing inbound message %s failed", inbound_id)
        return
    log.info("mail-server: inbound message %s %s", inbound_id, status)


class InboundHandler:
    """The aiosmtpd handler: RCPT decides, DATA stores (then answers), processing follows."""

    def __init__(self, *, lmtp: bool = False, workers: int = 1) -> None:
        self.lmtp = lmtp
        # Database work on the event loop is forbidden (and would stall every session):
        # lookups and storing run on `_io`, processing on the separate `_work` pool, so a slow
        # ticket write never delays the answer to another sender.
        self._io = ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="doum-smtp-io")
        self._work = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="doum-smtp-work")
        self._workers = workers
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._io, _in_thread, fn, *args)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            mailbox_id = await self._db(_mailbox_for, address)
        except Exception:
            log.exception("mail-server: looking up recipient %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if mailbox_id is None:
            return "550 5.1.1 No such mailbox here (this server does not relay)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None:
            content = envelope.content
            raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else b""
        recipients = list(envelope.rcpt_tos)
        try:
            inbound_id = await self._db(self._store, bytes(raw), recipients)
        except Exception:
            log.exception("mail-server: storing a message failed; the sender will retry")
            return self._answer(
                "451 4.3.0 Could not store the message, try again later", recipients
            )
        self.submit(inbound_id)
        return self._answer(f"250 2.0.0 OK: queued as inbound {inbound_id}", recipients)

    def _answer(self, status: str, recipients: list[str]) -> str:
        if not self.lmtp:
            return status
        # LMTP: one reply per accepted recipient (the message was stored once for all).
        return "\r\n".join(status for _ in recipients)

    @staticmethod
    def _store(raw: bytes, recipients: list[str]) -> int:
        mailbox_id = next(filter(None, (_mailbox_for(r) for r in recipients)), None)
        stored = store_inbound(raw, source="smtp", mailbox_id=mailbox_id, envelope_to=recipients)
        return stored.inbound_id

    def submit(self, inbound_id: int) -> None:
        """Process a stored message on the worker thread (a duplicate is left as it is)."""
        self._track(self._work.submit(_in_thread, _process_one, inbound_id))

    def finish_pending(self) -> None:
        """Process what an earlier run stored but did not process (on the worker thread)."""
        self._track(self._work.submit(_in_thread, _process_pending))

    def _track(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted message is processed (tests, shutdown)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            try:
                future.result(timeout=timeout)
            except Exception:
                return False
        return True

    def shutdown(self) -> None:
        for pool, size in ((self._io, IO_THREADS), (self._work, self._workers)):
            _close_thread_connections(pool, size)
            pool.shutdown(wait=True)


def _process_pending() -> None:
    count = process_pending()
    if count:
        log.info("mail-server: processed %s message(s) stored before a restart", count)


class MailController(Controller):
    """aiosmtpd's threaded controller, speaking SMTP or LMTP with Doum's size limit."""

    def __init__(self, handler: InboundHandler, *, hostname: str, port: int) -> None:
        super().__init__(
            handler,
            hostname=hostname,
            port=port,
            data_size_limit=int(settings.DOUM_MAIL_SMTP_MAX_BYTES),
            ident="Doum",
        )
        self.inbound = handler

    def factory(self) -> SMTP:
        server_class = LMTP if self.inbound.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)


def build_server(host: str, port: int, *, lmtp: bool = False) -> MailController:
    """A listener ready to `start()` (on its own thread) and `stop()`."""
    return MailController(InboundHandler(lmtp=lmtp), hostname=host, port=port)


def needs_warning(host: str) -> bool:
    """Whether binding to `host` exposes the unauthenticated listener beyond this machine."""
    if host.strip().lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return True
