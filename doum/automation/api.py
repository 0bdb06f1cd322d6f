"""REST endpoints of the automation app: the macros an agent may apply, and applying one to
a ticket. Each parses input, calls one selector or action, returns a schema."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from doum.accounts import roles
from doum.api.auth import current_user
from doum.api.schemas import Input, Out
from doum.automation import actions, selectors
from doum.automation.models import Macro
from doum.core.errors import Forbidden, NotFound
from doum.tickets.models import Via
from doum.tickets.selectors import access_ticket

router = Router(tags=["macros"])


class MacroOut(Out):
    id: int
    name: str
    description: str
    shared: bool
    reply_body: str
    reply_public: bool
    effects: list[dict[str, Any]]
    usage_count: int


class MacroApplyIn(Input):
    version: int | None = None


class MacroAppliedOut(Out):
    ticket_id: int
    version: int
    status: str
    priority: str
    changed: list[str]
    comment_id: int | None


def _macro(macro: Macro) -> dict[str, Any]:
    return {
        "id": macro.pk,
        "name": macro.name,
        "description": macro.description,
        "shared": macro.is_shared,
        "reply_body": macro.reply_body,
        "reply_public": macro.reply_public,
        "effects": list(macro.effects),
        "usage_count": macro.usage_count,
    }


@router.get("/macros", response=list[MacroOut], summary="The macros you may apply")
def list_macros(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    if not user.is_agent:
        raise NotFound(_("Not found."))
    return [_macro(m) for m in selectors.usable_macros(user)]


@router.post(
    "/tickets/{ticket_id}/macros/{macro_id}/apply",
    response=MacroAppliedOut,
    summary="Apply a macro to a ticket",
    description=(
        "Applies the macro's effects (one ticket version) and adds its reply text as your "
        'reply or internal note, placeholders filled in. Send `{}`, or `{"version": n}` '
        "to be refused with 409 when the ticket changed since version n."
    ),
)
def apply_macro(
    request: HttpRequest, ticket_id: int, macro_id: int, data: MacroApplyIn
) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_ticket(user, ticket_id)
    if user.role not in roles.EDITS_TICKETS:
        raise Forbidden(_("Your role may not apply macros."))
    macro = selectors.access_macro_to_apply(user, macro_id)
    applied = actions.do_apply_macro(
        ticket, macro, actor=user, via=Via.API, expected_version=data.version
    )
    return {
        "ticket_id": applied.ticket.pk,
        "version": applied.ticket.version,
        "status": applied.ticket.status,
        "priority": applied.ticket.priority,
        "changed": applied.changed,
        "comment_id": applied.comment.pk if applied.comment else None,
    }
