"""`doum import tickets|responses|mentions FILE ...`: historical tickets with their events
(docs/import.md); survey responses and social mentions from CSV (docs/feedback-import.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doum.tickets import importing


class Command(BaseCommand):
    help = (
        "Import historical data. `tickets FILE`: tickets with their full event history; "
        "`responses FILE`: survey responses from CSV; `mentions FILE`: social mentions from CSV."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "what", choices=["tickets", "responses", "mentions"], help="what the file holds"
        )
        parser.add_argument("file", help="the JSON (tickets) or CSV file")
        parser.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
        feedback = parser.add_argument_group("responses and mentions (docs/feedback-import.md)")
        feedback.add_argument(
            "--source",
            default="custom",
            choices=["typeform", "surveymonkey", "qualtrics", "medallia", "custom"],
            help="the survey tool that exported the file (its usual column names)",
        )
        feedback.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=field",
            help="read field from COLUMN (repeatable)",
        )
        feedback.add_argument("--kind", choices=["csat", "nps", "ces"], help="kind of every row")
        feedback.add_argument(
            "--csat-scale",
            choices=["five", "good_bad"],
            default="five",
            help="how numeric CSAT scores read (five: 1-5; good_bad: 1 good, 0 bad)",
        )
        feedback.add_argument("--channel", help="channel of every mention (no channel column)")
        feedback.add_argument("--time-zone", default="", help="zone of times without one")
        feedback.add_argument(
            "--encoding", default="auto", choices=["auto", "utf-8", "utf-16", "cp949"]
        )
        feedback.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows even when some are rejected (default: all or nothing)",
        )
        feedback.add_argument(
            "--create-customers",
            action="store_true",
            help="create customers for unknown e-mail addresses (default: reject the row)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "tickets":
            self._tickets(options)
        else:
            self._feedback(options)

    def _tickets(self, options: dict[str, Any]) -> None:
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

    def _feedback(self, options: dict[str, Any]) -> None:
        from doum.surveys import importing as feedback
        from doum.surveys import mentions

        path = Path(options["file"])
        try:
            with path.open("rb") as stream:
                data = feedback.read_capped(stream)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None
        common = {
            "time_zone": options["time_zone"],
            "encoding": options["encoding"],
            "dry_run": bool(options["dry_run"]),
            "skip_invalid": bool(options["skip_invalid"]),
            "filename": path.name,
        }
        try:
            if options["what"] == "responses":
                mapping = feedback.parse_mapping(options["map"], feedback.RESPONSE_FIELDS)
                report = feedback.do_import_responses(
                    data,
                    feedback.ResponseOptions(
                        source=options["source"], mapping=mapping, kind=options["kind"] or "",
                        csat_scale=options["csat_scale"],
                        create_customers=bool(options["create_customers"]), **common,
                    ),
                    actor=None,
                )  # fmt: skip
            else:
                mapping = feedback.parse_mapping(options["map"], mentions.MENTION_FIELDS)
                report = mentions.do_import_mentions(
                    data,
                    mentions.MentionOptions(
                        mapping=mapping, channel=options["channel"] or "", **common
                    ),
                    actor=None,
                )
        except feedback.ImportFileError as error:
            raise CommandError(str(error)) from None
        for r in report.rejections:
            column = f", column {r.column}" if r.column else ""
            self.stderr.write(f"row {r.row}{column}: {r.reason}")
        if report.dry_run:
            outcome = "dry run, nothing saved"
        elif report.saved:
            outcome = f"imported {report.imported}"
        else:
            outcome = "nothing imported (rows rejected; --skip-invalid imports the valid ones)"
        self.stdout.write(
            f"{options['what']}: {outcome}; rows {report.rows}, valid {report.valid}, "
            f"already imported {report.skipped}, rejected {report.rejected_rows} "
            f"(encoding {report.encoding}, delimiter {report.delimiter_name})"
        )
        if report.follow_ups:
            self.stdout.write(f"follow-ups opened: {report.follow_ups}")
        if report.customers_created:
            verb = "to create" if report.dry_run else "created"
            self.stdout.write(f"customers {verb}: {report.customers_created}")
        if report.rejected_rows:
            raise CommandError(f"{report.rejected_rows} row(s) rejected", returncode=1)
