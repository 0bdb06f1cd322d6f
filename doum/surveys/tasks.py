"""Background entry points of surveys (django-tasks, queue "default"), enqueued by the
scheduler (see apps.py). Each one claims its work with conditional UPDATEs, so running it
twice, or on two workers at once, sends nothing twice."""

from __future__ import annotations

from django_tasks import task


@task()
def send_due_task() -> int:
    """Expire, send the due invitations and the due reminders; how many mails were queued."""
    from doum.surveys.delivery import send_due

    return send_due()


@task()
def nps_round_task() -> int:
    """Start the NPS rounds that are due; how many invitations were made."""
    from doum.surveys.delivery import start_nps_rounds

    return len(start_nps_rounds())
