"""Views (queues) of tickets as the workspace shows them, and a ticket's place in one.

A queue is a named set of filters plus a sort. The built-in ones exist for every agent
(my open tickets, unassigned in my teams, each of my teams, SLA at risk and SLA breached
(unsolved, by next deadline), pending, on-hold, recently solved, all). The ticket list page
and the ticket page's next/previous links both read the same query string through
``list_state`` so they always agree on what "the view" is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from doum.accounts import roles
from doum.accounts.models import Team, User
from doum.core import clock
from doum.core.errors import InvalidInput, NotFound
from doum.core.web import query_string
from doum.tickets.changes import clean_tags
from doum.tickets.models import Channel, Priority, SavedView, Status, Ticket, TicketType
from doum.tickets.saved_views import (
    DEFAULT_COLUMNS,
    access_saved_view,
    compile_conditions,
    conditions_from_filters,
)
from doum.tickets.selectors import (
    SORTS,
    TicketFilters,
    filter_tickets,
    keyset_beyond,
    order_tickets,
    sort_value,
)

UNSOLVED: list[str] = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]
ACTIVE: list[str] = [Status.NEW, Status.OPEN]
RECENTLY_SOLVED_DAYS = 7


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    filters: TicketFilters
    sort: str = "-updated_at"
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    saved_view: SavedView | None = None  # set for saved views (key ``v<id>``)


def builtin_queues(user: User) -> list[Queue]:
    """The views every agent has, in the order the side panel lists them."""
    queues = [
        Queue(
            "mine",
            _("My open tickets"),
            TicketFilters(assignee_id=user.pk, status=UNSOLVED),
        ),
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
        Queue(
            "sla-at-risk",
            _("SLA at risk"),
            TicketFilters(sla="at_risk", status=UNSOLVED),
            sort="sla_next_deadline",
        ),
        Queue(
            "sla-breached",
            _("SLA breached"),
            TicketFilters(sla="breached", status=UNSOLVED),
            sort="sla_next_deadline",
        ),
        Queue(
            "new-unrouted",
            _("Not yet routed"),
            TicketFilters(no_team=True, status=ACTIVE),
        ),
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
    """A built-in view by key, or a saved view by ``v<id>``; NotFound for anything else."""
    if key.startswith("v") and key[1:].isascii() and key[1:].isdigit() and len(key) < 19:
        return saved_view_queue(user, access_saved_view(user, int(key[1:])))
    for queue in builtin_queues(user):
        if queue.key == key:
            return queue
    raise NotFound(gettext("No such view."), field="view")


def saved_view_queue(user: User, view: SavedView) -> Queue:
    return Queue(
        key=view.key,
        label=view.name,
        filters=TicketFilters(where=compile_conditions(view.conditions, user)),
        sort=view.sort if view.sort in SORTS else "-updated_at",
        columns=tuple(view.columns) or DEFAULT_COLUMNS,
        saved_view=view,
    )


def default_view(user: User, params: QueryDict) -> str:
    """A search from the top bar looks everywhere; otherwise an agent starts with their own."""
    if params.get("q") or user.role not in roles.EDITS_TICKETS:
        return "all"
    return "mine"


# The list page's own filters, narrowing whatever view is shown.
FILTER_PARAMS = ("status", "priority", "type", "channel", "team", "assignee", "tag")
LIST_PARAMS = ("view", "q", "sort", *FILTER_PARAMS)
Q_MAX = 500


@dataclass(frozen=True)
class ListState:
    """What a ticket list shows: a queue, narrowed by the search box and filters, sorted."""

    queue: Queue
    filters: TicketFilters  # everything: the queue's filters, the search and the narrowing
    sort: str
    narrowing: TicketFilters = field(default_factory=TicketFilters)  # the list's own filters
    params: dict[str, list[str]] = field(default_factory=dict)  # clean list parameters
    problems: tuple[str, ...] = ()  # parameters that were ignored, and why

    def queryset(self, user: User) -> QuerySet[Ticket]:
        return filter_tickets(user, self.filters)

    def query(self, **changes: str | list[str] | None) -> str:
        """The list's query string (``?view=…``) with ``changes`` applied (None drops one)."""
        params: dict[str, str | list[str]] = dict(self.params)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        return query_string(params)


def list_state(user: User, params: QueryDict) -> ListState:
    """Read ``?view=…&q=…&sort=…&status=…`` (the list page's query string) into a ListState.

    An unknown view is NotFound; other bad parameters are left out and explained in
    ``problems`` so a shared link with a stale filter still shows a list.
    """
    key = params.get("view") or default_view(user, params)
    queue = queue_for(user, key)
    problems: list[str] = []
    clean: dict[str, list[str]] = {"view": [key]}
    narrowing = _narrowing(user, params, clean, problems)
    where = queue.filters.where if queue.filters.where is not None else Q()
    extra = compile_conditions(conditions_from_filters(narrowing, user), user)
    filters = replace(queue.filters, where=where & extra)
    q = (params.get("q") or "").strip()
    if len(q) > Q_MAX:
        problems.append(gettext("The search was cut to %(n)d characters.") % {"n": Q_MAX})
        q = q[:Q_MAX]
    if q:
        filters = replace(filters, q=q)
        clean["q"] = [q]
    sort = params.get("sort") or queue.sort
    if sort not in SORTS:
        problems.append(
            gettext("Unknown sort “%(sort)s”; sorted by the view's order.") % {"sort": sort}
        )
        sort = queue.sort
    elif params.get("sort"):
        clean["sort"] = [sort]
    return ListState(queue, filters, sort, narrowing, clean, tuple(problems))


def _narrowing(
    user: User, params: QueryDict, clean: dict[str, list[str]], problems: list[str]
) -> TicketFilters:
    filters = TicketFilters()
    for name, choices in (("status", Status), ("priority", Priority)):
        values = [v for v in params.getlist(name) if v]
        good = [v for v in values if v in choices.values]
        for bad in sorted(set(values) - set(good)):
            problems.append(_invalid(name, bad))
        if good:
            setattr(filters, name, list(dict.fromkeys(good)))
            clean[name] = list(dict.fromkeys(good))
    for name, single in (("type", TicketType), ("channel", Channel)):
        value = params.get(name) or ""
        if value and value not in single.values:
            problems.append(_invalid(name, value))
        elif value:
            setattr(filters, name, value)
            clean[name] = [value]
    team = params.get("team") or ""
    if team == "none":
        filters.no_team = True
        clean["team"] = [team]
    elif team:
        team_id = _number(team)
        if team_id is None or not Team.objects.filter(pk=team_id).exists():
            problems.append(gettext("No team with id “%(id)s”.") % {"id": team})
        else:
            filters.team_id = team_id
            clean["team"] = [team]
    assignee = params.get("assignee") or ""
    if assignee in ("me", "none"):
        filters.assignee_id = user.pk if assignee == "me" else None
        filters.unassigned = assignee == "none"
        clean["assignee"] = [assignee]
    elif assignee:
        assignee_id = _number(assignee)
        staff = User.objects.filter(pk=assignee_id or 0, role__in=roles.STAFF_ROLES)
        if assignee_id is None or not staff.exists():
            problems.append(gettext("No agent with id “%(id)s”.") % {"id": assignee})
        else:
            filters.assignee_id = assignee_id
            clean["assignee"] = [assignee]
    tag = params.get("tag") or ""
    if tag:
        try:
            names = clean_tags([tag], field="tag")
        except InvalidInput as error:
            problems.append(error.message)
        else:
            if names:
                filters.tag = names[0]
                clean["tag"] = names
    return filters


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else None


def _invalid(field_name: str, value: str) -> str:
    return gettext("“%(value)s” is not a valid %(field)s.") % {"value": value, "field": field_name}


def neighbours(user: User, state: ListState, ticket: Ticket) -> tuple[int | None, int | None]:
    """The tickets before and after ``ticket`` in the list, or None at either end."""
    order = SORTS[state.sort]
    qs = order_tickets(state.queryset(user).exclude(pk=ticket.pk), state.sort)
    values = tuple(sort_value(ticket, f.lstrip("-")) for f in order)
    reverse_order = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in order)
    nxt = (
        qs.filter(keyset_beyond(order, values, forward=True))
        .order_by(*order)
        .values_list("pk", flat=True)
        .first()
    )
    prev = (
        qs.filter(keyset_beyond(order, values, forward=False))
        .order_by(*reverse_order)
        .values_list("pk", flat=True)
        .first()
    )
    return prev, nxt
