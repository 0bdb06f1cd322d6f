"""What the ticket page shows, read in a fixed number of queries whatever the ticket holds.

``page_context`` is shared by the page and by every form endpoint that re-renders part of
it (a reply that failed keeps its text, a side panel with a conflict keeps the agent's
edits), so the whole page and its fragments are always drawn from the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import Team, TeamMembership, User
from doum.accounts.selectors import visible_teams
from doum.automation.selectors import usable_macros
from doum.core.errors import DoumError
from doum.sla.page_selectors import ticket_sla_panel
from doum.tickets import queues
from doum.tickets.custom_fields import active_definitions
from doum.tickets.models import (
    Comment,
    CustomField,
    Status,
    Tag,
    Ticket,
    TicketFollower,
    TicketType,
)
from doum.tickets.presentation import HistoryLine, history_lines, summary
from doum.tickets.selectors import ticket_events, visible_comments, visible_tickets
from doum.tickets.views import ticket_live
from doum.tickets.views.ticket_forms import ProblemLinkForm, ReplyForm, SidePanelForm

INCIDENT_LIMIT = 50


def reverse_or_empty(name: str, *args: Any) -> str:
    """A URL of a page another area may not have built yet; empty when it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@dataclass
class ListPosition:
    query: str  # the list's query string, without "?"
    previous_url: str
    next_url: str
    list_url: str


def list_position(request: HttpRequest, user: User, ticket: Ticket) -> ListPosition | None:
    """Previous/next in the list the agent came from (its query string is kept on links)."""
    params = request.GET
    if not params.get("view"):
        return None
    try:
        state = queues.list_state(user, params)
        prev, nxt = queues.neighbours(user, state, ticket)
    except DoumError:
        return None
    query = list_query(params)

    def url(number: int | None) -> str:
        if number is None:
            return ""
        return reverse("tickets:ticket", args=[number]) + "?" + query

    base = reverse_or_empty("tickets:list")
    return ListPosition(query, url(prev), url(nxt), f"{base}?{query}" if base else "")


LIST_PARAMS = (
    "view",
    "q",
    "sort",
    "status",
    "priority",
    "type",
    "channel",
    "assignee",
    "team",
    "tag",
)


def list_query(params: QueryDict) -> str:
    kept = QueryDict(mutable=True)
    for key in params:
        if key in LIST_PARAMS or key.startswith("f_"):
            kept.setlist(key, params.getlist(key)[:20])
    return kept.urlencode()


@dataclass
class SideData:
    """Everything the side panel's choices are made of."""

    tag_names: list[str]
    followers: list[User]
    teams: list[Team]
    agents: list[tuple[str, list[User]]]
    followable: list[User]
    definitions: dict[str, CustomField]

    def form_kwargs(self, ticket: Ticket) -> dict[str, Any]:
        return {
            "ticket": ticket,
            "tag_names": self.tag_names,
            "follower_ids": [u.pk for u in self.followers],
            "teams": self.teams,
            "agents": self.agents,
            "followable": self.followable,
            "definitions": self.definitions,
        }


def side_data(user: User, ticket: Ticket) -> SideData:
    tag_names = list(
        Tag.objects.filter(tickets=ticket).order_by("name").values_list("name", flat=True)
    )
    followers = [
        f.user
        for f in TicketFollower.objects.filter(ticket=ticket).select_related("user").order_by("id")
    ]
    teams = list(visible_teams(user).order_by("name"))
    staff = list(
        User.objects.filter(is_active=True, role__in=roles.STAFF_ROLES).order_by("name", "id")
    )
    team_members = (
        set(TeamMembership.objects.filter(team_id=ticket.team_id).values_list("user_id", flat=True))
        if ticket.team_id
        else set()
    )
    editors = [u for u in staff if u.role in roles.EDITS_TICKETS]
    if ticket.assignee is not None and ticket.assignee not in editors:
        editors.append(ticket.assignee)
    agents: list[tuple[str, list[User]]] = []
    if ticket.team is not None:
        agents.append((ticket.team.name, [u for u in editors if u.pk in team_members]))
        others = [u for u in editors if u.pk not in team_members]
        if others:
            agents.append((_("Other agents"), others))
    else:
        agents.append((_("Agents"), editors))
    followable = list(staff)
    for f in followers:
        if f not in followable:
            followable.append(f)
    return SideData(tag_names, followers, teams, agents, followable, active_definitions())


@dataclass
class Conflict:
    """What changed since the version the agent saw."""

    lines: list[str]
    version: int


def conflict_since(user: User, ticket: Ticket, version: int) -> Conflict:
    events = ticket_events(user, ticket).filter(version__gt=version)[:200]
    return Conflict(summary(history_lines(events), limit=12), ticket.version)


@dataclass
class PageState:
    """Forms as the agent left them (after a refused or conflicting submit)."""

    reply: ReplyForm | None = None
    reply_conflict: Conflict | None = None
    reply_files_dropped: bool = False
    side: SidePanelForm | None = None
    side_conflict: Conflict | None = None
    problem: ProblemLinkForm | None = None
    side_errors: list[str] = field(default_factory=list)
    saved: str = ""  # a short confirmation shown in the side panel


@dataclass(frozen=True)
class ShownComment:
    """A comment with its header text prepared once per page (not per template tag)."""

    comment: Comment
    via_text: str
    when_iso: str
    when_text: str


def shown_comments(comments: Sequence[Comment]) -> list[ShownComment]:
    via_texts: dict[str, str] = {}
    shown = []
    for c in comments:
        via = via_texts.get(c.via)
        if via is None:
            via = via_texts[c.via] = _("via %(via)s") % {"via": c.get_via_display()}
        local = timezone.localtime(c.created_at)
        shown.append(ShownComment(c, via, local.isoformat(), date_format(local, "DATETIME_FORMAT")))
    return shown


def page_context(
    request: HttpRequest,
    user: User,
    ticket: Ticket,
    state: PageState | None = None,
    *,
    with_position: bool = True,
) -> dict[str, Any]:
    state = state or PageState()
    can_edit = user.role in roles.EDITS_TICKETS
    can_note = user.role in roles.WRITES_NOTES
    writable = ticket.deleted_at is None and ticket.status != Status.CLOSED
    comments: Sequence[Comment] = list(visible_comments(user, ticket))
    data = side_data(user, ticket)
    side_form = state.side or SidePanelForm(**data.form_kwargs(ticket))
    reply_form = state.reply or ReplyForm(
        initial={"version": ticket.version, "mode": "public" if can_edit else "note"},
        can_reply=can_edit,
    )
    incidents: list[Ticket] = []
    if ticket.type == TicketType.PROBLEM:
        incidents = list(
            visible_tickets(user)
            .filter(problem_id=ticket.pk)
            .only("id", "subject", "status")
            .order_by("id")[:INCIDENT_LIMIT]
        )
    position = list_position(request, user, ticket) if with_position else None
    query = position.query if position else list_query(request.GET)
    others = ticket_live.others_here(ticket.pk, user)
    custom_values = [
        (bound, data.definitions[key], ticket.custom_fields.get(key))
        for bound, key in zip(side_form.custom_fields(), data.definitions, strict=True)
    ]
    return {
        "ticket": ticket,
        "comments": shown_comments(comments),
        "can_edit": can_edit,
        "can_note": can_note,
        "writable": writable,
        "reply_form": reply_form,
        "reply_conflict": state.reply_conflict,
        "reply_files_dropped": state.reply_files_dropped,
        "side_form": side_form,
        "side_conflict": state.side_conflict,
        "side_errors": state.side_errors,
        "saved": state.saved,
        "problem_form": state.problem or ProblemLinkForm(initial={"version": ticket.version}),
        "custom_values": custom_values,
        "required_on_solve": side_form.required_on_solve(),
        "tag_names": data.tag_names,
        "followers": data.followers,
        "incidents": incidents,
        "position": position,
        "list_query": query,
        "query_suffix": f"?{query}" if query else "",
        "requester_url": reverse_or_empty("accounts:person", ticket.requester_id),
        "others_here": others,
        "history_lines_url": reverse("tickets:history", args=[ticket.pk]),
        # The SLA panel in the side column (doum.sla).
        "sla": ticket_sla_panel(ticket.pk) if user.is_agent else None,
        # The macro picker beside the reply box (doum.automation).
        "macros": usable_macros(user) if can_edit and writable else [],
    }


def history_for(user: User, ticket: Ticket) -> list[HistoryLine]:
    return history_lines(ticket_events(user, ticket))
