"""Background entry points of the SLAs (django-tasks, the default queue).

`sweep_task` runs every minute from the scheduler (registered in `SlaConfig.ready()`): it
fires the warnings and breaches that are due, each exactly once (doum.sla.sweep).
`recompute_task` recomputes given tickets (e.g. after a policy or calendar edit).
"""

from __future__ import annotations

from django_tasks import task


@task()
def sweep_task() -> dict[str, int]:
    from doum.sla.sweep import sweep

    result = sweep()
    return {
        "tickets": result.tickets,
        "warnings": result.warnings,
        "breaches": result.breaches,
        "failed": len(result.failed),
    }


@task()
def recompute_task(ticket_ids: list[int]) -> int:
    from doum.sla.state import recompute_many

    return recompute_many(ticket_ids)


@task()
def recompute_open_task() -> int:
    """Recompute every ticket that is not solved or closed (after a policy or calendar edit:
    Doum does not change a ticket's SLA behind its back otherwise; see docs/sla.md)."""
    from doum.sla.state import recompute_open

    return recompute_open()
