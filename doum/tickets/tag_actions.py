"""Writers of the tag vocabulary: rename, merge and delete a tag across every ticket.

A tag operation is one transaction. Every ticket that carries the tag is locked, gets the
same events a tag change on the ticket writes (``tag_removed`` / ``tag_added`` with field
"tags", see ``changes.change_tags``) through the shared change recorder, and moves to its
next version; the operation itself is written to the audit log.

Closed, spam and deleted tickets are relabelled too: the vocabulary is one list, and a tag
that stayed behind on closed tickets would keep a "deleted" tag alive in every report. Their
events make the relabelling visible in their history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import AuditLog, User
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.tickets.changes import Change, clean_tags
from doum.tickets.models import EventKind, Tag, Ticket, TicketTag, Via


def _require_manager(actor: User | None) -> None:
    if actor is not None and actor.role not in roles.MANAGES_PEOPLE:
        raise Forbidden(_("Only managers and admins manage tags."))


def clean_tag_name(value: str, field: str = "name") -> str:
    """One tag name, cleaned exactly as a ticket's tags are (lower case, spaces to "_")."""
    cleaned = clean_tags([value], field)
    if not cleaned:
        raise InvalidInput(_("A tag needs a name."), field=field)
    return cleaned[0]


def _audit(actor: User | None, action: str, tag_id: int, **data: Any) -> None:
    AuditLog.objects.create(
        actor=actor, action=action, target_type="tag", target_id=str(tag_id), data=data,
        at=clock.now(),
    )  # fmt: skip


def _relabel(
    tag: Tag,
    *,
    actor: User | None,
    via: str,
    record: Callable[[Change, int], None],
) -> list[int]:
    """Lock every ticket carrying ``tag`` (in id order), let ``record`` write its events,
    and save each change (version bump, events, hooks). Returns the tickets' ids."""
    ticket_ids = TicketTag.objects.filter(tag=tag).values("ticket_id")
    tickets = list(
        Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ticket_ids).order_by("pk")
    )
    at = clock.now()
    for ticket in tickets:
        change = Change(ticket=ticket, actor=actor, via=via, at=at)
        record(change, ticket.pk)
        change.save()
    return [t.pk for t in tickets]


@transaction.atomic
def do_rename_tag(tag: Tag, *, actor: User | None, name: str, via: str = Via.WEB) -> Tag:
    """Give the tag a new name on every ticket. A name another tag has is refused (merge)."""
    _require_manager(actor)
    new = clean_tag_name(name)
    locked = Tag.objects.select_for_update().get(pk=tag.pk)
    old = locked.name
    if new == old:
        return locked
    if Tag.objects.filter(name=new).exclude(pk=locked.pk).exists():
        raise InvalidInput(
            _("The tag '%(tag)s' exists already; merge the two tags instead.") % {"tag": new},
            field="name",
        )

    def record(change: Change, _ticket_id: int) -> None:
        change.event(EventKind.TAG_REMOVED, field="tags", old_value=old)
        change.event(EventKind.TAG_ADDED, field="tags", new_value=new)

    ids = _relabel(locked, actor=actor, via=via, record=record)
    locked.name = new
    locked.save(update_fields=["name"])
    _audit(actor, "tag.renamed", locked.pk, old=old, new=new, tickets=len(ids))
    return locked


@transaction.atomic
def do_merge_tags(source: Tag, target: Tag, *, actor: User | None, via: str = Via.WEB) -> Tag:
    """Replace ``source`` with ``target`` on every ticket, then remove ``source``."""
    _require_manager(actor)
    if source.pk == target.pk:
        raise InvalidInput(_("A tag cannot be merged into itself."), field="target")
    locked = {
        t.pk: t for t in Tag.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    if source.pk not in locked or target.pk not in locked:
        raise InvalidInput(_("No such tag."), field="target")
    src, tgt = locked[source.pk], locked[target.pk]
    carrying_source = TicketTag.objects.filter(tag=src).values("ticket_id")
    has_both = set(
        TicketTag.objects.filter(tag=tgt, ticket_id__in=carrying_source).values_list(
            "ticket_id", flat=True
        )
    )

    def record(change: Change, ticket_id: int) -> None:
        change.event(EventKind.TAG_REMOVED, field="tags", old_value=src.name)
        if ticket_id not in has_both:
            change.event(EventKind.TAG_ADDED, field="tags", new_value=tgt.name)

    ids = _relabel(src, actor=actor, via=via, record=record)
    TicketTag.objects.filter(tag=src, ticket_id__in=has_both).delete()
    TicketTag.objects.filter(tag=src).update(tag=tgt)
    source_id, source_name = src.pk, src.name
    src.delete()
    _audit(
        actor, "tag.merged", tgt.pk, source=source_name, source_id=source_id, target=tgt.name,
        tickets=len(ids),
    )  # fmt: skip
    return tgt


@transaction.atomic
def do_delete_tag(tag: Tag, *, actor: User | None, via: str = Via.WEB) -> int:
    """Remove the tag from every ticket and from the vocabulary. Returns the ticket count."""
    _require_manager(actor)
    locked = Tag.objects.select_for_update().filter(pk=tag.pk).first()
    if locked is None:
        return 0
    name = locked.name

    def record(change: Change, _ticket_id: int) -> None:
        change.event(EventKind.TAG_REMOVED, field="tags", old_value=name)

    ids = _relabel(locked, actor=actor, via=via, record=record)
    TicketTag.objects.filter(tag=locked).delete()
    tag_id = locked.pk
    locked.delete()
    _audit(actor, "tag.deleted", tag_id, name=name, tickets=len(ids))
    return len(ids)
