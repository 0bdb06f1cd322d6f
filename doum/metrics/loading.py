"""Loading what `definitions.compute` needs for a batch of tickets (two queries)."""

from __future__ import annotations

from collections.abc import Sequence

from doum.metrics.definitions import EventFacts, TicketFacts


def load(ticket_ids: Sequence[int]) -> list[tuple[TicketFacts, list[EventFacts]]]:
    """Each ticket's facts and its events ordered by (at, id); missing tickets are skipped."""
    raise NotImplementedError  # filled in by the definitions work
