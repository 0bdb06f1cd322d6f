"""The ticket list: views (queues) with live counts, search, filters, sorting and pages.

Bulk actions are in ``list_bulk.py`` and the saved-view pages in ``list_views.py``; their
routes are added to this module's ``urlpatterns`` so the tickets URL module stays as wired.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from doum.accounts import roles
from doum.accounts.models import Team, User
from doum.core.errors import InvalidInput
from doum.core.web import current_user, is_partial, render_page, staff_page
from doum.tickets.models import Channel, Priority, SavedView, Status, Ticket, TicketType
from doum.tickets.queues import ListState, list_state
from doum.tickets.saved_views import COLUMNS, can_manage_shared_views
from doum.tickets.selectors import window_of_tickets
from doum.tickets.views import list_bulk, list_views
from doum.tickets.views.list_cells import row_cells
from doum.tickets.views.list_counts import view_links

PAGE_SIZE = 25
CURSOR_MAX = 200


def _sidenav_context(user: User, current: str) -> dict[str, object]:
    links = view_links(user)
    return {
        "builtin_views": [v for v in links if v.group == "builtin"],
        "personal_views": [v for v in links if v.group == "personal"],
        "shared_views": [v for v in links if v.group == "shared"],
        "current_view": current,
    }


@require_GET
@staff_page
def view_counts(request: HttpRequest) -> HttpResponse:
    """The side panel's lists of views, refreshed by polling every 30 s."""
    user = current_user(request)
    current = (request.GET.get("view") or "")[:40]
    return render_page(
        request,
        "tickets/_list_sidenav.html",
        {**_sidenav_context(user, current), "list_url": reverse("tickets:list")},
    )


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    ticket: Ticket
    url: str
    cells: list[SafeString]


@dataclass(frozen=True)
class Header:
    column: str
    label: str | Promise
    url: str  # the list sorted by this column, or "" when it does not sort
    sorted: str  # "ascending", "descending" or ""


# Column -> (descending sort, ascending sort)
SORTABLE: dict[str, tuple[str, str]] = {
    "number": ("-id", "id"),
    "created": ("-created_at", "created_at"),
    "updated": ("-updated_at", "updated_at"),
    "priority": ("-priority", "priority"),
    "status": ("-status", "status"),
    "sla": ("-sla_next_deadline", "sla_next_deadline"),
}
# Columns whose first click sorts ascending (the soonest SLA deadline first).
ASCENDING_FIRST = frozenset({"sla"})


def _headers(state: ListState, columns: tuple[str, ...], base: str) -> list[Header]:
    labels: dict[str, str | Promise] = {"number": _("Number"), "subject": _("Subject")}
    labels.update(COLUMNS)
    headers = []
    for column in ("number", "subject", *columns):
        url, current = "", ""
        if column in SORTABLE:
            descending, ascending = SORTABLE[column]
            if state.sort == descending:
                current, target = "descending", ascending
            elif state.sort == ascending:
                current, target = "ascending", descending
            else:
                target = ascending if column in ASCENDING_FIRST else descending
            url = base + state.query(sort=target)
        headers.append(Header(column, labels[column], url, current))
    return headers


def _ticket_url(pk: int) -> str:
    try:
        return reverse("tickets:ticket", args=[pk])
    except NoReverseMatch:  # the ticket page is installed by its own module
        return f"/tickets/{pk}/"


def _filter_choices(user: User) -> dict[str, object]:
    teams = list(Team.objects.order_by("name").values_list("pk", "name"))
    agents = list(
        User.objects.filter(role__in=roles.EDITS_TICKETS, is_active=True)
        .order_by("name")
        .values_list("pk", "name")
    )
    return {
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "types": TicketType.choices,
        "channels": Channel.choices,
        "teams": teams,
        "agents": agents,
    }


@require_GET
@staff_page
def ticket_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    state = list_state(user, request.GET)
    problems = list(state.problems)
    after = request.GET.get("after") or None
    before = request.GET.get("before") or None
    if len(after or "") > CURSOR_MAX or len(before or "") > CURSOR_MAX:
        problems.append(str(_("This page link is not valid; showing the first page.")))
        after = before = None
    qs = state.queryset(user)
    if "sla" in state.queue.columns:
        qs = qs.select_related("sla")  # the SLA column reads each ticket's TicketSla
    try:
        window = window_of_tickets(qs, sort=state.sort, limit=PAGE_SIZE, after=after, before=before)
    except InvalidInput:
        problems.append(str(_("This page link is not valid; showing the first page.")))
        window = window_of_tickets(qs, sort=state.sort, limit=PAGE_SIZE)
    base = reverse("tickets:list")
    list_query = state.query()
    queue = state.queue
    rows = [
        Row(t, _ticket_url(t.pk) + list_query, row_cells(t, queue.columns)) for t in window.rows
    ]
    saved: SavedView | None = queue.saved_view
    context: dict[str, object] = {
        "state": state,
        "queue": queue,
        "saved_view": saved,
        "can_edit_view": saved is not None
        and (saved.owner_id == user.pk or (saved.is_shared and can_manage_shared_views(user))),
        "columns": queue.columns,
        "headers": _headers(state, queue.columns, base),
        "rows": rows,
        "window": window,
        "list_url": base,
        "list_query": list_query,
        "first_url": base + list_query if not window.at_start else "",
        "next_url": base + state.query(after=window.next_cursor) if window.next_cursor else "",
        "previous_url": base + state.query(before=window.previous_cursor)
        if window.previous_cursor
        else "",
        "problems": problems,
        "narrowed": any(name in state.params for name in ("q", *_FILTERS)),
        "search_query": state.params.get("q", [""])[0],
        "can_bulk_edit": user.role in roles.EDITS_TICKETS,
        "can_save_view": not queue.filters.spam,
        "current_view": queue.key,
        **_filter_choices(user),
    }
    if not is_partial(request):
        context.update(_sidenav_context(user, queue.key))
    return render_page(request, "tickets/list.html", context, fragment="tickets/_list_main.html")


_FILTERS = ("status", "priority", "type", "channel", "team", "assignee", "tag")


urlpatterns: list[URLPattern] = [
    path("tickets/", ticket_list, name="list"),
    path("tickets/counts", view_counts, name="counts"),
    *list_bulk.urlpatterns,
    *list_views.urlpatterns,
]
