"""The performance manager's / operations dashboard: trends against the previous period,
distributions, the hour × weekday heatmap, time per status, agents side by side, and SLA
attainment by policy and target."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from doum.core import clock
from doum.core.web import current_user, render_page, staff_page_for
from doum.metrics import queries
from doum.metrics.queries import DURATIONS
from doum.metrics.views import feedback
from doum.metrics.views.building import (
    agent_rows,
    agents_chart,
    compare,
    figure,
    heatmap_chart,
    histogram_chart,
    series_chart,
    status_chart,
)
from doum.metrics.views.common import (
    DURATION_LABELS,
    ROLES,
    clean_params,
    fmt_count,
    fmt_duration,
    fmt_rate,
    load_filters,
    page_context,
    period_for,
    period_text,
    previous_period,
)
from doum.surveys import analysis

OPERATIONS_METRICS = (
    "created",
    "solved",
    "backlog_end",
    "first_reply@median",
    "full_resolution@median",
    "one_touch_rate",
    "reopen_rate",
    "sla_rate",
)


@require_GET
@staff_page_for(ROLES["operations"])
def operations_dashboard(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    params = clean_params(request, {"period": "last_30_days"})
    dist = request.GET.get("dist", "first_reply")
    if dist not in DURATIONS or dist == "next_reply":
        dist = "first_reply"
    state = load_filters(viewer, params, clock.now())
    context = page_context(viewer, state, "operations", _("Operations"))
    context["dist"] = dist
    if state.filters is None:
        return render_page(request, "metrics/operations.html", context, status=400)
    filters = state.filters
    before = previous_period(filters)
    now_summary = queries.summary(filters)
    before_summary = queries.summary(before)
    figures = []
    for metric in OPERATIONS_METRICS:
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
    breakdown = queries.breakdown(filters, "agent", queries.AGENT_TABLE)
    context.update(
        figures=figures,
        previous_text=period_text(before),
        trend_charts=[
            series_chart(
                "ops-volume", _("Created and solved"), state, filters, ["created", "solved"], period
            ),
            series_chart(
                "ops-frt",
                _("First reply time: median and p90"),
                state,
                filters,
                ["first_reply@median", "first_reply@p90"],
                period,
            ),
        ],
        distributions=_distributions(state, now_summary),
        histogram=histogram_chart("ops-histogram", viewer, state, filters, dist),
        dist_choices=[(d, DURATION_LABELS[d]) for d in DURATIONS if d != "next_reply"],
        heatmap=heatmap_chart("ops-heatmap", state, queries.heatmap(filters)),
        status_chart=status_chart("ops-status", state, now_summary),
        agent_rows=agent_rows(state, breakdown, feedback.csat_by_agent(filters)),
        agents_chart=agents_chart("ops-agents", state, breakdown),
        sla_rows=_sla_rows(state, queries.sla_attainment(filters)),
        source=now_summary.source,
    )
    return render_page(request, "metrics/operations.html", context)


def _distributions(state: Any, summary: queries.Summary) -> list[dict[str, Any]]:
    rows = []
    for name in DURATIONS:
        found = summary.durations.get(name)
        rows.append(
            {
                "name": name,
                "label": DURATION_LABELS[name],
                "n": fmt_count(found.n if found else 0),
                "median": fmt_duration(found.median if found else None),
                "p90": fmt_duration(found.p90 if found else None),
                "mean": fmt_duration(found.mean if found else None),
                "href": state.drill(name),
            }
        )
    return rows


TARGET_LABELS = {
    "first_reply": DURATION_LABELS["first_reply"],
    "next_reply": DURATION_LABELS["next_reply"],
}


def _sla_rows(state: Any, rows: list[queries.SlaRow]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        total = row.met + row.breached
        out.append(
            {
                "policy": row.policy_name or _("No policy"),
                "target": str(DURATION_LABELS.get(row.target, row.target)),
                "met": fmt_count(row.met),
                "breached": fmt_count(row.breached),
                "rate": fmt_rate(row.met / total if total else None),
                "href": state.drill("sla_breached"),
            }
        )
    return out


urlpatterns: list[URLPattern] = [
    path("operations/", operations_dashboard, name="operations"),
]
