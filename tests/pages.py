"""What the page tests share: a signed-in browser-less client, partial requests, tickets."""

from __future__ import annotations

from typing import Any

from django.test import Client

from doum.accounts.models import User
from doum.tickets import actions
from doum.tickets.models import Ticket, Via
from tests.personas import World

# The header app.js sends for a partial page update.
PARTIAL = {"X-Doum-Partial": "1"}


def signed_in(user: User) -> Client:
    """A test client with a session of ``user`` (the pages' authentication)."""
    client = Client()
    client.force_login(user)
    return client


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def billing_ticket(world: World, subject: str, **kw: Any) -> Ticket:
    """A ticket the agent opens for the customer, in the Billing team unless told otherwise."""
    kw.setdefault("team_id", world.billing.pk)
    return actions.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject=subject, body="body",
        requester_id=world.customer.pk, **kw,
    )  # fmt: skip
