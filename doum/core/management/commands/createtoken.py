"""`doum manage createtoken`: an API token for a user; the secret is shown once."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from doum.accounts.actions import do_create_api_token
from doum.accounts.models import User
from doum.core import clock
from doum.core.errors import DoumError


class Command(BaseCommand):
    help = "Create an API token for a user and print its secret (shown only this once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--email", required=True, help="whose token it is")
        parser.add_argument("--name", required=True, help="what the token is for")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No user with the address {options['email']}.")
        expires = None
        if options["expires_days"] is not None:
            expires = clock.now() + timedelta(days=options["expires_days"])
        try:
            issued = do_create_api_token(user, actor=None, name=options["name"], expires_at=expires)
        except DoumError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(issued.secret)
        self.stderr.write(
            f"Token '{issued.token.name}' for {user.email}. Send it as "
            "'Authorization: Bearer <token>'; it is not shown again."
        )
