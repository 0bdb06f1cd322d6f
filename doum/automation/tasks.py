"""Background entry points of the automation app (django-tasks, queue "default").

`run_automations_task` is enqueued hourly by the scheduler loop (doum.core.scheduler,
registered in AutomationConfig.ready()); it is safe to run twice at once (each firing claims
its ticket with a unique row first).
"""

from __future__ import annotations

from django_tasks import task


@task()
def run_automations_task() -> int:
    """Run every active automation once; the number of tickets they fired on."""
    from doum.automation.runner import run_automations

    return sum(run_automations().values())
