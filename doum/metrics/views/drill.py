"""The tickets behind a number (/analytics/tickets/?metric=<name>&<the dashboard's filters>):
the same tickets the figure counts (`queries.drill_down`), each with the metric's value,
100 at a time, newest first, with a link to the next page."""

from __future__ import annotations

import statistics
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from doum.core import clock
from doum.core.web import current_user, render_page, staff_page_for
from doum.metrics import queries
from doum.metrics.models import TicketMetrics
from doum.metrics.queries import DURATIONS, Filters
from doum.metrics.views.common import (
    ANALYTICS_ANY,
    HOME,
    clean_params,
    fmt_count,
    fmt_duration,
    fmt_instant,
    load_filters,
    metric_label,
    page_context,
)
from doum.tickets.models import Ticket

PAGE_SIZE = 100
COUNTS = (
    "created",
    "solved",
    "backlog",
    "reopened",
    "one_touch",
    "two_touch",
    "sla_met",
    "sla_breached",
    "agent_replies",
)
METRICS = (*COUNTS, *DURATIONS)


def _value(metric: str, metrics: TicketMetrics | None, ticket: Ticket, filters: Filters) -> str:
    """The metric's value for one ticket, as the figure counted it."""
    if metric == "created":
        return fmt_instant(ticket.created_at, filters.zone)
    if metrics is None:
        return "—"
    if metric == "solved":
        return fmt_instant(metrics.solved_at, filters.zone) if metrics.solved_at else "—"
    if metric == "backlog":
        return fmt_duration((min(filters.end, clock.now()) - metrics.created_at).total_seconds())
    if metric == "reopened":
        return fmt_count(metrics.reopens)
    if metric in {"one_touch", "two_touch", "agent_replies"}:
        return _("%(n)s agent replies") % {"n": fmt_count(metrics.agent_replies)}
    if metric in {"sla_met", "sla_breached"}:
        wanted = "met" if metric == "sla_met" else "breached"
        targets = [k for k, v in (metrics.sla or {}).items() if v == wanted]
        return ", ".join(str(metric_label(t)) for t in targets) or "—"
    if metric == "next_reply":
        index = 2 if filters.business else 1
        values = [r[index] for r in metrics.next_replies or [] if r[index] is not None]
        return fmt_duration(statistics.median(values)) if values else "—"
    suffix = "_bs" if filters.business else "_s"
    seconds = getattr(metrics, f"{metric}{suffix}", None)
    return fmt_duration(seconds)


def _narrow_to_cell(tickets: Any, params: dict[str, str], zone: str) -> tuple[Any, str]:
    """A heatmap cell: only the tickets created on that local weekday (0 = Monday) and hour."""
    weekday, hour = params.get("weekday", ""), params.get("hour", "")
    if not (weekday.isdigit() and hour.isdigit()):
        return tickets, ""
    day, hour_n = int(weekday), int(hour)
    if not (0 <= day <= 6 and 0 <= hour_n <= 23):
        return tickets, ""
    with timezone.override(zone):
        tickets = tickets.filter(created_at__iso_week_day=day + 1, created_at__hour=hour_n)
        # The zone is read when the query is compiled: evaluate it inside the override.
        tickets = Ticket.objects.filter(pk__in=list(tickets.values_list("pk", flat=True)))
    return tickets, f"{hour_n:02d}:00"


@require_GET
@staff_page_for(ANALYTICS_ANY)
def drill_down(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    params = clean_params(request, {"period": "last_30_days"})
    metric = request.GET.get("metric", "")[:40]
    state = load_filters(viewer, params, clock.now())
    state.params["metric"] = metric
    for key in ("weekday", "hour"):
        if request.GET.get(key, "")[:2].isdigit():
            state.params[key] = request.GET[key][:2]
    context: dict[str, Any] = page_context(viewer, state, HOME.get(viewer.role, "agent"), "")
    context.update(metric=metric, metric_label=metric_label(metric) if metric else "")
    context["title"] = _("Tickets behind: %(metric)s") % {"metric": context["metric_label"]}
    if metric not in METRICS:
        context["state"].error = _("Choose which number to list: “%(metric)s” is not one.") % {
            "metric": metric
        }
        context["filters"] = None
        return render_page(request, "metrics/drill.html", context, status=400)
    if state.filters is None:
        return render_page(request, "metrics/drill.html", context, status=400)
    filters = state.filters
    try:
        tickets = queries.drill_down(viewer, filters, metric)
    except queries.FilterError as error:
        state.error = str(error)
        return render_page(request, "metrics/drill.html", context, status=400)
    tickets, cell = _narrow_to_cell(tickets, state.params, filters.zone)
    total = tickets.count()
    after = request.GET.get("after", "")
    page = tickets.order_by("-pk")
    if after.isdigit() and len(after) < 16:
        page = page.filter(pk__lt=int(after))
    rows = list(page.select_related("assignee", "team")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    found = {m.pk: m for m in TicketMetrics.objects.filter(ticket_id__in=[t.pk for t in rows])}
    context.update(
        total=total,
        total_text=fmt_count(total),
        cell=cell,
        rows=[
            {
                "ticket": t,
                "url": reverse("tickets:ticket", args=[t.pk]),
                "value": _value(metric, found.get(t.pk), t, filters),
                "created": fmt_instant(t.created_at, filters.zone),
            }
            for t in rows
        ],
        next_url=(
            reverse("metrics:drill") + "?" + state.query(after=str(rows[-1].pk))
            if more and rows
            else ""
        ),
        first_url=reverse("metrics:drill") + "?" + state.query() if after else "",
    )
    return render_page(request, "metrics/drill.html", context)


urlpatterns: list[URLPattern] = [path("tickets/", drill_down, name="drill")]
