from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "doum.routing"
    label = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        # Routing listens to ticket changes (after commit; after the triggers, before SLA).
        from doum.routing import listeners

        listeners.connect()
        from doum.core import scheduler

        # Tickets left waiting (nobody online, calendar closed, capacity full), and tickets
        # of agents who went away.
        scheduler.every("routing.sweep", seconds=60, task="doum.routing.tasks.sweep_task")
