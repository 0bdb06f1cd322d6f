from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "doum.reports"
    label = "reports"
    verbose_name = "Doum reports"

    def ready(self) -> None:
        from doum.core import scheduler

        scheduler.every("reports.due", seconds=60, task="doum.reports.tasks.reports_due_task")
        scheduler.every(
            "reports.expired_exports",
            seconds=3600,
            task="doum.reports.tasks.delete_expired_exports_task",
        )
