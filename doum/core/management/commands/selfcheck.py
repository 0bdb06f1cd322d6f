"""`doum check`: is this installation ready to serve? System checks, the database, migrations
and the attachment storage, each reported as OK or as a problem. Exits 1 on any problem."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, SystemCheckError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

DEVELOPMENT_KEY_PREFIX = "doum-insecure-development-key"


class Command(BaseCommand):
    help = "Check the installation: Django system checks, database, migrations, storage."
    requires_system_checks: list[str] = []  # we run them ourselves, and report

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--deploy", action="store_true", help="also run the production readiness checks"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deploy: bool = options["deploy"]
        database = self._database()
        migrations = self._migrations() if database[0] else (False, "not checked (no database)")
        results = [
            ("system checks", self._system_checks(deploy)),
            ("database", database),
            ("migrations", migrations),
            ("attachment storage", self._storage()),
        ]
        if deploy:
            results.append(("deployment settings", self._deploy_settings()))
        problems = 0
        width = max(len(name) for name, _ in results) + 2
        for name, (ok, detail) in results:
            label = "OK" if ok else "PROBLEM"
            line = f"{name:.<{width}} {label}" + (f": {detail}" if detail else "")
            if ok:
                self.stdout.write(line)
            else:
                problems += 1
                self.stdout.write(self.style.ERROR(line))
        if problems:
            self.stdout.write(f"{problems} problem{'s' if problems > 1 else ''} found.")
            raise SystemExit(1)
        self.stdout.write("All checks passed.")

    def _system_checks(self, deploy: bool) -> tuple[bool, str]:
        out = StringIO()
        try:
            call_command("check", deploy=deploy, stdout=out, stderr=out)
        except SystemCheckError as exc:
            return False, str(exc).strip()
        except Exception as exc:  # a broken setting or import is a problem to report, too
            return False, f"{type(exc).__name__}: {exc}"
        text = out.getvalue().strip()
        warnings = "" if "no issues" in text else text
        return True, warnings

    def _database(self) -> tuple[bool, str]:
        connection = connections[DEFAULT_DB_ALIAS]
        where = _describe_database(connection.settings_dict)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:
            return False, f"cannot use {where}: {exc}".strip()
        return True, where

    def _migrations(self) -> tuple[bool, str]:
        try:
            executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:
            return False, f"cannot read the migration state: {exc}"
        if not plan:
            return True, "all applied"
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
        return False, f"{len(plan)} not applied ({names}{more}); run `doum migrate`"

    def _storage(self) -> tuple[bool, str]:
        root = Path(settings.MEDIA_ROOT)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return False, f"cannot create {root}: {exc.strerror}"
        if not os.access(root, os.W_OK):
            return False, f"{root} is not writable"
        return True, str(root)

    def _deploy_settings(self) -> tuple[bool, str]:
        found = []
        if str(settings.SECRET_KEY).startswith(DEVELOPMENT_KEY_PREFIX):
            found.append("DOUM_SECRET_KEY is not set (the development key is in use)")
        if settings.DEBUG:
            found.append("DOUM_DEBUG is on")
        if not getattr(settings, "SESSION_COOKIE_SECURE", False):
            found.append("DOUM_SECURE_COOKIES is off (set it when serving over HTTPS)")
        return (not found), "; ".join(found)


def _describe_database(config: dict[str, Any]) -> str:
    engine = str(config.get("ENGINE", "")).rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"SQLite {config.get('NAME')}"
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"{engine} {config.get('NAME')} on {host}{port}"
