"""Background entry points of the metrics (django-tasks, the default queue).

`refresh_task` runs every 30 s from the scheduler (registered by `refresh.connect()`): it
recomputes the tickets marked dirty since the last run and moves the rollups.
`rebuild_task` recomputes everything from the events (after a definitions change).
"""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_task() -> int:
    from doum.metrics.refresh import run

    return run()


@task()
def rebuild_task() -> int:
    from doum.metrics.refresh import rebuild

    return rebuild()
