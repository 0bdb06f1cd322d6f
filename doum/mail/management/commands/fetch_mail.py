"""`doum fetch-mail`: poll the IMAP mailboxes (every DOUM_MAIL_POLL_INTERVAL_S seconds, or once).

Each round also finishes stored mail left unprocessed by a crash, and sends outbound mail that
is due (retries, and messages whose send task was lost), so one long-running `doum fetch-mail`
next to `doum worker` keeps mail flowing both ways.
"""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from doum.mail.imap import PollResult, poll_all, pollable_mailboxes, totals
from doum.mail.inbound import process_pending
from doum.mail.outbound import send_due

log = logging.getLogger(__name__)


@contextmanager
def stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (a service manager stopping us) ends the loop like Ctrl+C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Command(BaseCommand):
    help = (
        "Fetch new mail from every active mailbox with IMAP settings and turn it into tickets; "
        "also finishes mail that was stored but not processed (after a crash)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="poll once, print a summary")
        parser.add_argument(
            "--interval", type=float, default=None,
            help="seconds between polls (DOUM_MAIL_POLL_INTERVAL_S)",
        )  # fmt: skip
        parser.add_argument("--mailbox", default="", metavar="ADDRESS", help="only this mailbox")

    def handle(self, *args: Any, **options: Any) -> None:
        address: str = options["mailbox"].strip()
        interval = options["interval"]
        if interval is None:
            interval = float(settings.DOUM_MAIL_POLL_INTERVAL_S)
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds")
        if address and not pollable_mailboxes(address):
            raise CommandError(f"no active mailbox {address!r} with IMAP settings")
        if options["once"]:
            results = self._round(address)
            if not results:
                self.stdout.write("No active mailbox has IMAP settings; nothing to fetch.")
            elif any(not r.ok for r in results):
                raise CommandError(totals(results).error)
            return
        self.stdout.write(f"Fetching mail every {interval:g} s. Press Ctrl+C to stop.")
        stop = threading.Event()
        with stop_on_sigterm(stop):
            try:
                while not stop.is_set():
                    try:
                        self._round(address)
                    except Exception:  # the database is away, say: try again next round
                        log.exception("fetch-mail: a polling round failed")
                    close_old_connections()
                    stop.wait(interval)
            except KeyboardInterrupt:
                pass
        self.stdout.write("Stopped.")

    def _round(self, address: str) -> list[PollResult]:
        """Finish what an earlier run left, poll, then finish what this poll left."""
        finished = process_pending()
        results = poll_all(address=address, on_result=self._report)
        finished += process_pending()
        if finished:
            self.stdout.write(f"Processed {finished} message(s) stored earlier.")
        sent = send_due()
        if sent:
            self.stdout.write(f"Sent {sent} outbound message(s) that were due.")
        if len(results) > 1:
            self.stdout.write(f"Total: {totals(results).summary()}")
        return results

    def _report(self, result: PollResult) -> None:
        stream = self.stderr if result.error else self.stdout
        stream.write(result.summary())
