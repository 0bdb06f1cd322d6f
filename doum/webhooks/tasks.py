"""Background entry points of webhooks (django-tasks, queue "webhooks").

Each takes ids, nothing else, and calls the function that does the work; both are safe to
run twice (sending claims its row first; the sweep claims what it re-enqueues).

A worker runs them with `doum db_worker --queue-name webhooks` (or `*` for every queue).
The scheduler enqueues `retry_due_task` every 30 seconds: it takes back deliveries whose
worker died and re-enqueues those whose task was lost. Retries themselves are enqueued with
`run_after` when an attempt fails.
"""

from __future__ import annotations

from django_tasks import task


@task(queue_name="webhooks")
def deliver_task(delivery_id: int) -> str:
    from doum.webhooks.delivery import send_delivery

    return send_delivery(delivery_id)


@task(queue_name="webhooks")
def retry_due_task() -> int:
    from doum.webhooks.delivery import retry_due

    return retry_due()
