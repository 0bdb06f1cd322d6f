"""What a dashboard report holds, read from `doum.metrics.queries` (the one read API), and the
analytics tables exported as CSV/XLSX.

Everything here is computed for one viewer: filters are parsed as they are for the dashboard
pages and narrowed with `scope_filters`, so a report never shows more than its viewer may see.
Texts are translated in the active language (reports wrap the call in
`translation.override`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from doum.accounts.models import User
from doum.core.errors import InvalidInput
from doum.metrics import queries
from doum.metrics.queries import BreakdownRow, Filters, Series, Summary
from doum.reports.exports import Cell

DASHBOARDS = ("team", "operations", "executive")
# The breakdown each dashboard charts beside the per-agent table.
CHART_DIMENSION = {"team": "channel", "operations": "priority", "executive": "team"}
SERIES_METRICS = {
    "team": ("created", "solved"),
    "operations": ("created", "solved", "first_reply@median"),
    "executive": ("created", "solved", "sla_rate"),
}
MAX_PARAM_LENGTH = 200


def dashboard_title(key: str) -> str:
    return {
        "team": _("Team lead dashboard"),
        "operations": _("Operations dashboard"),
        "executive": _("Executive summary"),
    }[key]


def filters_for(viewer: User, params: Mapping[str, str], now: datetime) -> Filters:
    """The dashboard filters of a query string, narrowed to what the viewer may see."""
    clean = {str(k)[:40]: str(v)[:MAX_PARAM_LENGTH] for k, v in params.items()}
    try:
        filters = queries.parse_filters(clean, viewer=viewer, now=now)
    except queries.FilterError as error:
        raise InvalidInput(str(error), field=error.field) from error
    return queries.scope_filters(viewer, filters)


@dataclass
class ReportData:
    dashboard: str
    title: str
    filters: Filters
    generated_at: datetime
    summary: Summary
    series: list[Series] = field(default_factory=list)
    agents: list[BreakdownRow] = field(default_factory=list)
    chart_dimension: str = ""
    chart_rows: list[BreakdownRow] = field(default_factory=list)


def period_for(filters: Filters) -> queries.Period:
    days = (filters.end - filters.start).days
    if days <= 45:
        return "day"
    if days <= 200:
        return "week"
    return "month"


def gather(dashboard: str, filters: Filters, now: datetime) -> ReportData:
    if dashboard not in DASHBOARDS:
        raise InvalidInput(_("Unknown dashboard."), field="dashboard")
    period = period_for(filters)
    dimension = CHART_DIMENSION[dashboard]
    return ReportData(
        dashboard=dashboard,
        title=dashboard_title(dashboard),
        filters=filters,
        generated_at=now,
        summary=queries.summary(filters),
        series=[queries.series(filters, m, period) for m in SERIES_METRICS[dashboard]],
        agents=queries.breakdown(filters, "agent", queries.AGENT_TABLE),
        chart_dimension=dimension,
        chart_rows=queries.breakdown(filters, dimension),
    )


# --- figures as people read them -----------------------------------------------------------


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    h, m = divmod(minutes, 60)
    if h < 48:
        return _("%(h)d h %(m)d min") % {"h": h, "m": m}
    return _("%(d).1f days") % {"d": minutes / 1440}


def percent_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def summary_figures(s: Summary) -> list[tuple[str, str]]:
    frt = s.durations.get("first_reply")
    full = s.durations.get("full_resolution")
    return [
        (_("Created"), f"{s.created:,}"),
        (_("Solved"), f"{s.solved:,}"),
        (_("Unsolved at the end"), f"{s.backlog_end:,}"),
        (_("First reply, median"), duration_text(frt.median if frt else None)),
        (_("Full resolution, median"), duration_text(full.median if full else None)),
        (_("SLA attained"), percent_text(s.sla_rate)),
        (_("One-touch"), percent_text(s.one_touch_rate)),
        (_("Reopened"), percent_text(s.reopen_rate)),
    ]


# --- tables (CSV / XLSX) ----------------------------------------------------------------------


def breakdown_header(dimension_label: str) -> list[Cell]:
    return [
        dimension_label,
        _("Created"),
        _("Solved"),
        _("Unsolved at the end"),
        _("Agent replies"),
        _("First reply, median (hours)"),
        _("First reply, p90 (hours)"),
        _("Full resolution, median (hours)"),
        _("Full resolution, p90 (hours)"),
        _("One-touch %"),
        _("Reopened"),
        _("Reopen %"),
        _("SLA %"),
    ]


def breakdown_row(row: BreakdownRow) -> list[Cell]:
    s = row.summary
    frt = s.durations.get("first_reply")
    full = s.durations.get("full_resolution")
    return [
        row.label,
        s.created,
        s.solved,
        s.backlog_end,
        s.agent_replies,
        hours(frt.median if frt else None),
        hours(frt.p90 if frt else None),
        hours(full.median if full else None),
        hours(full.p90 if full else None),
        percent(s.one_touch_rate),
        s.reopened,
        percent(s.reopen_rate),
        percent(s.sla_rate),
    ]


DIMENSION_LABELS = {
    "agent": "Agent",
    "team": "Team",
    "channel": "Channel",
    "priority": "Priority",
    "type": "Type",
    "organization": "Organization",
    "tag": "Tag",
}


def dimension_label(dimension: str) -> str:
    labels = {
        "agent": _("Agent"),
        "team": _("Team"),
        "channel": _("Channel"),
        "priority": _("Priority"),
        "type": _("Type"),
        "organization": _("Organization"),
        "tag": _("Tag"),
    }
    if dimension.startswith("custom:"):
        return dimension[len("custom:") :]
    return labels.get(dimension, dimension)


def valid_dimension(dimension: str) -> str:
    if dimension in DIMENSION_LABELS:
        return dimension
    key = dimension[len("custom:") :] if dimension.startswith("custom:") else ""
    if key and len(key) <= 60 and key.replace("_", "").isalnum() and key.isascii():
        return dimension
    raise InvalidInput(_("Unknown breakdown “%(by)s”.") % {"by": dimension[:60]}, field="by")


def valid_series_metric(metric: str) -> str:
    simple = ("created", "solved", "backlog", "sla_rate", "one_touch_rate", "reopen_rate")
    if metric in simple:
        return metric
    name, _sep, stat = metric.partition("@")
    if name in queries.DURATIONS and stat in ("median", "p90", "mean"):
        return metric
    raise InvalidInput(_("Unknown metric “%(metric)s”.") % {"metric": metric[:60]}, field="metric")


def series_table(series: Series) -> tuple[list[Cell], list[list[Cell]]]:
    is_duration = "@" in series.metric
    is_rate = series.metric.endswith("_rate")
    unit = _(" (hours)") if is_duration else " %" if is_rate else ""
    header: list[Cell] = [_("Period start"), f"{series.metric}{unit}", _("Tickets")]
    rows: list[list[Cell]] = []
    for p in series.points:
        value: Cell = p.value
        if is_duration:
            value = hours(p.value)
        elif is_rate:
            value = percent(p.value)
        rows.append([p.start, value, p.n])
    return header, rows
