"""The server-side SVG charts: marks carry tooltips, data attributes and drill-down links;
text is escaped; nothing the CSP forbids (scripts, style attributes) appears."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from doum.metrics import charts
from doum.metrics.charts import Datum, Line, Segment

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def _no_csp_trouble(svg: str) -> None:
    assert "<script" not in svg
    assert "style=" not in svg


def test_a_line_chart_has_one_linked_mark_per_point_with_its_tooltip() -> None:
    line = Line(
        "created",
        "Created",
        [Datum("Nov 1", 3, "3", "/analytics/tickets/?metric=created&from=2026-11-01"),
         Datum("Nov 2", None, "—"),
         Datum("Nov 3", 7, "7", "/analytics/tickets/?metric=created&from=2026-11-03")],
    )  # fmt: skip
    chart = charts.line_chart("c1", "Volume", [line, Line("solved", "Solved", [])])
    root = _parse(str(chart.svg))
    ns = {"s": "http://www.w3.org/2000/svg"}
    marks = root.findall(".//s:circle[@class='mark']", ns)
    assert len(marks) == 2  # the day without data has no mark
    assert marks[0].get("data-tip") == "Created · Nov 1: 3"
    assert marks[0].find("s:title", ns) is not None
    links = root.findall(".//s:a", ns)
    assert next(a.get("href") for a in links).endswith("from=2026-11-01")
    assert chart.columns == ["", "Created", "Solved"]
    assert chart.rows[0] == ["Nov 1", "3", ""]
    assert [key for key, _name, _colour in chart.legend] == ["created", "solved"]
    _no_csp_trouble(str(chart.svg))


def test_hostile_labels_are_escaped_text() -> None:
    bars = [Datum(XSS, 2, XSS, "/x?a=1&b=<2>")]
    for chart in (
        charts.bar_chart("b", XSS, bars, series_name=XSS),
        charts.line_chart("l", XSS, [Line("k", XSS, bars)]),
        charts.heatmap("h", XSS, [XSS], [XSS], [bars]),
        charts.stacked_bars("s", XSS, [(XSS, [Segment("k", XSS, bars[0])])]),
    ):
        svg = str(chart.svg)
        _parse(svg)  # well-formed: nothing broke out of an attribute or element
        assert "<script>" not in svg
        assert "<img" not in svg
        assert "&lt;script&gt;" in svg
        assert "style=" not in svg


def test_a_histogram_draws_a_bar_for_every_bin_even_empty_ones() -> None:
    bins = [
        Datum(label, float(n), str(n), "/d") for label, n in (("<1h", 4), ("1–4h", 0), (">4h", 9))
    ]
    chart = charts.bar_chart("h", "Spread", bins, kind="histogram")
    root = _parse(str(chart.svg))
    rects = root.findall(".//{http://www.w3.org/2000/svg}rect[@class='mark']")
    assert len(rects) == 3
    heights = [float(r.get("height") or 0) for r in rects]
    assert heights[2] > heights[0] > heights[1]
    assert chart.kind == "histogram"
    assert chart.rows == [["<1h", "4"], ["1–4h", "0"], [">4h", "9"]]


def test_a_heatmap_shades_cells_by_their_count() -> None:
    cells = [[Datum(f"{d} {h}", float(d * 24 + h), str(d * 24 + h), "/d") for h in range(24)]
             for d in range(7)]  # fmt: skip
    chart = charts.heatmap(
        "hm", "When", [str(d) for d in range(7)], [str(h) for h in range(24)], cells
    )
    svg = str(chart.svg)
    opacities = [float(v) for v in re.findall(r'fill-opacity="([0-9.]+)"', svg)]
    assert len(opacities) == 7 * 24
    assert opacities[0] < opacities[-1] == 1.0
    assert len(chart.rows) == 7 and len(chart.rows[0]) == 25


def test_stacked_bars_share_one_legend_and_keep_every_segment() -> None:
    rows = [
        ("Median", [Segment("open", "Open", Datum("Open", 2, "2h")),
                    Segment("pending", "Pending", Datum("Pending", 1, "1h"))]),
        ("Mean", [Segment("open", "Open", Datum("Open", 3, "3h")),
                  Segment("pending", "Pending", Datum("Pending", 5, "5h"))]),
    ]  # fmt: skip
    chart = charts.stacked_bars("st", "Status time", rows)
    assert [name for _key, name, _c in chart.legend] == ["Open", "Pending"]
    assert chart.rows == [["Median", "2h", "1h"], ["Mean", "3h", "5h"]]
    assert str(chart.svg).count('class="mark"') == 4


def test_an_empty_chart_says_so() -> None:
    chart = charts.line_chart("e", "Nothing", [])
    assert chart.empty
    _parse(str(chart.svg))
    assert charts._nice_max(0) == 1.0
    assert charts._nice_max(7) == 8
    assert charts._nice_max(130) == 200
    assert charts._nice_max(0.7) == 0.8
    assert charts._nice_max(3, integer=True) == 4
    assert charts._nice_max(5, integer=True) == 8


def test_numbers_and_durations_are_formatted_for_people() -> None:
    from django.utils import translation

    from doum.metrics.views.common import fmt_change, fmt_count, fmt_duration, fmt_rate

    with translation.override("en"):
        assert fmt_duration(None) == "—"
        assert fmt_duration(42) == "42s"
        assert fmt_duration(30 * 60) == "30m"
        assert fmt_duration(80 * 60) == "1h 20m"
        assert fmt_duration(2 * 3600) == "2h"
        assert fmt_duration(26 * 3600) == "1d 2h"
        assert fmt_count(1234567) == "1,234,567"
        assert fmt_rate(0.5) == "50.0%"
        assert fmt_rate(None) == "—"
        assert fmt_change(12, 10) == ("+20.0%", "up")
        assert fmt_change(5, 10) == ("−50.0%", "down")
        assert fmt_change(None, 10) == ("—", "")
