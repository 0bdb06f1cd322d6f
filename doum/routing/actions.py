"""Routing writers: team routing settings, skills, capacity, and routing a ticket."""

from __future__ import annotations

from doum.accounts.models import User


def do_set_required_skills(
    ticket_id: int, skills: list[str], *, actor: User | None, via: str
) -> None:
    """The skills a ticket needs (set by triggers); skills-based routing reads them."""
    raise NotImplementedError
