"""After-commit notifications of ticket changes.

Actions call `ticket_changed` inside their transaction; listeners (automation, SLA, mail,
webhooks, in later apps) run only once the transaction has committed, and only with ids, so
a listener loads fresh rows or enqueues a task. A failing listener is logged, never raised
into the request that made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from doum.core import clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketChange:
    ticket_id: int
    version: int
    event_kinds: tuple[str, ...]
    created: bool
    # Where the change came from (a Via value): the trigger engine skips the changes its own
    # rules made (it re-evaluates inside its own bounded cycle instead).
    via: str = ""
    # True when the change was written "in the past" (demo seeding, history import under
    # clock.at): listeners that act on the present (mail, SLA timers, webhooks) skip it.
    historical: bool = field(default_factory=clock.is_overridden)


Listener = Callable[[TicketChange], None]
_listeners: list[Listener] = []


def register(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def ticket_changed(change: TicketChange) -> None:
    def run() -> None:
        for listener in list(_listeners):
            try:
                listener(change)
            except Exception:
                log.exception("ticket listener %r failed for #%s", listener, change.ticket_id)

    transaction.on_commit(run)
