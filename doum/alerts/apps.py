from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "doum.alerts"
    label = "alerts"
    verbose_name = "Doum alerts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from doum.alerts.signals import warm_unread_count
        from doum.core import scheduler

        # The header shows the unread count from the cache only: sign-in fills it.
        user_logged_in.connect(warm_unread_count, dispatch_uid="doum.alerts.warm_unread")

        # Judges the last complete hour for anomalies (idempotent within the hour).
        scheduler.every("alerts.detect", seconds=300, task="doum.alerts.tasks.detect_task")
