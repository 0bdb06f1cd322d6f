"""Keeping TicketMetrics, BacklogSpan and Rollup current (filled in by the rollups work)."""

from __future__ import annotations


def connect() -> None:
    """Register the ticket listener and the scheduler jobs."""
