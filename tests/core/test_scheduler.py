"""The scheduler loop: due jobs are enqueued once per period, however many schedulers run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from doum.core import clock, scheduler
from doum.core.models import ScheduledRun


@pytest.fixture
def one_job() -> Iterator[scheduler.Job]:
    saved = dict(scheduler._jobs)
    scheduler._jobs.clear()
    job = scheduler.every("mail.send_due", seconds=60, task="doum.mail.tasks.send_due_task")
    yield job
    scheduler._jobs.clear()
    scheduler._jobs.update(saved)


def _queued() -> int:
    return DBTaskResult.objects.filter(task_path="doum.mail.tasks.send_due_task").count()


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_period(one_job: scheduler.Job) -> None:
    now = clock.now()
    assert scheduler.tick(now) == ["mail.send_due"]  # first sight: due at once
    assert scheduler.tick(now) == []  # a second scheduler at the same instant: nothing
    assert scheduler.tick(now + timedelta(seconds=59)) == []
    assert scheduler.tick(now + timedelta(seconds=60)) == ["mail.send_due"]
    assert _queued() == 2
    row = ScheduledRun.objects.get(name="mail.send_due")
    assert row.runs == 2 and row.next_run_at == now + timedelta(seconds=120)


@pytest.mark.django_db
def test_downtime_enqueues_one_run_not_a_backlog(one_job: scheduler.Job) -> None:
    now = clock.now()
    scheduler.tick(now)
    # Down for a day: the next tick enqueues one catch-up run, and the job finds what is due.
    assert scheduler.tick(now + timedelta(days=1)) == ["mail.send_due"]
    assert scheduler.tick(now + timedelta(days=1, seconds=1)) == []
    assert _queued() == 2


@pytest.mark.django_db
def test_a_job_that_is_not_a_task_is_logged_not_raised(
    one_job: scheduler.Job, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler.every("broken", seconds=60, task="doum.core.clock.now")
    assert scheduler.tick() == ["mail.send_due"]
    assert "could not enqueue broken" in caplog.text


def test_a_period_must_be_positive() -> None:
    with pytest.raises(ValueError):
        scheduler.every("never", seconds=0, task="doum.mail.tasks.send_due_task")


@pytest.mark.django_db
def test_the_command_ticks_once(one_job: scheduler.Job, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("scheduler", "--once")
    assert "enqueued mail.send_due" in capsys.readouterr().out
    assert _queued() == 1
