"""The agent's and the team lead's dashboards, and /analytics/ (each role's own dashboard)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from doum.accounts.models import TeamMembership, User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.web import current_user, render_page, staff_page, staff_page_for
from doum.metrics import queries
from doum.metrics.models import Goal
from doum.metrics.views import feedback
from doum.metrics.views.building import (
    agent_rows as build_agent_rows,
)
from doum.metrics.views.building import (
    backlog_chart,
    compare,
    figure,
    series_chart,
)
from doum.metrics.views.common import (
    HOME,
    ROLES,
    FilterState,
    clean_params,
    fmt_count,
    fmt_instant,
    fmt_metric,
    load_filters,
    page_context,
    value_of,
    viewer_team_ids,
)
from doum.sla.models import TicketSla
from doum.surveys import analysis
from doum.tickets.models import UNSOLVED_STATUSES
from doum.tickets.selectors import visible_tickets

AGENT_METRICS = (
    "solved",
    "first_reply@median",
    "full_resolution@median",
    "one_touch_rate",
    "reopened",
    "sla_rate",
)


@require_GET
@staff_page
def index(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    key = HOME.get(viewer.role, "agent")
    return HttpResponseRedirect(reverse(f"metrics:{key}"))


def _error_page(request: HttpRequest, context: dict[str, Any], template: str) -> HttpResponse:
    return render_page(request, template, context, status=400)


@require_GET
@staff_page_for(ROLES["agent"])
def agent_dashboard(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    now = clock.now()
    params = clean_params(request, {"period": "this_week"})
    if viewer.role == Role.AGENT or not params.get("agent"):
        params["agent"] = str(viewer.pk)  # an agent sees their own numbers only
    state = load_filters(viewer, params, now)
    context = page_context(viewer, state, "agent", _("My numbers"))
    if state.filters is None:
        return _error_page(request, context, "metrics/agent.html")
    mine = state.filters
    agent_ids = mine.agent_ids or (viewer.pk,)
    who = User.objects.filter(pk=agent_ids[0]).first() or viewer
    team_ids = tuple(viewer_team_ids(who))
    team = replace(mine, agent_ids=(), team_ids=mine.team_ids or team_ids)
    team_params = {"agent": ""}
    if not params.get("team") and team_ids:
        team_params["team"] = ",".join(str(t) for t in team_ids)
    my_summary = queries.summary(mine)
    team_summary = queries.summary(team)
    team_size = max(
        TeamMembership.objects.filter(team_id__in=team.team_ids, user__is_active=True)
        .values("user_id")
        .distinct()
        .count(),
        1,
    )
    goals = _goals(who, team_ids)
    figures = []
    for metric in AGENT_METRICS:
        fig = figure(state, my_summary, metric)
        compare(fig, state, team_summary, metric, _("Team"), per=team_size)
        goal = goals.get(metric)
        if goal is not None:
            fig.goal_text = fmt_metric(metric, goal.target)
            value = value_of(my_summary, metric)
            if value is not None:
                fig.goal_met = (
                    value >= goal.target if goal.higher_is_better else (value <= goal.target)
                )
        figures.append(fig)
    figures += feedback.survey_figures(
        state,
        analysis.scores(mine),
        compare=analysis.scores(team),
        compare_label=_("Team"),
        kinds=("csat",),
    )
    trend_filters = replace(mine, start=min(mine.start, mine.end - timedelta(weeks=8)))
    context.update(
        who=who,
        figures=figures,
        charts=[
            series_chart(
                "agent-solved", _("Solved per week"), state, trend_filters, ["solved"], "week"
            ),
            series_chart(
                "agent-frt",
                _("First reply time per week (median)"),
                state,
                trend_filters,
                ["first_reply@median", "full_resolution@median"],
                "week",
            ),
        ],
        team_link=state.query(**team_params),
    )
    return render_page(request, "metrics/agent.html", context)


def _goals(who: User, team_ids: tuple[int, ...]) -> dict[str, Goal]:
    """The agent's own goals, else their team's (the first team's, by id)."""
    found: dict[str, Goal] = {}
    for goal in Goal.objects.filter(team_id__in=team_ids, agent__isnull=True).order_by("-team_id"):
        found[goal.metric] = goal
    for goal in Goal.objects.filter(agent=who):
        found[goal.metric] = goal
    return found


TEAM_METRICS = (
    "created",
    "solved",
    "first_reply@median",
    "full_resolution@median",
    "one_touch_rate",
    "sla_rate",
)


@require_GET
@staff_page_for(ROLES["team"])
def team_dashboard(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    now = clock.now()
    params = clean_params(request, {"period": "this_week"})
    state = load_filters(viewer, params, now)
    context = page_context(viewer, state, "team", _("Team"))
    if state.filters is None:
        return _error_page(request, context, "metrics/team.html")
    week = state.filters
    today_params = {"period": "today", "from": "", "to": ""}
    today = load_filters(viewer, {**params, **today_params}, now).filters or week
    today_summary = queries.summary(today)
    week_summary = queries.summary(week)
    figures = []
    for metric in TEAM_METRICS:
        fig = figure(state, today_summary, metric, overrides=today_params)
        compare(fig, state, week_summary, metric, _("Period"))
        figures.append(fig)
    figures += feedback.survey_figures(
        replace(state, params={**state.params, **today_params}),
        analysis.scores(today),
        compare=analysis.scores(week),
        compare_label=_("Period"),
        kinds=("csat",),
    )
    backlog = queries.backlog_at(week, now)
    agents = queries.breakdown(week, "agent", queries.AGENT_TABLE)
    context.update(
        figures=figures,
        week_links={m: state.drill(m.split("@")[0].replace("_rate", "")) for m in TEAM_METRICS},
        backlog=backlog,
        backlog_text=fmt_count(backlog.total),
        backlog_href=state.drill("backlog"),
        charts=[backlog_chart("team-backlog", state, backlog)],
        at_risk=_sla_now(viewer, week),
        agent_rows=build_agent_rows(state, agents, feedback.csat_by_agent(week)),
        workload=_workload(viewer, week, state),
        now_text=fmt_instant(now, week.zone),
    )
    return render_page(request, "metrics/team.html", context)


def _scoped_open(viewer: User, filters: queries.Filters) -> Any:
    tickets = visible_tickets(viewer).filter(status__in=UNSOLVED_STATUSES, is_spam=False)
    if filters.team_ids:
        tickets = tickets.filter(team_id__in=filters.team_ids)
    if filters.agent_ids:
        tickets = tickets.filter(assignee_id__in=filters.agent_ids)
    if filters.channels:
        tickets = tickets.filter(channel__in=filters.channels)
    if filters.priorities:
        tickets = tickets.filter(priority__in=filters.priorities)
    return tickets


def _sla_now(viewer: User, filters: queries.Filters) -> dict[str, Any]:
    """Open tickets at risk of or past an SLA breach, right now (live, not rolled up)."""
    tickets = _scoped_open(viewer, filters)
    slas = (
        TicketSla.objects.filter(ticket__in=tickets.values("pk"))
        .filter(at_risk=True)
        .union(TicketSla.objects.filter(ticket__in=tickets.values("pk"), breached=True))
    )
    ids = [s.pk for s in slas]
    rows = (
        TicketSla.objects.filter(pk__in=ids)
        .select_related("ticket", "ticket__assignee", "policy")
        .order_by("next_deadline", "ticket_id")
    )
    listed = []
    for sla in rows[:50]:
        listed.append(
            {
                "ticket": sla.ticket,
                "breached": sla.breached,
                "deadline": fmt_instant(sla.next_deadline, filters.zone)
                if sla.next_deadline
                else "—",
                "policy": sla.policy.name if sla.policy else "",
            }
        )
    return {
        "rows": listed,
        "at_risk": sum(1 for s in rows if s.at_risk and not s.breached),
        "breached": sum(1 for s in rows if s.breached),
        "total": len(ids),
    }


def _workload(viewer: User, filters: queries.Filters, state: FilterState) -> list[dict[str, Any]]:
    """Unsolved tickets assigned to each agent now."""
    counts = (
        _scoped_open(viewer, filters)
        .filter(assignee__isnull=False)
        .values("assignee_id", "assignee__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "assignee__name")
    )
    peak = max((c["n"] for c in counts), default=1)
    return [
        {
            "name": c["assignee__name"],
            "count": fmt_count(c["n"]),
            "n": c["n"],
            "peak": peak,
            "drill": state.drill("backlog", agent=str(c["assignee_id"])),
        }
        for c in counts
    ]


urlpatterns: list[URLPattern] = [
    path("", index, name="index"),
    path("agent/", agent_dashboard, name="agent"),
    path("team/", team_dashboard, name="team"),
]
