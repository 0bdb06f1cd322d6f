"""A dashboard report as PDF: summary figures, charts and the per-agent table.

Drawn with reportlab (platypus for the layout, reportlab.graphics for the charts). Text uses
reportlab's built-in CID fonts (HYGothic-Medium, HYSMyeongJo-Medium: Adobe's Korean fonts,
which every PDF reader resolves), so Korean renders without a font file in the repository or
on the server. Every text from the data (names, labels) is escaped before it reaches a
Paragraph, whose markup is XML.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from doum.metrics.queries import BreakdownRow, Series
from doum.reports.report_data import (
    ReportData,
    dimension_label,
    duration_text,
    percent_text,
    summary_figures,
)

FONT = "HYGothic-Medium"
SERIF = "HYSMyeongJo-Medium"
CONTENT_TYPE = "application/pdf"
MAX_TABLE_ROWS = 60  # the per-agent table on paper; the XLSX export has all of them
MAX_BARS = 12
LABEL_MAX = 40

INK = colors.HexColor("#1f2937")
ACCENT = colors.HexColor("#2563eb")
SECOND = colors.HexColor("#16a34a")
THIRD = colors.HexColor("#d97706")
RULE = colors.HexColor("#d1d5db")

_registered = False


def _fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        pdfmetrics.registerFont(UnicodeCIDFont(SERIF))
        _registered = True


def _style(
    size: float, *, leading: float | None = None, color: colors.Color = INK
) -> ParagraphStyle:
    return ParagraphStyle(
        f"doum-{size}",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.35,
        textColor=color,
    )


def _text(value: object, limit: int = 200) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _when(filters_start: object, filters_end: object) -> str:
    from datetime import datetime, timedelta

    assert isinstance(filters_start, datetime) and isinstance(filters_end, datetime)
    start = timezone.localtime(filters_start)
    last = timezone.localtime(filters_end - timedelta(seconds=1))
    return f"{date_format(start, 'DATE_FORMAT')} – {date_format(last, 'DATE_FORMAT')}"


def _figures_table(data: ReportData) -> Table:
    figures = summary_figures(data.summary)
    label = _style(8, color=colors.HexColor("#6b7280"))
    value = _style(15)
    cells = []
    row_labels, row_values = [], []
    for index, (name, figure) in enumerate(figures):
        row_labels.append(Paragraph(_text(name), label))
        row_values.append(Paragraph(_text(figure), value))
        if index % 4 == 3:
            cells += [row_values, row_labels]
            row_labels, row_values = [], []
    if row_values:
        cells += [row_values, row_labels]
    table = Table(cells, colWidths=[43 * mm] * 4)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
            ]
        )
    )
    return table


def _numbers(series: Series) -> list[float]:
    return [float(p.value) if p.value is not None else 0.0 for p in series.points]


def _category_labels(series: Series) -> list[str]:
    labels = [p.start.strftime("%m-%d") for p in series.points]
    step = max(1, len(labels) // 10)
    return [label if i % step == 0 else "" for i, label in enumerate(labels)]


def _line_chart(
    title: str, lines: list[tuple[str, list[float], colors.Color]], labels: list[str]
) -> Drawing:
    drawing = Drawing(170 * mm, 62 * mm)
    drawing.add(String(0, 58 * mm, title, fontName=FONT, fontSize=10, fillColor=INK))
    chart = HorizontalLineChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = 120 * mm, 42 * mm
    chart.data = [values or [0.0] for _name, values, _color in lines]
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for index, (_name, _values, color) in enumerate(lines):
        chart.lines[index].strokeColor = color
        chart.lines[index].strokeWidth = 1.5
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 136 * mm, 48 * mm
    legend.fontName = FONT
    legend.fontSize = 8
    legend.colorNamePairs = [(color, name) for name, _values, color in lines]
    drawing.add(legend)
    return drawing


def _bar_chart(title: str, rows: list[BreakdownRow]) -> Drawing:
    top = sorted(rows, key=lambda r: r.summary.created, reverse=True)[:MAX_BARS]
    drawing = Drawing(170 * mm, 62 * mm)
    drawing.add(String(0, 58 * mm, title, fontName=FONT, fontSize=10, fillColor=INK))
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 14 * mm
    chart.width, chart.height = 150 * mm, 38 * mm
    chart.data = [
        [float(r.summary.created) for r in top] or [0.0],
        [float(r.summary.solved) for r in top] or [0.0],
    ]
    chart.categoryAxis.categoryNames = [_short(r.label or "—")[:14] for r in top] or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = ACCENT
    chart.bars[1].fillColor = SECOND
    drawing.add(chart)
    return drawing


def _agent_table(rows: list[BreakdownRow]) -> Table:
    head = _style(7, color=colors.white)
    cell = _style(7.5)
    header = [
        _("Agent"),
        _("Solved"),
        _("First reply, median"),
        _("Full resolution, median"),
        _("One-touch"),
        _("Reopened"),
        _("SLA attained"),
    ]
    body: list[list[object]] = [[Paragraph(_text(h), head) for h in header]]
    for r in rows[:MAX_TABLE_ROWS]:
        s = r.summary
        frt = s.durations.get("first_reply")
        full = s.durations.get("full_resolution")
        values = [
            _short(r.label or "—"),
            f"{s.solved:,}",
            duration_text(frt.median if frt else None),
            duration_text(full.median if full else None),
            percent_text(s.one_touch_rate),
            f"{s.reopened:,}",
            percent_text(s.sla_rate),
        ]
        body.append([Paragraph(_text(v), cell) for v in values])
    table = Table(
        body,
        colWidths=[44 * mm, 16 * mm, 26 * mm, 28 * mm, 18 * mm, 18 * mm, 20 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _page_footer(title: str, generated: str) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#6b7280"))
        canvas.drawString(15 * mm, 10 * mm, f"Doum · {title} · {generated}")
        canvas.drawRightString(195 * mm, 10 * mm, f"{doc.page}")
        canvas.restoreState()

    return draw


def render_pdf(data: ReportData) -> bytes:
    """The report in the active language and time zone."""
    _fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=data.title,
        author="Doum",
        lang=None,
    )
    generated = date_format(timezone.localtime(data.generated_at), "DATETIME_FORMAT")
    story: list[Flowable] = [
        Paragraph(_text(data.title), _style(18)),
        Paragraph(_text(_when(data.filters.start, data.filters.end)), _style(10)),
        Spacer(1, 4 * mm),
        _figures_table(data),
        Spacer(1, 6 * mm),
    ]
    by_metric = {s.metric: s for s in data.series}
    volume = (
        [
            (str(_("Created")), by_metric["created"], ACCENT),
            (str(_("Solved")), by_metric["solved"], SECOND),
        ]
        if "created" in by_metric and "solved" in by_metric
        else []
    )
    if volume:
        labels = _category_labels(volume[0][1])
        story.append(
            _line_chart(
                _("Created and solved"),
                [(name, _numbers(s), color) for name, s, color in volume],
                labels,
            )
        )
    for metric, title in (
        ("first_reply@median", _("First reply, median (hours)")),
        ("sla_rate", _("SLA attained (%)")),
    ):
        if metric in by_metric:
            s = by_metric[metric]
            scale = 1 / 3600 if "@" in metric else 100.0
            values = [v * scale for v in _numbers(s)]
            story.append(_line_chart(title, [(title, values, THIRD)], _category_labels(s)))
    if data.chart_rows:
        story.append(
            _bar_chart(
                _("Created and solved by %(dimension)s")
                % {"dimension": dimension_label(data.chart_dimension).lower()},
                data.chart_rows,
            )
        )
    story += [Spacer(1, 4 * mm), Paragraph(_text(_("Agents")), _style(13)), Spacer(1, 2 * mm)]
    if data.agents:
        story.append(_agent_table(data.agents))
    else:
        story.append(Paragraph(_text(_("No agent activity in this period.")), _style(9)))
    footer = _page_footer(data.title, generated)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
