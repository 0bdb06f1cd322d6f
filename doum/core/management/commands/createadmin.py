"""`doum createadmin`: the first administrator (or another one), through the real action."""

from __future__ import annotations

import getpass
import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from doum.accounts.actions import do_create_user
from doum.accounts.identities import normalize_identity
from doum.accounts.models import Brand, Identity, User
from doum.accounts.roles import Role
from doum.core.errors import DoumError


class Command(BaseCommand):
    help = (
        "Create an administrator. Asks for what is missing, or with --no-input takes "
        "--email, --name and --password (or DOUM_ADMIN_PASSWORD from the environment)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--email", help="sign-in address")
        parser.add_argument("--name", help="display name (default: the address's local part)")
        parser.add_argument("--password", help="prefer DOUM_ADMIN_PASSWORD or the prompt")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="never prompt"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = options["interactive"] and sys.stdin.isatty()
        email = (options["email"] or "").strip()
        name = (options["name"] or "").strip()
        password = options["password"] or os.environ.get("DOUM_ADMIN_PASSWORD", "")
        if not email:
            if not interactive:
                raise CommandError("--email is required when there is nobody to ask (--no-input).")
            email = self._ask("E-mail address: ")
        email = self._check_email(email)
        if not name:
            name = self._ask(f"Name [{email.split('@')[0]}]: ") if interactive else ""
            name = name or email.split("@")[0]
        if not password:
            if not interactive:
                raise CommandError(
                    "A password is required: --password, or DOUM_ADMIN_PASSWORD in the environment."
                )
            password = self._ask_password(email, name)
        else:
            self._validate(password, email, name)
        try:
            do_create_user(actor=None, name=name, email=email, role=Role.ADMIN, password=password)
        except DoumError as exc:
            raise CommandError(f"{email}: {exc.message}") from exc
        self.stdout.write(f"Created the administrator {name} <{email}>.")
        if not Brand.objects.exists():
            self.stdout.write(
                "No brand is set up yet; tickets need one. Create it with\n"
                "  doum manage createbrand --name 'Acme Support' --slug acme "
                "--address help@acme.example"
            )

    def _ask(self, prompt: str) -> str:
        try:
            return input(prompt).strip()
        except EOFError as exc:
            raise CommandError("No input.") from exc

    def _check_email(self, email: str) -> str:
        try:
            normalized = normalize_identity(Identity.Kind.EMAIL, email)
        except DoumError as exc:
            raise CommandError(f"{email}: {exc.message}") from exc
        taken = (
            User.objects.filter(email__iexact=normalized).exists()
            or Identity.objects.filter(kind=Identity.Kind.EMAIL, value=normalized).exists()
        )
        if taken:
            raise CommandError(f"{normalized}: someone already uses this e-mail address.")
        return normalized

    def _validate(self, password: str, email: str, name: str) -> None:
        try:
            validate_password(password, User(email=email, name=name))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _ask_password(self, email: str, name: str) -> str:
        for _ in range(3):
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ; try again.")
                continue
            try:
                self._validate(password, email, name)
            except CommandError as exc:
                self.stderr.write(str(exc))
                continue
            return password
        raise CommandError("No password set.")
