"""Bulk actions on the tickets selected in a list: one endpoint per operation.

Every ticket goes through the same action a single change uses, each in its own transaction,
so one ticket that fails (closed, not allowed, invalid value) does not stop the others. The
list then reports "N updated, M failed: #12 reason; …".
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from doum.accounts import roles
from doum.accounts.models import Team, User
from doum.core.errors import DoumError, InvalidInput
from doum.core.web import current_user, redirect_to, safe_next, staff_page_for
from doum.tickets.actions import (
    do_assign,
    do_change_status,
    do_mark_spam,
    do_merge_tickets,
    do_update_ticket,
)
from doum.tickets.changes import clean_tags
from doum.tickets.models import Priority, Status, Ticket, Via
from doum.tickets.selectors import access_ticket, visible_tickets

MAX_SELECTED = 100
bulk_page = staff_page_for(roles.EDITS_TICKETS)


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else None


def _selected(request: HttpRequest) -> list[int]:
    raw = request.POST.getlist("ticket")
    if not raw:
        raise InvalidInput(_("Select at least one ticket."), field="ticket")
    if len(raw) > MAX_SELECTED:
        raise InvalidInput(
            _("Select at most %(n)d tickets at a time.") % {"n": MAX_SELECTED}, field="ticket"
        )
    ids = []
    for value in raw:
        number = _number(value)
        if number is None:
            raise InvalidInput(
                _("“%(value)s” is not a ticket number.") % {"value": value[:40]}, field="ticket"
            )
        ids.append(number)
    return list(dict.fromkeys(ids))


def _back(request: HttpRequest) -> HttpResponse:
    return redirect_to(request, safe_next(request, reverse("tickets:list")))


def _report(request: HttpRequest, done: int, failures: list[tuple[int, str]]) -> None:
    if done:
        messages.success(
            request,
            ngettext("%(n)d ticket updated.", "%(n)d tickets updated.", done) % {"n": done},
        )
    if failures:
        reasons = "; ".join(f"#{pk} {reason}" for pk, reason in failures)
        messages.error(
            request,
            ngettext(
                "%(n)d ticket failed: %(reasons)s",
                "%(n)d tickets failed: %(reasons)s",
                len(failures),
            )
            % {"n": len(failures), "reasons": reasons},
        )
    if not done and not failures:
        messages.info(request, _("Nothing to change."))


def _each(request: HttpRequest, change: Callable[[User, Ticket], object]) -> HttpResponse:
    """Apply ``change`` to every selected ticket the user can see, each on its own."""
    user = current_user(request)
    try:
        ids = _selected(request)
    except InvalidInput as error:
        messages.error(request, error.message)
        return _back(request)
    found = {t.pk: t for t in visible_tickets(user).filter(pk__in=ids)}
    done, failures = 0, []
    for pk in ids:
        ticket = found.get(pk)
        if ticket is None:
            failures.append((pk, _("No such ticket.")))
            continue
        try:
            change(user, ticket)
        except DoumError as error:
            failures.append((pk, error.message))
        else:
            done += 1
    _report(request, done, failures)
    return _back(request)


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return _back(request)


@require_POST
@bulk_page
def bulk_assign(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("assignee", "")
    assignee_id: int | None
    if raw == "me":
        assignee_id = current_user(request).pk
    elif raw == "none":
        assignee_id = None
    else:
        assignee_id = _number(raw)
        if assignee_id is None:
            return _refuse(request, _("Choose whom to assign the tickets to."))
    return _each(request, lambda u, t: do_assign(t, actor=u, via=Via.WEB, assignee_id=assignee_id))


@require_POST
@bulk_page
def bulk_status(request: HttpRequest) -> HttpResponse:
    status = request.POST.get("status", "")
    if status not in Status.values:
        return _refuse(request, _("Choose a valid status."))
    return _each(request, lambda u, t: do_change_status(t, actor=u, via=Via.WEB, status=status))


@require_POST
@bulk_page
def bulk_priority(request: HttpRequest) -> HttpResponse:
    priority = request.POST.get("priority", "")
    if priority not in Priority.values:
        return _refuse(request, _("Choose a valid priority."))
    return _each(
        request,
        lambda u, t: do_update_ticket(t, actor=u, via=Via.WEB, changes={"priority": priority}),
    )


@require_POST
@bulk_page
def bulk_team(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("team", "")
    team_id = None if raw == "none" else _number(raw)
    if raw != "none" and (team_id is None or not Team.objects.filter(pk=team_id).exists()):
        return _refuse(request, _("Choose a team."))
    return _each(
        request,
        lambda u, t: do_update_ticket(t, actor=u, via=Via.WEB, changes={"team_id": team_id}),
    )


@require_POST
@bulk_page
def bulk_tags(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("add_tags", "")
    try:
        names = clean_tags(raw.replace(",", " ").split(), field="add_tags")
    except InvalidInput as error:
        return _refuse(request, error.message)
    if not names:
        return _refuse(request, _("Give at least one tag to add."))
    return _each(
        request,
        lambda u, t: do_update_ticket(t, actor=u, via=Via.WEB, changes={"add_tags": names}),
    )


@require_POST
@bulk_page
def bulk_spam(request: HttpRequest) -> HttpResponse:
    return _each(request, lambda u, t: do_mark_spam(t, actor=u, via=Via.WEB))


@require_POST
@bulk_page
def bulk_merge(request: HttpRequest) -> HttpResponse:
    """Merge every selected ticket into the one chosen as the target (also selected)."""
    user = current_user(request)
    try:
        ids = _selected(request)
    except InvalidInput as error:
        return _refuse(request, error.message)
    target_id = _number(request.POST.get("merge_target", ""))
    if target_id is None or target_id not in ids:
        return _refuse(request, _("Choose which of the selected tickets to merge into."))
    if len(ids) < 2:
        return _refuse(request, _("Select at least two tickets to merge."))
    try:
        target = access_ticket(user, target_id)
    except DoumError as error:
        return _refuse(request, f"#{target_id} {error.message}")
    found = {t.pk: t for t in visible_tickets(user).filter(pk__in=ids)}
    done, failures = 0, []
    for pk in ids:
        if pk == target_id:
            continue
        source = found.get(pk)
        if source is None:
            failures.append((pk, _("No such ticket.")))
            continue
        try:
            do_merge_tickets(source, target, actor=user, via=Via.WEB)
        except DoumError as error:
            failures.append((pk, error.message))
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext(
                "%(n)d ticket merged into #%(target)d.",
                "%(n)d tickets merged into #%(target)d.",
                done,
            )
            % {"n": done, "target": target_id},
        )
    _report(request, 0, failures)
    return _back(request)


urlpatterns: list[URLPattern] = [
    path("tickets/bulk/assign", bulk_assign, name="bulk_assign"),
    path("tickets/bulk/status", bulk_status, name="bulk_status"),
    path("tickets/bulk/priority", bulk_priority, name="bulk_priority"),
    path("tickets/bulk/team", bulk_team, name="bulk_team"),
    path("tickets/bulk/tags", bulk_tags, name="bulk_tags"),
    path("tickets/bulk/merge", bulk_merge, name="bulk_merge"),
    path("tickets/bulk/spam", bulk_spam, name="bulk_spam"),
]
