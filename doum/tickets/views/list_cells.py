"""The cells of one ticket-list row, rendered in Python.

A view chooses its columns; rendering each cell through a chain of template ``{% if %}``s cost
more than the database work of the whole page (measured with bench/pages.py), so the cells are
built here with ``format_html`` (which escapes every value) and the template only joins them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from doum.core import clock
from doum.tickets.models import Ticket


def _time(value: datetime) -> SafeString:
    local = timezone.localtime(value)
    return format_html(
        '<td class="nowrap"><time datetime="{}">{}</time></td>',
        local.isoformat(),
        date_format(local, "SHORT_DATETIME_FORMAT"),
    )


def _text(value: object) -> SafeString:
    return format_html("<td>{}</td>", "" if value is None else value)


def _assignee(t: Ticket) -> SafeString:
    if t.assignee is None:
        return format_html('<td><span class="muted">{}</span></td>', _("Unassigned"))
    return _text(t.assignee.name)


def _tags(t: Ticket) -> SafeString:
    spans = format_html_join(
        "", '<span class="tag">{}</span>', ((tag.name,) for tag in t.tags.all())
    )
    return format_html("<td>{}</td>", spans)


def _sla(t: Ticket) -> SafeString:
    """The next SLA deadline, relative ("in 2 hours"), with the absolute time as its title;
    red when breached or overdue, amber when at risk. Needs ``select_related("sla")``."""
    sla = getattr(t, "sla", None)  # doum.sla's TicketSla (reverse one-to-one); None: no SLA
    deadline = getattr(sla, "next_deadline", None)
    breached = bool(getattr(sla, "breached", False))
    if not isinstance(deadline, datetime):
        if breached:
            return format_html('<td><span class="badge sla-breached">{}</span></td>', _("Breached"))
        return format_html('<td><span class="muted">{}</span></td>', "—")
    now = clock.now()
    local = timezone.localtime(deadline)
    if deadline <= now:
        state, label = "sla-breached", _("%(time)s overdue") % {"time": timesince(deadline, now)}
    else:
        label = _("in %(time)s") % {"time": timeuntil(deadline, now)}
        at_risk = bool(getattr(sla, "at_risk", False))
        state = "sla-breached" if breached else "sla-at-risk" if at_risk else "sla-ok"
    flag = {"sla-breached": _("breached"), "sla-at-risk": _("at risk")}.get(state, "")
    return format_html(
        '<td class="nowrap"><time class="sla-deadline {}" datetime="{}" title="{}">{}</time>'
        "{}</td>",
        state,
        local.isoformat(),
        date_format(local, "SHORT_DATETIME_FORMAT"),
        label,
        format_html(' <span class="sr-only">({})</span>', flag) if flag else "",
    )


CELLS: dict[str, Callable[[Ticket], SafeString]] = {
    "requester": lambda t: _text(t.requester.name),
    "organization": lambda t: _text(t.organization.name if t.organization else ""),
    "status": lambda t: format_html(
        '<td><span class="badge status-{}">{}</span></td>', t.status, t.get_status_display()
    ),
    "priority": lambda t: format_html(
        '<td><span class="badge priority-{}">{}</span></td>', t.priority, t.get_priority_display()
    ),
    "sla": _sla,
    "type": lambda t: _text(t.get_type_display()),
    "channel": lambda t: _text(t.get_channel_display()),
    "assignee": _assignee,
    "team": lambda t: _text(t.team.name if t.team else ""),
    "brand": lambda t: _text(t.brand.name),
    "created": lambda t: _time(t.created_at),
    "updated": lambda t: _time(t.updated_at),
    "tags": _tags,
}


def row_cells(ticket: Ticket, columns: list[str] | tuple[str, ...]) -> list[SafeString]:
    """One <td> per chosen column, in order (unknown columns are skipped)."""
    return [CELLS[c](ticket) for c in columns if c in CELLS]
