"""A dashboard report as files: PDF (pdf.py) and XLSX (a sheet per table), in a language
and a time zone, for one viewer; and the mail text that carries them."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook

from doum.accounts.models import User
from doum.reports import exports
from doum.reports.exports import Cell
from doum.reports.models import ReportFormat, ScheduledReport
from doum.reports.pdf import CONTENT_TYPE as PDF_TYPE
from doum.reports.pdf import render_pdf
from doum.reports.report_data import (
    ReportData,
    breakdown_header,
    breakdown_row,
    dimension_label,
    filters_for,
    gather,
    series_table,
    summary_figures,
)


def viewer_zone(viewer: User) -> str:
    return viewer.time_zone or str(settings.DOUM_DEFAULT_TIME_ZONE)


def report_data(dashboard: str, params: dict[str, str], viewer: User, now: datetime) -> ReportData:
    with timezone.override(viewer_zone(viewer)):
        return gather(dashboard, filters_for(viewer, params, now), now)


def report_xlsx(data: ReportData) -> bytes:
    """One workbook: the summary, the per-agent table, the charted breakdown, the series."""
    book = Workbook(write_only=True)

    def sheet(title: str, header: list[Cell], rows: Iterable[list[Cell]]) -> None:
        ws = book.create_sheet(title=exports.sheet_title(title))
        ws.append([exports.xlsx_cell(ws, c) for c in header])
        for row in rows:
            ws.append([exports.xlsx_cell(ws, c) for c in row])

    sheet(
        _("Summary"),
        [_("Figure"), _("Value")],
        [[name, value] for name, value in summary_figures(data.summary)],
    )
    sheet(_("Agents"), breakdown_header(_("Agent")), (breakdown_row(r) for r in data.agents))
    label = dimension_label(data.chart_dimension)
    sheet(label, breakdown_header(label), (breakdown_row(r) for r in data.chart_rows))
    for s in data.series:
        header, rows = series_table(s)
        sheet(s.metric.replace("@", " "), header, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _store(content: bytes, filename: str, content_type: str) -> dict[str, str]:
    key = default_storage.save(
        f"reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}-{filename}", ContentFile(content)
    )
    return {"storage_key": key, "filename": filename, "content_type": content_type}


def render_files(
    report: ScheduledReport, viewer: User, language: str, now: datetime
) -> list[dict[str, str]]:
    """The report's attachment(s) for this viewer in `language`, saved to default storage."""
    with translation.override(language), timezone.override(viewer_zone(viewer)):
        data = report_data(report.dashboard, dict(report.filters), viewer, now)
        stamp = timezone.localtime(now).strftime("%Y-%m-%d")
        base = slugify(report.name)[:60] or "report"
        files: list[dict[str, str]] = []
        if report.format in (ReportFormat.PDF, ReportFormat.BOTH):
            files.append(_store(render_pdf(data), f"{base}-{stamp}.pdf", PDF_TYPE))
        if report.format in (ReportFormat.XLSX, ReportFormat.BOTH):
            files.append(
                _store(report_xlsx(data), f"{base}-{stamp}.xlsx", exports.XLSX_CONTENT_TYPE)
            )
    return files


def mail_text(report: ScheduledReport, now: datetime) -> tuple[str, str]:
    """Subject and body in the active language."""
    day = date_format(timezone.localtime(now), "DATE_FORMAT")
    subject = _("Report: %(name)s (%(day)s)") % {"name": report.name, "day": day}
    body = _(
        "Hello,\n\nattached is the scheduled report “%(name)s” (%(dashboard)s) of %(day)s.\n\n"
        "You receive it because %(owner)s added you to its recipients. To change or stop it, "
        "ask them or open Settings → Scheduled reports in Doum:\n%(url)s\n\n— Doum"
    ) % {
        "name": report.name,
        "dashboard": report.get_dashboard_display(),
        "day": day,
        "owner": report.owner.name,
        "url": f"{settings.DOUM_BASE_URL}/reports/scheduled/",
    }
    return subject, body
