"""SLA benchmarks: business-time arithmetic per second, the timer engine per second, and the
SLA sweep over 1,000,000 open tickets on PostgreSQL (and a smaller SQLite run).

    .venv/bin/python bench/sla.py                                   # everything (~10 minutes)
    .venv/bin/python bench/sla.py --databases sqlite --sqlite-tickets 20000   # a quick look
    .venv/bin/python bench/sla.py --databases none                  # arithmetic and engine only

1. **Arithmetic** (`arithmetic`), one process, one thread: a mixed workload on the calendar
   SLA timers actually use (Asia/Seoul, Mon-Fri 09:00-12:00 and 13:00-18:00, Korean public
   holidays including the lunar ones): for random instants in 2026 (in and out of business
   hours), `duration_us(start, end)` with `end` up to 30 days later and `add_us(start, n)`
   with n from 1 minute to 5 business days, half each, through the `_us` fast path (the one
   `doum.sla.timers` uses). Also the same through the datetime API, and `compute_timers` per
   second for a ticket with a realistic history (created, replies, pending, reopen: 12
   events, six targets).
2. **Sweep** (`databases.<db>`), per database in a child process on a fresh database
   (PostgreSQL: `doum_bench_sla`, dropped and recreated; SQLite: a temporary file):
   * load: a brand, staff, a team, the Seoul calendar and a policy through the real actions;
     then `--tickets` open tickets, each with its `TicketSla` row and two `SlaTimer` rows
     (first reply and resolution), inserted in bulk (PostgreSQL `COPY`, SQLite
     `executemany`), skipping the action path. Timers: `--due` of them due now (next check in
     the last 10 minutes), 25 % ended (no next check), the rest due over the next 14 days;
   * `find_ms`: the sweep's due-timer query (`next_check_at <= now ORDER BY next_check_at
     LIMIT 500`), median of 30 runs, with its plan (`EXPLAIN (ANALYZE, BUFFERS)` /
     `EXPLAIN QUERY PLAN`) to show the partial index on `next_check_at` is used;
   * `find_and_lease_ms`: a whole sweep's finding and taking of the due timers: `lease_due`
     (the sweep's one-statement find-and-lease, 100 at a time) until nothing is due, median
     of 3 runs (undone between runs); `claims_ms`: the firing claims of all of them (the
     conditional UPDATE each firing makes, each in its own transaction, as the sweep does
     them one ticket at a time), and a second claim of every timer, which must win none;
   * `baseline_find_ms`: the same query with the index unusable (PostgreSQL: index and bitmap
     scans disabled for the transaction; SQLite: `NOT INDEXED`): the full scan the index
     avoids, and `index_speedup` = baseline / indexed;
   * `fire_ticket_ms`: the whole firing path for `--fire` real tickets (created through the
     actions, with their events): recompute, claim, SLA event, default notice and escalation
     log, per ticket, with its query count.
One JSON document goes to stdout; progress to stderr. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "doum_bench_sla"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
SEOUL_WEEK = {str(d): ["09:00-12:00", "13:00-18:00"] for d in range(5)}
BATCH = 500


def log(msg: str) -> None:
    print(f"[sla {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- 1. arithmetic and engine (no database) -----------------------------------------------


def arithmetic(count: int, seed: int) -> dict[str, Any]:
    from doum.sla.calendar import BusinessCalendar, CalendarSpec, Period, to_epoch_us
    from doum.sla.calendar import weekly_hours as weekly
    from doum.sla.holidays import HolidaySource
    from doum.sla.timers import HistoryEvent, PolicyTargets, compute_timers, replay

    calendar = BusinessCalendar(
        CalendarSpec(
            time_zone="Asia/Seoul",
            weekly=weekly(range(5), Period.parse("09:00-12:00"), Period.parse("13:00-18:00")),
            country_holidays=(HolidaySource("KR"),),
        )
    )
    rng = random.Random(seed)
    lo = to_epoch_us(datetime(2026, 1, 1, tzinfo=UTC))
    year = 365 * 86_400_000_000
    month = 30 * 86_400_000_000
    work = []
    for _ in range(count):
        start = lo + rng.randrange(year)
        if rng.random() < 0.5:
            work.append((0, start, start + rng.randrange(month)))
        else:
            work.append((1, start, rng.randint(1, 5 * 8 * 60) * 60_000_000))
    duration_us, add_us = calendar.duration_us, calendar.add_us

    def mixed() -> None:
        for kind, a, b in work:
            if kind:
                add_us(a, b)
            else:
                duration_us(a, b)

    pairs = [(datetime.fromtimestamp(a / 1e6, UTC), datetime.fromtimestamp(b / 1e6, UTC))
             for kind, a, b in work if not kind]  # fmt: skip

    def durations_api() -> None:
        for a, b in pairs:
            calendar.duration(a, b)

    mixed()  # build and cache every block touched (a long-running worker has them)
    rates: dict[str, float] = {}
    for name, fn, n in (("mixed_us", mixed, count), ("duration_api", durations_api, len(pairs))):
        best = 0.0
        for _ in range(3):
            started = time.perf_counter()
            fn()
            best = max(best, n / (time.perf_counter() - started))
        rates[name] = best

    # The engine: one ticket's realistic history, all six targets.
    t0 = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)  # Monday 10:30 in Seoul

    def at(minutes: int) -> datetime:
        return t0 + timedelta(minutes=minutes)

    def said(minutes: int, role: str) -> HistoryEvent:
        return HistoryEvent.at(at(minutes), "comment_added", public=True, actor_role=role,
                               via="web")  # fmt: skip

    def moved(minutes: int, status: str) -> HistoryEvent:
        return HistoryEvent.at(at(minutes), "field_changed", field="status", new=status)

    history = [
        HistoryEvent.at(t0, "created", data={"status": "new", "priority": "normal"}),
        said(0, "customer"), moved(5, "open"), said(40, "agent"), moved(41, "pending"),
        said(300, "customer"), moved(300, "open"), said(400, "agent"), moved(401, "on_hold"),
        moved(900, "open"), said(1000, "agent"), moved(1000, "solved"),
    ]  # fmt: skip
    policy = PolicyTargets(
        targets={("normal", m): (240, True) for m in (
            "first_reply", "next_reply", "periodic_update", "requester_wait", "agent_work",
            "resolution")},
        calendar=calendar,
    )  # fmt: skip
    now = at(2000)
    engine_n = max(count // 50, 1000)
    started = time.perf_counter()
    for _ in range(engine_n):
        compute_timers(replay(history), policy, now)
    engine_rate = engine_n / (time.perf_counter() - started)
    return {
        "calendar": "Asia/Seoul Mon-Fri 09-12,13-18, KR holidays",
        "operations": count,
        "business_time_ops_per_s": round(rates["mixed_us"]),
        "duration_api_per_s": round(rates["duration_api"]),
        "engine_tickets_per_s": round(engine_rate),
        "engine_history_events": len(history),
        "target_ops_per_s": 200_000,
    }


# --- 2. the sweep on a database (child process) ------------------------------------------


def _copy_text(values: list[Any]) -> str:
    out = []
    for v in values:
        if v is None:
            out.append("\\N")
        elif isinstance(v, bool):
            out.append("t" if v else "f")
        elif isinstance(v, datetime):
            out.append(v.isoformat())
        elif isinstance(v, dict | list):
            out.append(json.dumps(v).replace("\\", "\\\\"))
        else:
            out.append(str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " "))
    return "\t".join(out) + "\n"


def _rows_for(model: Any, given: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """Column names and values of one row of `model`: `given` by attname, else the field's
    default, else NULL."""
    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in given:
            value = given[f.attname]
        elif f.primary_key:
            continue
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        else:
            raise SystemExit(f"no value for {model.__name__}.{f.attname}")
        columns.append(f.column)
        values.append(value)
    return columns, values


def _bulk_insert(model: Any, rows: Iterator[dict[str, Any]], pg: bool) -> int:
    from django.db import connection

    table = model._meta.db_table
    first = next(rows, None)
    if first is None:
        return 0
    columns, values = _rows_for(model, first)
    n = 0
    if pg:
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            buf = [_copy_text(values)]
            n = 1
            for row in rows:
                buf.append(_copy_text(_rows_for(model, row)[1]))
                n += 1
                if len(buf) >= 20_000:
                    cp.write("".join(buf))
                    buf = []
            cp.write("".join(buf))
        return n
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def encode(vals: list[Any]) -> list[Any]:
        return [json.dumps(v) if isinstance(v, dict | list) else v for v in vals]

    with connection.cursor() as cur:
        batch = [encode(values)]
        n = 1
        for row in rows:
            batch.append(encode(_rows_for(model, row)[1]))
            n += 1
            if len(batch) >= 20_000:
                cur.executemany(sql, batch)
                batch = []
        cur.executemany(sql, batch)
    return n


def _median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return round(statistics.median(samples), 3), round(samples[int(0.95 * (len(samples) - 1))], 3)


def worker(database: str, tickets: int, due: int, fire: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from doum.accounts import actions as accounts
    from doum.accounts.roles import Role
    from doum.core import clock
    from doum.sla import state, sweep
    from doum.sla.models import Calendar, SlaPolicy, SlaTarget, SlaTimer, TicketSla
    from doum.tickets import actions as ticket_actions
    from doum.tickets.models import Ticket, Via

    pg = connection.vendor == "postgresql"
    now = clock.now().replace(microsecond=0)
    rng = random.Random(11)
    started = time.perf_counter()
    admin = accounts.do_create_user(actor=None, name="Bench Admin", email="admin@bench.example",
                                    role=Role.ADMIN, password=None)  # fmt: skip
    brand = accounts.do_create_brand(actor=admin, name="Bench", slug="bench",
                                     support_addresses=["help@bench.example"])  # fmt: skip
    lead = accounts.do_create_user(actor=admin, name="Lee Lead", email="lead@bench.example",
                                   role=Role.TEAM_LEAD, password=None)  # fmt: skip
    team = accounts.do_create_team(actor=admin, name="Support", lead=lead)
    agents = []
    for a in range(10):
        agents.append(accounts.do_create_user(actor=admin, name=f"Agent {a}",
                                              email=f"agent{a}@bench.example", role=Role.AGENT,
                                              password=None))  # fmt: skip
        accounts.do_add_team_member(team, actor=admin, user=agents[-1])
    agent = agents[0]
    customer = accounts.do_create_user(actor=agent, name="Kim Customer",
                                       email="kim@customer.example", role=Role.CUSTOMER,
                                       password=None)  # fmt: skip
    calendar = Calendar.objects.create(
        name="Seoul office", time_zone="Asia/Seoul", weekly=SEOUL_WEEK,
        country_holidays=[{"country": "KR"}], created_at=now, updated_at=now,
    )  # fmt: skip
    policy = SlaPolicy.objects.create(name="Standard", calendar=calendar, created_at=now,
                                      updated_at=now)  # fmt: skip
    for priority in ("low", "normal", "high", "urgent"):
        SlaTarget.objects.create(policy=policy, priority=priority, metric="first_reply",
                                 minutes=60)  # fmt: skip
        SlaTarget.objects.create(policy=policy, priority=priority, metric="resolution",
                                 minutes=24 * 60)  # fmt: skip

    # Real tickets whose first reply is overdue now: the whole firing path is measured on them.
    fire_ids = []
    for i in range(fire):
        with clock.at(now - timedelta(days=3, minutes=i)):
            t = ticket_actions.do_create_ticket(
                actor=customer, via=Via.PORTAL, subject=f"Overdue {i}", body="Help, please.",
            )  # fmt: skip
            ticket_actions.do_assign(t, actor=lead, via=Via.WEB,
                                     assignee_id=agents[i % len(agents)].pk,
                                     team_id=team.pk)  # fmt: skip
        fire_ids.append(t.pk)
    state.recompute_many(fire_ids, now=now - timedelta(days=3))
    first_id = (Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def ticket_rows() -> Iterator[dict[str, Any]]:
        for k in range(tickets):
            created = now - timedelta(minutes=rng.randint(1, 14 * 24 * 60))
            yield {
                "id": first_id + k, "brand_id": brand.pk, "subject": f"Synthetic {k}",
                "status": "open", "priority": "normal", "type": "question", "channel": "email",
                "requester_id": customer.pk, "submitter_id": customer.pk,
                "assignee_id": agent.pk, "team_id": team.pk, "custom_fields": {},
                "is_spam": False, "created_at": created, "updated_at": created, "version": 2,
            }  # fmt: skip

    due_rows = set(rng.sample(range(tickets * 2), min(due, tickets * 2)))

    def timer_rows() -> Iterator[dict[str, Any]]:
        for k in range(tickets):
            for j, metric in enumerate(("first_reply", "resolution")):
                n = 2 * k + j
                started_at = now - timedelta(hours=rng.randint(1, 48))
                if n in due_rows:
                    check: datetime | None = now - timedelta(seconds=rng.randint(0, 600))
                elif rng.random() < 0.25:
                    check = None
                else:
                    check = now + timedelta(seconds=rng.randint(1, 14 * 86_400))
                yield {
                    "ticket_id": first_id + k, "policy_id": policy.pk, "metric": metric,
                    "cycle": 1, "status": "active" if check else "fulfilled",
                    "target_minutes": 60 if j == 0 else 1440, "business_hours": True,
                    "started_at": started_at, "deadline": check, "warn_at": None,
                    "fulfilled_at": None if check else now, "next_check_at": check,
                    "updated_at": now,
                }  # fmt: skip

    def sla_rows() -> Iterator[dict[str, Any]]:
        for k in range(tickets):
            yield {"ticket_id": first_id + k, "policy_id": policy.pk, "updated_at": now,
                   "next_deadline": now + timedelta(hours=rng.randint(-2, 300))}  # fmt: skip

    log(f"{database}: inserting {tickets:,} tickets and {2 * tickets:,} timers")
    load_started = time.perf_counter()
    with transaction.atomic():
        if pg:
            with connection.cursor() as cur:
                cur.execute("SET LOCAL session_replication_role = replica")
                cur.execute("SET LOCAL synchronous_commit = off")
        else:
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_keys = OFF")
        _bulk_insert(Ticket, ticket_rows(), pg)
        _bulk_insert(TicketSla, sla_rows(), pg)
        _bulk_insert(SlaTimer, timer_rows(), pg)
    with connection.cursor() as cur:
        if pg:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), "
                "(SELECT max(id) FROM tickets_ticket))"
            )
            for table in ("sla_slatimer", "sla_ticketsla", "tickets_ticket"):
                cur.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cur.execute("PRAGMA foreign_keys = ON")
    load_seconds = time.perf_counter() - load_started
    log(f"{database}: loaded in {load_seconds:.0f} s; measuring")

    due_query = (
        SlaTimer.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("id", "ticket_id")
    )
    limited = due_query[:BATCH]
    sql, params = limited.query.sql_with_params()

    def find() -> list[tuple[int, int]]:
        return list(limited.all())  # a fresh query each time (no queryset cache)

    find_ms, find_p95 = _median_ms(find, 30)

    def baseline() -> None:
        with transaction.atomic(), connection.cursor() as cur:
            if pg:
                cur.execute("SET LOCAL enable_indexscan = off")
                cur.execute("SET LOCAL enable_bitmapscan = off")
                cur.execute("SET LOCAL enable_indexonlyscan = off")
                cur.execute(sql, params)
            else:
                cur.execute(sql.replace('FROM "sla_slatimer"', 'FROM "sla_slatimer" NOT INDEXED'),
                            params)  # fmt: skip
            cur.fetchall()

    baseline_ms, baseline_p95 = _median_ms(baseline, 5)

    def plans() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with transaction.atomic(), connection.cursor() as cur:
            if pg:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                found["indexed"] = [r[0] for r in cur.fetchall()]
                cur.execute("SET LOCAL enable_indexscan = off")
                cur.execute("SET LOCAL enable_bitmapscan = off")
                cur.execute("SET LOCAL enable_indexonlyscan = off")
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                found["baseline"] = [r[0] for r in cur.fetchall()]
                cur.execute("RESET enable_indexscan")
                cur.execute("RESET enable_bitmapscan")
                cur.execute("RESET enable_indexonlyscan")
                cur.execute("EXPLAIN " + sweep.lease_sql(), [now, now, sweep.BATCH, now])
                found["lease"] = [r[0] for r in cur.fetchall()]
            else:
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                found["indexed"] = [str(r[-1]) for r in cur.fetchall()]
                cur.execute(
                    "EXPLAIN QUERY PLAN "
                    + sql.replace('FROM "sla_slatimer"', 'FROM "sla_slatimer" NOT INDEXED'),
                    params,
                )
                found["baseline"] = [str(r[-1]) for r in cur.fetchall()]
                adapt = connection.ops.adapt_datetimefield_value
                cur.execute(
                    "EXPLAIN QUERY PLAN " + sweep.lease_sql(),
                    [adapt(now), adapt(now), sweep.BATCH, adapt(now)],
                )
                found["lease"] = [str(r[-1]) for r in cur.fetchall()]
        return found

    query_plans = plans()

    # The whole path on real tickets, each its own transaction (as the sweep runs it).
    fire_samples, fire_queries = [], []
    for ticket_id in fire_ids:
        with CaptureQueriesContext(connection) as queries:
            t_started = time.perf_counter()
            fired = sweep.fire_ticket(ticket_id, now)
            fire_samples.append((time.perf_counter() - t_started) * 1000)
        fire_queries.append(len(queries))
        if not fired:
            raise SystemExit(f"ticket #{ticket_id} had nothing to fire")

    due_now = list(
        SlaTimer.objects.filter(
            next_check_at__lte=now, next_check_at__gt=now - timedelta(days=1)
        ).values_list("id", "next_check_at")
    )

    def take_all() -> int:
        taken = 0
        while True:
            tickets_taken = sweep.lease_due(now, sweep.BATCH)
            if not tickets_taken:
                return taken
            taken += len(tickets_taken)

    def undo() -> None:
        with transaction.atomic():
            for timer_id, check in due_now:
                SlaTimer.objects.filter(pk=timer_id).update(
                    next_check_at=check, breach_fired_at=None, warned_at=None
                )

    lease_samples, leased_counts = [], []
    for _ in range(3):
        started_lease = time.perf_counter()
        leased_counts.append(take_all())
        lease_samples.append((time.perf_counter() - started_lease) * 1000)
        undo()
    started_claims = time.perf_counter()
    won = sum(sweep.claim(timer_id, "breach", now, None) for timer_id, _ in due_now)
    claims_ms = (time.perf_counter() - started_claims) * 1000
    second = sum(sweep.claim(timer_id, "breach", now, None) for timer_id, _ in due_now)
    undo()

    total_timers = SlaTimer.objects.count()
    return {
        "database": database,
        "tickets": tickets + fire,
        "timers": total_timers,
        "due_timers": len(due_now),
        "load_seconds": round(load_seconds, 1),
        "setup_seconds": round(time.perf_counter() - started - load_seconds, 1),
        "find_ms": find_ms,
        "find_p95_ms": find_p95,
        "find_and_lease_ms": round(statistics.median(lease_samples), 1),
        "find_and_lease_runs_ms": [round(s, 1) for s in lease_samples],
        "tickets_leased_per_run": leased_counts,
        "claims_ms": round(claims_ms, 1),
        "claims_won": won,
        "second_claims_won": second,
        "baseline_find_ms": baseline_ms,
        "baseline_find_p95_ms": baseline_p95,
        "index_speedup": round(baseline_ms / find_ms, 1) if find_ms else None,
        "fire_ticket_ms_p50": round(statistics.median(fire_samples), 2) if fire_samples else None,
        "fire_ticket_ms_max": round(max(fire_samples), 2) if fire_samples else None,
        "fire_ticket_queries": statistics.median(fire_queries) if fire_queries else None,
        "fired_tickets": len(fire_samples),
        "plans": query_plans,
        "query": sql % tuple(repr(str(p)) for p in params),
    }


def run_database(database: str, tickets: int, due: int, fire: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOUM_")}
    env.pop("DATABASE_URL", None)
    env.update({"DJANGO_SETTINGS_MODULE": "doum.settings", "DOUM_DEBUG": "0",
                "DOUM_FAST_PASSWORDS": "1", "DOUM_LOG_LEVEL": "WARNING"})  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="doum-sla-") as tmp:
        if database == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {PG_DB}")
            env["DATABASE_URL"] = PG_URL
        else:
            env["DOUM_VAR_DIR"] = tmp
        log(f"{database}: migrating")
        subprocess.run([PY, "-m", "django", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        proc = subprocess.run(
            [PY, __file__, "--worker", database, "--tickets", str(tickets), "--due", str(due),
             "--fire", str(fire)],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite",
                        help="comma-separated: postgresql, sqlite, or none")  # fmt: skip
    parser.add_argument("--tickets", type=int, default=1_000_000, help="PostgreSQL tickets")
    parser.add_argument("--sqlite-tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000, help="timers due at the sweep")
    parser.add_argument("--fire", type=int, default=50, help="real tickets fired in full")
    parser.add_argument("--operations", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", choices=("postgresql", "sqlite"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        figures = worker(args.worker, args.tickets, args.due, args.fire)
        print(json.dumps(figures, default=str))
        return 0
    log("arithmetic and engine")
    result: dict[str, Any] = {
        "benchmark": "sla",
        "python": platform.python_version(),
        "arithmetic": arithmetic(args.operations, args.seed),
        "databases": {},
    }
    for database in [d.strip() for d in args.databases.split(",") if d.strip() != "none"]:
        n = args.tickets if database == "postgresql" else args.sqlite_tickets
        result["databases"][database] = run_database(database, n, args.due, args.fire)
    checks = {"business_time_ops_per_s_over_200000": result["arithmetic"][
        "business_time_ops_per_s"] > 200_000}  # fmt: skip
    pg_figures = result["databases"].get("postgresql")
    if pg_figures:
        checks["pg_find_and_lease_under_1s"] = pg_figures["find_and_lease_ms"] < 1000
        checks["pg_index_used"] = any("slatimer_next_check" in line
                                      for line in pg_figures["plans"]["indexed"])  # fmt: skip
    result["checks"] = checks
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
