"""SLA writers for a ticket's SLA state (calendars and policies: `calendar_actions.py`,
`policy_actions.py`)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts.models import User
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.sla import state
from doum.sla.models import SlaPolicy, TicketSla
from doum.tickets.models import Ticket


@transaction.atomic
def do_apply_policy(ticket_id: int, policy_id: int, *, actor: User | None, via: str) -> None:
    """Pin an SLA policy on a ticket (a trigger's "apply SLA policy"): it applies from now on
    instead of the ordered matching, for as long as it stays active; the ticket's timers are
    recomputed under it at once (from their starts, like any policy change) and the change is
    an SLA event (field "policy")."""
    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise InvalidInput(_("No such SLA policy."), field="policy_id")
    if not policy.is_active:
        raise InvalidInput(
            _("The SLA policy “%(name)s” is not active.") % {"name": policy.name},
            field="policy_id",
        )
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise InvalidInput(_("No such ticket."), field="ticket")
    now = clock.now()
    sla = TicketSla.objects.filter(ticket_id=ticket_id).first()
    if sla is not None and sla.pinned_policy_id == policy.pk:
        return
    old_pin = sla.pinned_policy_id if sla is not None else None
    if sla is None:
        TicketSla.objects.create(ticket_id=ticket_id, pinned_policy=policy, updated_at=now)
    else:
        sla.pinned_policy = policy
        sla.updated_at = now
        sla.save(update_fields=["pinned_policy", "updated_at"])
    done = state.recompute(ticket_id, now=now)
    recorded = [e for e in done.events if e.field == "policy"] if done is not None else []
    for event in recorded:
        # The recompute writes the policy change as the system; it was this actor's doing.
        event.actor = actor
        event.actor_role = actor.role if actor is not None else ""
        event.via = via
        event.save(update_fields=["actor", "actor_role", "via"])
    if not recorded:  # the pinned policy already applied: the pin itself is the change
        state.sla_event(
            ticket, field="policy", old=str(policy.pk), new=str(policy.pk), at=now,
            data={"policy_name": policy.name, "pinned": True, "previous_pin": old_pin},
            actor=actor, via=via,
        ).save()  # fmt: skip
