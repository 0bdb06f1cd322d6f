"""What dashboards, exports and reports ask of the metrics: the one read API.

Every function takes `Filters` (already scoped to what the viewer may see, see
`scope_filters`) and answers from the rollups when they can answer exactly (the viewer's time
zone is one of DOUM_METRICS_TIME_ZONES and the filters are rollup dimensions), otherwise
from TicketMetrics ("exact path"); each result says which in `source`.

Contract for the dashboard, export and report code (implemented by the rollups work).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from django.db.models import QuerySet

from doum.accounts.models import User
from doum.tickets.models import Ticket

Source = Literal["rollup", "exact"]
Period = Literal["day", "week", "month", "quarter"]

# Duration metrics (TicketMetrics column stems; "_s" calendar seconds, "_bs" business).
DURATIONS = (
    "first_reply",
    "next_reply",
    "first_resolution",
    "full_resolution",
    "requester_wait",
    "agent_wait",
    "on_hold",
    "agent_work",
)
# Breakdown dimensions: "team", "agent", "channel", "priority", "type", "organization",
# "tag", "custom:<key>".
Dimension = str


@dataclass(frozen=True)
class Filters:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    zone: str  # IANA name: days, hours and weekdays are local to it
    business: bool = False  # durations in business hours instead of calendar hours
    team_ids: tuple[int, ...] = ()
    agent_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    organization_ids: tuple[int, ...] = ()
    custom: tuple[tuple[str, str], ...] = ()  # (custom field key, value)


@dataclass(frozen=True)
class Stat:
    """A duration metric over a set of tickets, in seconds."""

    n: int
    mean: float | None
    median: float | None
    p90: float | None


@dataclass
class Summary:
    created: int
    solved: int
    reopened: int  # solved tickets that were reopened at least once
    agent_replies: int
    one_touch: int
    two_touch: int
    sla_met: int
    sla_breached: int
    durations: dict[str, Stat]  # keyed by DURATIONS
    status_seconds: dict[str, Stat]  # time in new/open/pending/on_hold of solved tickets
    backlog_end: int  # unsolved at filters.end
    source: Source

    @property
    def one_touch_rate(self) -> float | None:
        return self.one_touch / self.solved if self.solved else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.solved if self.solved else None

    @property
    def sla_rate(self) -> float | None:
        total = self.sla_met + self.sla_breached
        return self.sla_met / total if total else None


@dataclass(frozen=True)
class Point:
    start: date  # the local day the bucket starts
    value: float | None
    n: int


@dataclass
class Series:
    # "created", "solved", "backlog", "sla_rate", "one_touch_rate", "reopen_rate", or a
    # DURATIONS name with "@median", "@p90" or "@mean" ("first_reply@median")
    metric: str
    period: Period
    points: list[Point]
    source: Source


@dataclass
class BreakdownRow:
    key: str  # the dimension value ("12", "email", "" for none)
    label: str  # shown to people (team name, agent name, channel label, ...)
    summary: Summary


@dataclass
class Backlog:
    at: datetime
    total: int
    # (label, lower bound seconds, count), youngest first:
    # <1 d, 1–3 d, 3–7 d, 7–14 d, 14–30 d, >30 d
    ages: list[tuple[str, int, int]]
    source: Source


@dataclass
class SlaRow:
    policy_id: int | None
    policy_name: str
    target: str  # "first_reply", "next_reply", ...
    met: int
    breached: int


@dataclass
class Heatmap:
    counts: list[list[int]] = field(default_factory=list)  # [weekday 0=Mon][local hour]
    source: Source = "rollup"


class FilterError(ValueError):
    """A filter value that cannot be used; `field` names it (raised as InvalidInput by pages)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def parse_filters(params: Mapping[str, str], *, viewer: User, now: datetime) -> Filters:
    """Filters from a query string (period=, from=, to=, team=, agent=, channel=, ...)."""
    raise NotImplementedError


def scope_filters(viewer: User, filters: Filters) -> Filters:
    """Narrow filters to what the viewer may see (agents: their teams; leads: their teams)."""
    raise NotImplementedError


def summary(filters: Filters) -> Summary:
    raise NotImplementedError


def series(filters: Filters, metric: str, period: Period) -> Series:
    raise NotImplementedError


def breakdown(filters: Filters, by: Dimension) -> list[BreakdownRow]:
    raise NotImplementedError


def backlog_at(filters: Filters, at: datetime) -> Backlog:
    raise NotImplementedError


def heatmap(filters: Filters) -> Heatmap:
    raise NotImplementedError


def sla_attainment(filters: Filters) -> list[SlaRow]:
    raise NotImplementedError


def drill_down(viewer: User, filters: Filters, metric: str) -> QuerySet[Ticket]:
    """The tickets behind a number: `metric` is "created", "solved", "backlog", "reopened",
    "one_touch", "sla_breached", a DURATIONS name, ... — the same tickets the figure counts,
    and only tickets the viewer may see."""
    raise NotImplementedError
