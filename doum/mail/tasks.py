"""Background entry points of the email channel (django-tasks, queue "mail").

Each takes ids, nothing else, and calls the function that does the work; they are safe to run
twice (sending claims its row first; processing leaves a processed message alone).

A worker runs them with `doum db_worker --queue-name mail` (or `*` for every queue). The
periodic loop enqueues `send_due_task` every minute or so; it picks up retries that are due
and messages whose enqueue was lost.
"""

from __future__ import annotations

from django_tasks import task


@task(queue_name="mail")
def send_outbound_task(outbound_id: int) -> str:
    from doum.mail.outbound import send_outbound

    return send_outbound(outbound_id)


@task(queue_name="mail")
def process_inbound_task(inbound_id: int) -> str:
    from doum.mail.inbound import process_inbound

    return process_inbound(inbound_id)


@task(queue_name="mail")
def send_due_task() -> int:
    from doum.mail.outbound import send_due

    return send_due()
