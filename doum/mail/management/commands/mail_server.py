"""`doum mail-server`: receive mail by SMTP or LMTP until Ctrl+C (see doum.mail.smtp_server)."""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doum.mail.management.commands.fetch_mail import stop_on_sigterm
from doum.mail.smtp_server import build_server, needs_warning


class Command(BaseCommand):
    help = (
        "Receive mail for the support mailboxes by SMTP (or LMTP with --lmtp) and turn it into "
        "tickets. No authentication or TLS: keep it on 127.0.0.1 behind your mail server."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
        parser.add_argument("--port", type=int, default=2525, help="port to listen on (2525)")
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        if needs_warning(host):
            self.stderr.write(
                f"Warning: listening on {host}, beyond this machine. This listener has no "
                "authentication and no TLS: put it behind a firewall and a mail server (MTA) "
                "that accepts mail from the Internet and relays it here."
            )
        if options["verbosity"] < 2:
            # aiosmtpd logs every command of every session at INFO.
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        server = build_server(host, port, lmtp=options["lmtp"])
        try:
            server.start()
        except Exception as exc:  # the port is taken, say
            server.inbound.shutdown()
            raise CommandError(f"cannot listen on {host}:{port}: {exc}") from exc
        server.inbound.finish_pending()
        self.stdout.write(f"Receiving mail by {protocol} on {host}:{port}. Press Ctrl+C to stop.")
        stop = threading.Event()
        try:
            with stop_on_sigterm(stop):
                while not stop.wait(1.0):
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            # Messages already answered 250 are stored; finish processing them before exiting.
            server.inbound.shutdown()
        self.stdout.write("Stopped.")
