"""SLA writers: calendars, policies, and each ticket's SLA state and its events."""

from __future__ import annotations

from doum.accounts.models import User


def do_apply_policy(ticket_id: int, policy_id: int, *, actor: User | None, via: str) -> None:
    """Pin an SLA policy on a ticket (a trigger's "apply SLA policy"); timers recompute."""
    raise NotImplementedError
