"""`doum manage createbrand`: a brand (every ticket belongs to one), through the real action."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doum.accounts.actions import do_create_brand
from doum.core.errors import DoumError


class Command(BaseCommand):
    help = "Create a brand: a product line or company the help desk supports."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True, help="short name used in addresses")
        parser.add_argument(
            "--address", action="append", default=[], help="support address (repeatable)"
        )
        parser.add_argument("--default", action="store_true", help="make it the default brand")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            brand = do_create_brand(
                actor=None,
                name=options["name"],
                slug=options["slug"],
                support_addresses=options["address"],
                is_default=options["default"],
            )
        except DoumError as exc:
            raise CommandError(exc.message) from exc
        default = " (default)" if brand.is_default else ""
        self.stdout.write(f"Created the brand {brand.name}{default}.")
