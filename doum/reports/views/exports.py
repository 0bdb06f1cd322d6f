"""Export pages: the ticket list as CSV/XLSX, the analytics tables, the dashboard PDF, and the
"Exports" page with the background exports of the signed-in user.

A ticket list up to DOUM_EXPORT_SYNC_MAX_ROWS rows is streamed back at once (CSV) or built
in write-only mode (XLSX); a longer one becomes a background export and the user is sent to
the Exports page. Every export reads through the viewer's own visibility.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from doum.core import clock
from doum.core.errors import InvalidInput, NotFound
from doum.core.web import current_user, redirect_to, render_page, staff_page
from doum.metrics.queries import Period
from doum.reports import exports
from doum.reports.actions import do_request_export, export_filename
from doum.reports.exports import Cell
from doum.reports.models import ExportFormat, ExportKind, ExportStatus
from doum.reports.pdf import CONTENT_TYPE as PDF_TYPE
from doum.reports.pdf import render_pdf
from doum.reports.report_data import (
    DASHBOARDS,
    breakdown_header,
    breakdown_row,
    dimension_label,
    filters_for,
    gather,
    series_table,
    valid_dimension,
    valid_series_metric,
)
from doum.reports.selectors import (
    access_export,
    count_up_to,
    export_queryset,
    list_params,
    my_exports,
    sync_max_rows,
    ticket_header,
    ticket_list_state,
    ticket_rows,
)

PERIODS: tuple[Period, ...] = ("day", "week", "month", "quarter")


def _params(request: HttpRequest, leave_out: tuple[str, ...]) -> dict[str, str]:
    """The dashboard filters of the query string (one value each)."""
    return {k: request.GET.get(k) or "" for k in request.GET if k not in leave_out}


def _stamp() -> str:
    return timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")


def _download(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _fmt(fmt: str) -> str:
    if fmt not in ExportFormat.values:
        raise NotFound(_("Exports are CSV or XLSX."), field="format")
    return fmt


def table_response(
    fmt: str, name: str, header: list[Cell], rows: list[list[Cell]]
) -> HttpResponseBase:
    filename = f"{name}-{_stamp()}.{fmt}"
    if fmt == ExportFormat.XLSX:
        body = exports.xlsx_bytes(header, rows, title=name)
        return _download(HttpResponse(body, content_type=exports.XLSX_CONTENT_TYPE), filename)
    return _download(
        HttpResponse(exports.csv_bytes(header, rows), content_type=exports.CSV_CONTENT_TYPE),
        filename,
    )


@require_GET
@staff_page
def export_tickets(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The ticket list of the same query string, as the viewer sees it."""
    user = current_user(request)
    fmt = _fmt(fmt)
    params = list_params(request.GET)
    state = ticket_list_state(user, params)
    qs = export_queryset(user, state)
    limit = sync_max_rows()
    if count_up_to(qs, limit) > limit:
        do_request_export(actor=user, kind=ExportKind.TICKETS, params=params, format=fmt)
        messages.info(
            request,
            _(
                "This list has more than %(n)s tickets: it is being exported in the background. "
                "It will be listed here when it is ready."
            )
            % {"n": f"{limit:,}"},
        )
        return redirect_to(request, reverse("reports:exports"))
    filename = f"tickets-{_stamp()}.{fmt}"
    header = ticket_header()
    if fmt == ExportFormat.CSV:
        streamed = StreamingHttpResponse(
            exports.csv_lines(header, ticket_rows(qs)), content_type=exports.CSV_CONTENT_TYPE
        )
        return _download(streamed, filename)
    buffer = io.BytesIO()
    exports.write_xlsx(buffer, header, ticket_rows(qs), title="Tickets")
    return _download(
        HttpResponse(buffer.getvalue(), content_type=exports.XLSX_CONTENT_TYPE), filename
    )


@require_GET
@staff_page
def export_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return render_page(
        request, "reports/exports.html", {"exports": my_exports(user), "now": clock.now()}
    )


@require_GET
@staff_page
def export_download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    user = current_user(request)
    export = access_export(user, export_id)
    if export.status != ExportStatus.DONE or not export.storage_key:
        raise NotFound(_("This export is not ready."), field="export")
    if export.expires_at is not None and export.expires_at <= clock.now():
        raise NotFound(_("This export has expired."), field="export")
    try:
        handle = default_storage.open(export.storage_key, "rb")
    except OSError as error:
        raise NotFound(_("This export's file is gone."), field="export") from error
    content_type = (
        exports.XLSX_CONTENT_TYPE
        if export.format == ExportFormat.XLSX
        else exports.CSV_CONTENT_TYPE
    )
    response = FileResponse(handle, content_type=content_type)
    return _download(response, export_filename(export))


@require_GET
@staff_page
def export_analytics(request: HttpRequest, table: str, fmt: str) -> HttpResponseBase:
    """/reports/export/analytics/<agents|breakdown|series>.<csv|xlsx>?<dashboard filters>"""
    from doum.metrics import queries

    user = current_user(request)
    fmt = _fmt(fmt)
    params = _params(request, ("by", "metric", "interval"))
    filters = filters_for(user, params, clock.now())
    if table == "agents":
        rows = queries.breakdown(filters, "agent", queries.AGENT_TABLE)
        return table_response(
            fmt, "agents", breakdown_header(_("Agent")), [breakdown_row(r) for r in rows]
        )
    if table == "breakdown":
        by = valid_dimension((request.GET.get("by") or "team")[:80])
        rows = queries.breakdown(filters, by)
        label = dimension_label(by)
        return table_response(
            fmt, f"by-{by.replace(':', '-')}", breakdown_header(label),
            [breakdown_row(r) for r in rows],
        )  # fmt: skip
    if table == "series":
        metric = valid_series_metric((request.GET.get("metric") or "created")[:80])
        wanted = request.GET.get("interval") or "day"
        interval = next((p for p in PERIODS if p == wanted), None)
        if interval is None:
            raise InvalidInput(_("Choose day, week, month or quarter."), field="interval")
        series = queries.series(filters, metric, interval)
        header, body = series_table(series)
        return table_response(fmt, metric.replace("@", "-"), header, body)
    raise NotFound(_("No such table."), field="table")


@require_GET
@staff_page
def export_report_pdf(request: HttpRequest) -> HttpResponseBase:
    """/reports/export/analytics/report.pdf?<filters>&dashboard=<team|operations|executive>"""
    user = current_user(request)
    dashboard = request.GET.get("dashboard") or "team"
    if dashboard not in DASHBOARDS:
        raise InvalidInput(_("Unknown dashboard."), field="dashboard")
    params = _params(request, ("dashboard",))
    now = clock.now()
    data = gather(dashboard, filters_for(user, params, now), now)
    response = HttpResponse(render_pdf(data), content_type=PDF_TYPE)
    return _download(response, f"{dashboard}-{_stamp()}.pdf")


urlpatterns: list[URLPattern] = [
    path("export/tickets.<slug:fmt>", export_tickets, name="export_tickets"),
    path("export/analytics/report.pdf", export_report_pdf, name="export_report_pdf"),
    path("export/analytics/<slug:table>.<slug:fmt>", export_analytics, name="export_analytics"),
    path("exports/", export_list, name="exports"),
    path("exports/<int:export_id>/download", export_download, name="export_download"),
]
