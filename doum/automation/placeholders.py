"""Placeholders in the texts rules write: mail subjects and bodies, internal notes, macro
replies.

A small allow-list renderer: `{{ ticket.id }}` (spaces optional) is replaced by the value
of one of the names in `PLACEHOLDERS`; nothing else in the text is interpreted, so an
admin's text can never run code or reach anything but these values (never `eval`, never a
Django template). Texts are checked when a rule is saved: an unknown name is an error that
names it. Values are plain text on one line; the caller escapes them for HTML (comments are
stored as text and turned into escaped HTML by the ticket actions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import nullcontext

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.accounts.models import User
from doum.core.errors import InvalidInput
from doum.core.text import single_line
from doum.tickets.models import Channel, Priority, Status, Ticket, TicketType

PLACEHOLDERS: dict[str, str | Promise] = {
    "ticket.id": gettext_lazy("the ticket number"),
    "ticket.number": gettext_lazy("the ticket number"),
    "ticket.subject": gettext_lazy("the subject"),
    "ticket.status": gettext_lazy("the status, in the reader's language"),
    "ticket.priority": gettext_lazy("the priority, in the reader's language"),
    "ticket.type": gettext_lazy("the type, in the reader's language"),
    "ticket.channel": gettext_lazy("the channel it came in by"),
    "ticket.url": gettext_lazy("the ticket in the workspace (for agents)"),
    "ticket.portal_url": gettext_lazy("the request on the customer portal"),
    "requester.name": gettext_lazy("the requester's name"),
    "requester.first_name": gettext_lazy("the requester's first name"),
    "requester.email": gettext_lazy("the requester's e-mail address"),
    "assignee.name": gettext_lazy("the assignee's name (empty when unassigned)"),
    "assignee.first_name": gettext_lazy("the assignee's first name"),
    "team.name": gettext_lazy("the team's name"),
    "organization.name": gettext_lazy("the requester's organization"),
    "brand.name": gettext_lazy("the brand's name"),
    "current_user.name": gettext_lazy("the agent applying a macro (empty for triggers)"),
    "current_user.first_name": gettext_lazy("that agent's first name"),
}

_PLACEHOLDER = re.compile(r"\{\{(.{0,200}?)\}\}", re.DOTALL)


def check_placeholders(text: str, field: str) -> None:
    """InvalidInput naming the first `{{ … }}` that is not a known placeholder."""
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            shown = single_line(name)[:40]
            raise InvalidInput(
                _("Unknown placeholder “{{ %(name)s }}” (known: %(known)s).")
                % {"name": shown, "known": ", ".join(PLACEHOLDERS)},
                field=field,
            )


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace every known placeholder; anything else is left as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        return values[name] if name in values else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def _first_name(name: str) -> str:
    parts = single_line(name).split()
    return parts[0] if parts else ""


def _label(choices: type[Status | Priority | TicketType | Channel], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _base_url() -> str:
    return single_line(str(settings.DOUM_BASE_URL or "")).rstrip("/")


def values_for(
    ticket: Ticket, *, language: str | None = None, current_user: User | None = None
) -> dict[str, str]:
    """Every placeholder's value for `ticket`, labels in `language` (default: the active one).

    `ticket` should have brand, requester, assignee, team and organization loaded (the
    selectors do); each is read once.
    """
    requester = ticket.requester
    assignee = ticket.assignee
    team = ticket.team
    organization = ticket.organization
    base = _base_url()
    ticket_path = reverse("tickets:ticket", args=[ticket.pk])
    portal_path = reverse("portal:request", args=[ticket.pk])
    with translation.override(language) if language else nullcontext():
        labels = {
            "ticket.status": _label(Status, ticket.status),
            "ticket.priority": _label(Priority, ticket.priority),
            "ticket.type": _label(TicketType, ticket.type),
            "ticket.channel": _label(Channel, ticket.channel),
        }
    return {
        "ticket.id": str(ticket.pk),
        "ticket.number": str(ticket.pk),
        "ticket.subject": single_line(ticket.subject),
        **labels,
        "ticket.url": f"{base}{ticket_path}" if base else ticket_path,
        "ticket.portal_url": f"{base}{portal_path}" if base else portal_path,
        "requester.name": single_line(requester.name),
        "requester.first_name": _first_name(requester.name),
        "requester.email": requester.email or "",
        "assignee.name": single_line(assignee.name) if assignee else "",
        "assignee.first_name": _first_name(assignee.name) if assignee else "",
        "team.name": single_line(team.name) if team else "",
        "organization.name": single_line(organization.name) if organization else "",
        "brand.name": single_line(ticket.brand.name),
        "current_user.name": single_line(current_user.name) if current_user else "",
        "current_user.first_name": _first_name(current_user.name) if current_user else "",
    }
