"""The ticket listener: after each committed change, route the ticket if it needs it."""

from __future__ import annotations

from doum.tickets import hooks
from doum.tickets.models import Via


def on_ticket_changed(change: hooks.TicketChange) -> None:
    """Route a ticket that became routable (new, moved to a team, unassigned, restored …).

    Changes written in the past (demo seeding, history import) are left alone. So are the
    changes triggers make: the trigger cycle runs inside the automation listener for the change
    that started it, and this listener hears that change right after the cycle ends (it is
    registered later), so a ticket is routed once every trigger has had its say (one moves it
    to a team, another sets the skills it needs). One small query for a ticket that needs
    nothing; the assignment itself is one more change, whose own notification finds the
    ticket assigned and stops. What slips through is routed by the minute sweep.
    """
    if change.historical or change.via == Via.TRIGGER:
        return
    from doum.routing import engine

    if not engine.routable_tickets().filter(pk=change.ticket_id).exists():
        return
    engine.route_ticket(change.ticket_id)


def connect() -> None:
    hooks.register(on_ticket_changed)
