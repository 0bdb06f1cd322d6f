"""The ticket page: where an agent reads and answers one ticket.

ticket.py           the page itself and its history fragment; the URL list
ticket_context.py   what the page shows (fixed number of queries), list position
ticket_forms.py     the reply box and the side panel as forms
ticket_writes.py    one POST endpoint per operation (reply, fields, assign, solve, problem)
ticket_live.py      the live warning and who else has the ticket open
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from doum.core.web import current_user, render_page, staff_page
from doum.tickets.selectors import access_ticket
from doum.tickets.views import ticket_live, ticket_writes
from doum.tickets.views.ticket_context import history_for, page_context


@require_GET
@staff_page
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    # Managers may open a deleted ticket (to restore it); for others it does not exist.
    ticket = access_ticket(user, number, include_deleted=True)
    ticket_live.touch(ticket.pk, user, typing=False)
    return render_page(request, "tickets/ticket.html", page_context(request, user, ticket))


@require_GET
@staff_page
def history(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket's full audit trail; a fragment for the page's History section."""
    user = current_user(request)
    ticket = access_ticket(user, number, include_deleted=True)
    context = {"ticket": ticket, "lines": history_for(user, ticket)}
    return render_page(
        request, "tickets/ticket_history.html", context, fragment="tickets/_history.html"
    )


urlpatterns: list[URLPattern] = [
    path("tickets/<int:number>/", ticket_page, name="ticket"),
    path("tickets/<int:number>/history", history, name="history"),
    path("tickets/<int:number>/activity", ticket_live.activity, name="activity"),
    path("tickets/<int:number>/comments", ticket_writes.add_comment, name="comment"),
    path("tickets/<int:number>/fields", ticket_writes.update_fields, name="fields"),
    path("tickets/<int:number>/assign-to-me", ticket_writes.assign_to_me, name="assign_to_me"),
    path("tickets/<int:number>/solve", ticket_writes.solve, name="solve"),
    path("tickets/<int:number>/problem", ticket_writes.link_problem, name="link_problem"),
    path(
        "tickets/<int:number>/problem/unlink",
        ticket_writes.unlink_problem,
        name="unlink_problem",
    ),
]
