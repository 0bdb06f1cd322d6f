"""Reads for the SLA parts of the pages: a ticket's timers as the ticket page's SLA panel shows
them, read through `doum.sla.selectors.ticket_sla_summary` (two queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from doum.core import clock
from doum.sla.models import TimerStatus
from doum.sla.policy_actions import format_duration
from doum.sla.selectors import SlaSummary, TimerView, ticket_sla_summary


@dataclass(frozen=True)
class TimerRow:
    """One target's clock on a ticket, as the SLA panel shows it: the latest cycle per metric
    (next reply and periodic update run one per cycle), with how many earlier cycles breached."""

    timer: TimerView
    overdue: bool  # counting and past its deadline (the sweep may not have marked it yet)
    earlier_breaches: int

    @property
    def metric(self) -> str:
        return self.timer.metric

    @property
    def target_text(self) -> str:
        return format_duration(self.timer.target_minutes)

    @property
    def breached_by(self) -> str:
        """How late, as "1h 5m" (at least 1m once breached)."""
        seconds = self.timer.breach_seconds
        return "" if seconds is None else format_duration(max(1, -(-seconds // 60)))

    @property
    def remaining(self) -> str:
        """What is left of a paused target, as "3h 20m"."""
        seconds = self.timer.remaining_seconds
        return "" if seconds is None else format_duration(max(0, seconds // 60))


@dataclass(frozen=True)
class TicketSlaPanel:
    summary: SlaSummary
    timers: list[TimerRow]

    @property
    def policy_name(self) -> str:
        return self.summary.policy_name

    @property
    def breached(self) -> bool:
        return self.summary.breached

    @property
    def at_risk(self) -> bool:
        return self.summary.at_risk

    @property
    def next_deadline(self) -> datetime | None:
        return self.summary.next_deadline


def ticket_timers(summary: SlaSummary, *, now: datetime | None = None) -> list[TimerRow]:
    """The latest cycle of each metric, in the metrics' order."""
    now = now or clock.now()
    earlier: dict[str, int] = {}
    latest: dict[str, TimerView] = {}
    for timer in summary.timers:
        previous = latest.get(timer.metric)
        if previous is not None and previous.status == TimerStatus.BREACHED:
            earlier[timer.metric] = earlier.get(timer.metric, 0) + 1
        latest[timer.metric] = timer
    return [
        TimerRow(
            timer=t,
            overdue=t.status == TimerStatus.ACTIVE and t.deadline is not None and t.deadline <= now,
            earlier_breaches=earlier.get(t.metric, 0),
        )
        for t in summary.current
    ]


def ticket_sla_panel(ticket_id: int) -> TicketSlaPanel | None:
    """The ticket's SLA for its page; None when no SLA policy ever applied to it."""
    now = clock.now()
    summary = ticket_sla_summary(ticket_id, now=now)
    if summary is None:
        return None
    return TicketSlaPanel(summary, ticket_timers(summary, now=now))
