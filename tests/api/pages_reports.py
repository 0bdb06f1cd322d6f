"""Pages of the reports app: route -> expected status per role (see pages_common.py).

Exports are for all staff (each export reads through the viewer's own visibility); a
background export downloads only for its requester (404 for everyone else, as for a missing
one). Scheduled reports are for managers and admins; their POST-only endpoints answer a
manager's GET with 405."""

from doum.reports.actions import (
    ReportInput,
    do_create_scheduled_report,
    do_request_export,
    run_export,
)
from doum.reports.models import ScheduledReport
from tests.api.pages_common import STAFF, PageCase, only, staff_only
from tests.personas import World

MANAGERS = ("manager", "admin")


def _report(w: World) -> ScheduledReport:
    found = ScheduledReport.objects.filter(name="Matrix report").first()
    return found or do_create_scheduled_report(
        ReportInput(
            name="Matrix report", dashboard="team", filters={}, recipients="boss@example.com",
            frequency="daily", hour=8, minute=0, time_zone="Asia/Seoul",
        ),
        actor=w.manager,
    )  # fmt: skip


def _report_page(suffix: str) -> PageCase:
    expected = only(MANAGERS, 405) if suffix else only(MANAGERS)
    return PageCase(expected, path=lambda w: f"reports/scheduled/{_report(w).pk}/{suffix}")


def _download(w: World) -> str:
    export = do_request_export(
        actor=w.agent, kind="tickets", params={"view": ["all"]}, format="csv"
    )
    run_export(export.pk)
    return f"reports/exports/{export.pk}/download"


OWN_EXPORT = {**staff_only(404), "agent": 200}
assert set(STAFF) <= set(OWN_EXPORT)

PAGES: dict[str, PageCase] = {
    "reports/export/tickets.<slug:fmt>": PageCase(
        staff_only(), path=lambda w: "reports/export/tickets.csv?view=all"
    ),
    "reports/export/analytics/report.pdf": PageCase(
        staff_only(), path=lambda w: "reports/export/analytics/report.pdf?dashboard=team"
    ),
    "reports/export/analytics/<slug:table>.<slug:fmt>": PageCase(
        staff_only(), path=lambda w: "reports/export/analytics/agents.csv"
    ),
    "reports/exports/": PageCase(staff_only()),
    "reports/exports/<int:export_id>/download": PageCase(OWN_EXPORT, path=_download),
    "reports/scheduled/": PageCase(only(MANAGERS)),
    "reports/scheduled/new/": PageCase(only(MANAGERS)),
    "reports/scheduled/<int:report_id>/": _report_page(""),
    "reports/scheduled/<int:report_id>/delete/": _report_page("delete/"),
    "reports/scheduled/<int:report_id>/send/": _report_page("send/"),
}
