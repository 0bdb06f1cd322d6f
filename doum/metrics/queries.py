"""What dashboards, exports and reports ask of the metrics: the one read API.

Every function takes `Filters` (already scoped to what the viewer may see, see
`scope_filters`) and answers from the rollups when they can answer exactly (the viewer's time
zone is one of DOUM_METRICS_TIME_ZONES and the filters are rollup dimensions), otherwise
from TicketMetrics ("exact path"); each result says which in `source`.

Rollup path: the rows of the matching grain (team; agent when agents are filtered; channel
when channels or priorities are) that cover the period with whole months, whole ISO weeks
and single days (`_cover`), one query per figure reading only the columns it shows, whatever
the number of tickets. Exact
path: the TicketMetrics rows that may count in the period (created before its end, active
until after its start), run through the very same `rollups.items` and aggregated the same
way, so both paths give identical numbers for whole local days. Medians and p90s come from
the mergeable sketch on both paths (within 1 % of the nearest-rank value, see
doum.metrics.sketch). `sla_attainment` reads TicketMetrics.sla (exact path) always.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    F,
    Func,
    JSONField,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import Organization, Team, TeamMembership, User
from doum.accounts.roles import Role
from doum.core.errors import InvalidInput
from doum.metrics import rollups, sketch
from doum.metrics.models import BacklogSpan, Rollup, TicketMetrics
from doum.metrics.rollups import Delta
from doum.tickets.changes import clean_tags
from doum.tickets.models import (
    Channel,
    CustomField,
    Priority,
    Ticket,
    TicketTag,
    TicketType,
)

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
# What a per-agent table shows of the durations (breakdown(..., durations=AGENT_TABLE)).
AGENT_TABLE = ("first_reply", "full_resolution")
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


# --- parsing and scoping ---------------------------------------------------------------------

PERIODS = (
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "last_7_days",
    "last_30_days",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "custom",
)
DEFAULT_PERIOD = "last_30_days"
MAX_DAYS = 732  # two years (a leap year included)
NOTHING = -1  # a team id no team has: scoping that leaves nothing visible
_MAX_IDS = 200
_DAY = 86400
AGE_BUCKETS = (
    ("<1d", 0),
    ("1-3d", _DAY),
    ("3-7d", 3 * _DAY),
    ("7-14d", 7 * _DAY),
    ("14-30d", 14 * _DAY),
    (">30d", 30 * _DAY),
)


def viewer_zone(viewer: User) -> str:
    for name in (viewer.time_zone, settings.DOUM_DEFAULT_TIME_ZONE):
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return "UTC"


def local_midnight(day: date, zone: str) -> datetime:
    """The instant the local day starts, in UTC."""
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_days(period: str, today: date) -> tuple[date, date]:
    """[first day, day after the last) of a preset; "this_*" periods end with today."""
    tomorrow = today + timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    table = {
        "today": (today, tomorrow),
        "yesterday": (today - timedelta(days=1), today),
        "this_week": (monday, tomorrow),
        "last_week": (monday - timedelta(days=7), monday),
        "last_7_days": (today - timedelta(days=6), tomorrow),
        "last_30_days": (today - timedelta(days=29), tomorrow),
        "this_month": (month, tomorrow),
        "last_month": (_add_months(month, -1), month),
        "this_quarter": (quarter, tomorrow),
        "last_quarter": (_add_months(quarter, -3), quarter),
    }
    return table[period]


def _ids(params: Mapping[str, str], name: str) -> tuple[int, ...]:
    raw = (params.get(name) or "").strip()
    if not raw:
        return ()
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > _MAX_IDS:
        raise FilterError(name, _("Too many values."))
    try:
        ids = tuple(sorted({int(p) for p in parts}))
    except ValueError:
        raise FilterError(name, _("Enter whole numbers separated by commas.")) from None
    if any(i <= 0 or i > 2**62 for i in ids):
        raise FilterError(name, _("Enter whole numbers separated by commas."))
    return ids


def _choices(params: Mapping[str, str], name: str, allowed: Iterable[str]) -> tuple[str, ...]:
    raw = (params.get(name) or "").strip()
    if not raw:
        return ()
    values = tuple(sorted({p.strip() for p in raw.split(",") if p.strip()}))
    known = set(allowed)
    for value in values:
        if value not in known:
            raise FilterError(name, _("Unknown value: %(value)s.") % {"value": value[:40]})
    return values


def _day(params: Mapping[str, str], name: str) -> date:
    raw = (params.get(name) or "").strip()
    if not raw:
        raise FilterError(name, _("Enter a date."))
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FilterError(name, _("Enter a date as YYYY-MM-DD.")) from None
    if day.year < 2000 or day.year > 2999:
        raise FilterError(name, _("The date is out of range."))
    return day


def parse_filters(params: Mapping[str, str], *, viewer: User, now: datetime) -> Filters:
    """Filters from a query string (period=, from=, to=, team=, agent=, channel=, ...).

    period: one of PERIODS (default last_30_days; "this_*" periods run up to the end of
    today; last_7_days and last_30_days include today); custom takes from= and to= (dates,
    both included, at most two years). Lists are comma separated: team=1,2 agent=5
    channel=email priority=high type=incident tag=vip organization=3 custom=key:value.
    hours=business reports durations in business hours. Every id is checked to exist.
    """
    zone = viewer_zone(viewer)
    today = now.astimezone(ZoneInfo(zone)).date()
    period = (params.get("period") or DEFAULT_PERIOD).strip()
    if period not in PERIODS:
        raise FilterError("period", _("Unknown period."))
    if period == "custom":
        first = _day(params, "from")
        last = _day(params, "to")
        if first > last:
            raise FilterError("to", _("The end date is before the start date."))
        if (last - first).days + 1 > MAX_DAYS:
            raise FilterError("to", _("A period can be at most two years long."))
        if first > today + timedelta(days=366):
            raise FilterError("from", _("The date is out of range."))
        start_day, end_day = first, last + timedelta(days=1)
    else:
        start_day, end_day = period_days(period, today)
    hours = (params.get("hours") or "calendar").strip()
    if hours not in ("calendar", "business"):
        raise FilterError("hours", _("Choose calendar or business hours."))

    team_ids = _ids(params, "team")
    if team_ids and Team.objects.filter(pk__in=team_ids).count() != len(team_ids):
        raise FilterError("team", _("Unknown team."))
    agent_ids = _ids(params, "agent")
    if agent_ids and User.objects.filter(
        pk__in=agent_ids, role__in=roles.STAFF_ROLES
    ).count() != len(agent_ids):
        raise FilterError("agent", _("Unknown agent."))
    organization_ids = _ids(params, "organization")
    if organization_ids and Organization.objects.filter(pk__in=organization_ids).count() != len(
        organization_ids
    ):
        raise FilterError("organization", _("Unknown organization."))
    raw_tags = (params.get("tag") or "").split(",")
    if len(raw_tags) > _MAX_IDS:
        raise FilterError("tag", _("Too many or too long tags."))
    try:  # the tickets' own tag normalisation, so "VIP customer" finds "vip_customer"
        tags = tuple(sorted(set(clean_tags(raw_tags, field="tag"))))
    except InvalidInput as error:
        raise FilterError("tag", _("Too many or too long tags.")) from error
    custom: list[tuple[str, str]] = []
    raw_custom = (params.get("custom") or "").strip()
    if raw_custom:
        for part in raw_custom.split(","):
            key, sep, value = part.partition(":")
            key, value = key.strip(), value.strip()
            if not sep or not re.fullmatch(r"[-a-zA-Z0-9_]{1,64}", key) or len(value) > 200:
                raise FilterError("custom", _("Write custom field filters as key:value."))
            custom.append((key, value))
        keys = {k for k, _v in custom}
        if CustomField.objects.filter(key__in=keys).values("key").distinct().count() != len(keys):
            raise FilterError("custom", _("Unknown custom field."))
    return Filters(
        start=local_midnight(start_day, zone),
        end=local_midnight(end_day, zone),
        zone=zone,
        business=hours == "business",
        team_ids=team_ids,
        agent_ids=agent_ids,
        channels=_choices(params, "channel", Channel.values),
        priorities=_choices(params, "priority", Priority.values),
        types=_choices(params, "type", TicketType.values),
        tags=tags,
        organization_ids=organization_ids,
        custom=tuple(sorted(custom)),
    )


def allowed_teams(viewer: User) -> set[int] | None:
    """The teams whose figures the viewer may see; None = every team (and no team)."""
    if viewer.is_active and viewer.role in roles.SEES_ALL_TICKETS:
        return None
    if not viewer.is_active or viewer.role == Role.CUSTOMER:
        return set()
    teams = set(TeamMembership.objects.filter(user_id=viewer.pk).values_list("team_id", flat=True))
    if viewer.role == Role.TEAM_LEAD:
        teams |= set(Team.objects.filter(lead_id=viewer.pk).values_list("pk", flat=True))
    return teams


def scope_filters(viewer: User, filters: Filters) -> Filters:
    """Narrow filters to what the viewer may see (agents: their teams; leads: their teams)."""
    allowed = allowed_teams(viewer)
    if allowed is None:
        return filters
    if filters.team_ids:
        kept = tuple(sorted(set(filters.team_ids) & allowed))
    else:
        kept = tuple(sorted(allowed))
    return replace(filters, team_ids=kept or (NOTHING,))


# --- which path ------------------------------------------------------------------------------


def _zones() -> list[str]:
    from doum.metrics.refresh import zones

    return zones()


def _is_midnight(moment: datetime, zone: str) -> bool:
    local = moment.astimezone(ZoneInfo(zone))
    return local.time() == time(0) and local_midnight(local.date(), zone) == moment


def _exact_only(filters: Filters) -> bool:
    return bool(filters.types or filters.tags or filters.organization_ids or filters.custom)


def rollup_grain(filters: Filters, by: str | None = None) -> str | None:
    """The rollup grain that answers these filters exactly, or None (exact path)."""
    if filters.zone not in _zones() or _exact_only(filters):
        return None
    if not (_is_midnight(filters.start, filters.zone) and _is_midnight(filters.end, filters.zone)):
        return None
    agent = bool(filters.agent_ids) or by == "agent"
    channel = bool(filters.channels or filters.priorities) or by in ("channel", "priority")
    if agent and channel:
        return None
    if by not in (None, "team", "agent", "channel", "priority"):
        return None
    return "agent" if agent else "channel" if channel else "team"


def _cover(first: date, end: date) -> list[tuple[str, date]]:
    """(period, first day) of the fewest rollup rows that cover the local days [first, end)
    exactly: whole months, then whole ISO weeks, then single days."""
    pieces: list[tuple[str, date]] = []
    day = first
    while day < end:
        if day.day == 1 and _add_months(day, 1) <= end:
            pieces.append(("month", day))
            day = _add_months(day, 1)
            continue
        week_end = day + timedelta(days=7)
        if day.weekday() == 0 and week_end <= end:
            month = _add_months(day.replace(day=1), 1)  # the next month's first day
            if not (month < week_end and _add_months(month, 1) <= end):  # else: days, month
                pieces.append(("week", day))
                day = week_end
                continue
        pieces.append(("day", day))
        day += timedelta(days=1)
    return pieces


def _local_days(filters: Filters) -> tuple[date, date]:
    zone = ZoneInfo(filters.zone)
    return filters.start.astimezone(zone).date(), filters.end.astimezone(zone).date()


def _pieces(filters: Filters, resolution: Period | None) -> dict[tuple[str, date], date]:
    """Each rollup piece to read -> the start of the bucket it counts in (`resolution`: the
    bucket size; None: one bucket for the whole period, keyed by its first day)."""
    first, end = _local_days(filters)
    if resolution is None:
        return dict.fromkeys(_cover(first, end), first)
    found: dict[tuple[str, date], date] = {}
    bucket = _bucket_start(first, resolution)
    while bucket < end:
        after = _next_bucket(bucket, resolution)
        for piece in _cover(max(bucket, first), min(after, end)):
            found[piece] = bucket
        bucket = after
    return found


def _rollup_rows(
    filters: Filters, grain: str, pieces: Iterable[tuple[str, date]]
) -> QuerySet[Rollup]:
    days: dict[str, list[date]] = defaultdict(list)
    for period, day in pieces:
        days[period].append(day)
    which = Q(pk__in=[])
    for period, listed in days.items():
        which |= Q(period=period, day__in=sorted(listed))
    qs = Rollup.objects.filter(which, zone=filters.zone, grain=grain)
    return _dimension_filter(qs, filters, team="team_key", agent="agent_key")


def _dimension_filter(
    qs: QuerySet[Any], filters: Filters, *, team: str, agent: str
) -> QuerySet[Any]:
    """Filter rows keyed like Rollup/BacklogSpan (0 = none) by the rollup dimensions."""
    if filters.team_ids:
        qs = qs.filter(**{f"{team}__in": filters.team_ids})
    if filters.agent_ids:
        qs = qs.filter(**{f"{agent}__in": filters.agent_ids})
    if filters.channels:
        qs = qs.filter(channel__in=filters.channels)
    if filters.priorities:
        qs = qs.filter(priority__in=filters.priorities)
    return qs


def _metric_rows(filters: Filters) -> QuerySet[TicketMetrics]:
    """TicketMetrics rows matching every filter (no period condition)."""
    qs = TicketMetrics.objects.filter(excluded=False)
    if filters.team_ids:
        cond = Q(team_id__in=filters.team_ids)
        if 0 in filters.team_ids:
            cond |= Q(team_id__isnull=True)
        qs = qs.filter(cond)
    if filters.agent_ids:
        qs = qs.filter(assignee_id__in=filters.agent_ids)
    if filters.channels:
        qs = qs.filter(channel__in=filters.channels)
    if filters.priorities:
        qs = qs.filter(priority__in=filters.priorities)
    if filters.types:
        qs = qs.filter(type__in=filters.types)
    if filters.organization_ids:
        qs = qs.filter(organization_id__in=filters.organization_ids)
    for name in filters.tags:
        qs = qs.filter(ticket_id__in=TicketTag.objects.filter(tag__name=name).values("ticket_id"))
    for key, value in filters.custom:
        qs = qs.filter(
            ticket_id__in=Ticket.objects.filter(**{f"custom_fields__{key}": value}).values("pk")
        )
    return qs


def _candidates(filters: Filters) -> QuerySet[TicketMetrics]:
    """Rows that may count in [start, end): created before the end, active after the start."""
    return (
        _metric_rows(filters)
        .filter(created_at__lt=filters.end)
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=filters.start))
    )


def _items_in_range(
    row: TicketMetrics, filters: Filters
) -> Iterable[tuple[rollups.Item, datetime]]:
    low, high = filters.start.timestamp(), filters.end.timestamp()
    for item in rollups.items(rollups.values_of(row)):
        if low <= item.at < high:
            yield item, rollups.local(item.at, filters.zone)


KeyFn = Callable[[TicketMetrics], list[str]]


@dataclass(frozen=True)
class _Need:
    """What a caller reads of the rollup rows: decoding and merging every duration sketch of
    every row is most of a dashboard's cost, so each caller asks only for what it shows.
    `durations` lists sum/sketch names ("first_reply_s", "status_open"); None = all."""

    hours: bool = False
    durations: frozenset[str] | None = frozenset()


_ALL = _Need(hours=True, durations=None)


def _durations_for(filters: Filters, stems: Iterable[str], statuses: bool) -> frozenset[str]:
    suffix = "_bs" if filters.business else "_s"
    names = {stem + suffix for stem in stems}
    if statuses:
        names |= {f"status_{s}" for s in rollups.STATUSES}
    return frozenset(names)


def _daily(
    filters: Filters,
    by: str | None = None,
    need: _Need = _ALL,
    resolution: Period | None = "day",
) -> tuple[dict[str, dict[date, Delta]], Source]:
    """Figures per group key ("" when not grouped) and bucket, from the cheapest path.

    Buckets: local days on the exact path; on the rollup path the buckets of `resolution`
    (None: one for the whole period, keyed by its first day), each summed from the fewest
    rollup rows (months, weeks, days) that cover it, so callers that bucket the days again
    get the same totals. On the rollup path only the parts in `need` are read and merged
    (the exact path computes everything; callers read only what they asked for either way)."""
    grain = rollup_grain(filters, by)
    if grain is not None:
        return _rollup_read(filters, grain, by, need, resolution), "rollup"
    result: dict[str, dict[date, Delta]] = defaultdict(dict)
    metric_rows = list(_candidates(filters))
    key_fn = _key_function(by, metric_rows)
    for metric_row in metric_rows:
        keys = key_fn(metric_row)
        for item, moment in _items_in_range(metric_row, filters):
            for key in keys:
                days = result[key]
                delta = days.get(moment.date())
                if delta is None:
                    delta = days[moment.date()] = Delta()
                delta.add_item(item, moment.hour)
    for days in result.values():
        for delta in days.values():
            delta.normalise()
    return result, "exact"


class _Tally:
    """Running sums of rollup rows for one (group, bucket): plain lists and integer-keyed
    sketch accumulators, turned into a Delta once at the end."""

    __slots__ = ("counts", "hours", "sketches", "sums")

    def __init__(self, durations: int, hours: bool) -> None:
        self.counts = [0] * len(rollups.COUNT_NAMES)
        self.sums = [0] * (2 * durations)
        self.hours: list[int] | None = [0] * 24 if hours else None
        self.sketches: list[sketch.Accumulator] = [{} for _i in range(durations)]

    def delta(self, names: list[str]) -> Delta:
        sums = {}
        for index, name in enumerate(names):
            n, total = self.sums[2 * index], self.sums[2 * index + 1]
            if n or total:
                sums[name] = [n, total]
        return Delta(
            counts={n: v for n, v in zip(rollups.COUNT_NAMES, self.counts, strict=True) if v},
            sums=sums,
            sketches={
                name: sketch.of_accumulator(acc)
                for name, acc in zip(names, self.sketches, strict=True)
                if acc
            },
            hours=list(self.hours) if self.hours is not None else [0] * 24,
        )


def _rollup_read(
    filters: Filters, grain: str, by: str | None, need: _Need, resolution: Period | None
) -> dict[str, dict[date, Delta]]:
    """The rollup path of `_daily`: one query, only the columns `need` asks for, summed per
    (group, bucket) as the rows stream in."""
    pieces = _pieces(filters, resolution)
    names = list(rollups.DURATION_NAMES if need.durations is None else sorted(need.durations))
    group = None if by is None else {"team": "team_key", "agent": "agent_key"}.get(by, by)
    columns = ["period", "day", group or "zone", *rollups.COUNT_COLUMNS]
    for name in names:
        columns += [rollups.n_column(name), rollups.sum_column(name)]
    if need.hours:
        columns += rollups.HOUR_COLUMNS
    columns += [rollups.sketch_column(name) for name in names]
    n_counts, n_sums = len(rollups.COUNT_COLUMNS), 2 * len(names)
    sums_at = 3 + n_counts
    hours_at = sums_at + n_sums
    sketches_at = hours_at + (24 if need.hours else 0)
    tallies: dict[tuple[str, date], _Tally] = {}
    rows = _rollup_rows(filters, grain, pieces).values_list(*columns)
    for row in rows.iterator(chunk_size=2000):
        key = "" if group is None else _key_str(row[2])
        bucket = pieces[(row[0], row[1])]
        tally = tallies.get((key, bucket))
        if tally is None:
            tally = tallies[(key, bucket)] = _Tally(len(names), need.hours)
        counts = tally.counts
        for index in range(n_counts):
            counts[index] += row[3 + index]
        sums = tally.sums
        for index in range(n_sums):
            sums[index] += row[sums_at + index]
        if tally.hours is not None:
            hours = tally.hours
            for index in range(24):
                hours[index] += row[hours_at + index]
        for index, acc in enumerate(tally.sketches):
            sketch.add_encoded(acc, row[sketches_at + index])
    result: dict[str, dict[date, Delta]] = defaultdict(dict)
    for (key, bucket), tally in tallies.items():
        result[key][bucket] = tally.delta(names)
    return result


def _key_function(by: str | None, rows: list[TicketMetrics]) -> KeyFn:
    if by is None:
        return lambda row: [""]
    simple = {
        "team": "team_id",
        "agent": "assignee_id",
        "channel": "channel",
        "priority": "priority",
        "type": "type",
        "organization": "organization_id",
    }
    if by in simple:
        attr = simple[by]

        def one(row: TicketMetrics) -> list[str]:
            value = getattr(row, attr)
            return ["" if value in (None, "") else str(value)]

        return one
    ids = [row.ticket_id for row in rows]
    if by == "tag":
        tags: dict[int, list[str]] = defaultdict(list)
        for start in range(0, len(ids), 5000):
            for ticket_id, name in TicketTag.objects.filter(
                ticket_id__in=ids[start : start + 5000]
            ).values_list("ticket_id", "tag__name"):
                tags[ticket_id].append(name)
        return lambda row: sorted(tags.get(row.ticket_id, [])) or [""]
    if by.startswith("custom:"):
        key = by.removeprefix("custom:")
        values: dict[int, str] = {}
        for start in range(0, len(ids), 5000):
            for pk, data in Ticket.objects.filter(pk__in=ids[start : start + 5000]).values_list(
                "pk", "custom_fields"
            ):
                found = (data or {}).get(key)
                values[pk] = "" if found in (None, "") else str(found)
        return lambda row: [values.get(row.ticket_id, "")]
    raise FilterError("by", _("Unknown breakdown."))


# --- shaping ---------------------------------------------------------------------------------


def _stat(delta: Delta, name: str) -> Stat:
    n, total = delta.sums.get(name, [0, 0])
    buckets = delta.sketches.get(name, {})
    return Stat(
        n=n,
        mean=total / n if n else None,
        median=sketch.quantile(buckets, 0.5) if n else None,
        p90=sketch.quantile(buckets, 0.9) if n else None,
    )


def _summary_of(
    delta: Delta,
    filters: Filters,
    backlog_end: int,
    source: Source,
    stems: Iterable[str] = DURATIONS,
    statuses: bool = True,
) -> Summary:
    suffix = "_bs" if filters.business else "_s"
    return Summary(
        created=delta.count("created"),
        solved=delta.count("solved"),
        reopened=delta.count("reopened"),
        agent_replies=delta.count("agent_replies"),
        one_touch=delta.count("one_touch"),
        two_touch=delta.count("two_touch"),
        sla_met=delta.count("sla_met"),
        sla_breached=delta.count("sla_breached"),
        durations={stem: _stat(delta, stem + suffix) for stem in stems},
        status_seconds={s: _stat(delta, f"status_{s}") for s in rollups.STATUSES}
        if statuses
        else {},
        backlog_end=backlog_end,
        source=source,
    )


def _total(days: Mapping[date, Delta]) -> Delta:
    total = Delta()
    for delta in days.values():
        total.add(delta)
    return total


def summary(filters: Filters) -> Summary:
    need = _Need(durations=_durations_for(filters, DURATIONS, True))
    daily, source = _daily(filters, need=need, resolution=None)
    backlog = _backlog_counts(filters, filters.end, None)
    return _summary_of(_total(daily.get("", {})), filters, backlog.get("", 0), source)


def _bucket_start(day: date, period: Period) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return _quarter_start(day)


def _next_bucket(day: date, period: Period) -> date:
    if period == "day":
        return day + timedelta(days=1)
    if period == "week":
        return day + timedelta(days=7)
    return _add_months(day, 1 if period == "month" else 3)


def _value(delta: Delta, metric: str, business: bool) -> tuple[float | None, int]:
    if "@" in metric:
        stem, _sep, how = metric.partition("@")
        if stem not in DURATIONS or how not in ("median", "p90", "mean"):
            raise FilterError("metric", _("Unknown metric."))
        stat = _stat(delta, stem + ("_bs" if business else "_s"))
        return getattr(stat, how), stat.n
    rates = {
        "one_touch_rate": ("one_touch", ("solved",)),
        "reopen_rate": ("reopened", ("solved",)),
        "sla_rate": ("sla_met", ("sla_met", "sla_breached")),
    }
    if metric in rates:
        numerator, denominators = rates[metric]
        n = sum(delta.count(d) for d in denominators)
        return (delta.count(numerator) / n if n else None), n
    if metric in COUNT_METRICS:
        value = delta.count(metric)
        return float(value), value
    raise FilterError("metric", _("Unknown metric."))


# The counts a figure can show: the rollups' counts but the backlog's unsolved-in/out marks.
COUNT_METRICS = tuple(n for n in rollups.COUNT_NAMES if n not in ("unsolved_in", "unsolved_out"))


def series(filters: Filters, metric: str, period: Period) -> Series:
    if period not in ("day", "week", "month", "quarter"):
        raise FilterError("period", _("Unknown period."))
    zone = ZoneInfo(filters.zone)
    first_day = filters.start.astimezone(zone).date()
    end_local = filters.end.astimezone(zone)
    last_day = end_local.date() if end_local.time() != time(0) else end_local.date() - timedelta(1)
    starts = []
    cursor = _bucket_start(first_day, period)
    while cursor <= last_day:
        starts.append(cursor)
        cursor = _next_bucket(cursor, period)
    if metric == "backlog":
        return _backlog_series(filters, period, starts)
    _value(Delta(), metric, filters.business)  # validates the name before any query
    stem = metric.partition("@")[0]
    wanted = _durations_for(filters, [stem], False) if "@" in metric else frozenset()
    daily, source = _daily(filters, need=_Need(durations=wanted), resolution=period)
    buckets: dict[date, Delta] = {s: Delta() for s in starts}
    for day, delta in daily.get("", {}).items():
        buckets.setdefault(_bucket_start(day, period), Delta()).add(delta)
    points = []
    for start in starts:
        value, n = _value(buckets[start], metric, filters.business)
        points.append(Point(start=start, value=value, n=n))
    return Series(metric=metric, period=period, points=points, source=source)


def _backlog_series(filters: Filters, period: Period, starts: list[date]) -> Series:
    """The backlog at the end of each bucket (or at filters.end for the last one)."""
    points = []
    source: Source = "rollup" if _backlog_zone(filters) is not None else "exact"
    if source == "rollup" and rollup_grain(filters) is not None:
        base = _backlog_counts(filters, filters.start, None).get("", 0)
        daily, _source = _daily(filters, need=_Need(), resolution=period)
        nets = {day: delta.net_backlog for day, delta in daily.get("", {}).items()}
        running = base
        ordered = sorted(nets)
        index = 0
        for start in starts:
            bucket_end = min(local_midnight(_next_bucket(start, period), filters.zone), filters.end)
            end_day = bucket_end.astimezone(ZoneInfo(filters.zone)).date()
            while index < len(ordered) and ordered[index] < end_day:
                running += nets[ordered[index]]
                index += 1
            points.append(Point(start=start, value=float(running), n=running))
        return Series(metric="backlog", period=period, points=points, source="rollup")
    for start in starts:
        bucket_end = min(local_midnight(_next_bucket(start, period), filters.zone), filters.end)
        count = _backlog_counts(filters, bucket_end, None).get("", 0)
        points.append(Point(start=start, value=float(count), n=count))
    return Series(metric="backlog", period=period, points=points, source=source)


def breakdown(
    filters: Filters, by: Dimension, durations: Iterable[str] | None = None
) -> list[BreakdownRow]:
    """One Summary per group. `durations` limits the duration figures computed to those stems
    (the others are left out of `Summary.durations`, and `status_seconds` is empty): a
    per-agent table that shows two medians need not merge every sketch of every row."""
    if by not in ("team", "agent", "channel", "priority", "type", "organization", "tag") and (
        not by.startswith("custom:")
    ):
        raise FilterError("by", _("Unknown breakdown."))
    stems = list(DURATIONS) if durations is None else [d for d in durations if d in DURATIONS]
    statuses = durations is None
    need = _Need(durations=_durations_for(filters, stems, statuses))
    daily, source = _daily(filters, by, need, resolution=None)
    backlog = _backlog_counts(filters, filters.end, by)
    keys = sorted(set(daily) | set(backlog))
    labels = _labels(by, keys)
    return [
        BreakdownRow(
            key=key,
            label=labels.get(key, key),
            summary=_summary_of(
                _total(daily.get(key, {})), filters, backlog.get(key, 0), source, stems, statuses
            ),
        )
        for key in keys
    ]


def _labels(by: str, keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    none = {"": _("None")}
    if by == "team":
        return none | {str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name")}  # fmt: skip  # noqa: E501
    if by == "agent":
        people = User.objects.filter(pk__in=ids).values_list("pk", "name")
        return {"": _("Unassigned")} | {str(pk): name for pk, name in people}
    if by == "organization":
        orgs = Organization.objects.filter(pk__in=ids).values_list("pk", "name")
        return none | {str(pk): name for pk, name in orgs}
    choices = {"channel": Channel, "priority": Priority, "type": TicketType}.get(by)
    if choices is not None:
        return none | {str(v): str(label) for v, label in choices.choices}
    return none


# --- backlog ---------------------------------------------------------------------------------


def _backlog_zone(filters: Filters) -> str | None:
    """The zone whose rollups answer the backlog (the total does not depend on the zone)."""
    if _exact_only(filters) or (filters.agent_ids and (filters.channels or filters.priorities)):
        return None
    configured = _zones()
    if not configured:
        return None
    return filters.zone if filters.zone in configured else configured[0]


_SPAN_KEYS = {
    "team": "team_key",
    "agent": "agent_key",
    "channel": "channel",
    "priority": "priority",
}


def _backlog_counts(filters: Filters, at: datetime, by: str | None) -> dict[str, int]:
    """Unsolved tickets at `at` per group key: prefix sums of whole local days from the
    rollups plus the spans that started or ended since local midnight; else the spans
    stabbing `at` (exact)."""
    zone = _backlog_zone(filters)
    grain = None
    if zone is not None and by in (None, "team", "agent", "channel", "priority"):
        agent = bool(filters.agent_ids) or by == "agent"
        channel = bool(filters.channels or filters.priorities) or by in ("channel", "priority")
        grain = (
            None if agent and channel else "agent" if agent else "channel" if channel else "team"
        )
    result: dict[str, int] = defaultdict(int)
    if zone is not None and grain is not None:
        day = at.astimezone(ZoneInfo(zone)).date()
        midnight = local_midnight(day, zone)
        month = day.replace(day=1)  # whole months before this one, then its days
        before = Q(period="month", day__lt=month) | Q(period="day", day__gte=month, day__lt=day)
        rows = _dimension_filter(
            Rollup.objects.filter(before, zone=zone, grain=grain),
            filters,
            team="team_key",
            agent="agent_key",
        )
        group = _SPAN_KEYS.get(by or "")
        if group:
            for key, net in rows.values_list(group).annotate(net=Sum("net_backlog")).order_by():
                result[_key_str(key)] += net or 0
        else:
            result[""] += rows.aggregate(net=Sum("net_backlog"))["net"] or 0
        spans = _dimension_filter(
            BacklogSpan.objects.all(), filters, team="team_key", agent="agent_key"
        )
        started = Q(start__gte=midnight, start__lte=at)
        ended = Q(end__gte=midnight, end__lte=at)
        values = [group] if group else []
        today = (
            spans.filter(started | ended)
            .values(*values)
            .annotate(n_in=Count("pk", filter=started), n_out=Count("pk", filter=ended))
            .order_by()
        )
        for row in today:
            result[_key_str(row[group]) if group else ""] += row["n_in"] - row["n_out"]
        return {k: v for k, v in result.items() if v or k == ""}
    # Exact: the spans stabbing `at` of the matching tickets.
    ticket_ids = _stabbing(filters, at).values_list("ticket_id", flat=True)
    if by is None:
        return {"": ticket_ids.count()}
    stabbed = list(TicketMetrics.objects.filter(ticket_id__in=list(ticket_ids)))
    key_fn = _key_function(by, stabbed)
    for metric_row in stabbed:
        for key in key_fn(metric_row):
            result[key] += 1
    return dict(result)


def _key_str(value: object) -> str:
    return "" if value in (None, 0, "") else str(value)


def _stabbing(filters: Filters, at: datetime) -> QuerySet[BacklogSpan]:
    qs = BacklogSpan.objects.filter(start__lte=at).filter(Q(end__isnull=True) | Q(end__gt=at))
    if _exact_only(filters) or (filters.agent_ids and (filters.channels or filters.priorities)):
        return qs.filter(ticket_id__in=_metric_rows(filters).values("ticket_id"))
    return _dimension_filter(qs, filters, team="team_key", agent="agent_key")


def backlog_at(filters: Filters, at: datetime) -> Backlog:
    total = _backlog_counts(filters, at, None).get("", 0)
    window = _stabbing(filters, at).filter(
        start__gt=at - timedelta(days=30), ticket_created_at__gt=at - timedelta(days=30)
    )
    counts: dict[str, Any] = {}
    bounds = [low for _label, low in AGE_BUCKETS]
    for index, (label, low) in enumerate(AGE_BUCKETS[:-1]):
        high = bounds[index + 1]
        counts[label] = Count(
            "pk",
            filter=Q(
                ticket_created_at__lte=at - timedelta(seconds=low),
                ticket_created_at__gt=at - timedelta(seconds=high),
            ),
        )
    found = window.aggregate(**counts)
    ages = [(label, low, found[label] or 0) for label, low in AGE_BUCKETS[:-1]]
    ages.append((AGE_BUCKETS[-1][0], AGE_BUCKETS[-1][1], total - sum(a[2] for a in ages)))
    source: Source = "rollup" if _backlog_zone(filters) is not None else "exact"
    return Backlog(at=at, total=total, ages=ages, source=source)


# --- the rest --------------------------------------------------------------------------------


def heatmap(filters: Filters) -> Heatmap:
    daily, source = _daily(filters, need=_Need(hours=True))
    counts = [[0] * 24 for _day in range(7)]
    for day, delta in daily.get("", {}).items():
        row = counts[day.weekday()]
        for hour, n in enumerate(delta.hours):
            row[hour] += n
    return Heatmap(counts=counts, source=source)


def sla_attainment(filters: Filters) -> list[SlaRow]:
    """Targets met and breached per policy, counted where summary counts them (the solve
    day, or the created day while unsolved); always from TicketMetrics.sla, counted by the
    database (one grouped query over the period's rows; a Python pass only if a row holds a
    target that is not one of the SLA engine's metrics)."""
    from doum.sla.models import Metric, SlaPolicy

    targets = sorted(Metric.values)
    # Two disjoint parts, each read through its own index (as one OR, the planner scans the
    # whole table): solved in the period, and unsolved created in the period.
    base = _candidates(filters).filter(merged=False).exclude(sla={})
    parts = [
        base.filter(solved_at__gte=filters.start, solved_at__lt=filters.end),
        base.filter(
            solved_at__isnull=True, created_at__gte=filters.start, created_at__lt=filters.end
        ),
    ]
    counted: dict[str, Any] = {"all_met": Sum("sla_met"), "all_breached": Sum("sla_breached")}
    for index, target in enumerate(targets):
        counted[f"met_{index}"] = Count("pk", filter=Q(**{f"sla__{target}": "met"}))
        counted[f"breached_{index}"] = Count("pk", filter=Q(**{f"sla__{target}": "breached"}))
    tally: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0])
    pairs = [name for name in counted if name not in ("all_met", "all_breached")]
    unknown_target = False
    for rows in parts:
        grouped = rows.values("sla_policy_id").annotate(**counted).order_by()
        for found in grouped.values_list("sla_policy_id", "all_met", "all_breached", *pairs):
            pid, all_met, all_breached = found[0], found[1] or 0, found[2] or 0
            per_target = found[3:]  # met_0, breached_0, met_1, breached_1, ...
            for index, target in enumerate(targets):
                met, breached = per_target[2 * index], per_target[2 * index + 1]
                if met or breached:
                    tally[(pid, target)][0] += met
                    tally[(pid, target)][1] += breached
            unknown_target = unknown_target or sum(per_target) != all_met + all_breached
    if unknown_target:  # a target the engine does not know: count every row in Python
        tally = defaultdict(lambda: [0, 0])
        for rows in parts:
            for key, (met, breached) in _sla_tally_python(rows).items():
                tally[key][0] += met
                tally[key][1] += breached
    ids = {pid for pid, _t in tally if pid}
    names = dict(SlaPolicy.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [
        SlaRow(
            policy_id=pid,
            policy_name=names.get(pid, _("No policy")) if pid else _("No policy"),
            target=target,
            met=met,
            breached=breached,
        )
        for (pid, target), (met, breached) in sorted(
            tally.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])
        )
    ]


def _sla_tally_python(rows: QuerySet[TicketMetrics]) -> dict[tuple[int | None, str], list[int]]:
    tally: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows.only("ticket_id", "sla_policy_id", "sla"):
        for target, outcome in (row.sla or {}).items():
            if outcome in ("met", "breached"):
                tally[(row.sla_policy_id, target)][0 if outcome == "met" else 1] += 1
    return tally


DRILL_METRICS = (*COUNT_METRICS, "backlog", *DURATIONS)


def drill_down(viewer: User, filters: Filters, metric: str) -> QuerySet[Ticket]:
    """The tickets behind a number: `metric` is "created", "solved", "backlog", "reopened",
    "one_touch", "sla_breached", a DURATIONS name, ... — the same tickets the figure counts,
    and only tickets the viewer may see."""
    from doum.tickets.selectors import visible_tickets

    if metric not in DRILL_METRICS:
        raise FilterError("metric", _("Unknown metric."))
    visible = visible_tickets(viewer)
    if metric == "backlog":
        ids = _stabbing(filters, filters.end).values("ticket_id")
        return visible.filter(pk__in=ids)
    condition = _sql_condition(filters, metric)
    if condition is None:
        return visible.filter(pk__in=_drill_by_items(filters, metric))
    rows = _metric_rows(filters).filter(condition)
    return visible.filter(pk__in=rows.values("ticket_id"))


def drill_rows(viewer: User, filters: Filters, metric: str) -> QuerySet[TicketMetrics] | None:
    """The `TicketMetrics` rows of the tickets `drill_down` lists (not the backlog), for
    aggregates over them such as a histogram; None where the metric has no SQL condition
    (next replies on SQLite). A viewer who sees every ticket reads the rows directly
    (deleted tickets are `excluded` there); others through their visible tickets."""
    from doum.tickets.selectors import visible_tickets

    if metric not in DRILL_METRICS or metric == "backlog":
        raise FilterError("metric", _("Unknown metric."))
    condition = _sql_condition(filters, metric)
    if condition is None:
        return None
    rows = _metric_rows(filters).filter(condition)
    if viewer.role not in roles.SEES_ALL_TICKETS:
        rows = rows.filter(ticket_id__in=visible_tickets(viewer).values("pk"))
    return rows


def _sql_condition(filters: Filters, metric: str) -> Q | None:
    condition = _drill_condition(filters, metric)
    if condition is None and metric == "next_reply" and connection.vendor == "postgresql":
        condition = _next_reply_in_period(filters)
    return condition


# A next reply [instant, seconds, business seconds] in [lo, hi) with a duration (PostgreSQL's
# SQL/JSON path). Strict mode: lax mode would unwrap each reply into its numbers before the
# filter; a reply without a third element makes that comparison unknown, not an error.
_NEXT_REPLY_PATH = (
    'strict $[*] ? (@[0] >= $lo && @[0] < $hi && (@[1].type() == "number" || '
    '@[2].type() == "number"))'
)


class _JsonPath(TextField):
    def db_type(self, connection: Any) -> str:
        return "jsonpath"


def _next_reply_in_period(filters: Filters) -> Q:
    bounds = {"lo": filters.start.timestamp(), "hi": filters.end.timestamp()}
    found = Func(
        F("next_replies"),
        Cast(Value(_NEXT_REPLY_PATH), output_field=_JsonPath()),
        Value(bounds, output_field=JSONField()),
        function="jsonb_path_exists",
        output_field=BooleanField(),
    )
    return Q(found)


def _in_period(column: str, filters: Filters) -> Q:
    return Q(**{f"{column}__gte": filters.start, f"{column}__lt": filters.end})


def _drill_condition(filters: Filters, metric: str) -> Q | None:
    """The SQL condition selecting exactly the rows whose items (rollups.items) count
    `metric` inside the period, so a drill-down over a quarter at a million tickets is one
    indexed query instead of a pass over every candidate in Python; None for next replies
    (their instants live in a JSON list): a JSON path on PostgreSQL, `_drill_by_items` on
    SQLite. A test holds both
    paths equal for every metric."""
    solved = Q(merged=False) & _in_period("solved_at", filters)
    if metric == "created":
        return _in_period("created_at", filters)
    if metric == "solved":
        return solved
    flags = {
        "reopened": Q(reopens__gt=0),
        "agent_replies": Q(agent_replies__gt=0),
        "one_touch": Q(one_touch=True),
        "two_touch": Q(two_touch=True),
    }
    if metric in flags:
        return solved & flags[metric]
    if metric in ("sla_met", "sla_breached"):
        # Counted on the solve day, or on the created day while the ticket is unsolved.
        unsolved = Q(solved_at__isnull=True) & _in_period("created_at", filters)
        return Q(merged=False, **{f"{metric}__gt": 0}) & (solved | unsolved)
    has = Q(**{f"{metric}_s__isnull": False}) | Q(**{f"{metric}_bs__isnull": False})
    if metric == "first_reply":  # merged tickets keep their reply times
        return _in_period("first_reply_at", filters) & has
    if metric in rollups.DURATION_STEMS and metric != "next_reply":
        return solved & has
    return None


def _drill_by_items(filters: Filters, metric: str) -> list[int]:
    """The tickets whose items count `metric` in the period, read item by item."""
    names = {metric} if metric in COUNT_METRICS else {f"{metric}_s", f"{metric}_bs"}
    candidates = _candidates(filters)
    if metric == "next_reply":
        candidates = candidates.exclude(next_replies=[])
    return [
        row.ticket_id
        for row in candidates
        if any(item.name in names for item, _moment in _items_in_range(row, filters))
    ]
