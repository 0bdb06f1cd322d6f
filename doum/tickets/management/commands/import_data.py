"""`doum import tickets FILE [--dry-run]`: historical tickets with their events (docs/import.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doum.tickets import importing


class Command(BaseCommand):
    help = "Import historical data. `tickets FILE`: tickets with their full event history."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("what", choices=["tickets"], help="what the file holds")
        parser.add_argument("file", help="the JSON file (see docs/import.md)")
        parser.add_argument("--dry-run", action="store_true", help="check everything, save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            items = importing.load_file(options["file"])
        except importing.ImportFileError as error:
            raise CommandError(str(error)) from None
        dry_run = bool(options["dry_run"])
        summary = importing.import_tickets(items, dry_run=dry_run)
        for o in summary.outcomes:
            if o.status == "failed":
                self.stderr.write(f"ticket {o.index} ({o.external_id or '-'}): {o.reason}")
            elif o.status == "skipped" and options["verbosity"] > 1:
                self.stdout.write(f"ticket {o.index} ({o.external_id}): skipped, {o.reason}")
        prefix = "dry run: " if dry_run else ""
        self.stdout.write(
            f"{prefix}created {summary.created}, skipped {summary.skipped}, failed {summary.failed}"
        )
        if summary.failed:
            raise CommandError(f"{summary.failed} ticket(s) failed", returncode=1)
