"""Background entry points of routing (django-tasks, queue "default").

`sweep_task` is enqueued every minute by the scheduler (`routing.sweep`); it is safe to run
on several workers at once (each ticket is decided under its team's row lock).
"""

from __future__ import annotations

from django_tasks import task


@task()
def sweep_task() -> dict[str, int]:
    from doum.routing.engine import sweep

    return sweep().as_dict()
