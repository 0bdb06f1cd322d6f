"""Views (queues) of tickets as the workspace shows them, and a ticket's place in one.

A queue is a named set of filters plus a sort. The built-in ones exist for every agent
(my open tickets, unassigned in my teams, each of my teams, pending, on-hold, recently
solved, all). The ticket list page and the ticket page's next/previous links both read the
same query string through ``list_state`` so they always agree on what "the view" is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from doum.accounts import roles
from doum.accounts.models import Team, User
from doum.core import clock
from doum.core.errors import NotFound
from doum.tickets.models import Status, Ticket
from doum.tickets.selectors import SORTS, TicketFilters, filter_tickets

UNSOLVED: list[str] = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]
ACTIVE: list[str] = [Status.NEW, Status.OPEN]
RECENTLY_SOLVED_DAYS = 7


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    filters: TicketFilters
    sort: str = "-updated_at"


def builtin_queues(user: User) -> list[Queue]:
    """The views every agent has, in the order the side panel lists them."""
    queues = [
        Queue("mine", _("My open tickets"), TicketFilters(assignee_id=user.pk, status=UNSOLVED)),
    ]
    teams = list(Team.objects.filter(members=user).order_by("name"))
    if teams:
        queues.append(
            Queue(
                "unassigned",
                _("Unassigned in my teams"),
                TicketFilters(unassigned=True, status=ACTIVE, team_ids=[t.pk for t in teams]),
            )
        )
    for team in teams:
        filters = TicketFilters(team_id=team.pk, status=UNSOLVED)
        queues.append(Queue(f"team-{team.pk}", team.name, filters))
    queues += [
        Queue("new-unrouted", _("Not yet routed"), TicketFilters(no_team=True, status=ACTIVE)),
        Queue("pending", _("Pending"), TicketFilters(status=[str(Status.PENDING)])),
        Queue("on-hold", _("On-hold"), TicketFilters(status=[str(Status.ON_HOLD)])),
        Queue(
            "solved",
            _("Recently solved"),
            TicketFilters(
                status=[str(Status.SOLVED)],
                updated_after=clock.now() - timedelta(days=RECENTLY_SOLVED_DAYS),
            ),
        ),
        Queue("all", _("All tickets"), TicketFilters()),
    ]
    if user.role in roles.MANAGES_PEOPLE:
        queues.append(Queue("spam", _("Spam"), TicketFilters(spam=True)))
    return queues


def queue_for(user: User, key: str) -> Queue:
    for queue in builtin_queues(user):
        if queue.key == key:
            return queue
    raise NotFound("No such view.", field="view")


@dataclass(frozen=True)
class ListState:
    """What a ticket list shows: a queue, narrowed by the search box and filters, sorted."""

    queue: Queue
    filters: TicketFilters
    sort: str

    def queryset(self, user: User) -> QuerySet[Ticket]:
        return filter_tickets(user, self.filters)


def list_state(user: User, params: QueryDict) -> ListState:
    """Read ``?view=…&q=…&sort=…`` (the list page's query string) into a ListState."""
    queue = queue_for(user, params.get("view") or "mine")
    filters = queue.filters
    q = (params.get("q") or "").strip()
    if q:
        filters = replace(filters, q=q)
    sort = params.get("sort") or queue.sort
    if sort not in SORTS:
        sort = queue.sort
    return ListState(queue, filters, sort)


def neighbours(user: User, state: ListState, ticket: Ticket) -> tuple[int | None, int | None]:
    """The tickets before and after ``ticket`` in the list, or None at either end."""
    order = SORTS[state.sort]
    qs = state.queryset(user).exclude(pk=ticket.pk)
    after = _beyond(order, ticket, forward=True)
    before = _beyond(order, ticket, forward=False)
    nxt = qs.filter(after).order_by(*order).values_list("pk", flat=True).first()
    reverse_order = [f[1:] if f.startswith("-") else f"-{f}" for f in order]
    prev = qs.filter(before).order_by(*reverse_order).values_list("pk", flat=True).first()
    return prev, nxt


def _beyond(order: tuple[str, ...], ticket: Ticket, *, forward: bool) -> Q:
    """Rows strictly after (or before) ``ticket`` in the keyset ``order``."""
    condition = Q(pk__in=[])
    equal = Q()
    for field in order:
        name = field.lstrip("-")
        descending = field.startswith("-")
        op = "lt" if descending == forward else "gt"
        value = getattr(ticket, name if name != "id" else "pk")
        column = "pk" if name == "id" else name
        condition |= equal & Q(**{f"{column}__{op}": value})
        equal &= Q(**{column: value})
    return condition
