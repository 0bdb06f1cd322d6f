"""Server-side SVG charts for the analytics dashboards.

Each builder returns a `Chart`: the SVG markup (safe to put in a page under the strict CSP: no
script, no style attribute; colours are SVG presentation attributes), and the same numbers as
a table for the accessible fallback (`<details>` under the chart). Every mark carries a
`<title>` tooltip and `data-tip` / `data-series` attributes that `static/metrics/charts.js`
uses for the hover box and series toggling; a mark with an `href` is wrapped in a link to
the drill-down of its number.

Values arrive already formatted by the caller (`Datum.text`) so the charts need not know
about languages, units or time zones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe palette (Okabe–Ito), one per series.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999999")
HEAT = "#0072b2"

WIDTH = 640
HEIGHT = 240
PAD_LEFT = 48
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 36


@dataclass(frozen=True)
class Datum:
    label: str  # what the mark is (x label, bin, cell), formatted for people
    value: float | None  # the number that sizes the mark; None = no data
    text: str  # the value formatted for people ("1h 20m", "42 %")
    href: str = ""  # the drill-down behind the number


@dataclass(frozen=True)
class Line:
    key: str  # stable id for toggling ("created")
    name: str  # legend text
    points: Sequence[Datum]


@dataclass(frozen=True)
class Segment:
    key: str
    name: str
    datum: Datum


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # "line", "bar", "histogram", "heatmap", "stacked"
    svg: SafeString
    columns: list[str] = field(default_factory=list)  # fallback table header
    rows: list[list[str]] = field(default_factory=list)  # fallback table cells
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # (key, name, colour)

    @property
    def empty(self) -> bool:
        return not self.rows


def _attr(value: object) -> str:
    return str(escape(str(value)))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_max(value: float, *, integer: bool = False) -> float:
    """A round axis maximum at or above ``value``: four equal steps of 1, 2, 2.5 or 5 × 10^n
    (whole steps for counts)."""
    if value <= 0:
        return 4.0 if integer else 1.0
    raw = value / 4
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if integer and step < 1:
            continue
        if integer and step != int(step):
            continue
        if step >= raw:
            return 4 * step
    return 4 * 10 * magnitude  # pragma: no cover - the loop always returns


def _tick(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, kind: str, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg class="chart-svg chart-{kind}" id="{_attr(chart_id)}-svg" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{_attr(chart_id)}-title" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{_attr(chart_id)}-title">{_attr(title)}</title>',
    ]


def _mark(shape: str, datum: Datum, series: str, tip: str, attrs: str) -> str:
    """One data mark with its tooltip, wrapped in a link when it has a drill-down."""
    body = (
        f'<{shape} class="mark" data-series="{_attr(series)}" data-tip="{_attr(tip)}" '
        f'data-value="{_attr(datum.text)}" {attrs}><title>{_attr(tip)}</title></{shape}>'
    )
    if datum.href:
        return f'<a href="{_attr(datum.href)}" class="mark-link">{body}</a>'
    return body


def _y_axis(parts: list[str], top: float, plot_h: float, maximum: float, label: str) -> None:
    for i in range(5):
        fraction = i / 4
        y = top + plot_h - fraction * plot_h
        parts.append(
            f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{_num(y)}" '
            f'y2="{_num(y)}" stroke="#e3e6ea" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="axis" x="{PAD_LEFT - 6}" y="{_num(y + 4)}" text-anchor="end" '
            f'font-size="11" fill="#5b6470">{_attr(_tick(maximum * fraction))}</text>'
        )
    if label:
        parts.append(
            f'<text class="axis-label" x="4" y="{PAD_TOP - 2}" font-size="10" '
            f'fill="#5b6470">{_attr(label)}</text>'
        )


def _x_labels(parts: list[str], xs: Sequence[float], labels: Sequence[str], y: float) -> None:
    every = -(-len(labels) // 10) if len(labels) > 12 else 1
    for index, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if index % every:
            continue
        parts.append(
            f'<text class="axis" x="{_num(x)}" y="{_num(y)}" text-anchor="middle" '
            f'font-size="11" fill="#5b6470">{_attr(label)}</text>'
        )


def line_chart(
    chart_id: str,
    title: str,
    lines: Sequence[Line],
    *,
    unit_label: str = "",
    integer: bool = False,
) -> Chart:
    """Lines over the same x labels (the first line's labels), one toggleable series each."""
    labels = [d.label for d in lines[0].points] if lines else []
    values = [d.value for line in lines for d in line.points if d.value is not None]
    maximum = _nice_max(max(values, default=0.0), integer=integer)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    n = len(labels)
    xs = [PAD_LEFT + (plot_w * (i + 0.5) / n if n else 0) for i in range(n)]
    parts = _open(chart_id, title, "line")
    _y_axis(parts, PAD_TOP, plot_h, maximum, unit_label)
    _x_labels(parts, xs, labels, HEIGHT - PAD_BOTTOM + 16)
    legend = []
    for index, line in enumerate(lines):
        colour = PALETTE[index % len(PALETTE)]
        legend.append((line.key, line.name, colour))
        parts.append(f'<g class="series" data-series="{_attr(line.key)}">')
        coords = []
        for x, datum in zip(xs, line.points, strict=False):
            if datum.value is None:
                continue
            y = PAD_TOP + plot_h - (datum.value / maximum) * plot_h
            coords.append((x, y, datum))
        if len(coords) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y, _ in coords)
            parts.append(
                f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
        for x, y, datum in coords:
            tip = f"{line.name} · {datum.label}: {datum.text}"
            parts.append(
                _mark(
                    "circle",
                    datum,
                    line.key,
                    tip,
                    f'cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{colour}" stroke="#fff" '
                    'stroke-width="1"',
                )
            )
        parts.append("</g>")
    parts.append("</svg>")
    columns = ["", *(line.name for line in lines)]
    rows = [
        [label, *(line.points[i].text if i < len(line.points) else "" for line in lines)]
        for i, label in enumerate(labels)
    ]
    return Chart(chart_id, title, "line", mark_safe("".join(parts)), columns, rows, legend)  # noqa: S308


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Datum],
    *,
    series: str = "value",
    series_name: str = "",
    kind: str = "bar",
    unit_label: str = "",
    integer: bool = True,
) -> Chart:
    """Vertical bars, one per datum (a histogram is bars over bins: ``kind="histogram"``)."""
    values = [d.value for d in bars if d.value is not None]
    maximum = _nice_max(max(values, default=0.0), integer=integer)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    n = len(bars)
    slot = plot_w / n if n else plot_w
    gap = 1 if kind == "histogram" else slot * 0.2
    xs = [PAD_LEFT + slot * (i + 0.5) for i in range(n)]
    parts = _open(chart_id, title, kind)
    _y_axis(parts, PAD_TOP, plot_h, maximum, unit_label)
    _x_labels(parts, xs, [d.label for d in bars], HEIGHT - PAD_BOTTOM + 16)
    colour = PALETTE[0]
    parts.append(f'<g class="series" data-series="{_attr(series)}">')
    for x, datum in zip(xs, bars, strict=True):
        value = datum.value or 0.0
        h = (value / maximum) * plot_h
        tip = f"{series_name + ' · ' if series_name else ''}{datum.label}: {datum.text}"
        parts.append(
            _mark(
                "rect",
                datum,
                series,
                tip,
                f'x="{_num(x - slot / 2 + gap / 2)}" y="{_num(PAD_TOP + plot_h - h)}" '
                f'width="{_num(max(slot - gap, 1))}" height="{_num(max(h, 0.5))}" '
                f'fill="{colour}"',
            )
        )
    parts.append("</g></svg>")
    columns = ["", series_name or title]
    rows = [[d.label, d.text] for d in bars]
    legend = [(series, series_name, colour)] if series_name else []
    return Chart(chart_id, title, kind, mark_safe("".join(parts)), columns, rows, legend)  # noqa: S308


def heatmap(
    chart_id: str,
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[Datum]],
) -> Chart:
    """A grid (rows × columns, e.g. weekday × hour); darker cells hold more."""
    values = [d.value for row in cells for d in row if d.value is not None]
    maximum = max(values, default=0.0) or 1.0
    left = 40
    top = 8
    ncols = max(len(column_labels), 1)
    cell_w = (WIDTH - left - 8) / ncols
    cell_h = 22
    height = top + cell_h * len(row_labels) + 24
    parts = _open(chart_id, title, "heatmap", height=int(height))
    for r, (label, row) in enumerate(zip(row_labels, cells, strict=True)):
        y = top + r * cell_h
        parts.append(
            f'<text class="axis" x="{left - 6}" y="{_num(y + cell_h / 2 + 4)}" '
            f'text-anchor="end" font-size="11" fill="#5b6470">{_attr(label)}</text>'
        )
        for c, datum in enumerate(row):
            x = left + c * cell_w
            opacity = 0.06 + 0.94 * ((datum.value or 0.0) / maximum)
            parts.append(
                _mark(
                    "rect",
                    datum,
                    "count",
                    f"{datum.label or f'{label} {column_labels[c]}'}: {datum.text}",
                    f'x="{_num(x + 1)}" y="{_num(y + 1)}" width="{_num(cell_w - 2)}" '
                    f'height="{cell_h - 2}" fill="{HEAT}" fill-opacity="{opacity:.2f}"',
                )
            )
    for c, label in enumerate(column_labels):
        if c % 3 == 0:
            parts.append(
                f'<text class="axis" x="{_num(left + c * cell_w + cell_w / 2)}" '
                f'y="{_num(height - 8)}" text-anchor="middle" font-size="11" '
                f'fill="#5b6470">{_attr(label)}</text>'
            )
    parts.append("</svg>")
    columns = ["", *column_labels]
    rows = [[label, *(d.text for d in row)] for label, row in zip(row_labels, cells, strict=True)]
    return Chart(chart_id, title, "heatmap", mark_safe("".join(parts)), columns, rows)  # noqa: S308


def stacked_bars(chart_id: str, title: str, rows: Sequence[tuple[str, Sequence[Segment]]]) -> Chart:
    """Horizontal bars split into segments (e.g. time spent in each status), one row each."""
    totals = [sum((s.datum.value or 0.0) for s in segments) for _, segments in rows]
    maximum = max(totals, default=0.0) or 1.0
    left = 120
    bar_h = 26
    top = 8
    legend_keys: dict[str, tuple[str, str]] = {}
    for _, segments in rows:
        for segment in segments:
            if segment.key not in legend_keys:
                colour = PALETTE[len(legend_keys) % len(PALETTE)]
                legend_keys[segment.key] = (segment.name, colour)
    height = top + (bar_h + 8) * len(rows) + 8
    parts = _open(chart_id, title, "stacked", height=int(height))
    plot_w = WIDTH - left - 12
    for r, (label, segments) in enumerate(rows):
        y = top + r * (bar_h + 8)
        parts.append(
            f'<text class="axis" x="{left - 6}" y="{_num(y + bar_h / 2 + 4)}" '
            f'text-anchor="end" font-size="11" fill="#5b6470">{_attr(label)}</text>'
        )
        x = float(left)
        for segment in segments:
            width = ((segment.datum.value or 0.0) / maximum) * plot_w
            name, colour = legend_keys[segment.key]
            parts.append(f'<g class="series" data-series="{_attr(segment.key)}">')
            parts.append(
                _mark(
                    "rect",
                    segment.datum,
                    segment.key,
                    f"{label} · {name}: {segment.datum.text}",
                    f'x="{_num(x)}" y="{_num(y)}" width="{_num(max(width, 0))}" '
                    f'height="{bar_h}" fill="{colour}"',
                )
            )
            parts.append("</g>")
            x += width
    parts.append("</svg>")
    names = [name for name, _ in legend_keys.values()]
    table_rows = []
    for label, segments in rows:
        texts = {s.key: s.datum.text for s in segments}
        table_rows.append([label, *(texts.get(key, "") for key in legend_keys)])
    legend = [(key, name, colour) for key, (name, colour) in legend_keys.items()]
    return Chart(
        chart_id,
        title,
        "stacked",
        mark_safe("".join(parts)),  # noqa: S308
        ["", *names],
        table_rows,
        legend,
    )
