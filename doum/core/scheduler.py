"""The one scheduler loop: periodic jobs are enqueued as background tasks, never run inline.

Apps register their jobs in `AppConfig.ready()`::

    scheduler.every("sla.sweep", seconds=60, task="doum.sla.tasks.sweep_task")

`tick()` enqueues every job that is due and moves its `next_run_at` on by its period (from
now, so a scheduler that was down does not enqueue a backlog of identical runs: the job itself
catches up, e.g. the SLA sweep finds every deadline that fell due while Doum was down). The
claim is a conditional UPDATE on `ScheduledRun.next_run_at`, so any number of schedulers can
run side by side and each run is enqueued once. `doum scheduler` calls `tick()` every few
seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.db import IntegrityError, transaction
from django.db.models import F
from django_tasks.base import Task

from doum.core import clock
from doum.core.models import ScheduledRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    seconds: int
    task: str  # dotted path of a django-tasks Task taking no arguments


_jobs: dict[str, Job] = {}


def every(name: str, *, seconds: int, task: str) -> Job:
    """Register a periodic job (idempotent: the same name replaces the earlier one)."""
    if seconds <= 0:
        raise ValueError("a job's period must be positive")
    job = Job(name, seconds, task)
    _jobs[name] = job
    return job


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda j: j.name)


def _claim(job: Job, now: datetime) -> bool:
    next_run = now + timedelta(seconds=job.seconds)
    claimed = ScheduledRun.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=next_run, last_run_at=now, runs=F("runs") + 1
    )
    if claimed:
        return True
    if ScheduledRun.objects.filter(name=job.name).exists():
        return False
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(
                name=job.name, next_run_at=next_run, last_run_at=now, runs=1
            )
    except IntegrityError:  # another scheduler created it first: that one enqueued this run
        return False
    return True


def _task(path: str) -> Task[[], object]:
    module, _, attr = path.rpartition(".")
    found = getattr(import_module(module), attr)
    if not isinstance(found, Task):
        raise TypeError(f"{path} is not a background task")
    return found


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every due job; the names of those enqueued."""
    now = now or clock.now()
    enqueued = []
    for job in jobs():
        try:
            if not _claim(job, now):
                continue
            _task(job.task).enqueue()
        except Exception:
            log.exception("scheduler: could not enqueue %s", job.name)
            continue
        enqueued.append(job.name)
    return enqueued
