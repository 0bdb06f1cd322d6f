"""The dashboard report as PDF: it parses, has its pages, shows the figures and Korean text
(reportlab's built-in CID font: no font file needed), escapes names; the XLSX twin."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook

from doum.metrics.queries import BreakdownRow, Filters, Point, Series, Stat, Summary
from doum.reports.pdf import render_pdf
from doum.reports.rendering import report_xlsx
from doum.reports.report_data import ReportData
from tests.personas import World
from tests.reports.pdftext import page_count, pdf_text


def _summary(created: int, solved: int) -> Summary:
    frt = Stat(n=solved, mean=5400.0, median=3600.0, p90=9000.0)
    return Summary(
        created=created, solved=solved, reopened=1, agent_replies=40, one_touch=5, two_touch=3,
        sla_met=9, sla_breached=1, durations={"first_reply": frt, "full_resolution": frt},
        status_seconds={}, backlog_end=17, source="exact",
    )  # fmt: skip


def _data(agents: int = 3) -> ReportData:
    start = datetime(2025, 5, 31, 15, 0, tzinfo=UTC)  # June 1st in Seoul
    filters = Filters(start=start, end=start + timedelta(days=30), zone="Asia/Seoul")
    days = [date(2025, 6, 1) + timedelta(days=i) for i in range(30)]
    series = [
        Series(m, "day", [Point(d, float(i % 7), i % 7) for i, d in enumerate(days)], "exact")
        for m in ("created", "solved")
    ] + [Series("sla_rate", "day", [Point(d, 0.9, 3) for d in days], "exact")]
    rows = [
        BreakdownRow(str(i), f"상담원 김{i} <b>&", _summary(10 + i, 8 + i)) for i in range(agents)
    ]
    return ReportData(
        dashboard="executive", title="경영 요약", filters=filters,
        generated_at=datetime(2025, 7, 1, 0, 0, tzinfo=UTC), summary=_summary(1234, 987),
        series=series, agents=rows, chart_dimension="team", chart_rows=rows[:2],
    )  # fmt: skip


def test_pdf_in_korean_has_the_figures_and_korean_text() -> None:
    with translation.override("ko"), timezone.override("Asia/Seoul"):
        pdf = render_pdf(_data())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"HYGothic-Medium" in pdf and b"UniKS-UCS2-H" in pdf  # the CID font, no file
    assert page_count(pdf) >= 1
    text = pdf_text(pdf)
    assert "경영 요약" in text
    assert "2025년 6월 1일" in text  # the period, in the Korean date format
    assert "1,234" in text and "987" in text and "17" in text  # created, solved, backlog
    assert "1 h 0 min" in text or "1시간" in text  # the FRT median
    assert "90.0%" in text  # SLA attained: 9 of 10
    assert "상담원 김0" in text
    assert "<b>&" in text  # a name is text, not markup (would break or bold otherwise)


def test_a_long_agent_table_runs_over_pages() -> None:
    pdf = render_pdf(_data(agents=55))
    assert page_count(pdf) >= 2
    assert "상담원 김54" in pdf_text(pdf)


def test_report_xlsx_has_a_sheet_per_table() -> None:
    book = load_workbook(io.BytesIO(report_xlsx(_data())))
    assert book.sheetnames[:3] == ["Summary", "Agents", "Team"]
    agents = book["Agents"]
    rows = [[c.value for c in r] for r in agents.iter_rows()]
    assert rows[1][0] == "상담원 김0 <b>&" and rows[1][1] == 10  # numbers stay numbers


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_report_pdf_page(world: World) -> None:
    from doum.metrics import refresh

    refresh.run()
    response = _client(world.manager).get("/reports/export/analytics/report.pdf?dashboard=team")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "Team lead dashboard" in pdf_text(response.content)
    assert (
        _client(world.manager)
        .get("/reports/export/analytics/report.pdf?dashboard=nope")
        .status_code
        == 400
    )
    assert _client(world.customer).get("/reports/export/analytics/report.pdf").status_code == 302


def test_analytics_table_exports(world: World) -> None:
    from doum.metrics import refresh

    refresh.run()
    manager = _client(world.manager)
    agents = manager.get("/reports/export/analytics/agents.csv")
    assert agents.status_code == 200 and agents.content.startswith(b"\xef\xbb\xbf")
    by_team = manager.get("/reports/export/analytics/breakdown.xlsx?by=team")
    assert by_team.status_code == 200
    load_workbook(io.BytesIO(by_team.content))
    series = manager.get("/reports/export/analytics/series.csv?metric=created&interval=week")
    assert series.status_code == 200
    assert manager.get("/reports/export/analytics/breakdown.csv?by=evil()").status_code == 400
    assert manager.get("/reports/export/analytics/series.csv?metric=x@y").status_code == 400
    assert manager.get("/reports/export/analytics/nothing.csv").status_code == 404


def test_analytics_exports_hold_only_the_viewers_teams(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from doum.metrics import refresh
    from doum.tickets import actions as tickets
    from doum.tickets.models import Via
    from tests.reports.helpers import billing_ticket

    with django_capture_on_commit_callbacks(execute=True):  # the metrics listener marks it
        t = billing_ticket(world, "Solved in Billing")
        tickets.do_add_comment(t, actor=world.agent, via=Via.WEB, body="Done.", public=True)
        tickets.do_change_status(t, actor=world.agent, via=Via.WEB, status="solved")
    refresh.run()

    def agents_csv(user: Any) -> str:
        response = _client(user).get("/reports/export/analytics/agents.csv?period=last_30_days")
        assert response.status_code == 200, response.content[:300]
        return response.content.decode("utf-8-sig")

    assert "Ari Agent" in agents_csv(world.manager)
    assert "Ari Agent" in agents_csv(world.lead)
    assert "Ari Agent" not in agents_csv(world.tech_agent)
