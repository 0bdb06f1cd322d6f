"""What a user may do to a ticket they can see. Actions call these; so every channel obeys."""

from __future__ import annotations

from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import Team, TeamMembership, User
from doum.core.errors import Forbidden, NotFound
from doum.tickets.models import Ticket


def check_can_see(actor: User | None, ticket: Ticket) -> None:
    """Staff restricted to their teams act only on tickets they can see, whatever the channel
    (a page checks with `access_ticket`; mail, import and automation come here too).

    The same rule as `selectors.ticket_scope`, decided from the loaded row with at most one
    small query; tests hold the two to agreement.
    """
    if actor is None or not actor.is_agent or actor.role in roles.SEES_ALL_TICKETS:
        return
    if getattr(ticket, "_doum_seen_by", None) == actor.pk:
        return
    visible = (
        ticket.team_id is None
        or ticket.assignee_id == actor.pk
        or TeamMembership.objects.filter(user_id=actor.pk, team_id=ticket.team_id).exists()
        or (
            actor.role == roles.Role.TEAM_LEAD
            and Team.objects.filter(pk=ticket.team_id, lead_id=actor.pk).exists()
        )
    )
    if not visible:
        raise NotFound(_("No such ticket."), field="ticket")
    ticket._doum_seen_by = actor.pk  # type: ignore[attr-defined]


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
        raise Forbidden(_("Your role may not change tickets."))
    check_can_see(actor, ticket)


def check_can_comment(actor: User | None, ticket: Ticket, *, public: bool) -> None:
    if actor is None:
        return
    if actor.is_agent:
        allowed = roles.EDITS_TICKETS if public else roles.WRITES_NOTES
        if actor.role not in allowed:
            if public:
                raise Forbidden(_("Your role may not add replies."))
            raise Forbidden(_("Your role may not add internal notes."))
        check_can_see(actor, ticket)
        return
    if not public:
        raise Forbidden(_("Customers cannot add internal notes."), field="public")
    if not is_participant(actor, ticket):
        raise Forbidden(_("You may not reply on this ticket."))


def check_can_delete(actor: User | None) -> None:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE:
        raise Forbidden(_("Only managers and admins may delete or restore tickets."))
