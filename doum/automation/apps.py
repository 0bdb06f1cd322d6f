from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "doum.automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        # Triggers listen to ticket changes (after commit). This app is listed before routing,
        # SLA, webhooks and mail, so its listener runs first.
        from doum.automation import engine
        from doum.core import scheduler

        engine.connect()
        scheduler.every(
            "automation.hourly", seconds=3600, task="doum.automation.tasks.run_automations_task"
        )
