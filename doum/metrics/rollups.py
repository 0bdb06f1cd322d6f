"""A ticket's contribution to the daily rollups, and the arithmetic of applying it.

One function decides what a ticket adds to the figures: `items(values)` lists every
(instant, what, amount) of one ticket; `contribution(values, zone)` groups them by local day
into the three rollup grains, and the exact path of `queries` aggregates the very same items
(filtered by instant instead of by day), so both paths count the same things.

Where each figure is counted (docs/metrics.md, "Aggregates"):

* created: the local day (and hour) the ticket was created;
* unsolved_in / unsolved_out: the start and the end of each unsolved span (the backlog);
* first reply time on the day of the first reply; each next reply time on its reply day;
* solved, reopened (solved tickets reopened at least once), agent_replies, one_touch,
  two_touch, resolution times, requester/agent wait, on-hold, agent work and the time in
  each status: on the day of the *last* solve, while the ticket is solved (a reopen takes the
  ticket off its old solve day; the next solve counts it again);
* sla_met / sla_breached (targets that ended): on the solve day; a ticket that is not solved
  (yet) counts them on its created day, so a breach shows before the ticket is solved;
* excluded tickets (spam, deleted) count nothing; a ticket merged into another counts as
  created, its backlog until the merge and its reply times, and never as solved (the target
  ticket carries the conversation on).

All amounts are integers, so subtracting a ticket's old contribution and adding its new one
is exact: the incremental refresh and a rebuild from scratch give identical rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from doum.metrics import sketch
from doum.metrics.definitions import TicketMetricValues

if TYPE_CHECKING:
    from doum.metrics.models import Rollup, TicketMetrics

GRAINS = ("team", "agent", "channel")
# A rollup row covers a local day, the ISO week starting on Monday `day`, or the month
# starting on `day`; coarser rows are exact sums of day rows (fewer rows for long periods).
PERIODS = ("day", "week", "month")
DURATION_STEMS = (
    "first_reply",
    "next_reply",
    "first_resolution",
    "full_resolution",
    "requester_wait",
    "agent_wait",
    "on_hold",
    "agent_work",
)
STATUSES = ("new", "open", "pending", "on_hold")
# Durations counted on the solve day (first and next replies have their own days).
_SOLVE_DURATIONS = DURATION_STEMS[2:]
# Everything a rollup row holds: counts, and per duration name a count, a total and a sketch.
COUNT_NAMES = (
    "created",
    "solved",
    "reopened",
    "agent_replies",
    "one_touch",
    "two_touch",
    "sla_met",
    "sla_breached",
    "unsolved_in",
    "unsolved_out",
)
DURATION_NAMES = (
    *(stem + suffix for stem in DURATION_STEMS for suffix in ("_s", "_bs")),
    *(f"status_{status}" for status in STATUSES),
)
HOUR_COLUMNS = tuple(f"h{hour:02d}" for hour in range(24))


def count_column(name: str) -> str:
    return f"c_{name}"


def n_column(name: str) -> str:
    return f"{name}_n"


def sum_column(name: str) -> str:
    return f"{name}_sum"


def sketch_column(name: str) -> str:
    return f"{name}_sk"


COUNT_COLUMNS = tuple(count_column(n) for n in COUNT_NAMES)
# Every figure column of a Rollup row, in the order `delta_of_values` reads them.
FIGURE_COLUMNS = (
    "net_backlog",
    *COUNT_COLUMNS,
    *(column for name in DURATION_NAMES for column in (n_column(name), sum_column(name))),
    *(sketch_column(name) for name in DURATION_NAMES),
    *HOUR_COLUMNS,
)
_N_COUNTS = len(COUNT_NAMES)
_N_DURATIONS = len(DURATION_NAMES)

COUNT = 0
DURATION = 1


class Item(NamedTuple):
    at: float  # epoch seconds
    kind: int  # COUNT or DURATION
    name: str  # "created", "first_reply_s", "status_open", ...
    amount: int  # a count, or a duration in seconds


class RollupKey(NamedTuple):
    grain: str
    day: date  # the first day of the period
    team_key: int
    agent_key: int
    channel: str
    priority: str
    period: str = "day"


def period_start(day: date, period: str) -> date:
    """The first day of the `period` ("day", "week": Monday, "month") that holds `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


@lru_cache(maxsize=64)
def zone_info(zone: str) -> ZoneInfo:
    return ZoneInfo(zone)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def items(values: TicketMetricValues) -> list[Item]:
    """Everything one ticket adds to the aggregates, each with the instant it counts at."""
    if values.excluded:
        return []
    out: list[Item] = []
    created = _epoch(values.created_at)
    out.append(Item(created, COUNT, "created", 1))
    for start, end in values.unsolved_spans:
        if start is not None:
            out.append(Item(float(start), COUNT, "unsolved_in", 1))
        if end is not None:
            out.append(Item(float(end), COUNT, "unsolved_out", 1))
    if values.first_reply_at is not None:
        replied = _epoch(values.first_reply_at)
        if values.first_reply_s is not None:
            out.append(Item(replied, DURATION, "first_reply_s", values.first_reply_s))
        if values.first_reply_bs is not None:
            out.append(Item(replied, DURATION, "first_reply_bs", values.first_reply_bs))
    for reply in values.next_replies:
        at, seconds = reply[0], reply[1]
        business = reply[2] if len(reply) > 2 else None
        if seconds is not None:
            out.append(Item(float(at), DURATION, "next_reply_s", int(seconds)))
        if business is not None:
            out.append(Item(float(at), DURATION, "next_reply_bs", int(business)))
    if values.merged:
        return out
    solved = _epoch(values.solved_at) if values.solved_at is not None else None
    if solved is not None:
        out.append(Item(solved, COUNT, "solved", 1))
        if values.reopens > 0:
            out.append(Item(solved, COUNT, "reopened", 1))
        if values.agent_replies:
            out.append(Item(solved, COUNT, "agent_replies", values.agent_replies))
        if values.one_touch:
            out.append(Item(solved, COUNT, "one_touch", 1))
        if values.two_touch:
            out.append(Item(solved, COUNT, "two_touch", 1))
        for stem in _SOLVE_DURATIONS:
            for suffix in ("_s", "_bs"):
                amount = getattr(values, stem + suffix)
                if amount is not None:
                    out.append(Item(solved, DURATION, stem + suffix, int(amount)))
        for status, seconds in sorted(values.status_seconds.items()):
            if seconds is not None:
                out.append(Item(solved, DURATION, f"status_{status}", int(seconds)))
    sla_at = solved if solved is not None else created
    if values.sla_met:
        out.append(Item(sla_at, COUNT, "sla_met", values.sla_met))
    if values.sla_breached:
        out.append(Item(sla_at, COUNT, "sla_breached", values.sla_breached))
    return out


@dataclass
class Delta:
    """Figures to add to (or, negated, take from) one rollup row; also an aggregate."""

    counts: dict[str, int] = field(default_factory=dict)
    sums: dict[str, list[int]] = field(default_factory=dict)  # name -> [n, total]
    sketches: dict[str, dict[str, int]] = field(default_factory=dict)
    hours: list[int] = field(default_factory=lambda: [0] * 24)

    def add_item(self, item: Item, hour: int, sign: int = 1) -> None:
        if item.kind == COUNT:
            self.counts[item.name] = self.counts.get(item.name, 0) + sign * item.amount
            if item.name == "created":
                self.hours[hour] += sign
            return
        pair = self.sums.setdefault(item.name, [0, 0])
        pair[0] += sign
        pair[1] += sign * item.amount
        buckets = self.sketches.setdefault(item.name, {})
        key = sketch.bucket(item.amount)
        buckets[key] = buckets.get(key, 0) + sign

    def add(self, other: Delta, sign: int = 1) -> None:
        """Add `other` (sign=-1: subtract); entries that fall to zero are dropped."""
        for name, amount in other.counts.items():
            total = self.counts.get(name, 0) + sign * amount
            if total:
                self.counts[name] = total
            else:
                self.counts.pop(name, None)
        for name, (n, total) in other.sums.items():
            pair = self.sums.get(name, [0, 0])
            pair = [pair[0] + sign * n, pair[1] + sign * total]
            if pair[0] or pair[1]:
                self.sums[name] = pair
            else:
                self.sums.pop(name, None)
        for name, buckets in other.sketches.items():
            # In place (linear in `other`, not in this sum: a month row sums thousands of
            # deltas); a dict is only ever shared by copying it first.
            mine = self.sketches.get(name)
            if mine is None:
                mine = self.sketches[name] = {}
            sketch.merge_into(mine, buckets, sign)
            if not mine:
                del self.sketches[name]
        if len(self.hours) != 24:
            self.hours = [0] * 24
        if any(other.hours):
            for hour, amount in enumerate(other.hours):
                self.hours[hour] += sign * amount

    def copy(self) -> Delta:
        """An independent copy (what adding into an empty Delta gives, without the merging)."""
        return Delta(
            counts=dict(self.counts),
            sums={name: list(pair) for name, pair in self.sums.items()},
            sketches={name: dict(buckets) for name, buckets in self.sketches.items()},
            hours=list(self.hours) if len(self.hours) == 24 else [0] * 24,
        )

    def add_all(self, other: Delta) -> Delta:
        self.add(other)
        return self

    def normalise(self) -> Delta:
        """Drop zero entries (after add_item, which keeps them)."""
        self.counts = {k: v for k, v in self.counts.items() if v}
        self.sums = {k: v for k, v in self.sums.items() if v[0] or v[1]}
        cleaned = {}
        for name, buckets in self.sketches.items():
            kept = {k: v for k, v in buckets.items() if v}
            if kept:
                cleaned[name] = kept
        self.sketches = cleaned
        return self

    def is_zero(self) -> bool:
        return (
            not any(self.counts.values())
            and not any(n or t for n, t in self.sums.values())
            and not any(any(b.values()) for b in self.sketches.values())
            and not any(self.hours)
        )

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)

    @property
    def net_backlog(self) -> int:
        return self.count("unsolved_in") - self.count("unsolved_out")


def local(at: float, zone: str) -> datetime:
    return datetime.fromtimestamp(at, UTC).astimezone(zone_info(zone))


def dimensions(values: TicketMetricValues) -> tuple[int, int, str, str]:
    """(team key, agent key, channel, priority): what places a ticket in the rollup rows."""
    return (values.team_id or 0, values.assignee_id or 0, values.channel, values.priority)


def signature(values: TicketMetricValues) -> tuple[object, ...]:
    """Everything `contribution` depends on: equal signatures contribute the same."""
    return (dimensions(values), items(values))


def grain_keys(
    day: date, team: int, agent: int, channel: str, priority: str
) -> tuple[RollupKey, ...]:
    """The rows one day's figures of a ticket add to: three grains, each for its day, its
    week and its month."""
    keys = []
    for period in PERIODS:
        start = period_start(day, period)
        keys += [
            RollupKey("team", start, team, 0, "", "", period),
            RollupKey("agent", start, team, agent, "", "", period),
            RollupKey("channel", start, team, 0, channel, priority, period),
        ]
    return tuple(keys)


def keys_for(values: TicketMetricValues, day: date) -> tuple[RollupKey, ...]:
    return grain_keys(day, *dimensions(values))


def expand(fine: dict[tuple[object, ...], Delta]) -> dict[RollupKey, Delta]:
    """Sums per (day, team, agent, channel, priority) spread into the grains and periods:
    first into the day rows of the three grains, then each day row into its week and month
    (a batch's tickets share their weeks and months: far fewer additions than adding every
    ticket to nine rows)."""
    result: dict[RollupKey, Delta] = {}
    for (day, team, agent, channel, priority), delta in fine.items():
        if delta.is_zero():
            continue
        for key in (
            RollupKey("team", day, team, 0, "", ""),  # type: ignore[arg-type]
            RollupKey("agent", day, team, agent, "", ""),  # type: ignore[arg-type]
            RollupKey("channel", day, team, 0, channel, priority),  # type: ignore[arg-type]
        ):
            target = result.get(key)
            if target is None:  # a row's first delta is copied, not merged into nothing
                result[key] = delta.copy()
            else:
                target.add(delta)
    for key, delta in list(result.items()):
        for period in PERIODS[1:]:
            coarse = key._replace(day=period_start(key.day, period), period=period)
            target = result.get(coarse)
            if target is None:
                result[coarse] = delta.copy()
            else:
                target.add(delta)
    return result


def by_day(values: TicketMetricValues, zone: str) -> dict[date, Delta]:
    days: dict[date, Delta] = {}
    for item in items(values):
        moment = local(item.at, zone)
        delta = days.get(moment.date())
        if delta is None:
            delta = days[moment.date()] = Delta()
        delta.add_item(item, moment.hour)
    return days


def contribution(values: TicketMetricValues, zone: str) -> dict[RollupKey, Delta]:
    """What one ticket adds to the rollup rows of `zone` (local days), for every grain."""
    result: dict[RollupKey, Delta] = {}
    for day, delta in by_day(values, zone).items():
        delta.normalise()
        for key in keys_for(values, day):
            found = result.get(key)
            if found is None:
                result[key] = delta if key.period == "day" else Delta().add_all(delta)
            else:  # a week or month row: several days of the ticket add up
                found.add(delta)
    return result


def accumulate(
    into: dict[RollupKey, Delta], parts: Iterable[tuple[dict[RollupKey, Delta], int]]
) -> dict[RollupKey, Delta]:
    """Sum contributions (each with a sign: +1 new, -1 old) per key."""
    for contribution_, sign in parts:
        for key, delta in contribution_.items():
            target = into.get(key)
            if target is None:
                target = into[key] = Delta()
            target.add(delta, sign)
    return into


def nonzero(deltas: dict[RollupKey, Delta]) -> Iterator[tuple[RollupKey, Delta]]:
    for key, delta in deltas.items():
        if not delta.is_zero():
            yield key, delta


# --- rows ------------------------------------------------------------------------------------


def delta_of_row(row: Rollup) -> Delta:
    """A stored row's figures as a Delta (zero entries left out)."""
    sums: dict[str, list[int]] = {}
    sketches: dict[str, dict[str, int]] = {}
    for name in DURATION_NAMES:
        n, total = getattr(row, n_column(name)), getattr(row, sum_column(name))
        if n or total:
            sums[name] = [n, total]
        found = sketch.decode(getattr(row, sketch_column(name)))
        if found:
            sketches[name] = found
    return Delta(
        counts={n: v for n in COUNT_NAMES if (v := getattr(row, count_column(n)))},
        sums=sums,
        sketches=sketches,
        hours=[getattr(row, column) for column in HOUR_COLUMNS],
    )


def delta_of_values(
    values: Sequence[Any], sketched: Collection[str] | None = None
) -> tuple[Delta, dict[str, Any]]:
    """A Delta from a row's FIGURE_COLUMNS values (as values_list returns them), and the
    stored sketches it did not decode: only those in `sketched` are (None: all), so a writer
    re-encodes only the sketches its change touches and keeps the others' bytes."""
    at = 1 + _N_COUNTS
    counts = {n: v for n, v in zip(COUNT_NAMES, values[1:at], strict=True) if v}
    sums: dict[str, list[int]] = {}
    for index, name in enumerate(DURATION_NAMES):
        n, total = values[at + 2 * index], values[at + 2 * index + 1]
        if n or total:
            sums[name] = [n, total]
    at += 2 * _N_DURATIONS
    sketches: dict[str, dict[str, int]] = {}
    kept: dict[str, Any] = {}
    for index, name in enumerate(DURATION_NAMES):
        stored = values[at + index]
        if sketched is not None and name not in sketched:
            kept[name] = stored
            continue
        found = sketch.decode(stored)
        if found:
            sketches[name] = found
    at += _N_DURATIONS
    delta = Delta(counts=counts, sums=sums, sketches=sketches, hours=list(values[at : at + 24]))
    return delta, kept


def row_fields(
    delta: Delta, kept: Mapping[str, Any] | None = None
) -> dict[str, int | bytes | None]:
    """The column values of a row holding `delta` (every figure column); `kept`: stored
    sketches written back as they are (see delta_of_values)."""
    unknown = (set(delta.counts) - set(COUNT_NAMES)) | (
        (set(delta.sums) | set(delta.sketches)) - set(DURATION_NAMES)
    )
    if unknown:
        raise ValueError(f"not a rollup figure: {sorted(unknown)}")
    fields: dict[str, int | bytes | None] = {
        count_column(n): delta.counts.get(n, 0) for n in COUNT_NAMES
    }
    for name in DURATION_NAMES:
        n, total = delta.sums.get(name, (0, 0))
        fields[n_column(name)] = n
        fields[sum_column(name)] = total
        if kept is not None and name in kept:
            fields[sketch_column(name)] = kept[name] if kept[name] else None
        else:
            fields[sketch_column(name)] = sketch.encode(delta.sketches.get(name, {}))
    hours = delta.hours if len(delta.hours) == 24 else [0] * 24
    fields.update(zip(HOUR_COLUMNS, hours, strict=True))
    fields["net_backlog"] = delta.net_backlog
    return fields


def write_row(row: Rollup, delta: Delta) -> None:
    for name, value in row_fields(delta).items():
        setattr(row, name, value)


def values_of(row: TicketMetrics) -> TicketMetricValues:
    """A stored TicketMetrics row back as the values `compute` returned."""
    return TicketMetricValues(
        **{f.name: getattr(row, f.name) for f in dataclasses.fields(TicketMetricValues)}
    )


def active_until(values: TicketMetricValues) -> datetime | None:
    """The last instant the ticket counts at; None while an unsolved span runs."""
    if any(end is None for _, end in values.unsolved_spans):
        return None
    found = items(values)
    if not found:
        return values.created_at
    return datetime.fromtimestamp(max(item.at for item in found), UTC)
