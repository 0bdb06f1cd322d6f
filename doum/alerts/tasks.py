"""Background entry points of the alerts (django-tasks, the default queue).

`detect_task` runs every 300 s from the scheduler (registered in `AlertsConfig.ready()`):
it judges the last complete hour; running it again within the same hour changes nothing.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def detect_task() -> dict[str, Any]:
    from doum.alerts.detection import detect

    return detect().as_dict()
