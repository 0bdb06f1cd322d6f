"""Turning the metrics' read API into what the dashboard templates show: figures with their
drill-down links and comparisons, and charts whose marks link to the tickets behind them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from doum.accounts.models import User
from doum.metrics import charts, queries
from doum.metrics.charts import Chart, Datum, Line
from doum.metrics.queries import Backlog, BreakdownRow, Filters, Heatmap, Series, Summary
from doum.metrics.views.common import (
    DURATION_LABELS,
    STATUS_LABELS,
    WEEKDAYS,
    Figure,
    FilterState,
    drill_metric,
    fmt_change,
    fmt_count,
    fmt_day,
    fmt_duration,
    fmt_metric,
    fmt_rate,
    metric_label,
    value_of,
)


def figure(
    state: FilterState,
    summary: Summary,
    metric: str,
    *,
    label: str = "",
    overrides: dict[str, str] | None = None,
) -> Figure:
    value = value_of(summary, metric)
    return Figure(
        key=metric,
        label=label or metric_label(metric),
        text=fmt_metric(metric, value),
        href=state.drill(drill_metric(metric), **(overrides or {})),
    )


def compare(
    fig: Figure,
    state: FilterState,
    other: Summary,
    metric: str,
    label: str,
    *,
    per: int = 1,
    change_from: Summary | None = None,
    now: Summary | None = None,
) -> Figure:
    """Add the comparison figure (team, previous period) and, with ``change_from``, the
    change between ``now`` and it."""
    value = value_of(other, metric)
    if value is not None and per > 1 and not ("@" in metric or metric.endswith("_rate")):
        value = value / per
        fig.compare_text = _("%(value)s per agent") % {
            "value": fmt_count(value) if value >= 10 else f"{value:.1f}"
        }
    else:
        fig.compare_text = fmt_metric(metric, value)
    fig.compare_label = label
    if change_from is not None and now is not None:
        fig.change_text, fig.change_dir = fmt_change(
            value_of(now, metric), value_of(change_from, metric)
        )
    return fig


def bucket_params(points: Sequence[queries.Point], index: int, filters: Filters) -> dict[str, str]:
    """The custom period (local days, ``to`` inclusive) of one series bucket."""
    start = points[index].start
    if index + 1 < len(points):
        last = points[index + 1].start - timedelta(days=1)
    else:
        last = (filters.end - timedelta(seconds=1)).astimezone(ZoneInfo(filters.zone)).date()
    start = max(start, filters.start.astimezone(_zone(filters)).date())
    return {"period": "custom", "from": start.isoformat(), "to": max(last, start).isoformat()}


def _zone(filters: Filters) -> ZoneInfo:
    return ZoneInfo(filters.zone)


def series_line(
    state: FilterState,
    filters: Filters,
    result: Series,
    *,
    name: str = "",
    overrides: dict[str, str] | None = None,
    key: str = "",
) -> Line:
    metric = result.metric
    points = []
    for index, point in enumerate(result.points):
        params = {**bucket_params(result.points, index, filters), **(overrides or {})}
        points.append(
            Datum(
                label=fmt_day(point.start),
                value=point.value,
                text=fmt_metric(metric, point.value),
                href=state.drill(drill_metric(metric), **params),
            )
        )
    return Line(key or metric.replace("@", "-"), name or metric_label(metric), points)


def series_chart(
    chart_id: str,
    title: str,
    state: FilterState,
    filters: Filters,
    metrics: Sequence[str],
    period: queries.Period,
    *,
    overrides: dict[str, str] | None = None,
    unit_label: str = "",
) -> Chart:
    lines = [
        series_line(state, filters, queries.series(filters, metric, period), overrides=overrides)
        for metric in metrics
    ]
    integer = False
    if any("@" in m for m in metrics) and not unit_label:
        unit_label = _("hours")
        lines = [_scaled(line, 1 / 3600) for line in lines]
    elif all(m.endswith("_rate") for m in metrics):
        lines = [_scaled(line, 100) for line in lines]
    else:
        integer = True
    return charts.line_chart(chart_id, title, lines, unit_label=unit_label, integer=integer)


def _scaled(line: Line, factor: float) -> Line:
    return Line(
        line.key,
        line.name,
        [
            Datum(d.label, None if d.value is None else d.value * factor, d.text, d.href)
            for d in line.points
        ],
    )


def backlog_chart(chart_id: str, state: FilterState, backlog: Backlog) -> Chart:
    bars = [
        Datum(label=label, value=float(count), text=fmt_count(count), href="")
        for label, _lower, count in backlog.ages
    ]
    return charts.bar_chart(
        chart_id,
        _("Backlog by age"),
        bars,
        series="backlog",
        series_name=_("Unsolved tickets"),
        kind="histogram",
    )


def heatmap_chart(chart_id: str, state: FilterState, result: Heatmap) -> Chart:
    hours = [f"{h:02d}" for h in range(24)]
    rows = []
    for weekday, counts in enumerate(result.counts[:7]):
        rows.append(
            [
                Datum(
                    label=f"{WEEKDAYS[weekday]} {hour:02d}:00",
                    value=float(count),
                    text=fmt_count(count),
                    href=state.drill("created", weekday=str(weekday), hour=str(hour)),
                )
                for hour, count in enumerate(counts[:24])
            ]
        )
    labels = [str(w) for w in WEEKDAYS[: len(rows)]]
    return charts.heatmap(chart_id, _("Tickets created by hour and weekday"), labels, hours, rows)


def status_chart(chart_id: str, state: FilterState, summary: Summary) -> Chart:
    rows = []
    for how, label in (("median", _("Median")), ("mean", _("Mean"))):
        segments = []
        for status, name in STATUS_LABELS.items():
            found = summary.status_seconds.get(status)
            value = getattr(found, how) if found else None
            segments.append(
                charts.Segment(
                    status,
                    str(name),
                    Datum(
                        label=str(name),
                        value=None if value is None else value / 3600,
                        text=fmt_duration(value),
                        href=state.drill("solved"),
                    ),
                )
            )
        rows.append((label, segments))
    return charts.stacked_bars(chart_id, _("Time spent in each status (solved tickets)"), rows)


def agent_rows(
    state: FilterState,
    rows: Sequence[BreakdownRow],
    csat: Mapping[str, Mapping[str, str]] | None = None,
) -> list[dict[str, object]]:
    """The per-agent table: every number links to that agent's tickets behind it; `csat`
    (agent id as text -> {"text", "n"}) adds each agent's CSAT, linked to the responses."""
    out = []
    for row in rows:
        s = row.summary
        over = {"agent": row.key} if row.key else {}
        frt = s.durations.get("first_reply")
        res = s.durations.get("full_resolution")
        out.append(
            {
                "key": row.key,
                "label": row.label or _("Unassigned"),
                "cells": [
                    (fmt_count(s.solved), state.drill("solved", **over)),
                    (fmt_duration(frt.median if frt else None), state.drill("first_reply", **over)),
                    (
                        fmt_duration(res.median if res else None),
                        state.drill("full_resolution", **over),
                    ),
                    (fmt_rate(s.one_touch_rate), state.drill("one_touch", **over)),
                    (fmt_count(s.reopened), state.drill("reopened", **over)),
                    (fmt_rate(s.sla_rate), state.drill("sla_breached", **over)),
                ],
                "solved": s.solved,
                "csat": _csat_cell(state, csat, row.key),
            }
        )
    return out


def _csat_cell(
    state: FilterState, csat: Mapping[str, Mapping[str, str]] | None, key: str
) -> dict[str, str] | None:
    found = (csat or {}).get(key or "")
    if not found:
        return None
    over = {"agent": key} if key else {}
    href = reverse("surveys:responses") + "?" + state.query(kind="csat", **over)
    return {"text": found["text"], "n": found["n"], "href": href}


def agents_chart(chart_id: str, state: FilterState, rows: Sequence[BreakdownRow]) -> Chart:
    bars = [
        Datum(
            label=row.label or _("Unassigned"),
            value=float(row.summary.solved),
            text=fmt_count(row.summary.solved),
            href=state.drill("solved", agent=row.key) if row.key else state.drill("solved"),
        )
        for row in rows
    ]
    return charts.bar_chart(
        chart_id, _("Solved tickets per agent"), bars, series="solved", series_name=_("Solved")
    )


# Histogram bins for durations: (label, lower bound seconds).
BINS: tuple[tuple[int, str], ...] = (
    (0, "<15m"),
    (15 * 60, "15m–1h"),
    (3600, "1–4h"),
    (4 * 3600, "4–8h"),
    (8 * 3600, "8–24h"),
    (86400, "1–3d"),
    (3 * 86400, "3–7d"),
    (7 * 86400, ">7d"),
)


def histogram_chart(
    chart_id: str, viewer: User, state: FilterState, filters: Filters, name: str
) -> Chart:
    """How a duration is spread over the tickets the figure counts (one aggregate query over
    the rows `queries.drill_rows` selects: the drill-down's tickets)."""
    column = f"{name}_bs" if filters.business else f"{name}_s"
    metrics = queries.drill_rows(viewer, filters, name)
    aggregates = {}
    for index, (lower, _label) in enumerate(BINS):
        condition = Q(**{f"{column}__gte": lower})
        if index + 1 < len(BINS):
            condition &= Q(**{f"{column}__lt": BINS[index + 1][0]})
        aggregates[f"b{index}"] = Count("pk", filter=condition)
    counts = metrics.aggregate(**aggregates) if metrics is not None and name != "next_reply" else {}
    bars = [
        Datum(
            label=label,
            value=float(counts.get(f"b{index}", 0) or 0),
            text=fmt_count(counts.get(f"b{index}", 0) or 0),
            href=state.drill(name),
        )
        for index, (_lower, label) in enumerate(BINS)
    ]
    title = _("Distribution: %(metric)s") % {"metric": DURATION_LABELS.get(name, name)}
    return charts.bar_chart(
        chart_id, title, bars, series=name, series_name=_("Tickets"), kind="histogram"
    )
