"""`doum scheduler`: the periodic loop; it enqueues due jobs and never runs them itself."""

from __future__ import annotations

import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from doum.core import scheduler
from doum.mail.management.commands.fetch_mail import stop_on_sigterm


class Command(BaseCommand):
    help = "Enqueue periodic jobs (SLA sweeps, automations, retries) as background tasks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one tick, print what ran")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            for name in scheduler.tick():
                self.stdout.write(f"enqueued {name}")
            return
        stop = threading.Event()
        jobs = ", ".join(f"{j.name} every {j.seconds}s" for j in scheduler.jobs())
        self.stdout.write(f"scheduler: {jobs}")
        with stop_on_sigterm(stop):
            try:
                while not stop.is_set():
                    close_old_connections()
                    scheduler.tick()
                    stop.wait(options["interval"])
            except KeyboardInterrupt:
                pass
