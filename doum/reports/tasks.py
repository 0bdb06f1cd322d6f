"""Background entry points of the reports app (django-tasks, the default queue).

Each takes ids, loads rows and calls the action that does the work; each is safe to run
twice (an export and a due report are claimed with a conditional UPDATE first).
"""

from __future__ import annotations

from django_tasks import task


@task()
def run_export_task(export_id: int) -> str:
    from doum.reports.actions import run_export

    return run_export(export_id)


@task()
def delete_expired_exports_task() -> int:
    from doum.reports.actions import delete_expired_exports

    return delete_expired_exports()


@task()
def reports_due_task() -> int:
    """Every minute (scheduler job "reports.due"): send the scheduled reports that are due."""
    from doum.reports.actions import run_due_reports

    return run_due_reports()


@task()
def deliver_report_task(report_id: int) -> int | None:
    """ "Send now": one delivery of a report, its schedule untouched."""
    from doum.reports.actions import deliver_report

    delivery = deliver_report(report_id)
    return delivery.pk if delivery else None
