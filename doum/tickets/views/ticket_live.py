"""Who else has a ticket open, and what changed since the page was loaded.

Presence lives in Django's cache only (no table, no writes to the database): each open
ticket page refreshes its viewer's entry every poll (15 s) and entries expire after
``PRESENCE_SECONDS`` without one. The poll costs the ticket's access check, plus one
query for the events when the ticket's version moved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from doum.accounts.models import User
from doum.core.web import current_user, staff_page
from doum.tickets.presentation import history_lines, summary
from doum.tickets.selectors import access_ticket, ticket_events

PRESENCE_SECONDS = 40
POLL_SECONDS = 15


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def _key(ticket_id: int) -> str:
    return f"doum:ticket-presence:{ticket_id}"


def _entries(ticket_id: int) -> dict[str, list[object]]:
    raw = cache.get(_key(ticket_id))
    if not isinstance(raw, dict):
        return {}
    now = time.time()
    return {
        k: v
        for k, v in raw.items()
        if isinstance(v, list) and len(v) == 3 and isinstance(v[2], int | float) and v[2] > now
    }


def touch(ticket_id: int, user: User, *, typing: bool) -> None:
    """Record that ``user`` has the ticket open (and whether they are typing a reply)."""
    entries = _entries(ticket_id)
    entries[str(user.pk)] = [user.name, typing, time.time() + PRESENCE_SECONDS]
    cache.set(_key(ticket_id), entries, timeout=PRESENCE_SECONDS * 2)


def others_here(ticket_id: int, user: User) -> list[Viewer]:
    """Other staff with the ticket open right now, by name."""
    viewers = [
        Viewer(int(k), str(v[0]), bool(v[1]))
        for k, v in _entries(ticket_id).items()
        if k != str(user.pk)
    ]
    return sorted(viewers, key=lambda v: (v.name, v.user_id))


@require_GET
@staff_page
def activity(request: HttpRequest, number: int) -> HttpResponse:
    """The live warning's content: changes by others since ``version``, and who is here."""
    user = current_user(request)
    ticket = access_ticket(user, number, include_deleted=True)
    touch(ticket.pk, user, typing=request.GET.get("typing") == "1")
    raw = request.GET.get("version", "")
    seen = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else ticket.version
    changes: list[str] = []
    if ticket.version > seen:
        events = (
            ticket_events(user, ticket)
            .filter(version__gt=seen)
            .exclude(actor_id=user.pk)
            .order_by("id")[:100]
        )
        changes = summary(history_lines(events))
    context = {
        "ticket": ticket,
        "changes": changes,
        "others_here": others_here(ticket.pk, user),
        "current_version": ticket.version,
    }
    return render(request, "tickets/_ticket_activity.html", context)
