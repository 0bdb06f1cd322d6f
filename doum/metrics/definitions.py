"""The metric definitions: one ticket's metrics, computed from its events alone.

`compute(ticket, events, calendar)` is a pure function (no database): the incremental
refresh, the full rebuild, the benchmarks' "straight from the events" baseline and the
hand-worked tests all call it, so there is one definition of every metric. The written
definitions are in docs/metrics.md; change `DEFINITIONS_VERSION` when a definition changes
(stored rows with an older version are recomputed by `doum metrics rebuild`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from doum.sla.calendar import BusinessCalendar

DEFINITIONS_VERSION = 1


@dataclass(frozen=True)
class TicketFacts:
    """What `compute` needs of the ticket row itself (its current dimensions)."""

    id: int
    created_at: datetime
    status: str
    channel: str
    priority: str
    type: str
    brand_id: int | None
    team_id: int | None
    assignee_id: int | None
    organization_id: int | None
    requester_id: int | None
    submitter_id: int | None
    is_spam: bool
    deleted: bool
    merged_into_id: int | None
    version: int


@dataclass(frozen=True)
class EventFacts:
    """One TicketEvent, as `compute` reads it (ordered by (at, id) when passed in)."""

    id: int
    kind: str
    field: str
    old_value: str | None
    new_value: str | None
    actor_id: int | None
    actor_role: str
    via: str
    at: datetime
    is_public: bool | None
    imported: bool
    data: dict[str, Any]


@dataclass
class TicketMetricValues:
    """Every per-ticket metric; field names match `TicketMetrics` columns."""

    ticket_id: int
    ticket_version: int
    brand_id: int | None
    team_id: int | None
    assignee_id: int | None
    organization_id: int | None
    requester_id: int | None
    channel: str
    priority: str
    type: str
    status: str
    excluded: bool
    merged: bool
    agent_created: bool
    imported: bool
    created_at: datetime
    first_reply_at: datetime | None = None
    first_solved_at: datetime | None = None
    solved_at: datetime | None = None
    first_reply_s: int | None = None
    first_reply_bs: int | None = None
    first_resolution_s: int | None = None
    first_resolution_bs: int | None = None
    full_resolution_s: int | None = None
    full_resolution_bs: int | None = None
    requester_wait_s: int | None = None
    requester_wait_bs: int | None = None
    agent_wait_s: int | None = None
    agent_wait_bs: int | None = None
    on_hold_s: int | None = None
    on_hold_bs: int | None = None
    agent_work_s: int | None = None
    agent_work_bs: int | None = None
    status_seconds: dict[str, int] = field(default_factory=dict)
    agent_replies: int = 0
    reopens: int = 0
    assignee_changes: int = 0
    team_changes: int = 0
    one_touch: bool | None = None
    two_touch: bool | None = None
    # [[reply instant as epoch seconds, seconds, business seconds], ...]
    next_replies: list[list[int]] = field(default_factory=list)
    # [[start epoch seconds, end epoch seconds or None], ...]
    unsolved_spans: list[list[int | None]] = field(default_factory=list)
    sla_policy_id: int | None = None
    sla: dict[str, str] = field(default_factory=dict)
    sla_met: int = 0
    sla_breached: int = 0


def compute(
    ticket: TicketFacts,
    events: Sequence[EventFacts],
    calendar: BusinessCalendar,
) -> TicketMetricValues:
    """Every metric of one ticket, from its events alone.

    Deterministic: the result depends only on the arguments (never on the wall clock), so
    the incremental refresh and a rebuild from scratch always agree. Durations whose clock
    has not stopped yet (an unsolved ticket's resolution time) are None; an unsolved span
    still running has end None.
    """
    raise NotImplementedError  # filled in by the definitions work
