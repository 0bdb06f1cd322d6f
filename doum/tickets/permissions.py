"""What a user may do to a ticket they can see. Actions call these; so every channel obeys."""

from __future__ import annotations

from doum.accounts import roles
from doum.accounts.models import User
from doum.core.errors import Forbidden
from doum.tickets.models import Ticket


def is_participant(user: User, ticket: Ticket) -> bool:
    """The requester, a follower, or (shared organizations) a colleague of the requester."""
    if ticket.requester_id == user.pk:
        return True
    if (
        user.organization_id
        and ticket.organization_id == user.organization_id
        and ticket.organization is not None
        and ticket.organization.shared_tickets
    ):
        return True
    return ticket.ticketfollower_set.filter(user_id=user.pk).exists()


def check_can_edit(actor: User | None, ticket: Ticket) -> None:
    """Changing fields, status and assignment: ticket-editing staff only."""
    if actor is None:
        return
    if actor.role not in roles.EDITS_TICKETS:
        raise Forbidden("Your role may not change tickets.")


def check_can_comment(actor: User | None, ticket: Ticket, *, public: bool) -> None:
    if actor is None:
        return
    if actor.is_agent:
        allowed = roles.EDITS_TICKETS if public else roles.WRITES_NOTES
        if actor.role not in allowed:
            kind = "replies" if public else "internal notes"
            raise Forbidden(f"Your role may not add {kind}.")
        return
    if not public:
        raise Forbidden("Customers cannot add internal notes.", field="public")
    if not is_participant(actor, ticket):
        raise Forbidden("You may not reply on this ticket.")


def check_can_delete(actor: User | None) -> None:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE:
        raise Forbidden("Only managers and admins may delete or restore tickets.")
