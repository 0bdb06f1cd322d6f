from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "doum.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Ticket changes become events for the webhooks that subscribe (after commit, ids only).
        from doum.webhooks import events

        events.connect()
        from doum.core import scheduler

        # Deliveries whose worker died, and those whose task was lost.
        scheduler.every("webhooks.retry_due", seconds=30, task="doum.webhooks.tasks.retry_due_task")
