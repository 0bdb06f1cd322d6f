"""`doum demo`: fill an empty help desk with realistic demo data and print the logins."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doum.core.demo import (
    DemoDataExists,
    existing_demo_logins,
    format_logins,
    has_tickets,
    seed_demo,
)


class Command(BaseCommand):
    help = "Seed demo data (brands, teams, staff, customers, tickets) into an empty help desk."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tickets", type=int, default=3000, help="default: 3000")
        parser.add_argument("--days", type=int, default=90, help="history length, default: 90")
        parser.add_argument("--seed", type=int, default=7, help="random seed, default: 7")

    def handle(self, *args: Any, **options: Any) -> None:
        if has_tickets():
            self.stdout.write("This help desk already has tickets: demo data not seeded.")
            logins = existing_demo_logins()
            if logins:
                self.stdout.write("")
                self.stdout.write(format_logins(logins))
            return
        tickets, days = options["tickets"], options["days"]
        self.stdout.write(
            f"Seeding demo data: {tickets} tickets over the last {days} days "
            f"(seed {options['seed']})..."
        )

        def progress(done: int, total: int) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(f"  {done}/{total} tickets")
                self.stdout.flush()

        try:
            summary = seed_demo(tickets=tickets, days=days, seed=options["seed"], progress=progress)
        except (DemoDataExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.describe())
        self.stdout.write("")
        self.stdout.write(summary.logins_text())
