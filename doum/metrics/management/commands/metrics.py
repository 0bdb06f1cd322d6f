"""`doum metrics rebuild|refresh|status`: recompute metrics and rollups from the events."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doum.metrics import refresh


class Command(BaseCommand):
    help = "Recompute metrics and rollups from the ticket events (rebuild, refresh, status)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="empty the derived tables, recompute all")
        rebuild.add_argument("--batch", type=int, default=2000, help="tickets per transaction")
        run = sub.add_parser("refresh", help="recompute the tickets marked dirty")
        run.add_argument("--limit", type=int, default=None, help="at most this many tickets")
        sub.add_parser("status", help="dirty marks, stored rows and time zones")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rebuild":
            if options["batch"] <= 0:
                raise CommandError("--batch must be positive")
            done = refresh.rebuild(batch=options["batch"])
            self.stdout.write(f"rebuilt metrics of {done} tickets")
        elif action == "refresh":
            if options["limit"] is not None and options["limit"] <= 0:
                raise CommandError("--limit must be positive")
            done = refresh.run(limit=options["limit"])
            self.stdout.write(f"refreshed metrics of {done} tickets")
        else:
            for name, value in refresh.status().items():
                shown = ", ".join(value) if isinstance(value, list) else value
                self.stdout.write(f"{name}: {shown}")
