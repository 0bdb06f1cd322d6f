"""Analytics benchmark (issue 6, "Scale"): building the metrics, keeping them current, and the
dashboards' reads at 1,000,000 tickets on PostgreSQL (and 100,000 on SQLite), each against
computing the same figures straight from the events table.

    .venv/bin/python bench/analytics.py                                   # 1M PG + 100k SQLite
    .venv/bin/python bench/analytics.py --databases postgresql --tickets 250000
    .venv/bin/python bench/analytics.py --databases sqlite --sqlite-tickets 5000   # a quick look

Per database, in a child process on a fresh database (PostgreSQL: `doum_bench_analytics`,
dropped and recreated; SQLite: a temporary file), migrated:

1. **Load** (`load`). People through the real actions (`doum.accounts`): a brand, 100
   organizations with mail domains, 10 teams of 10 agents (one team lead each), 10,000
   customers (60 % in an organization); an SLA calendar and a policy "Standard" (first reply
   and resolution targets per priority, calendar hours). Then `--tickets` tickets created
   over the 730 complete local days before today, and their events, generated in Python and
   streamed into the tables (PostgreSQL `COPY ... FROM STDIN`, SQLite `executemany`), with
   the secondary indexes of the two tables dropped and rebuilt in the same transaction (as
   bench/seed.py does). The
   events have exactly the shapes the actions write (printed from real `do_create_ticket`,
   `do_assign`, `do_add_comment`, `do_update_ticket` and `doum.sla.state.recompute` calls):
   `created` with the initial state in `data`, `comment_added` (public or not, actor and
   `actor_role` at the time, `via`), `field_changed` for assignee/team/status with old and
   new values as text, the SLA events (`policy`, `first_reply` and `resolution`: active ->
   fulfilled, or active -> breached -> fulfilled, via system), `spam`, and the automation's
   `solved -> closed` 4 days after a solve (actor NULL, via automation); versions as the
   actions number them. Events leave `comment_id` NULL: no comment rows are loaded (no
   metric reads the comment body). Structure: arrivals by local hour (Asia/Seoul, a
   business-hours peak) and weekday (weekends ~30 %), 30 % growth over the two years; teams
   uneven (28 % to 2 %); channels, priorities and types mixed; 10 % agent-created (phone
   and web); 20 % unrouted at creation (routed by the assignment); assignment after ~40
   minutes; first reply after ~3 hours (shorter for urgent); then rounds of pending
   (customer reply after ~10 hours, 8 % solved by automation instead), on-hold, internal
   notes; 4 % escalated to another team; 7 % reopened by the customer; 0.3 % spam; every
   event after now is cut, which leaves a realistic open backlog. `load` reports rows,
   events per ticket and seconds.
2. **Rebuild** (`rebuild`): `doum.metrics.refresh.rebuild()` over everything, timed, with
   `tickets_per_s`, `events_per_s` and the derived rows it wrote (TicketMetrics, BacklogSpan,
   Rollup).
3. **Incremental** (`incremental`): `--real-tickets` recent unsolved tickets changed through
   the real actions at the current time (agent replies that solve or ask the customer,
   customer replies), so the product's own listeners mark them dirty; then recent tickets
   changed in bulk until `--changes` new events are written in all (unsolved: a public
   agent reply and `-> solved`; new: assignment and `new -> open`; solved: a customer reply
   and `solved -> open`), each with its version, and marked dirty (`MetricsDirty`). Then
   `refresh.run()` is timed: `ms_per_changed_event` = run time / events written since the
   rebuild (the issue's "under 1 ms per event"); `ms_per_ticket`, and `ms_per_event_read` =
   run time / all events of the dirty tickets (what the run had to re-read). Then
   `steady_state_runs`: 50, 250 and 1,000 further tickets changed in bulk, each followed by
   one timed `refresh.run()` (what the 30-second job meets in steady use: a small batch
   shares fewer week and month rows than a burst does).
4. **Dashboards warm** (`dashboards`): median (and max) of `--runs` runs after one warm-up,
   through `doum.metrics.queries`, over the last complete 91 local days (a quarter) in the
   first metrics time zone, `source` (rollup or exact) of each call:
   * `team_lead`: one team (the largest): `summary`, `series` created and solved by day,
     first_reply@median by week, `breakdown` by agent;
   * `manager`: all teams: `summary` (with time per status), `series` by week of created,
     solved, backlog, first_reply@median, full_resolution@p90, sla_rate, one_touch_rate,
     `heatmap`, `breakdown` by agent, `sla_attainment`;
   * `backlog`: `backlog_at` 100 days ago (total and age buckets);
   * `per_agent`: `breakdown` by agent over all teams.
5. **Baseline** (`baseline`): the same figures straight from the events table, in the same
   run: the period's tickets (created before the end and changed since the start or still
   unsolved; for the backlog, created before the instant and changed since it or unsolved)
   are selected with SQL, their events loaded and `definitions.compute` run for each
   (`doum.metrics.loading.compute_many`, 2,000 at a time), then aggregated in Python into
   the same figures (counts, median/p90/mean of every duration, weekly series, heatmap,
   per-agent rows, SLA, backlog ages). One run each (a full run takes seconds to minutes);
   `ratio` = baseline ms / dashboard ms. The per-agent table's baseline is the manager
   quarter's (the same tickets loaded and computed; the grouping is part of it).
6. **Scaling** (`scaling`): the manager dashboard for the last 7, 30, 91 and 365 days
   (median of `--runs`), with the number of Rollup day rows of each period
   (`rollup_rows`, `rollup_rows_team_grain`) and, since rollups keep week and month rows,
   the rows a summary and an agent breakdown actually read (`rows_read_summary`,
   `rows_read_agent_breakdown`) and the months, weeks and days that cover the period
   (`cover`): the cost follows the days and groups read, not the tickets. Comparing the
   `dashboards` of two sizes shows the same across sizes.

7. **Pages** (`dashboards.pages`): the team lead (largest team), operations and executive
   pages rendered through Django's test client for the same quarter (every query, survey
   score, chart and template of the page), median of `--runs` after a warm-up.
8. **Drill-down** (`dashboards.drill_down`): the drill-down page of someone who sees every
   ticket, over the quarter as
   the page runs it (the total, then the newest 100) for created, solved, backlog, first
   reply, full resolution, SLA breached (each one SQL condition) and next replies (a JSON path
   on PostgreSQL, read item by item on SQLite).

`--reuse` measures 3.-8. again on the PostgreSQL database a `--keep` run left (no load, no
rebuild; the incremental phase changes further recent tickets), e.g. after the code changed
or the machine was busy during the first run.

`--pg-db NAME` picks the PostgreSQL database (default `doum_bench_analytics`; dropped and
recreated, and dropped again after the run unless `--keep`), so two runs can share a server.

A phase whose code is missing (NotImplementedError, ImportError) is reported as
`{"missing": "..."}` and the run goes on. One JSON document goes to stdout; progress to
stderr. Nothing is asserted; `checks` lists the issue's targets next to the PostgreSQL
figures.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "doum_bench_analytics"

SPAN_DAYS = 730
CHUNK = 20_000
TEAMS = (
    ("Billing", 28), ("Technical", 20), ("Accounts", 14), ("Shipping", 10), ("Returns", 8),
    ("Enterprise", 7), ("Mobile", 5), ("Payments", 4), ("Onboarding", 2), ("Security", 2),
)  # fmt: skip
AGENTS_PER_TEAM = 10
ORGANIZATIONS = 100
CUSTOMERS = 10_000
CHANNELS = (("email", 45), ("web", 15), ("portal", 15), ("chat", 12), ("phone", 8), ("api", 3),
            ("social", 2))  # fmt: skip
PRIORITIES = (("low", 20), ("normal", 60), ("high", 15), ("urgent", 5))
TYPES = (("question", 65), ("incident", 27), ("problem", 3), ("question", 5))
# Minutes: first reply and resolution targets per priority (calendar hours).
SLA_TARGETS = {"urgent": (30, 480), "high": (60, 1440), "normal": (240, 2880), "low": (480, 5760)}
# Local (Asia/Seoul) arrivals by hour of day and by weekday (Mon..Sun).
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 9, 14, 16, 15, 11, 13, 15, 14, 13, 11, 8, 6, 5, 4, 3, 2)
WEEKDAY_WEIGHTS = (1.2, 1.1, 1.1, 1.05, 1.0, 0.35, 0.3)
LOCAL = ZoneInfo("Asia/Seoul")


def log(msg: str) -> None:
    print(f"[analytics {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _expand(weighted: tuple[tuple[str, int], ...]) -> list[str]:
    return [v for v, w in weighted for _ in range(w)]


class Missing(Exception):
    """A part of the metrics code has not landed yet."""


def phase(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one phase; a missing part of the code becomes {"missing": ...} instead of a crash."""
    log(f"phase {name}")
    try:
        return fn()
    except (NotImplementedError, ImportError, AttributeError, Missing) as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log(f"phase {name}: missing ({exc.__class__.__name__}: {exc})")
        return {"missing": f"{exc.__class__.__name__}: {exc} at {where.filename}:{where.lineno}"}
    except Exception as exc:  # report it and go on with the other phases
        log(f"phase {name}: failed\n{traceback.format_exc()}")
        return {"failed": f"{exc.__class__.__name__}: {exc}",
                "traceback": traceback.format_exc()[-3000:]}  # fmt: skip


def timed(fn: Callable[[], Any], runs: int, warmup: int = 1) -> dict[str, Any]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1),
            "runs_ms": [round(s, 1) for s in samples]}  # fmt: skip


# --- 1. the generator ---------------------------------------------------------------------


class Stamp:
    """Epoch seconds as the database's timestamp text (SQLite: naive UTC, as Django stores)."""

    def __init__(self, pg: bool) -> None:
        self.suffix = "+00:00" if pg else ""
        self.days: dict[int, str] = {}

    def __call__(self, t: int) -> str:
        d, s = divmod(t, 86400)
        prefix = self.days.get(d)
        if prefix is None:
            prefix = datetime.fromtimestamp(d * 86400, UTC).strftime("%Y-%m-%d ")
            self.days[d] = prefix
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        return f"{prefix}{h:02d}:{m:02d}:{sec:02d}{self.suffix}"


class People:
    def __init__(self, brand: int, policy: int, teams: list[int], members: dict[int, list[int]],
                 leads: dict[int, int], customers: list[int], org: dict[int, int | None],
                 roles: dict[int, str]) -> None:  # fmt: skip
        self.brand, self.policy, self.teams, self.members = brand, policy, teams, members
        self.leads, self.customers, self.org, self.roles = leads, customers, org, roles


class History:
    """One ticket's events, appended as the actions would write them."""

    __slots__ = ("cut", "now", "rows", "state", "version")

    def __init__(self, now: int) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.version = 0
        self.cut = False
        self.now = now
        self.state: dict[str, Any] = {}

    def change(self, at: int, events: list[tuple[Any, ...]], bump: bool = True) -> bool:
        """events: (kind, field, old, new, actor, role, via, is_public, data). False when the
        change would happen after now (the history stops there)."""
        if self.cut or at > self.now:
            self.cut = True
            return False
        if bump:
            self.version += 1
        for e in events:
            self.rows.append((at, self.version, *e))
        return True


class Generator:
    def __init__(self, people: People, rng: random.Random, now: int, pg: bool) -> None:
        self.p, self.rng, self.now = people, rng, now
        self.stamp = Stamp(pg)
        self.channels = _expand(CHANNELS)
        self.priorities = _expand(PRIORITIES)
        self.types = _expand(TYPES)
        weights = [w for _, w in TEAMS]
        total = sum(weights)
        self.team_cum = [sum(weights[: i + 1]) / total for i in range(len(weights))]
        self.T, self.F = (True, False) if pg else (1, 0)

    def arrivals(self, total: int) -> Iterator[int]:
        """`total` creation instants (epoch seconds, ascending) over SPAN_DAYS local days."""
        rng = self.rng
        today = datetime.fromtimestamp(self.now, LOCAL).replace(hour=0, minute=0, second=0,
                                                                 microsecond=0)  # fmt: skip
        first = today - timedelta(days=SPAN_DAYS)  # complete days, up to yesterday
        days = [first + timedelta(days=i) for i in range(SPAN_DAYS)]
        w = [WEEKDAY_WEIGHTS[d.weekday()] * (0.85 + 0.3 * i / SPAN_DAYS)
             for i, d in enumerate(days)]  # fmt: skip
        total_w = sum(w)
        counts = [int(total * x / total_w) for x in w]
        for i in rng.sample(range(SPAN_DAYS), total - sum(counts)):
            counts[i] += 1
        hour_cum = []
        acc = 0
        for hw in HOUR_WEIGHTS:
            acc += hw
            hour_cum.append(acc)
        for day, n in zip(days, counts, strict=True):
            base = int(day.timestamp())  # local midnight (no DST in Seoul)
            times = sorted(
                base
                + 3600 * bisect.bisect_right(hour_cum, rng.random() * acc)
                + rng.randrange(3600)
                for _ in range(n)
            )
            yield from times

    def ticket(self, tid: int, created: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        """The ticket row's changing values and its events."""
        p, rng = self.p, self.rng
        exp = rng.expovariate
        r = rng.random()
        team = p.teams[bisect.bisect_left(self.team_cum, r)]
        team2 = p.teams[(p.teams.index(team) + 1 + rng.randrange(len(p.teams) - 1))
                        % len(p.teams)]  # fmt: skip
        agent = rng.choice(p.members[team])
        channel = rng.choice(self.channels)
        priority = rng.choice(self.priorities)
        ttype = rng.choice(self.types)
        requester = rng.choice(p.customers)
        org = p.org[requester]
        agent_created = channel == "phone" or (channel == "web" and rng.random() < 0.25)
        routed = agent_created or rng.random() < 0.8
        sla = rng.random() < 0.3
        h = History(self.now)
        st: dict[str, Any] = {"status": "new", "assignee": None, "team": team if routed else None,
                              "solved_at": None, "spam": False}  # fmt: skip
        h.state = st
        actor = agent if agent_created else requester
        role = p.roles[agent] if agent_created else "customer"
        initial = {
            "status": "new", "priority": priority, "type": ttype, "channel": channel,
            "brand": p.brand, "requester": requester, "submitter": actor, "organization": org,
            "assignee": agent if agent_created else None, "team": st["team"], "tags": [],
            "custom_fields": {},
        }  # fmt: skip
        first: list[tuple[Any, ...]] = [
            ("created", "", None, "new", actor, role, channel, None, json.dumps(initial)),
            ("comment_added", "", None, None, actor, role, channel, True, "{}"),
        ]
        if agent_created:
            first.append(("field_changed", "status", "new", "open", actor, role, channel, None,
                          "{}"))  # fmt: skip
            st["status"], st["assignee"] = "open", agent
        h.change(created, first)
        fr_min, res_min = SLA_TARGETS[priority]
        timers: dict[str, int] = {}
        if sla:
            timers = {"first_reply": created + fr_min * 60, "resolution": created + res_min * 60}
            evs: list[tuple[Any, ...]] = [
                ("sla", "policy", None, str(p.policy), None, "", "system", None,
                 '{"policy_name": "Standard", "pinned": false}'),
            ]  # fmt: skip
            for metric, deadline in timers.items():
                evs.append(
                    (
                        "sla",
                        metric,
                        None,
                        "active",
                        None,
                        "",
                        "system",
                        None,
                        self._sla_data(metric, "active", deadline, None, created),
                    )
                )
            h.change(created, evs, bump=False)
        t = created
        if rng.random() < 0.003:  # spam, caught by an agent
            t += 300 + int(exp(1 / 1800))
            h.change(t, [("spam", "", None, None, agent, p.roles[agent], "web", None, "{}")])
            st["spam"] = True
            return self._row(h, created, channel, priority, ttype, requester, org), h.rows
        if not agent_created:
            t += 30 + int(exp(1 / 2400))
            by = p.leads[team] if rng.random() < 0.5 else agent
            evs = [("field_changed", "assignee", None, str(agent), by, p.roles[by], "web", None,
                    "{}")]  # fmt: skip
            if not routed:
                evs.append(("field_changed", "team", None, str(team), by, p.roles[by], "web",
                            None, "{}"))  # fmt: skip
            evs.append(("field_changed", "status", "new", "open", by, p.roles[by], "web", None,
                        "{}"))  # fmt: skip
            if not h.change(t, evs):
                return self._row(h, created, channel, priority, ttype, requester, org), h.rows
            st.update(status="open", assignee=agent, team=team)
        escalate = rng.random() < 0.04
        mean_reply = {"urgent": 1800, "high": 5400, "normal": 10800, "low": 21600}[priority]
        replied = agent_created  # the agent's first message does not count as a reply
        reopened = False
        rounds = 0
        while not h.cut:
            rounds += 1
            if escalate and rounds == 1:
                t += 600 + int(exp(1 / 7200))
                new_agent = rng.choice(p.members[team2])
                by = p.leads[team]
                if h.change(t, [
                    ("field_changed", "assignee", str(agent), str(new_agent), by, p.roles[by],
                     "web", None, "{}"),
                    ("field_changed", "team", str(team), str(team2), by, p.roles[by], "web",
                     None, "{}"),
                ]):  # fmt: skip
                    agent, team = new_agent, team2
                    st.update(assignee=agent, team=team)
            if rng.random() < 0.1:  # an internal note first
                t += 60 + int(exp(1 / 3600))
                h.change(t, [("comment_added", "", None, None, agent, p.roles[agent], "web",
                              False, "{}")])  # fmt: skip
            t += 60 + int(exp(1 / (mean_reply if rounds == 1 else 7200)))
            if rounds >= 5:
                outcome = "solved"
            else:
                x = rng.random()
                solve_share = 0.55 if rounds == 1 else 0.7
                outcome = ("solved" if x < solve_share else "pending" if x < solve_share + 0.3
                           else "on_hold")  # fmt: skip
            if not replied and "first_reply" in timers:
                self._sla_end(h, "first_reply", timers.pop("first_reply"), t)
            if h.cut:
                break
            role = p.roles[agent]
            old = st["status"]
            if not h.change(t, [
                ("comment_added", "", None, None, agent, role, "web", True, "{}"),
                ("field_changed", "status", old, outcome, agent, role, "web", None, "{}"),
            ]):  # fmt: skip
                break
            replied = True
            st["status"] = outcome
            if outcome == "solved":
                st["solved_at"] = t
                if "resolution" in timers:
                    self._sla_end(h, "resolution", timers.pop("resolution"), t)
                if not reopened and rng.random() < 0.07:
                    reopened = True
                    t += 600 + int(exp(1 / 86400))
                    if h.change(t, [
                        ("comment_added", "", None, None, requester, "customer", channel, True,
                         "{}"),
                        ("field_changed", "status", "solved", "open", requester, "customer",
                         channel, None, "{}"),
                    ]):  # fmt: skip
                        st["status"], st["solved_at"] = "open", None
                        continue
                    break
                t += 4 * 86400
                if h.change(t, [("field_changed", "status", "solved", "closed", None, "",
                                 "automation", None, "{}")]):  # fmt: skip
                    st["status"] = "closed"
                break
            if outcome == "pending":
                if rng.random() < 0.08:  # no answer: the automation solves it
                    t += 4 * 86400
                    if h.change(t, [("field_changed", "status", "pending", "solved", None, "",
                                     "automation", None, "{}")]):  # fmt: skip
                        st["status"], st["solved_at"] = "solved", t
                        t += 4 * 86400
                        if h.change(t, [("field_changed", "status", "solved", "closed", None,
                                         "", "automation", None, "{}")]):  # fmt: skip
                            st["status"] = "closed"
                    break
                t += 120 + int(exp(1 / 36000))
                if h.change(t, [
                    ("comment_added", "", None, None, requester, "customer", channel, True, "{}"),
                    ("field_changed", "status", "pending", "open", requester, "customer",
                     channel, None, "{}"),
                ]):  # fmt: skip
                    st["status"] = "open"
            else:  # on-hold: waiting for a third party, then the agent takes it up again
                # (a fifth of them for weeks: the stale part of the backlog)
                t += 600 + int(exp(1 / (30 * 86400 if rng.random() < 0.2 else 86400)))
                if h.change(t, [("field_changed", "status", "on_hold", "open", agent,
                                 p.roles[agent], "web", None, "{}")]):  # fmt: skip
                    st["status"] = "open"
        return self._row(h, created, channel, priority, ttype, requester, org), h.rows

    def _sla_data(self, metric: str, status: str, deadline: int, breached: int | None,
                  at: int) -> str:  # fmt: skip
        iso = self._iso
        return json.dumps({
            "cycle": 1, "status": status, "policy": self.p.policy, "policy_name": "Standard",
            "target_minutes": SLA_TARGETS["normal"][0 if metric == "first_reply" else 1],
            "business_hours": False, "deadline": iso(deadline),
            "breached_at": iso(breached) if breached else None,
            "breach_seconds": (at - breached) if breached and status != "breached" else None,
            "at": iso(at),
        })  # fmt: skip

    @staticmethod
    def _iso(t: int) -> str:
        return datetime.fromtimestamp(t, UTC).isoformat()

    def _sla_end(self, h: History, metric: str, deadline: int, t: int) -> None:
        if t <= deadline:
            h.change(t, [("sla", metric, "active", "fulfilled", None, "", "system", None,
                          self._sla_data(metric, "fulfilled", deadline, None, t))],
                     bump=False)  # fmt: skip
            return
        if h.change(deadline, [("sla", metric, "active", "breached", None, "", "system", None,
                                self._sla_data(metric, "breached", deadline, deadline,
                                               deadline))], bump=False):  # fmt: skip
            h.change(t, [("sla", metric, "breached", "fulfilled", None, "", "system", None,
                          self._sla_data(metric, "breached", deadline, deadline, t))],
                     bump=False)  # fmt: skip

    def _row(self, h: History, created: int, channel: str, priority: str, ttype: str,
             requester: int, org: int | None) -> tuple[Any, ...]:  # fmt: skip
        st = h.state
        last = h.rows[-1][0] if h.rows else created
        return (created, last, channel, priority, ttype, requester, org, st["status"],
                st["assignee"], st["team"], st["solved_at"], st["spam"], h.version)  # fmt: skip


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _template(model: Any, given: dict[str, Any]) -> list[Any]:
    """A row of `model` in column order: `given` by column, else the default, else NULL."""
    out = []
    for f in model._meta.concrete_fields:
        if f.column in given:
            out.append(given[f.column])
        elif f.has_default():
            value = f.get_default()
            out.append(json.dumps(value) if isinstance(value, dict | list) else value)
        elif f.null:
            out.append(None)
        else:
            raise SystemExit(f"no value for {model.__name__}.{f.column}")
    return out


def _indexes(tables: list[str], pg: bool) -> list[tuple[str, str]]:
    """(name, DDL) of the tables' indexes that no constraint or primary key owns."""
    from django.db import connection

    with connection.cursor() as cur:
        if pg:
            cur.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relname = ANY(%s) AND NOT i.indisprimary AND NOT i.indisunique "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                "ORDER BY c.relname",
                [tables],
            )
        else:
            marks = ", ".join("%s" for _ in tables)
            cur.execute(
                f"SELECT name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND "
                "type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' "
                "ORDER BY name",
                tables,
            )
        return [(str(a), str(b)) for a, b in cur.fetchall()]


class Writer:
    def __init__(self, pg: bool) -> None:
        from django.db import connection

        self.pg = pg
        connection.ensure_connection()
        self.raw = connection.connection

    def write(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        if not rows:
            return
        if self.pg:
            with (
                self.raw.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp,
            ):
                for row in rows:
                    cp.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        cur = self.raw.cursor()
        try:
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        finally:
            cur.close()


def setup_people(pg: bool) -> People:
    from django.db import transaction

    from doum.accounts import actions as accounts
    from doum.accounts.roles import Role
    from doum.core import clock
    from doum.sla.models import Calendar, SlaPolicy, SlaTarget

    with transaction.atomic():
        admin = accounts.do_create_user(actor=None, name="Bench Admin", role=Role.ADMIN,
                                        email="admin@bench.example", password=None)  # fmt: skip
        brand = accounts.do_create_brand(actor=admin, name="Bench", slug="bench",
                                         support_addresses=["help@bench.example"],
                                         is_default=True)  # fmt: skip
        for i in range(ORGANIZATIONS):
            accounts.do_create_organization(actor=admin, name=f"Org {i}",
                                            domains=[f"org{i}.example"])  # fmt: skip
        teams: list[int] = []
        members: dict[int, list[int]] = {}
        leads: dict[int, int] = {}
        roles: dict[int, str] = {}
        n = 0
        for name, _w in TEAMS:
            team = accounts.do_create_team(actor=admin, name=name)
            members[team.pk] = []
            for a in range(AGENTS_PER_TEAM):
                n += 1
                role = Role.TEAM_LEAD if a == 0 else Role.AGENT
                user = accounts.do_create_user(actor=admin, name=f"Agent {n}", role=role,
                                               email=f"agent{n}@bench.example",
                                               password=None)  # fmt: skip
                if a == 0:
                    accounts.do_set_team_lead(team, actor=admin, lead=user)
                    leads[team.pk] = user.pk
                else:
                    accounts.do_add_team_member(team, actor=admin, user=user)
                members[team.pk].append(user.pk)
                roles[user.pk] = str(role)
            teams.append(team.pk)
        customers, org = [], {}
        for i in range(CUSTOMERS):
            domain = f"org{i % ORGANIZATIONS}.example" if i % 5 < 3 else f"mail{i}.example"
            c = accounts.do_create_user(actor=admin, name=f"Customer {i}",
                                        email=f"customer{i}@{domain}", role=Role.CUSTOMER,
                                        password=None)  # fmt: skip
            customers.append(c.pk)
            org[c.pk] = c.organization_id
        now = clock.now()
        calendar = Calendar.objects.create(
            name="Seoul office", time_zone="Asia/Seoul",
            weekly={str(d): ["09:00-12:00", "13:00-18:00"] for d in range(5)},
            country_holidays=[{"country": "KR"}], created_at=now, updated_at=now,
        )  # fmt: skip
        policy = SlaPolicy.objects.create(name="Standard", calendar=calendar, created_at=now,
                                          updated_at=now)  # fmt: skip
        for priority, (fr, res) in SLA_TARGETS.items():
            SlaTarget.objects.create(policy=policy, priority=priority, metric="first_reply",
                                     minutes=fr, business_hours=False)  # fmt: skip
            SlaTarget.objects.create(policy=policy, priority=priority, metric="resolution",
                                     minutes=res, business_hours=False)  # fmt: skip
    return People(brand.pk, policy.pk, teams, members, leads, customers, org, roles)


def load(tickets: int, pg: bool, seed: int) -> tuple[People, dict[str, Any]]:
    from django.db import connection, transaction

    from doum.tickets.models import Ticket, TicketEvent

    started = time.perf_counter()
    people = setup_people(pg)
    people_s = time.perf_counter() - started
    log(f"people through the actions in {people_s:.0f} s; generating {tickets:,} tickets")
    now = int(time.time()) - 60
    gen = Generator(people, random.Random(seed), now, pg)
    stamp = gen.stamp
    t_cols, e_cols = _columns(Ticket), _columns(TicketEvent)
    t_tpl = _template(Ticket, {"id": 0, "brand_id": people.brand, "subject": "", "status": "",
                               "requester_id": 0, "submitter_id": 0, "created_at": "",
                               "updated_at": "", "custom_fields": "{}"})  # fmt: skip
    e_tpl = _template(TicketEvent, {"id": 0, "ticket_id": 0, "kind": "", "via": "", "at": "",
                                    "version": 0, "data": "{}"})  # fmt: skip
    ti = {c: i for i, c in enumerate(t_cols)}
    ei = {c: i for i, c in enumerate(e_cols)}
    e_order = [ei[c] for c in ("kind", "field", "old_value", "new_value", "actor_id",
                               "actor_role", "via", "is_public", "data")]  # fmt: skip
    E_ID, E_T, E_AT, E_V, E_IMP = ei["id"], ei["ticket_id"], ei["at"], ei["version"], ei["imported"]
    e_tpl[E_IMP] = gen.F
    writer = Writer(pg)
    tables = [Ticket._meta.db_table, TicketEvent._meta.db_table]
    with connection.cursor() as cur:
        if pg:
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET maintenance_work_mem = '1GB'")
        else:
            cur.execute("PRAGMA foreign_keys = OFF")
            cur.execute("PRAGMA synchronous = OFF")
            cur.execute("PRAGMA cache_size = -1000000")
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {tables[0]}")
        tid = int(cur.fetchone()[0])
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {tables[1]}")
        eid = int(cur.fetchone()[0])
    n_events = 0
    statuses: dict[str, int] = defaultdict(int)
    gen_s = 0.0
    rows_started = time.perf_counter()
    with transaction.atomic():
        dropped = _indexes(tables, pg)
        with connection.cursor() as cur:
            for name, _sql in dropped:
                cur.execute(f'DROP INDEX "{name}"')
        t_rows: list[list[Any]] = []
        e_rows: list[list[Any]] = []
        for done, created in enumerate(gen.arrivals(tickets), 1):
            g0 = time.perf_counter()
            tid += 1
            (c_at, last, channel, priority, ttype, requester, org, status, assignee, team,
             solved_at, spam, version), events = gen.ticket(tid, created)  # fmt: skip
            row = t_tpl.copy()
            row[ti["id"]] = tid
            row[ti["subject"]] = f"Question {tid}"
            row[ti["status"]] = status
            row[ti["priority"]] = priority
            row[ti["type"]] = ttype
            row[ti["channel"]] = channel
            row[ti["requester_id"]] = requester
            row[ti["submitter_id"]] = events[0][6]
            row[ti["organization_id"]] = org
            row[ti["assignee_id"]] = assignee
            row[ti["team_id"]] = team
            row[ti["is_spam"]] = gen.T if spam else gen.F
            row[ti["created_at"]] = stamp(c_at)
            row[ti["updated_at"]] = stamp(last)
            row[ti["solved_at"]] = stamp(solved_at) if solved_at else None
            row[ti["version"]] = version
            t_rows.append(row)
            statuses[status] += 1
            for ev in events:
                eid += 1
                erow = e_tpl.copy()
                erow[E_ID] = eid
                erow[E_T] = tid
                erow[E_AT] = stamp(ev[0])
                erow[E_V] = ev[1]
                for k, idx in enumerate(e_order):
                    erow[idx] = ev[2 + k]
                if not pg and erow[ei["is_public"]] is not None:
                    erow[ei["is_public"]] = int(erow[ei["is_public"]])
                e_rows.append(erow)
            n_events += len(events)
            gen_s += time.perf_counter() - g0
            if len(t_rows) >= CHUNK:
                writer.write(tables[0], t_cols, t_rows)
                writer.write(tables[1], e_cols, e_rows)
                t_rows, e_rows = [], []
                if done % (CHUNK * 10) == 0:
                    rate = done / (time.perf_counter() - rows_started)
                    log(f"{done:,}/{tickets:,} tickets, {n_events:,} events ({rate:,.0f}/s)")
        writer.write(tables[0], t_cols, t_rows)
        writer.write(tables[1], e_cols, e_rows)
        rows_s = time.perf_counter() - rows_started
        i0 = time.perf_counter()
        with connection.cursor() as cur:
            for name, sql in dropped:
                t1 = time.perf_counter()
                cur.execute(sql)
                log(f"rebuilt {name} in {time.perf_counter() - t1:.1f} s")
        index_s = time.perf_counter() - i0
    p0 = time.perf_counter()
    with connection.cursor() as cur:
        if pg:
            for table in tables:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")  # fmt: skip
            cur.execute("SET session_replication_role = DEFAULT")
            for table in tables:
                cur.execute(f"VACUUM (ANALYZE) {table}")
            cur.execute("ANALYZE")
        else:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = NORMAL")
    return people, {
        "tickets": tickets,
        "events": n_events,
        "events_per_ticket": round(n_events / max(tickets, 1), 2),
        "statuses": dict(sorted(statuses.items())),
        "span_days": SPAN_DAYS,
        "teams": len(people.teams),
        "agents": sum(len(m) for m in people.members.values()),
        "customers": len(people.customers),
        "people_seconds": round(people_s, 1),
        "generate_seconds": round(gen_s, 1),
        "rows_seconds": round(rows_s, 1),
        "index_rebuild_seconds": round(index_s, 1),
        "post_load_seconds": round(time.perf_counter() - p0, 1),
        "load_seconds": round(time.perf_counter() - started, 1),
        "now": datetime.fromtimestamp(now, UTC).isoformat(),
    }


# --- 2.-6. measurements ------------------------------------------------------------------------


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        return int(cur.fetchone()[0])


def measure_rebuild(tickets: int, events: int) -> dict[str, Any]:
    from doum.metrics import refresh
    from doum.metrics.models import BacklogSpan, Rollup, TicketMetrics

    stop = threading.Event()

    def progress() -> None:
        # Its own connection: one indexed MAX per minute, to see how far the rebuild is.
        from django.db import connection

        try:
            while not stop.wait(60):
                done = (
                    TicketMetrics.objects.order_by("-ticket_id")
                    .values_list("ticket_id", flat=True)
                    .first()
                )
                log(f"rebuild: up to ticket #{done or 0:,} of {tickets:,}")
        finally:
            connection.close()

    watcher = threading.Thread(target=progress, daemon=True)
    watcher.start()
    started = time.perf_counter()
    try:
        returned = refresh.rebuild()
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        watcher.join()
    return {
        "seconds": round(seconds, 1),
        "tickets_per_s": round(tickets / seconds),
        "events_per_s": round(events / seconds),
        "ticket_metrics_rows": TicketMetrics.objects.count(),
        "backlog_span_rows": BacklogSpan.objects.count(),
        "rollup_rows": Rollup.objects.count(),
        "returned": returned if isinstance(returned, int | float | str | dict | list | None)
        else repr(returned),
    }  # fmt: skip


def _bulk_change(people: People, want: int, pg: bool) -> int:
    """Change `want` further recent tickets (not marked yet) in bulk, as the actions would
    write them (events, ticket row, dirty mark); how many were changed."""
    from django.db import connection, transaction

    from doum.core import clock
    from doum.metrics.models import MetricsDirty

    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.id, t.status, t.assignee_id, t.team_id, t.requester_id, t.version, "
            "t.channel, (SELECT MAX(e.at) FROM tickets_ticketevent e WHERE e.ticket_id = t.id) "
            "FROM tickets_ticket t WHERE t.status IN ('new', 'open', 'pending', 'on_hold', "
            "'solved') AND NOT t.is_spam "
            "AND t.id NOT IN (SELECT ticket_id FROM metrics_metricsdirty) "
            "ORDER BY t.id DESC LIMIT %s",
            [want],
        )
        rows = cur.fetchall()
    stamp = Stamp(pg)
    now_ts = int(time.time())
    now_s = stamp(now_ts)
    T = True if pg else 1
    F = False if pg else 0
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_ticketevent")
        eid = int(cur.fetchone()[0])
    e_cols = ["id", "ticket_id", "kind", "field", "old_value", "new_value", "actor_id",
              "actor_role", "via", "at", "comment_id", "is_public", "version", "imported",
              "data"]  # fmt: skip
    events: list[list[Any]] = []
    updates: list[tuple[Any, ...]] = []
    for tid, status, assignee, team, requester, version, channel, _last in rows:
        v = version + 1
        new: list[tuple[Any, ...]]
        if status == "new":
            team = team or people.teams[0]
            agent = assignee or people.members[team][1]
            role = people.roles[agent]
            new = [
                ("field_changed", "assignee", None, str(agent), agent, role, "web", None),
                ("field_changed", "status", "new", "open", agent, role, "web", None),
            ]
            updates.append((tid, "open", agent, v, None))
        elif status == "solved":
            new = [("comment_added", "", None, None, requester, "customer", channel, T),
                   ("field_changed", "status", "solved", "open", requester, "customer", channel,
                    None)]  # fmt: skip
            agent = assignee
            updates.append((tid, "open", assignee, v, None))
        else:
            agent = assignee or people.members[team or people.teams[0]][1]
            role = people.roles[agent]
            new = [
                ("comment_added", "", None, None, agent, role, "web", T),
                ("field_changed", "status", status, "solved", agent, role, "web", None),
            ]
            updates.append((tid, "solved", agent, v, now_s))
        for kind, field, old, newv, actor, role_, via, public in new:
            eid += 1
            events.append([eid, tid, kind, field, old, newv, actor, role_, via, now_s, None,
                           public, v, F, "{}"])  # fmt: skip
    writer = Writer(pg)
    with transaction.atomic():
        writer.write("tickets_ticketevent", e_cols, events)
        with connection.cursor() as cur:
            cur.executemany(
                "UPDATE tickets_ticket SET status = %s, assignee_id = %s, version = %s, "
                "updated_at = %s, solved_at = %s WHERE id = %s",
                [(s, a, v, now_s, sol, tid) for tid, s, a, v, sol in updates],
            )
        MetricsDirty.objects.bulk_create(
            [MetricsDirty(ticket_id=u[0], marked_at=clock.now()) for u in updates],
            ignore_conflicts=True,
        )
    if pg:
        with connection.cursor() as cur:
            cur.execute("SELECT setval(pg_get_serial_sequence('tickets_ticketevent', 'id'), "
                        "(SELECT MAX(id) FROM tickets_ticketevent))")  # fmt: skip
            cur.execute("ANALYZE metrics_metricsdirty")
    return len(updates)


def measure_incremental(people: People, real: int, changes: int, pg: bool) -> dict[str, Any]:
    from django.db import connection

    from doum.accounts.models import User
    from doum.metrics import refresh
    from doum.metrics.models import MetricsDirty
    from doum.tickets import actions as ticket_actions
    from doum.tickets.models import Ticket, TicketEvent, Via

    max_event = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    dirty_before = MetricsDirty.objects.count()
    users = {u.pk: u for u in User.objects.filter(pk__in=[*people.roles,
                                                          *people.customers])}  # fmt: skip
    # Real actions on recent unsolved tickets that have an assignee.
    picked = list(
        Ticket.objects.filter(status__in=("open", "pending"), assignee__isnull=False,
                              is_spam=False)
        .order_by("-id").values_list("id", flat=True)[:real]
    )  # fmt: skip
    started = time.perf_counter()
    for k, ticket_id in enumerate(picked):
        ticket = Ticket.objects.get(pk=ticket_id)
        assignee_user = users[ticket.assignee_id or 0]
        if ticket.status == "pending":
            ticket_actions.do_add_comment(ticket, actor=users[ticket.requester_id],
                                          via=Via.EMAIL, body="Any news? 아직인가요?")  # fmt: skip
        elif k % 2:
            ticket_actions.do_add_comment(
                ticket, actor=assignee_user, via=Via.WEB, status="solved",
                body="This is fixed now. 해결되었습니다.",
            )  # fmt: skip
        else:
            ticket_actions.do_add_comment(
                ticket, actor=assignee_user, via=Via.WEB, status="pending",
                body="Could you send us a screenshot?",
            )  # fmt: skip
    actions_s = time.perf_counter() - started
    real_events = TicketEvent.objects.filter(id__gt=max_event).count()
    marked_by_listener = MetricsDirty.objects.count() - dirty_before
    # Bulk changes to further recent tickets, as the actions would write them.
    bulk = _bulk_change(people, max(0, (changes - real_events) // 2), pg)
    changed_events = TicketEvent.objects.filter(id__gt=max_event).count()
    dirty = MetricsDirty.objects.count()
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM tickets_ticketevent WHERE ticket_id IN "
                    "(SELECT ticket_id FROM metrics_metricsdirty)")  # fmt: skip
        read_events = int(cur.fetchone()[0])
    log(f"incremental: {dirty:,} dirty tickets, {changed_events:,} new events; refresh.run()")
    started = time.perf_counter()
    returned = refresh.run()
    run_s = time.perf_counter() - started
    # Steady state: the job every 30 s finds a few hundred changed tickets at most; what one
    # such run costs per event (a batch shares fewer week and month rows than a burst).
    steady: list[dict[str, Any]] = []
    for size in STEADY_TICKETS:
        before = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        marked = _bulk_change(people, size, pg)
        written = TicketEvent.objects.filter(id__gt=before).count()
        began = time.perf_counter()
        refresh.run()
        took = time.perf_counter() - began
        per_event = round(took * 1000 / max(written, 1), 3)
        steady.append({"tickets": marked, "events": written, "run_ms": round(took * 1000, 1),
                       "ms_per_changed_event": per_event})  # fmt: skip
    return {
        "steady_state_runs": steady,
        "real_action_tickets": len(picked),
        "real_action_events": real_events,
        "real_actions_seconds": round(actions_s, 1),
        "marked_dirty_by_listener": marked_by_listener,
        "bulk_changed_tickets": bulk,
        "changed_events": changed_events,
        "dirty_tickets": dirty,
        "events_of_dirty_tickets": read_events,
        "run_seconds": round(run_s, 2),
        "ms_per_changed_event": round(run_s * 1000 / max(changed_events, 1), 3),
        "ms_per_ticket": round(run_s * 1000 / max(dirty, 1), 3),
        "ms_per_event_read": round(run_s * 1000 / max(read_events, 1), 3),
        "dirty_left": MetricsDirty.objects.count(),
        "returned": returned if isinstance(returned, int | float | str | dict | list | None)
        else repr(returned),
        "target_ms_per_event": 1.0,
    }  # fmt: skip


def _zone() -> str:
    from django.conf import settings

    zones = getattr(settings, "DOUM_METRICS_TIME_ZONES", None) or [settings.DOUM_DEFAULT_TIME_ZONE]
    return str(next(iter(zones)))


def _period(days: int, zone: str, **kw: Any) -> Any:
    from doum.metrics.queries import Filters

    tz = ZoneInfo(zone)
    end = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    return Filters(start=start.astimezone(UTC), end=end.astimezone(UTC), zone=zone, **kw)


def _source(x: Any) -> Any:
    if isinstance(x, list):
        return sorted({str(_source(i)) for i in x}) if x else []
    if hasattr(x, "summary"):
        return x.summary.source
    return getattr(x, "source", None)


MANAGER_SERIES = ("created", "solved", "backlog", "first_reply@median", "full_resolution@p90",
                  "sla_rate", "one_touch_rate")  # fmt: skip
TEAM_SERIES = (("created", "day"), ("solved", "day"), ("first_reply@median", "week"))
# Drill-downs timed as the page runs them (count + first 100): SQL-selected figures, the
# backlog, and next replies (read item by item).
# Tickets changed before each steady-state refresh run (after the burst).
STEADY_TICKETS = (50, 250, 1000)
DRILL_METRICS = ("created", "solved", "backlog", "first_reply", "full_resolution",
                 "sla_breached", "next_reply")  # fmt: skip


def dashboards(biggest_team: int, runs: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from django.db import connection

    from doum.metrics import queries as q

    zone = _zone()
    quarter = _period(91, zone)
    team_q = _period(91, zone, team_ids=(biggest_team,))
    backlog_instant = quarter.end - timedelta(days=100)
    sources: dict[str, Any] = {}
    calls: dict[str, list[float]] = defaultdict(list)

    def rec(name: str, fn: Callable[..., Any], *args: Any) -> None:
        started = time.perf_counter()
        answer = fn(*args)
        calls[name].append((time.perf_counter() - started) * 1000)
        # sla_attainment is always the exact path (TicketMetrics.sla), see its docstring.
        if name.startswith("drill_down."):
            by_items = name == "drill_down.next_reply" and connection.vendor != "postgresql"
            sources[name] = "items" if by_items else "sql"
            return
        sources[name] = "exact" if name.endswith("sla_attainment") else _source(answer)

    def team_lead() -> None:
        rec("team_lead.summary", q.summary, team_q)
        for metric, period in TEAM_SERIES:
            rec(f"team_lead.series.{metric}.{period}", q.series, team_q, metric, period)
        rec("team_lead.breakdown.agent", q.breakdown, team_q, "agent", q.AGENT_TABLE)

    def manager_for(f: Any, prefix: str = "manager") -> Callable[[], None]:
        def run() -> None:
            rec(f"{prefix}.summary", q.summary, f)
            for metric in MANAGER_SERIES:
                rec(f"{prefix}.series.{metric}.week", q.series, f, metric, "week")
            rec(f"{prefix}.heatmap", q.heatmap, f)
            rec(f"{prefix}.breakdown.agent", q.breakdown, f, "agent", q.AGENT_TABLE)
            rec(f"{prefix}.sla_attainment", q.sla_attainment, f)

        return run

    def backlog() -> None:
        rec("backlog_at", q.backlog_at, quarter, backlog_instant)

    def per_agent() -> None:
        rec("per_agent.breakdown.agent", q.breakdown, quarter, "agent", q.AGENT_TABLE)

    from doum.accounts.models import User

    # Someone who sees every ticket (the bench has an admin, no manager).
    viewer = (
        User.objects.filter(role__in=("manager", "director", "admin"), is_active=True)
        .order_by("pk")
        .first()
    )

    def drill_page(metric: str) -> Callable[[], Any]:
        def page() -> Any:
            # What the drill-down page does: the total, then the first 100 newest first.
            tickets = q.drill_down(viewer, quarter, metric)  # type: ignore[arg-type]
            return tickets.count(), list(
                tickets.order_by("-pk").select_related("assignee", "team")[:100]
            )

        return page

    def drill() -> None:
        for metric in DRILL_METRICS:
            rec(f"drill_down.{metric}", drill_page(metric))

    def measured(fn: Callable[[], None]) -> dict[str, Any]:
        fn()  # warm-up
        calls.clear()
        result = timed(fn, runs, warmup=0)
        result["calls_median_ms"] = {k: round(statistics.median(v), 1) for k, v in calls.items()}
        calls.clear()
        return result

    out: dict[str, Any] = {
        "zone": zone,
        "start": quarter.start.isoformat(),
        "end": quarter.end.isoformat(),
        "team_id": biggest_team,
        "backlog_at": backlog_instant.isoformat(),
    }
    for name, fn in (
        ("team_lead", team_lead),
        ("manager", manager_for(quarter)),
        ("backlog", backlog),
        ("per_agent", per_agent),
        ("drill_down", drill),
    ):
        if name == "drill_down" and viewer is None:
            continue
        try:
            out[name] = measured(fn)
        except (NotImplementedError, ImportError, AttributeError) as exc:
            out[name] = {"missing": f"{exc.__class__.__name__}: {exc}"}
    out["sources"] = dict(sources)
    # The pages themselves, rendered (figures, charts, tables, survey scores; what a browser
    # waits for), for the same quarter: median of --runs after a warm-up.
    if viewer is not None:
        out["pages"] = _pages(viewer, quarter, biggest_team, runs)
    # What the answers look like (one run), to check that both paths count the same tickets.
    try:
        s = q.summary(quarter)
        b = q.backlog_at(quarter, backlog_instant)
        out["figures"] = {
            "created": s.created, "solved": s.solved, "backlog_end": s.backlog_end,
            "first_reply_median_s": s.durations["first_reply"].median,
            "sla_met": s.sla_met, "sla_breached": s.sla_breached,
            "backlog_at_total": b.total,
            "agents_in_breakdown": len(q.breakdown(quarter, "agent")),
        }  # fmt: skip
    except (NotImplementedError, ImportError, AttributeError, KeyError) as exc:
        out["figures"] = {"missing": f"{exc.__class__.__name__}: {exc}"}
    # Scaling with the period (6.)
    from doum.metrics.models import Rollup

    scaling: dict[str, Any] = {}
    for days in (7, 30, 91, 365):
        f = _period(days, zone)
        try:
            t = measured(manager_for(f, f"manager_{days}d"))
        except (NotImplementedError, ImportError, AttributeError) as exc:
            t = {"missing": f"{exc.__class__.__name__}: {exc}"}
        day_rows = Rollup.objects.filter(
            zone=zone, day__gte=f.start.astimezone(ZoneInfo(zone)).date(),
            day__lt=f.end.astimezone(ZoneInfo(zone)).date(),
        )  # fmt: skip
        if hasattr(Rollup, "period"):  # day rows only, as before weeks and months were kept
            day_rows = day_rows.filter(period="day")
        t["rollup_rows"] = day_rows.count()
        t["rollup_rows_team_grain"] = day_rows.filter(grain="team").count()
        if hasattr(q, "_pieces"):  # what a summary and an agent breakdown actually read
            pieces = q._pieces(f, None)
            t["rows_read_summary"] = q._rollup_rows(f, "team", pieces).count()
            t["rows_read_agent_breakdown"] = q._rollup_rows(f, "agent", pieces).count()
            t["cover"] = {p: sum(1 for k, _d in pieces if k == p) for p in ("month", "week", "day")}
        scaling[f"{days}_days"] = t
    return out, scaling


def _pages(viewer: Any, quarter: Any, team: int, runs: int) -> dict[str, Any]:
    from django.test import Client

    tz = ZoneInfo(quarter.zone)
    first = quarter.start.astimezone(tz).date()
    last = (quarter.end.astimezone(tz) - timedelta(days=1)).date()
    period = f"period=custom&from={first}&to={last}"
    client = Client()
    client.force_login(viewer)
    found: dict[str, Any] = {}
    for name, url in (
        ("team_lead_page", f"/analytics/team/?{period}&team={team}"),
        ("operations_page", f"/analytics/operations/?{period}"),
        ("executive_page", f"/analytics/executive/?{period}"),
    ):
        status: list[int] = []

        def get(url: str = url, status: list[int] = status) -> None:
            status.append(client.get(url).status_code)

        found[name] = timed(get, runs)
        found[name]["status"] = sorted(set(status))
        found[name]["url"] = url
    return found


# --- 5. the baseline: straight from the events -------------------------------------------------


def _stat(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "mean": None, "median": None, "p90": None}
    values.sort()
    return {"n": len(values), "mean": sum(values) / len(values),
            "median": statistics.median(values),
            "p90": values[min(len(values) - 1, math.ceil(0.9 * len(values)) - 1)]}  # fmt: skip


DURATION_COLUMNS = ("first_reply_s", "first_resolution_s", "full_resolution_s",
                    "requester_wait_s", "agent_wait_s", "on_hold_s", "agent_work_s")  # fmt: skip


def _ticket_ids(where: str, params: list[Any]) -> list[int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM tickets_ticket WHERE {where} ORDER BY id", params)
        return [int(r[0]) for r in cur.fetchall()]


def _computed(ids: list[int]) -> Iterator[Any]:
    from doum.metrics import loading

    for i in range(0, len(ids), 2000):
        yield from loading.compute_many(ids[i : i + 2000])


def _aggregate(values: Iterator[Any], start: datetime, end: datetime, zone: str,
               by_agent: bool) -> dict[str, Any]:  # fmt: skip
    """The dashboard's figures from per-ticket metric values (the baseline's aggregation)."""
    tz = ZoneInfo(zone)
    s_ts, e_ts = start.timestamp(), end.timestamp()
    created = solved = reopened = one_touch = replies = met = breached = backlog = 0
    durations: dict[str, list[float]] = defaultdict(list)
    status_s: dict[str, list[float]] = defaultdict(list)
    weekly: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    heat = [[0] * 24 for _ in range(7)]
    agents: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    n = 0
    for m in values:
        n += 1
        if m.excluded:
            continue
        c = m.created_at
        if start <= c < end:
            created += 1
            local = c.astimezone(tz)
            heat[local.weekday()][local.hour] += 1
            week = local.date() - timedelta(days=local.weekday())
            weekly[week]["created"].append(1)
        for span in m.unsolved_spans:
            if span[0] < e_ts and (span[1] is None or span[1] > e_ts):
                backlog += 1
        # SLA targets count on the solve day, or on the created day while unsolved.
        sla_at = m.solved_at if m.solved_at is not None else c
        if not m.merged and start <= sla_at < end:
            met += m.sla_met
            breached += m.sla_breached
        if m.solved_at is not None and start <= m.solved_at < end:
            solved += 1
            reopened += 1 if m.reopens else 0
            one_touch += 1 if m.one_touch else 0
            replies += m.agent_replies
            local = m.solved_at.astimezone(tz)
            week = local.date() - timedelta(days=local.weekday())
            for col in DURATION_COLUMNS:
                v = getattr(m, col)
                if v is not None:
                    durations[col].append(v)
                    weekly[week][col].append(v)
                    if by_agent:
                        agents[m.assignee_id][col].append(v)
            for k, v in m.status_seconds.items():
                status_s[k].append(v)
            if by_agent:
                agents[m.assignee_id]["solved"].append(1)
                agents[m.assignee_id]["one_touch"].append(1 if m.one_touch else 0)
    del s_ts
    return {
        "tickets_computed": n,
        "created": created,
        "solved": solved,
        "reopened": reopened,
        "one_touch": one_touch,
        "agent_replies": replies,
        "sla_met": met,
        "sla_breached": breached,
        "backlog_end": backlog,
        "first_reply_median_s": _stat(durations["first_reply_s"])["median"],
        "durations": {k: _stat(v) for k, v in durations.items()},
        "status_seconds": {k: _stat(v) for k, v in status_s.items()},
        "weeks": len(weekly),
        "weekly": {
            str(w): {k: _stat(v) if k != "created" else len(v) for k, v in d.items()}
            for w, d in weekly.items()
        },
        "heatmap_total": sum(map(sum, heat)),
        "agents": len(agents),
        "agent_rows": {str(a): {k: _stat(v) for k, v in d.items()} for a, d in agents.items()},
    }


def baseline(biggest_team: int) -> dict[str, Any]:
    zone = _zone()
    quarter = _period(91, zone)
    unsolved = "('new', 'open', 'pending', 'on_hold')"
    out: dict[str, Any] = {}

    def period_ids(f: Any, team: int | None) -> list[int]:
        where = f"created_at < %s AND (updated_at >= %s OR status IN {unsolved})"
        params: list[Any] = [f.end, f.start]
        if team is not None:
            where += " AND team_id = %s"
            params.append(team)
        return _ticket_ids(where, params)

    for name, team in (("team_lead", biggest_team), ("manager", None)):
        started = time.perf_counter()
        ids = period_ids(quarter, team)
        figures = _aggregate(_computed(ids), quarter.start, quarter.end, zone, by_agent=True)
        ms = (time.perf_counter() - started) * 1000
        log(f"baseline {name}: {len(ids):,} tickets in {ms / 1000:.1f} s")
        out[name] = {"ms": round(ms, 1), "tickets": len(ids),
                     "figures": {k: v for k, v in figures.items()
                                 if k not in ("weekly", "agent_rows", "durations",
                                              "status_seconds")}}  # fmt: skip
    out["per_agent"] = {"ms": out["manager"]["ms"], "same_as": "manager"}
    at = quarter.end - timedelta(days=100)
    started = time.perf_counter()
    ids = _ticket_ids(f"created_at < %s AND (updated_at >= %s OR status IN {unsolved})",
                      [at, at])  # fmt: skip
    at_ts = at.timestamp()
    total = 0
    ages = [0] * 6
    bounds = [0, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400]
    for m in _computed(ids):
        if m.excluded:
            continue
        for span in m.unsolved_spans:
            if span[0] <= at_ts and (span[1] is None or span[1] > at_ts):
                total += 1
                age = at_ts - m.created_at.timestamp()
                ages[bisect.bisect_right(bounds, age) - 1] += 1
                break
    ms = (time.perf_counter() - started) * 1000
    out["backlog"] = {"ms": round(ms, 1), "tickets": len(ids), "total": total, "ages": ages}
    return out


# --- the worker and the driver -----------------------------------------------------------------


def _people_from_db() -> People:
    """The People of a loaded database (for --reuse): teams in creation order, members,
    roles and customers; what measure_incremental and the dashboards need."""
    from doum.accounts.models import Team, TeamMembership, User

    teams = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    members: dict[int, list[int]] = {t: [] for t in teams}
    for team, user in TeamMembership.objects.order_by("team_id", "user_id").values_list(
        "team_id", "user_id"
    ):
        members[team].append(user)
    roles = {pk: str(role) for pk, role in User.objects.exclude(role="customer").values_list(
        "pk", "role")}  # fmt: skip
    customers = list(User.objects.filter(role="customer").values_list("pk", flat=True))
    return People(0, 0, teams, members, {}, customers, {}, roles)


def worker(database: str, tickets: int, real: int, changes: int, runs: int, do_baseline: bool,
           seed: int, reuse: bool = False) -> dict[str, Any]:  # fmt: skip
    import django

    django.setup()
    from django.db import connection

    pg = connection.vendor == "postgresql"
    started = time.perf_counter()
    if reuse:  # a database a --keep run left: changes and reads again, no load or rebuild
        result: dict[str, Any] = {"database": database, "reused": True,
                                  "tickets": _count("tickets_ticket")}  # fmt: skip
        people = _people_from_db()
        biggest = people.teams[0]
        result["incremental"] = phase(
            "incremental", lambda: measure_incremental(people, real, changes, pg)
        )
    else:
        people, loaded = load(tickets, pg, seed)
        log(f"{database}: loaded {loaded['tickets']:,} tickets, {loaded['events']:,} events in "
            f"{loaded['load_seconds']:.0f} s")  # fmt: skip
        result = {"database": database, "load": loaded}
        # The largest team (the first) for the team lead's view.
        biggest = people.teams[0]
        result["rebuild"] = phase("rebuild", lambda: measure_rebuild(tickets, loaded["events"]))
        if pg:
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        result["incremental"] = phase(
            "incremental", lambda: measure_incremental(people, real, changes, pg)
        )
    found: dict[str, Any] = {}

    def dash_phase() -> dict[str, Any]:
        found["dashboards"], found["scaling"] = dashboards(biggest, runs)
        return found

    outcome = phase("dashboards", dash_phase)
    dash = found.get("dashboards") or outcome
    scaling = found.get("scaling", {})
    result["dashboards"] = dash
    result["scaling"] = scaling
    if do_baseline:
        base = phase("baseline", lambda: baseline(biggest))
        result["baseline"] = base
        ratios = {}
        for name in ("team_lead", "manager", "backlog", "per_agent"):
            b, d = base.get(name, {}), dash.get(name, {})
            if "ms" in b and "median_ms" in d and d["median_ms"]:
                ratios[name] = round(b["ms"] / d["median_ms"], 1)
        result["ratio_baseline_to_rollup"] = ratios
    if pg:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            result["database_size"] = cur.fetchone()[0]
            sizes = {}
            for table in ("tickets_ticketevent", "metrics_ticketmetrics", "metrics_rollup",
                          "metrics_backlogspan"):  # fmt: skip
                cur.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [table])
                sizes[table] = cur.fetchone()[0]
            result["table_sizes"] = sizes
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def run_database(database: str, args: argparse.Namespace, tickets: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOUM_")}
    env.pop("DATABASE_URL", None)
    env.update({"DJANGO_SETTINGS_MODULE": "doum.settings", "DOUM_DEBUG": "0",
                "DOUM_FAST_PASSWORDS": "1", "DOUM_LOG_LEVEL": "WARNING"})  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="doum-analytics-") as tmp:
        if database == "postgresql":
            import psycopg

            name = args.pg_db
            if not args.reuse:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    conn.execute(f"CREATE DATABASE {name}")
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
        elif args.reuse:
            raise SystemExit("--reuse works with a kept PostgreSQL database only")
        else:
            env["DOUM_VAR_DIR"] = tmp
        log(f"{database}: migrating")
        subprocess.run([PY, "-m", "django", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        cmd = [PY, __file__, "--worker", database, "--tickets", str(tickets),
               "--real-tickets", str(args.real_tickets), "--changes", str(args.changes),
               "--runs", str(args.runs), "--seed", str(args.seed)]  # fmt: skip
        if args.no_baseline:
            cmd.append("--no-baseline")
        if args.reuse:
            cmd.append("--reuse")
        proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if database == "postgresql" and not (args.keep or args.reuse):
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)")
        if proc.returncode != 0:
            return {"database": database, "failed": f"worker exit {proc.returncode}",
                    "stdout_tail": proc.stdout[-2000:]}  # fmt: skip
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite",
                        help="comma-separated: postgresql, sqlite")  # fmt: skip
    parser.add_argument("--tickets", type=int, default=1_000_000, help="PostgreSQL tickets")
    parser.add_argument("--sqlite-tickets", type=int, default=100_000)
    parser.add_argument("--real-tickets", type=int, default=300,
                        help="tickets changed through the real actions")  # fmt: skip
    parser.add_argument("--changes", type=int, default=20_000,
                        help="new events before the incremental refresh")  # fmt: skip
    parser.add_argument("--runs", type=int, default=5, help="timed runs per dashboard")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--pg-db", default=PG_DB,
                        help="PostgreSQL database to (re)create for the run")  # fmt: skip
    parser.add_argument("--keep", action="store_true",
                        help="keep the PostgreSQL database after the run")  # fmt: skip
    parser.add_argument("--reuse", action="store_true",
                        help="measure the dashboards (and the baseline) again on the database a "
                             "--keep run left, without loading or rebuilding")  # fmt: skip
    parser.add_argument("--worker", choices=("postgresql", "sqlite"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        figures = worker(args.worker, args.tickets, args.real_tickets, args.changes, args.runs,
                         not args.no_baseline, args.seed, args.reuse)  # fmt: skip
        print(json.dumps(figures, default=str))
        return 0
    started = time.perf_counter()
    result: dict[str, Any] = {"benchmark": "analytics", "python": platform.python_version(),
                              "cpus": os.cpu_count(), "databases": {}}  # fmt: skip
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        n = args.tickets if database == "postgresql" else args.sqlite_tickets
        result["databases"][database] = run_database(database, args, n)
    checks: dict[str, Any] = {}
    pg = result["databases"].get("postgresql") or {}
    for name in ("team_lead", "manager", "backlog", "per_agent"):
        d = (pg.get("dashboards") or {}).get(name) or {}
        if "median_ms" in d:
            checks[f"pg_{name}_under_500ms"] = {"ms": d["median_ms"],
                                                "met": d["median_ms"] < 500}  # fmt: skip
    inc = pg.get("incremental") or {}
    if "ms_per_changed_event" in inc:
        checks["pg_incremental_under_1ms_per_event"] = {
            "ms": inc["ms_per_changed_event"],
            "met": inc["ms_per_changed_event"] < 1.0,
        }
    result["checks"] = checks
    result["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
