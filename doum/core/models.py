"""Core rows: the scheduler's bookkeeping."""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    """When a periodic job (doum.core.scheduler) is next due; one row per job name.

    A scheduler claims a due job with a conditional UPDATE on `next_run_at`, so several
    scheduler processes never enqueue the same run twice.
    """

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
