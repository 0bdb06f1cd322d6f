"""Keeping TicketMetrics, BacklogSpan and Rollup current.

* Every committed ticket change (historical ones too: imports and demo data must reach the
  metrics) upserts one `MetricsDirty` row: one statement, nothing else on the request path.
* `run()` (the scheduler job "metrics.refresh", every 30 s) takes the marks in batches. One
  transaction per batch: claim and delete the marks (PostgreSQL: one
  `DELETE ... WHERE ticket_id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`, so two workers
  never take the same ticket; SQLite serialises writers with BEGIN IMMEDIATE), load the old
  TicketMetrics rows, compute the new values (`loading.compute_many`), diff the old and new
  contributions for every zone of DOUM_METRICS_TIME_ZONES (tickets whose dimensions and
  counted items did not change are skipped), sum the whole batch per (day, team, agent,
  channel, priority), spread the sums into the day rows of the three grains and those into
  their week and month rows, read the affected rollup rows once (PostgreSQL: exactly those
  rows, the keys joined on the unique index; SQLite: one query per grain and period) and
  write them back with one upsert (PostgreSQL: INSERT ... SELECT FROM unnest()
  of one typed array per column ... ON CONFLICT DO UPDATE; SQLite: executemany of the same
  upsert; rows whose figures all fall to zero are deleted), rewrite the moved tickets'
  BacklogSpan rows and upsert TicketMetrics (INSERT ... ON CONFLICT).
* A mark written while a batch runs is not lost: the batch deleted the old mark inside its
  transaction, so the new upsert either waits for the batch to commit and then inserts a
  fresh mark (PostgreSQL: the deleted row is locked until commit; SQLite: the writer waits),
  or commits before the batch claimed it, in which case the batch already reads that change
  (the hook runs after the change committed).
* Concurrent refreshers touch the same rollup rows: each batch (from reading the old
  TicketMetrics rows to writing the rollups) holds a transaction-scoped advisory lock on
  PostgreSQL (SQLite has one writer anyway), so batches apply one after the other; claiming
  with SKIP LOCKED still keeps two workers off the same ticket.
* `rebuild()` empties the derived tables and recomputes every ticket through the same batch
  code path as `run()`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from doum.core import clock, scheduler
from doum.metrics import rollups, sketch
from doum.metrics.definitions import DEFINITIONS_VERSION, TicketMetricValues
from doum.metrics.models import BacklogSpan, MetricsDirty, Rollup, TicketMetrics
from doum.metrics.rollups import Delta, RollupKey
from doum.tickets import hooks
from doum.tickets.hooks import TicketChange
from doum.tickets.models import Ticket

log = logging.getLogger(__name__)

BATCH = 2000
_LOCK_KEY = 0x646F756D6D6574  # "doummet": the rollup writers' advisory lock
_METRIC_FIELDS = [
    "definitions_version",
    "ticket_version",
    "computed_at",
    "brand_id",
    "team_id",
    "assignee_id",
    "organization_id",
    "requester_id",
    "channel",
    "priority",
    "type",
    "status",
    "excluded",
    "merged",
    "agent_created",
    "imported",
    "created_at",
    "first_reply_at",
    "first_solved_at",
    "solved_at",
    "first_reply_s",
    "first_reply_bs",
    "first_resolution_s",
    "first_resolution_bs",
    "full_resolution_s",
    "full_resolution_bs",
    "requester_wait_s",
    "requester_wait_bs",
    "agent_wait_s",
    "agent_wait_bs",
    "on_hold_s",
    "on_hold_bs",
    "agent_work_s",
    "agent_work_bs",
    "status_seconds",
    "agent_replies",
    "reopens",
    "assignee_changes",
    "team_changes",
    "one_touch",
    "two_touch",
    "next_replies",
    "unsolved_spans",
    "sla_policy_id",
    "sla",
    "sla_met",
    "sla_breached",
    "active_until",
]


def zones() -> list[str]:
    configured = getattr(settings, "DOUM_METRICS_TIME_ZONES", None) or [
        settings.DOUM_DEFAULT_TIME_ZONE
    ]
    return list(dict.fromkeys(configured))


# --- marking ---------------------------------------------------------------------------------


def mark(ticket_ids: Sequence[int]) -> None:
    """Mark tickets for recomputation (one INSERT ... ON CONFLICT DO UPDATE)."""
    if not ticket_ids:
        return
    now = clock.now()
    MetricsDirty.objects.bulk_create(
        [MetricsDirty(ticket_id=i, marked_at=now) for i in sorted(set(ticket_ids))],
        update_conflicts=True,
        unique_fields=["ticket_id"],
        update_fields=["marked_at"],
    )


def on_ticket_changed(change: TicketChange) -> None:
    mark([change.ticket_id])


def connect() -> None:
    """Register the ticket listener and the scheduler job (called from MetricsConfig.ready)."""
    hooks.register(on_ticket_changed)
    scheduler.every("metrics.refresh", seconds=30, task="doum.metrics.tasks.refresh_task")


# --- the batch -------------------------------------------------------------------------------


def _claim(size: int) -> list[int]:
    table = connection.ops.quote_name(MetricsDirty._meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE ticket_id IN ("  # noqa: S608 - table name only
                f"SELECT ticket_id FROM {table} ORDER BY marked_at, ticket_id LIMIT %s "
                "FOR UPDATE SKIP LOCKED) RETURNING ticket_id",
                [size],
            )
            return sorted(row[0] for row in cursor.fetchall())
    ids = list(
        MetricsDirty.objects.order_by("marked_at", "ticket_id").values_list("ticket_id", flat=True)[
            :size
        ]
    )
    if ids:
        MetricsDirty.objects.filter(ticket_id__in=ids).delete()
    return sorted(ids)


def _compute(ticket_ids: Sequence[int]) -> list[TicketMetricValues]:
    from doum.metrics import loading

    return loading.compute_many(list(ticket_ids))


def process(ticket_ids: Sequence[int]) -> int:
    """Recompute these tickets and move the rollups by the difference (inside a transaction)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return 0
    # Before the old rows are read: a rebuild (or another refresher) committing between this
    # read and the rollup write would otherwise have the old contribution subtracted twice.
    _lock_rollups()
    old = {row.ticket_id: row for row in TicketMetrics.objects.filter(ticket_id__in=ids)}
    new = {v.ticket_id: v for v in _compute(ids)}
    old_values = {tid: rollups.values_of(row) for tid, row in old.items()}
    # Only tickets whose figures moved: same dimensions and same items add nothing.
    moved = []
    for tid in ids:
        before, after = old_values.get(tid), new.get(tid)
        if before is None or after is None or rollups.signature(before) != rollups.signature(after):
            moved.append(tid)
    deltas: dict[str, dict[RollupKey, Delta]] = {}
    for zone in zones():
        fine: dict[tuple[object, ...], Delta] = {}
        sides: list[tuple[TicketMetricValues, int]] = []
        for tid in moved:
            if tid in old_values:
                sides.append((old_values[tid], -1))
            if tid in new:
                sides.append((new[tid], 1))
        for values, sign in sides:
            dims = rollups.dimensions(values)
            for day, delta in rollups.by_day(values, zone).items():
                target = fine.get((day, *dims))
                if target is None:
                    target = fine[(day, *dims)] = Delta()
                target.add(delta, sign)
        deltas[zone] = rollups.expand(fine)
    _apply(deltas)
    _write_spans(moved, new)  # equal signatures have equal spans
    _write_metrics(ids, old, new)
    return len(ids)


def _lock_rollups() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


_KEY_COLUMNS = ("zone", "grain", "period", "day", "team_key", "agent_key", "channel", "priority")
_Param = int | str | bytes | date | datetime | None


def _apply(deltas: dict[str, dict[RollupKey, Delta]]) -> None:
    """Add the batch's summed deltas to the rollup rows: one read of the affected rows
    (`_existing_rows`), then multi-row INSERT ... ON CONFLICT DO UPDATE of the new figures
    (plain SQL: Django's bulk_create spends more time compiling ~100 columns a row than the
    database spends writing them) and one DELETE of rows that fell to zero."""
    figures = rollups.FIGURE_COLUMNS
    upserts: list[list[_Param]] = []
    emptied: list[int] = []
    adapt = connection.ops.adapt_datefield_value
    for zone, per in deltas.items():
        needed = dict(rollups.nonzero(per))
        if not needed:
            continue
        existing = _existing_rows(zone, needed)
        for key, delta in needed.items():
            found = existing.get(key)
            kept: dict[str, Any] = {}
            if found is not None:  # the stored sketches stay bytes (merged below)
                current, kept = rollups.delta_of_values(found[1], ())
            else:
                current = Delta()
            current.add(Delta(counts=delta.counts, sums=delta.sums, hours=delta.hours))
            for name, buckets in delta.sketches.items():
                kept[name] = sketch.merge_encoded(kept.get(name), buckets)
            if current.is_zero() and not any(kept.values()):
                if found is not None:
                    emptied.append(found[0])
                continue
            fields = rollups.row_fields(current, kept)
            upserts.append(
                [
                    zone, key.grain, key.period, adapt(key.day), key.team_key, key.agent_key,
                    key.channel, key.priority, *(fields[c] for c in figures),
                ]
            )  # fmt: skip
    for start in range(0, len(emptied), 5000):
        Rollup.objects.filter(pk__in=emptied[start : start + 5000]).delete()
    if upserts:
        _write_rows(upserts, [*_KEY_COLUMNS, *figures])


def _existing_rows(
    zone: str, needed: Mapping[RollupKey, object]
) -> dict[RollupKey, tuple[int, Sequence[Any]]]:
    """The stored rows of these keys: (id, figure values) by key.

    PostgreSQL: exactly those rows, in one query joining the keys (unnest()ed arrays) on the
    rows' unique index. SQLite: one query per grain and period with an IN list per key
    column, a superset filtered here (a few hundred keys at most on the sizes SQLite serves).
    """
    figures = rollups.FIGURE_COLUMNS
    existing: dict[RollupKey, tuple[int, Sequence[Any]]] = {}
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        keys = list(needed)
        picked = ", ".join(f"r.{quote(c)}" for c in figures)
        sql = (
            f"SELECT r.id, r.grain, r.period, r.day, r.team_key, r.agent_key, r.channel, "  # noqa: S608
            f"r.priority, {picked} FROM {quote(Rollup._meta.db_table)} r "
            "JOIN unnest(%b::text[], %b::text[], %b::date[], %b::int[], %b::int[], %b::text[], "
            "%b::text[]) AS k(grain, period, day, team_key, agent_key, channel, priority) "
            "ON r.zone = %b AND r.grain = k.grain AND r.period = k.period AND r.day = k.day "
            "AND r.team_key = k.team_key AND r.agent_key = k.agent_key "
            "AND r.channel = k.channel AND r.priority = k.priority"
        )
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:  # server-side binding
            for start in range(0, len(keys), 5000):
                chunk = keys[start : start + 5000]
                cursor.execute(
                    sql,
                    [
                        [k.grain for k in chunk], [k.period for k in chunk],
                        [k.day for k in chunk], [k.team_key for k in chunk],
                        [k.agent_key for k in chunk], [k.channel for k in chunk],
                        [k.priority for k in chunk], zone,
                    ],
                )  # fmt: skip
                for row in cursor.fetchall():
                    key = RollupKey(row[1], row[3], row[4], row[5], row[6], row[7], row[2])
                    existing[key] = (row[0], row[8:])
        return existing
    for grain in rollups.GRAINS:
        for period in rollups.PERIODS:
            wanted = [k for k in needed if k.grain == grain and k.period == period]
            if not wanted:
                continue
            qs = Rollup.objects.filter(
                zone=zone,
                grain=grain,
                period=period,
                day__in={k.day for k in wanted},
                team_key__in={k.team_key for k in wanted},
            )
            if grain == "agent":
                qs = qs.filter(agent_key__in={k.agent_key for k in wanted})
            if grain == "channel":
                qs = qs.filter(
                    channel__in={k.channel for k in wanted},
                    priority__in={k.priority for k in wanted},
                )
            columns = ("id", "day", "team_key", "agent_key", "channel", "priority", *figures)
            for row in qs.values_list(*columns):
                key = RollupKey(grain, row[1], row[2], row[3], row[4], row[5], period)
                if key in needed:
                    existing[key] = (row[0], row[6:])
    return existing


def _write_rows(
    rows: list[list[_Param]], columns: list[str], *, model: Any = Rollup,
    conflict: Sequence[str] = _KEY_COLUMNS,
) -> None:  # fmt: skip
    """Insert `rows` (values in the order of the `columns`, database column names of
    `model`) or, on a conflict over `conflict`, overwrite the other columns (no `conflict`:
    plain inserts). JSON columns take
    their JSON text; datetimes are adapted here.

    PostgreSQL: one statement per 5,000 rows, a typed array per column unnest()ed into rows
    (row by row, Django's client-side binding sends and plans every inlined value, and its
    bulk_create spends more time compiling ~50-100 columns a row than the database spends
    writing them). SQLite: executemany of a one-row upsert."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = {f.column: f for f in model._meta.concrete_fields}
    names = ", ".join(quote(c) for c in columns)
    target = ", ".join(quote(c) for c in conflict)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c not in conflict)
    on_conflict = f" ON CONFLICT ({target}) DO UPDATE SET {updates}" if conflict else ""
    is_json = [fields[c].get_internal_type() == "JSONField" for c in columns]
    is_moment = [fields[c].get_internal_type() == "DateTimeField" for c in columns]
    adapt = connection.ops.adapt_datetimefield_value
    if any(is_moment):
        rows = [
            [
                adapt(v) if moment and isinstance(v, datetime) else v
                for v, moment in zip(row, is_moment, strict=True)
            ]
            for row in rows
        ]
    if connection.vendor == "postgresql":
        arrays, picked = [], []
        for n, (column, json_column) in enumerate(zip(columns, is_json, strict=True)):
            kind = "text" if json_column else fields[column].db_type(connection)
            arrays.append(f"%b::{kind}[]")
            picked.append(f"u.c{n}::jsonb" if json_column else f"u.c{n}")
        aliases = ", ".join(f"c{n}" for n in range(len(columns)))
        sql = (
            f"INSERT INTO {table} ({names}) SELECT {', '.join(picked)} "  # noqa: S608
            f"FROM unnest({', '.join(arrays)}) AS u({aliases}){on_conflict}"
        )
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:  # server-side binding
            for start in range(0, len(rows), 5000):
                chunk = rows[start : start + 5000]
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
        return
    values = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({values}){on_conflict}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _moment(epoch: int | float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _write_spans(ids: Sequence[int], new: dict[int, TicketMetricValues]) -> None:
    BacklogSpan.objects.filter(ticket_id__in=ids).delete()
    rows: list[list[_Param]] = []
    for tid in ids:
        values = new.get(tid)
        if values is None or values.excluded:
            continue
        for start, end in values.unsolved_spans:
            if start is None:
                continue
            rows.append(
                [
                    values.ticket_id, _moment(start), _moment(end) if end is not None else None,
                    values.created_at, values.team_id or 0, values.assignee_id or 0,
                    values.channel, values.priority,
                ]
            )  # fmt: skip
    if rows:
        columns = ["ticket_id", "start", "end", "ticket_created_at", "team_key", "agent_key",
                   "channel", "priority"]  # fmt: skip
        _write_rows(rows, columns, model=BacklogSpan, conflict=())


def _write_metrics(
    ids: Sequence[int], old: dict[int, TicketMetrics], new: dict[int, TicketMetricValues]
) -> None:
    gone = [tid for tid in old if tid not in new]
    if gone:
        TicketMetrics.objects.filter(ticket_id__in=gone).delete()
    if not new:
        return
    now = clock.now()
    # _METRIC_FIELDS names foreign keys by their attribute (team_id), the others by name.
    concrete = {field.attname: field for field in TicketMetrics._meta.concrete_fields}
    fields = [concrete[name] for name in _METRIC_FIELDS]
    rows: list[list[_Param]] = []
    for values in new.values():
        row: list[Any] = [values.ticket_id]
        for field in fields:
            if field.name == "definitions_version":
                value: Any = DEFINITIONS_VERSION
            elif field.name == "computed_at":
                value = now
            elif field.name == "active_until":
                value = rollups.active_until(values)
            else:
                value = getattr(values, field.attname)
            if field.get_internal_type() == "JSONField":
                value = json.dumps(value, separators=(",", ":"))
            row.append(value)
        rows.append(row)
    columns = ["ticket_id", *(str(field.column) for field in fields)]
    _write_rows(rows, columns, model=TicketMetrics, conflict=("ticket_id",))


# --- entry points ----------------------------------------------------------------------------


def run(limit: int | None = None, *, batch: int = BATCH) -> int:
    """Recompute the marked tickets (at most `limit`); how many were recomputed."""
    done = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        with transaction.atomic():
            ids = _claim(size)
            process(ids)
        done += len(ids)
        if len(ids) < size:
            break
    return done


def rebuild(batch: int = 2000) -> int:
    """Empty TicketMetrics, Rollup and BacklogSpan and recompute every ticket from its events."""
    with transaction.atomic():
        _lock_rollups()
        Rollup.objects.all().delete()
        BacklogSpan.objects.all().delete()
        TicketMetrics.objects.all().delete()
    done = 0
    last = 0
    while True:
        ids = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        with transaction.atomic():
            MetricsDirty.objects.filter(ticket_id__in=ids).delete()
            process(ids)
        done += len(ids)
        last = ids[-1]
    return done


def status() -> dict[str, object]:
    return {
        "dirty": MetricsDirty.objects.count(),
        "ticket_metrics": TicketMetrics.objects.count(),
        "rollups": Rollup.objects.count(),
        "backlog_spans": BacklogSpan.objects.count(),
        "zones": zones(),
        "stale_definitions": TicketMetrics.objects.exclude(
            definitions_version=DEFINITIONS_VERSION
        ).count(),
    }
