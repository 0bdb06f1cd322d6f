"""Which ticket an inbound mail belongs to.

In this order, the first that names a ticket the sender may write to wins:
1. In-Reply-To, then References (newest first), matching a Message-ID Doum sent or stored;
2. a reply-to plus-address token (`support+t<ticket>-<mac>@...`) among the recipients;
3. the ticket tag in the subject (`[#1234]`) — only when the sender already takes part in
   that ticket.
A subject's text alone never attaches mail to a ticket. A ticket found by 1 or 2 whose
participants do not include the sender is not joined either: such mail (a forwarded thread,
a guessed address) opens a new ticket, so it never reveals or joins another customer's
ticket. Merged tickets lead to the ticket they were merged into; deleted tickets are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from doum.accounts.models import User
from doum.core.errors import DoumError
from doum.mail.addresses import is_own_address, mid_key, ticket_from_address
from doum.mail.message import ParsedMail
from doum.mail.models import InboundMessage, OutboundMessage
from doum.tickets.models import Ticket
from doum.tickets.permissions import check_can_comment, is_participant

SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
MAX_REFERENCES = 50
MAX_MERGE_HOPS = 10


@dataclass(frozen=True)
class Match:
    ticket: Ticket
    how: str  # "references", "token" or "subject"


def find_ticket(
    parsed: ParsedMail, *, sender: User, envelope_to: Sequence[str] = ()
) -> Match | None:
    for how, ticket_ids in (
        ("references", _by_references(parsed)),
        ("token", _by_token(parsed, envelope_to)),
        ("subject", _by_subject(parsed)),
    ):
        for ticket_id in ticket_ids:
            ticket = _current(ticket_id)
            if ticket is not None and may_write(sender, ticket):
                return Match(ticket, how)
    return None


def may_write(sender: User, ticket: Ticket) -> bool:
    """A customer who takes part in the ticket, or staff who may reply on it."""
    if not sender.is_active:
        return False
    if not sender.is_agent:
        return is_participant(sender, ticket)
    try:
        check_can_comment(sender, ticket, public=True)
    except DoumError:
        return False
    return True


def _by_references(parsed: ParsedMail) -> list[int]:
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    keys = list(dict.fromkeys(k for k in (mid_key(i) for i in ids) if k))[:MAX_REFERENCES]
    if not keys:
        return []
    found: dict[str, int] = {}
    for message_id, ticket_id in OutboundMessage.objects.filter(
        message_id__in=keys, ticket__isnull=False
    ).values_list("message_id", "ticket_id"):
        found.setdefault(message_id, ticket_id)
    for message_id, ticket_id in InboundMessage.objects.filter(
        message_id__in=keys, ticket__isnull=False
    ).values_list("message_id", "ticket_id"):
        found.setdefault(message_id, ticket_id)
    return _unique(found[k] for k in keys if k in found)


def _by_token(parsed: ParsedMail, envelope_to: Sequence[str]) -> list[int]:
    addresses = [a.address for a in (*parsed.to, *parsed.cc) if a.address]
    addresses += [a.strip().lower() for a in envelope_to]
    delivered = parsed.headers.get("delivered-to", "").strip().lower()
    if delivered:
        addresses.append(delivered)
    return _unique(
        t for a in addresses if is_own_address(a) and (t := ticket_from_address(a)) is not None
    )


def _by_subject(parsed: ParsedMail) -> list[int]:
    return _unique(int(m) for m in SUBJECT_TAG.findall(parsed.subject))


def _current(ticket_id: int) -> Ticket | None:
    """The ticket, following merges; None when it does not exist or was deleted."""
    seen: set[int] = set()
    ticket = Ticket.objects.select_related("organization").filter(pk=ticket_id).first()
    while ticket is not None and ticket.merged_into_id is not None and len(seen) < MAX_MERGE_HOPS:
        seen.add(ticket.pk)
        if ticket.merged_into_id in seen:
            break
        ticket = (
            Ticket.objects.select_related("organization").filter(pk=ticket.merged_into_id).first()
        )
    if ticket is None or ticket.deleted_at is not None:
        return None
    return ticket


def _unique(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))
