"""SLA timers computed from a ticket's events: a pure function of (history, policy, calendar,
now), so the stored state can always be recomputed and a proposed policy can be replayed over
past tickets (what-if).

Contract (the helper building the SLA core implements it; the SLA pages call it):
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ProposedPolicy:
    """A policy as typed into the editor, not saved: targets[(priority, metric)] =
    (minutes, business_hours); calendar_id None = each ticket team's calendar."""

    targets: dict[tuple[str, str], tuple[int, bool]]
    conditions: dict[str, object] = field(default_factory=dict)
    warn_percent: int = 75
    calendar_id: int | None = None


@dataclass(frozen=True)
class MetricAttainment:
    metric: str
    fulfilled: int  # met within the target
    breached: int
    percent: float | None  # fulfilled / (fulfilled + breached) * 100; None when no timers


@dataclass(frozen=True)
class WhatIfResult:
    tickets: int  # tickets created in the period that the proposed conditions match
    proposed: list[MetricAttainment]
    current: list[MetricAttainment]  # the same tickets under the policies in force now
    overall_proposed: float | None
    overall_current: float | None
    truncated: bool  # more tickets matched than `limit`


def what_if(
    *, start: datetime, end: datetime, proposed: ProposedPolicy, limit: int = 20_000
) -> WhatIfResult:
    """Replay tickets created in [start, end) against `proposed` (and the current policies)."""
    raise NotImplementedError
