from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "doum.sla"
    label = "sla"
    verbose_name = "Doum SLAs"

    def ready(self) -> None:
        # Each ticket change recomputes its SLA timers (after commit, with ids only).
        from doum.core import scheduler
        from doum.sla import state
        from doum.tickets import hooks

        hooks.register(state.on_ticket_changed)
        # Fires due warnings and breaches (each once, even after downtime).
        scheduler.every("sla.sweep", seconds=60, task="doum.sla.tasks.sweep_task")
