"""The ticket page's form endpoints, one per operation: reply or note, field changes,
assign to me, solve, link and unlink a problem.

Each parses its form, calls one action with the version the agent saw, and answers:
a plain form post is redirected back to the ticket; a partial one (app.js) gets the part of
the page it replaces. A stale version (``Conflict``) never loses what the agent typed: the
form comes back with the text kept, the changes since listed, and the current version so
that sending again goes through.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from doum.accounts import roles
from doum.accounts.models import User
from doum.core.errors import Conflict, DoumError, Forbidden, InvalidInput, NotFound
from doum.core.web import current_user, is_partial, redirect_to, render_page, staff_page
from doum.tickets import actions
from doum.tickets.models import Status, Ticket, Via
from doum.tickets.selectors import access_ticket
from doum.tickets.views import ticket_live
from doum.tickets.views.ticket_context import (
    PageState,
    conflict_since,
    list_query,
    page_context,
    reverse_or_empty,
    side_data,
)
from doum.tickets.views.ticket_forms import ProblemLinkForm, ReplyForm, SidePanelForm

PAGE = "tickets/ticket.html"
THREAD = "tickets/_ticket_thread.html"
SIDE = "tickets/_ticket_side.html"


def _ticket_url(request: HttpRequest, ticket_id: int, anchor: str = "") -> str:
    query = list_query(request.GET)
    url = reverse("tickets:ticket", args=[ticket_id]) + (f"?{query}" if query else "")
    return url + (f"#{anchor}" if anchor else "")


def _respond(
    request: HttpRequest,
    user: User,
    ticket: Ticket,
    state: PageState,
    fragment: str,
    *,
    status: int = 200,
    synced: bool = False,
) -> HttpResponse:
    context = page_context(request, user, ticket, state, with_position=not is_partial(request))
    # ``synced``: the ticket's version moved by this agent's own change only, so the other
    # forms on the page may take the new version (ticket.js does, on data-synced-version).
    context["synced"] = synced
    return render_page(request, PAGE, context, fragment=fragment, status=status)


def _reload(request: HttpRequest, user: User, number: int) -> Ticket | None:
    try:
        return access_ticket(user, number, include_deleted=True)
    except NotFound:
        return None


def _gone(request: HttpRequest) -> HttpResponse:
    """The change moved the ticket out of what this agent may see."""
    messages.success(request, _("Saved. The ticket moved to a team you are not in."))
    return redirect_to(request, reverse_or_empty("tickets:list") or reverse("home"))


# --- reply or note ------------------------------------------------------------------------


@require_POST
@staff_page
def add_comment(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = access_ticket(user, number)
    if user.role not in roles.WRITES_NOTES:
        raise Forbidden(_("Your role may not reply or add notes."))
    form = ReplyForm(request.POST, request.FILES, can_reply=user.role in roles.EDITS_TICKETS)
    if not form.is_valid():
        return _respond(request, user, ticket, PageState(reply=form), THREAD, status=400)
    data = form.cleaned_data
    uploads = [
        actions.NewAttachment(
            filename=f.name or "attachment",
            content_type=f.content_type or "application/octet-stream",
            data=f.read(),
        )
        for f in data["attachments"]
    ]
    try:
        comment = actions.do_add_comment(
            ticket,
            actor=user,
            via=Via.WEB,
            body=data["body"],
            public=form.public,
            status=data.get("status") or None,
            expected_version=data["version"],
            attachments=uploads,
        )
    except Conflict:
        fresh = access_ticket(user, number, include_deleted=True)
        kept = ReplyForm(
            initial={
                "body": data["body"],
                "mode": data["mode"],
                "status": data.get("status") or "",
                "version": fresh.version,
            },
            can_reply=form.can_reply,
        )
        state = PageState(
            reply=kept,
            reply_conflict=conflict_since(user, fresh, data["version"]),
            reply_files_dropped=bool(uploads),
        )
        return _respond(request, user, fresh, state, THREAD, status=409)
    except InvalidInput as error:
        _reply_error(form, error)
        return _respond(request, user, ticket, PageState(reply=form), THREAD, status=400)
    ticket_live.touch(ticket.pk, user, typing=False)
    if not is_partial(request):
        return redirect_to(request, _ticket_url(request, number, f"comment-{comment.pk}"))
    after = _reload(request, user, number)
    if after is None:
        return _gone(request)
    return _respond(request, user, after, PageState(), THREAD, synced=True)


_REPLY_FIELDS = {"body": "body", "status": "status", "attachments": "attachments", "public": "mode"}


def _reply_error(form: ReplyForm, error: DoumError) -> None:
    field = {
        "body": "body",
        "status": "status",
        "attachments": "attachments",
        "public": "mode",
    }.get(error.field or "")
    form.add_error(field if field in form.fields else None, error.message)


# --- side panel ---------------------------------------------------------------------------


def _side_form(user: User, ticket: Ticket, data: QueryDict | None = None) -> SidePanelForm:
    kwargs = side_data(user, ticket).form_kwargs(ticket)
    return SidePanelForm(data, **kwargs) if data is not None else SidePanelForm(**kwargs)


def _as_data(form: SidePanelForm) -> QueryDict:
    """The form's current values as posted data (visible and hidden-initial inputs)."""
    data = QueryDict(mutable=True)
    for name, bound in ((n, form[n]) for n in form.fields):
        value = form.initial.get(name)
        if isinstance(value, list):
            values = [str(v) for v in value]
        elif value is None or value is False:
            values = []
        elif value is True:
            values = ["on"]
        elif hasattr(value, "strftime") and name == "due_at":
            values = [value.strftime("%Y-%m-%dT%H:%M")]
        else:
            values = [str(value)]
        data.setlist(name, values)
        if bound.field.show_hidden_initial:
            hidden = values if not (value is True or value is False) else [str(bool(value))]
            data.setlist(bound.html_initial_name, hidden or [""])
    return data


def _side_conflict(
    request: HttpRequest, user: User, number: int, submitted: SidePanelForm, seen: int
) -> HttpResponse:
    """The panel as it is now, with the agent's own edits laid over it."""
    fresh = access_ticket(user, number, include_deleted=True)
    current = _side_form(user, fresh)
    data = _as_data(current)
    for name in submitted.changed_data:
        data.setlist(name, request.POST.getlist(name))
    merged = _side_form(user, fresh, data)
    merged.is_valid()
    state = PageState(side=merged, side_conflict=conflict_since(user, fresh, seen))
    return _respond(request, user, fresh, state, SIDE, status=409)


def _side_refused(
    request: HttpRequest, user: User, number: int, error: DoumError, *, status: int = 400
) -> HttpResponse:
    """An action refused a one-button change: show why next to the field it names."""
    fresh = access_ticket(user, number, include_deleted=True)
    form = _side_form(user, fresh, _as_data(_side_form(user, fresh)))
    form.is_valid()
    form.add_action_error(error)
    return _respond(request, user, fresh, PageState(side=form), SIDE, status=status)


def _side_saved(request: HttpRequest, user: User, number: int, note: str) -> HttpResponse:
    if not is_partial(request):
        messages.success(request, note)
        return redirect_to(request, _ticket_url(request, number))
    fresh = _reload(request, user, number)
    if fresh is None:
        return _gone(request)
    return _respond(request, user, fresh, PageState(saved=note), SIDE, synced=True)


@require_POST
@staff_page
def update_fields(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = access_ticket(user, number)
    if user.role not in roles.EDITS_TICKETS:
        raise Forbidden(_("Your role may not change tickets."))
    form = _side_form(user, ticket, request.POST)
    if not form.is_valid():
        return _respond(request, user, ticket, PageState(side=form), SIDE, status=400)
    changes = form.changes()
    seen = form.cleaned_data["version"]
    if not changes:
        return _side_saved(request, user, number, _("Nothing to save: no field was changed."))
    try:
        actions.do_update_ticket(
            ticket, actor=user, via=Via.WEB, changes=changes, expected_version=seen
        )
    except Conflict:
        return _side_conflict(request, user, number, form, seen)
    except InvalidInput as error:
        form.add_action_error(error)
        return _respond(request, user, ticket, PageState(side=form), SIDE, status=400)
    return _side_saved(request, user, number, _("Saved."))


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 12 else None


@require_POST
@staff_page
def assign_to_me(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = access_ticket(user, number)
    seen = _version(request)
    try:
        actions.do_assign(
            ticket, actor=user, via=Via.WEB, assignee_id=user.pk, expected_version=seen
        )
    except Conflict as error:
        return _side_refused(request, user, number, error, status=409)
    except InvalidInput as error:
        return _side_refused(request, user, number, error)
    return _side_saved(request, user, number, _("Assigned to you."))


@require_POST
@staff_page
def solve(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = access_ticket(user, number)
    seen = _version(request)
    try:
        actions.do_change_status(
            ticket, actor=user, via=Via.WEB, status=Status.SOLVED, expected_version=seen
        )
    except Conflict as error:
        return _side_refused(request, user, number, error, status=409)
    except InvalidInput as error:
        return _side_refused(request, user, number, error)
    return _side_saved(request, user, number, _("Solved."))


@require_POST
@staff_page
def link_problem(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    incident = access_ticket(user, number)
    if user.role not in roles.EDITS_TICKETS:
        raise Forbidden(_("Your role may not change tickets."))
    form = ProblemLinkForm(request.POST)
    if form.is_valid():
        try:
            problem = access_ticket(user, form.cleaned_data["problem"])
            actions.do_link_problem(incident, problem, actor=user, via=Via.WEB)
        except NotFound:
            form.add_error("problem", _("No such problem ticket."))
        except InvalidInput as error:
            form.add_error("problem" if error.field == "problem" else None, error.message)
    if form.errors:
        fresh = access_ticket(user, number, include_deleted=True)
        return _respond(request, user, fresh, PageState(problem=form), SIDE, status=400)
    return _side_saved(request, user, number, _("Linked to the problem."))


@require_POST
@staff_page
def unlink_problem(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    incident = access_ticket(user, number)
    try:
        actions.do_unlink_problem(incident, actor=user, via=Via.WEB)
    except InvalidInput as error:
        return _side_refused(request, user, number, error)
    return _side_saved(request, user, number, _("Unlinked from the problem."))
