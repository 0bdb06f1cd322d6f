"""The director's executive summary and its one-page printable view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from doum.accounts.models import User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.web import current_user, render_page, staff_page_for
from doum.metrics import queries
from doum.metrics.models import AnalyticsSettings
from doum.metrics.queries import Filters
from doum.metrics.views import feedback
from doum.metrics.views.building import compare, figure, series_chart
from doum.metrics.views.common import (
    ROLES,
    Figure,
    clean_params,
    fmt_count,
    fmt_instant,
    fmt_money,
    fmt_number,
    load_filters,
    page_context,
    period_for,
    period_text,
    previous_period,
    weeks_in,
)
from doum.surveys import analysis

EXECUTIVE_METRICS = ("created", "solved", "backlog_end", "sla_rate", "first_reply@median")
AGENT_ROLES = (Role.AGENT, Role.TEAM_LEAD)


def analytics_settings() -> AnalyticsSettings:
    return AnalyticsSettings.objects.filter(pk=1).first() or AnalyticsSettings(pk=1)


def agents_in_scope(filters: Filters) -> int:
    """Active agents and team leads the filters cover (the agents chosen, else the teams'
    members, else every one)."""
    agents = User.objects.filter(is_active=True, role__in=AGENT_ROLES)
    if filters.agent_ids:
        agents = agents.filter(pk__in=filters.agent_ids)
    elif filters.team_ids:
        agents = agents.filter(teams__in=filters.team_ids)
    return agents.distinct().count()


def cost_per_ticket(filters: Filters, solved: int) -> dict[str, Any]:
    """hourly cost × paid hours per week × weeks in the period × agents ÷ solved tickets."""
    settings = analytics_settings()
    weeks = Decimal(str(round(weeks_in(filters), 4)))
    agents = agents_in_scope(filters)
    cost = settings.hourly_cost * settings.paid_hours_per_week * weeks * agents
    per_ticket = float(cost / solved) if solved and settings.hourly_cost else None
    return {
        "text": fmt_money(per_ticket, settings.currency),
        "total": fmt_money(float(cost), settings.currency),
        "agents": fmt_count(agents),
        "weeks": fmt_number(float(weeks), 1),
        "hours": fmt_number(float(settings.paid_hours_per_week), 1),
        "hourly": fmt_money(float(settings.hourly_cost), settings.currency),
        "configured": bool(settings.hourly_cost),
        "solved": fmt_count(solved),
    }


def _context(request: HttpRequest, current: str) -> tuple[dict[str, Any], int]:
    viewer = current_user(request)
    now = clock.now()
    params = clean_params(request, {"period": "last_30_days"})
    state = load_filters(viewer, params, now)
    context = page_context(viewer, state, "executive", _("Executive summary"))
    context["print_query"] = state.query()
    if state.filters is None:
        return context, 400
    filters = state.filters
    before = previous_period(filters)
    now_summary = queries.summary(filters)
    before_summary = queries.summary(before)
    figures: list[Figure] = []
    for metric in EXECUTIVE_METRICS:
        fig = figure(state, now_summary, metric)
        compare(
            fig,
            state,
            before_summary,
            metric,
            _("Previous period"),
            change_from=before_summary,
            now=now_summary,
        )
        figures.append(fig)
    figures += feedback.survey_figures(
        state,
        analysis.scores(filters),
        compare=analysis.scores(before),
        compare_label=_("Previous period"),
        change=True,
    )
    period = period_for(filters)
    context.update(
        figures=figures,
        previous_text=period_text(before),
        cost=cost_per_ticket(filters, now_summary.solved),
        cost_href=state.drill("solved"),
        charts=[
            series_chart(
                "exec-volume",
                _("Ticket volume"),
                state,
                filters,
                ["created", "solved", "backlog"],
                period,
            ),
            series_chart(
                "exec-sla",
                _("SLA attained"),
                state,
                filters,
                ["sla_rate"],
                period,
                unit_label="%",
            ),
            feedback.trend_charts(state, filters)[0],
        ],
        generated=fmt_instant(now, filters.zone),
        source=now_summary.source,
    )
    return context, 200


@require_GET
@staff_page_for(ROLES["executive"])
def executive_dashboard(request: HttpRequest) -> HttpResponse:
    context, status = _context(request, "executive")
    return render_page(request, "metrics/executive.html", context, status=status)


@require_GET
@staff_page_for(ROLES["executive"])
def executive_print(request: HttpRequest) -> HttpResponse:
    context, status = _context(request, "executive")
    return render_page(request, "metrics/executive_print.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("executive/", executive_dashboard, name="executive"),
    path("executive/print/", executive_print, name="executive_print"),
]
