"""Running queued background tasks inside a test, as `db_worker --queue-name Q --batch` does."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_queue(queue: str) -> list[DBTaskResult]:
    """Run the ready tasks of one queue inside the test's transaction; every one must succeed."""
    worker = Worker(
        queue_names=[queue],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran: list[DBTaskResult] = []
    for _ in range(100):
        task = DBTaskResult.objects.ready().filter(queue_name=queue).first()
        if task is None:
            break
        task.claim("test-worker")
        worker.run_task(task)
        task.refresh_from_db()
        ran.append(task)
    assert all(t.status == "SUCCESSFUL" for t in ran), [t.traceback for t in ran]
    return ran
