"""Ticket API throughput and latency under a real WSGI server, against PostgreSQL and SQLite.

    .venv/bin/python bench/api_tickets.py                      # both sizes, both databases
    .venv/bin/python bench/api_tickets.py --quick              # 20,000 tickets, short runs
    .venv/bin/python bench/api_tickets.py --databases postgresql --sizes 100000 --duration 20

For each database and size: load the tickets (bench/seed.py), count the queries of each request
in-process (bench/inprocess.py), start `gunicorn doum.wsgi:application -w 2` (sync workers) on
127.0.0.1, and drive it from a separate process (bench/loadgen.py, closed-loop threads) with:

  list     GET  /api/v1/tickets?team_id=X&status=open&limit=25   (as an agent of team X)
  detail   GET  /api/v1/tickets/{id}        (tickets with 50 comments)
  create   POST /api/v1/tickets             (agent opens a ticket for a customer, team X)
  bare     POST /bench/bare-create          (the ceiling: 1 ticket + 2 event rows, one
                                             transaction, no auth, nothing else)

each at two concurrencies: `--latency-concurrency` (default 2 = one request per worker, so no
request waits in the listen queue: the latency figures) and `--concurrency` (default 8: the
throughput figures; latency there includes queueing; bare and create alternate `--write-pairs`
times and the creation ratio is the median of the pairs). Every phase records the CPU used by
the server, the database and the load generator, the CPU other processes took from the machine
and a calibration timing, and is repeated when disturbed. Prints one JSON document on stdout
and saves a copy to bench/results/<timestamp>.json; progress goes to stderr. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "doum_bench"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
WORKERS = 2
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The targets (PostgreSQL, 2 cores). Only used to label measured figures as met or not.
TARGETS = {
    "create_ratio_min": 0.70,
    "list_p95_ms_max": 50.0,
    "detail_p95_ms_max": 50.0,
    "worker_rss_mb_max": 150.0,
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- environment ----------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DOUM_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "doum.settings",
            "DOUM_BENCH_ENDPOINTS": "1",
            "DOUM_RATE_LIMIT_TOKEN_PER_MIN": "1000000000",
            "DOUM_RATE_LIMIT_IP_PER_MIN": "1000000000",
            "DOUM_RATE_LIMIT_ANON_PER_MIN": "1000000000",
            "DOUM_DEBUG": "0",
            "DOUM_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DOUM_FAST_PASSWORDS": "1",
            "DOUM_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run_json(args: list[str], env: dict[str, str], what: str) -> dict[str, Any]:
    proc = subprocess.run(
        args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=None, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def prepare_postgres() -> dict[str, str]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    env = base_env()
    env["DATABASE_URL"] = PG_URL
    return env


def prepare_sqlite(tmp: Path) -> dict[str, str]:
    env = base_env()
    env["DOUM_VAR_DIR"] = str(tmp)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PY, "-m", "django", "migrate", "-v0"], env=env, cwd=ROOT, check=True)


# --- process accounting ---------------------------------------------------------------------


def _stat_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == pid:
                    found.append(int(entry.name))
        return found


PG_AUX = ("checkpointer", "background writer", "walwriter", "autovacuum launcher")


def postgres_pids() -> list[int]:
    """The PostgreSQL processes that work for this benchmark: backends and autovacuum workers
    of the benchmark database, and the shared writer processes. Other databases' backends (other
    people's test runs on the same machine) count as interference instead."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f" {PG_DB} " in cmdline or cmdline.rstrip().endswith(PG_AUX):
                pids.append(int(entry.name))
    return pids


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return total - idle, total


def rss_mb(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


class Snapshot:
    """CPU seconds used so far by each process of a group, and the machine's counters."""

    def __init__(self, workers: list[int], db_pids: list[int], others: list[int]) -> None:
        self.t = time.perf_counter()
        self.workers = {p: _stat_cpu_s(p) for p in workers}
        self.db = {p: _stat_cpu_s(p) for p in db_pids}
        self.others = {p: _stat_cpu_s(p) for p in others}  # gunicorn master, load generator
        self.busy, self.total = machine_cpu()


def used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots. A process that started in between counts from zero;
    one that ended in between (an autovacuum worker) is lost, which under-counts a little."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items() if cpu)


def calibrate() -> float:
    """Milliseconds a fixed pure-Python workload takes here and now (best of 3). The same work
    takes the same time on the same machine; when it doesn't, the machine (or the hypervisor
    under it) was slower for this phase, and every figure of the phase with it."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        acc: dict[int, str] = {}
        for i in range(60_000):
            acc[i % 997] = json.dumps({"i": i, "s": str(i) * 3})
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000, 1)


def wait_until_quiet(max_wait_s: float, busy_pct: float = 10.0) -> tuple[float, float]:
    """Wait (at most max_wait_s) for a second in which the machine is less than busy_pct busy:
    other people's processes share these 2 cores. Returns (seconds waited, last busy %)."""
    started = time.perf_counter()
    pct = 100.0
    while True:
        b0, t0 = machine_cpu()
        time.sleep(1.0)
        b1, t1 = machine_cpu()
        pct = 100.0 * (b1 - b0) / max(1, t1 - t0)
        waited = time.perf_counter() - started
        if pct < busy_pct or waited >= max_wait_s:
            return round(waited, 1), round(pct, 1)


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.port = free_port()
        self.log_path = logdir / f"gunicorn-{self.port}.log"
        self.log_file = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "doum.wsgi:application",
                "-w",
                str(WORKERS),
                "-k",
                "sync",
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/healthz", timeout=5
                ) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {self.log_path}")
            time.sleep(0.2)
        # Both workers up (the health check reached one).
        deadline = time.monotonic() + 30
        while len(self.workers()) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.1)

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def run_phase_once(
    server: Server, spec: dict[str, Any], env: dict[str, str], is_pg: bool
) -> dict[str, Any]:
    spec = {**spec, "port": server.port}
    workers = server.workers()
    proc = subprocess.Popen(
        [PY, str(BENCH / "loadgen.py"), json.dumps(spec)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "MEASURING":
        proc.wait()
        raise SystemExit(f"load generator failed: {line!r}")
    db_pids = postgres_pids() if is_pg else []
    others = [server.proc.pid, proc.pid]
    before = Snapshot(workers, db_pids, others)
    result_line = proc.stdout.readline()
    after = Snapshot(workers, sorted(set(db_pids) | set(postgres_pids() if is_pg else [])), others)
    proc.wait(timeout=120)
    result: dict[str, Any] = json.loads(result_line)
    elapsed = after.t - before.t
    ok = max(1, result["requests_ok"])
    workers_s = used(before.workers, after.workers)
    db_s = used(before.db, after.db)
    others_s = used(before.others, after.others)
    result["server_cpu_s"] = round(workers_s, 2)
    result["server_cpu_ms_per_request"] = round(workers_s * 1000 / ok, 2)
    if is_pg:
        result["db_cpu_s"] = round(db_s, 2)
        result["db_cpu_ms_per_request"] = round(db_s * 1000 / ok, 2)
    total_jiffies = after.total - before.total
    busy_s = (after.busy - before.busy) / CLK_TCK
    ours_s = workers_s + db_s + others_s
    capacity_s = total_jiffies / CLK_TCK
    result["machine_cpu_busy_pct"] = round(100.0 * busy_s / capacity_s, 1) if capacity_s else None
    # CPU that neither the server, its database processes nor the load generator used:
    # other people's work on the same machine, competing with the measurement.
    result["interference_cpu_pct"] = (
        round(100.0 * max(0.0, busy_s - ours_s) / capacity_s, 1) if capacity_s else None
    )
    result["measured_s"] = round(elapsed, 2)
    result["client_cpu_ms_per_request"] = round(result["client_cpu_s"] * 1000 / ok, 2)
    result["app_cpu_ms_per_request"] = round(
        result["server_cpu_ms_per_request"] + result.get("db_cpu_ms_per_request", 0.0), 2
    )
    return result


def run_phase(
    server: Server, spec: dict[str, Any], env: dict[str, str], is_pg: bool,
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    """Run a phase; repeat it (up to --attempts) while other processes disturbed it, and keep
    the least disturbed attempt. Every attempt's interference is reported."""
    attempts: list[dict[str, Any]] = []
    baseline = args.calibration_baseline_ms

    def slowdown(r: dict[str, Any]) -> float:
        return float(r["calibration_ms"]) / baseline

    def badness(r: dict[str, Any]) -> float:
        return (r["interference_cpu_pct"] or 0.0) + 100.0 * max(0.0, slowdown(r) - 1.0)

    for _ in range(max(1, args.attempts)):
        waited, idle_busy = wait_until_quiet(args.quiet_wait)
        before = calibrate()
        result = run_phase_once(server, spec, env, is_pg)
        # The same fixed workload before and after the phase: a hypervisor that gives this
        # machine less CPU shows here, not in /proc/stat. Slow both times = a slow phase (one
        # slow sample alone is often a blip).
        result["calibration_ms"] = min(before, calibrate())
        result["machine_slowdown"] = round(slowdown(result), 2)
        result["waited_for_quiet_s"] = waited
        result["busy_pct_before"] = idle_busy
        attempts.append(result)
        noisy = (result["interference_cpu_pct"] or 0.0) > args.max_interference
        slow = slowdown(result) > args.max_slowdown
        if not noisy and not slow:
            break
        log(
            f"  {spec['kind']} c{spec['concurrency']}: other processes used "
            f"{result['interference_cpu_pct']}% of the machine, the calibration workload ran "
            f"{result['machine_slowdown']}x slower than at the start; repeating"
        )
    best = dict(min(attempts, key=badness))
    best["disturbed"] = (best["interference_cpu_pct"] or 0.0) > args.max_interference or (
        slowdown(best) > args.max_slowdown
    )
    best["attempts"] = len(attempts)
    best["interference_by_attempt"] = [r["interference_cpu_pct"] for r in attempts]
    best["slowdown_by_attempt"] = [r["machine_slowdown"] for r in attempts]
    return best


# --- one database, one size -----------------------------------------------------------------


def bench_size(
    db: str, size: int, env: dict[str, str], fixture: dict[str, Any], args: argparse.Namespace,
    logdir: Path, seed_info: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    is_pg = db == "postgresql"
    log(f"{db} {size:,}: counting queries in-process")
    queries = run_json([PY, str(BENCH / "inprocess.py"), json.dumps(fixture)], env, "inprocess")
    log(f"{db} {size:,}: starting gunicorn")
    code = code_version()
    server = Server(env, logdir)
    common = {
        "token": fixture["token"],
        "team_id": fixture["bench_team_id"],
        "detail_ids": fixture["detail_ticket_ids"],
        "customer_ids": fixture["customer_ids"],
        "brand_id": fixture["brand_id"],
        "user_id": fixture["customer_ids"][0],
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "max_requests": args.max_requests,
    }
    c_hi, c_lat = args.concurrency, args.latency_concurrency
    # The creation ratio compares two runs; bare creation is bound by the commit (WAL flush)
    # latency of the disk, which varies on a virtual machine, so bare and create alternate
    # --write-pairs times and the ratio is the median of the pairs.
    pairs = max(1, args.write_pairs)
    order = [
        ("list", c_lat, ""), ("list", c_hi, ""), ("detail", c_lat, ""), ("detail", c_hi, ""),
        *[item for i in range(pairs)
          for item in (("bare", c_hi, f"#{i + 1}" if i else ""),
                       ("create", c_hi, f"#{i + 1}" if i else ""))],
        ("bare", c_lat, ""), ("create", c_lat, ""),
    ]  # fmt: skip
    phases: dict[str, Any] = {}
    try:
        for kind, conc, suffix in order:
            key = f"{kind}_c{conc}{suffix}"
            result = run_phase(
                server, {**common, "kind": kind, "concurrency": conc}, env, is_pg, args
            )
            phases[key] = result
            log(
                f"{db} {size:,} {key}: {result['per_s']}/s p50 {result['p50_ms']} ms "
                f"p95 {result['p95_ms']} ms ok {result['requests_ok']} "
                f"failed {result['requests_failed']} cpu {result['machine_cpu_busy_pct']}% "
                f"(others {result['interference_cpu_pct']}%)"
            )
        workers = server.workers()
        rss = {str(p): rss_mb(p) for p in workers}
    finally:
        server.stop()
    tickets_after = run_json(
        [PY, "-c", "import django,json;django.setup();from doum.tickets.models import Ticket;"
         "print(json.dumps({'n': Ticket.objects.count()}))"],
        env, "count",
    )["n"]  # fmt: skip

    def ph(kind: str, conc: int) -> dict[str, Any]:
        return dict(phases[f"{kind}_c{conc}"])

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    lat = {k: ph(k, c_lat) for k in ("list", "detail", "bare", "create")}
    thr = {k: ph(k, c_hi) for k in ("list", "detail", "bare", "create")}
    suffixes = [""] + [f"#{i + 1}" for i in range(1, pairs)]
    pair_rows = [(phases[f"bare_c{c_hi}{x}"], phases[f"create_c{c_hi}{x}"]) for x in suffixes]
    pair_ratios = [ratio(c["per_s"], b["per_s"]) for b, c in pair_rows]
    pair_cpu_ratios = [
        ratio(b["app_cpu_ms_per_request"], c["app_cpu_ms_per_request"]) for b, c in pair_rows
    ]
    worker_rss = [v.get("VmRSS") for v in rss.values()]
    out: dict[str, Any] = {
        "tickets_at_start": seed_info["tickets_after"],
        "tickets_at_end": tickets_after,
        "seed_seconds": seed_info["seed_seconds"],
        "seed": {
            k: v for k, v in seed_info.items() if k not in ("customer_ids", "agent_ids", "token")
        },
        "creates_per_s": median([c["per_s"] for _, c in pair_rows]),
        "bare_creates_per_s": median([b["per_s"] for b, _ in pair_rows]),
        "create_ratio": median(pair_ratios),
        "create_ratio_by_pair": pair_ratios,
        "creates_per_s_by_pair": [c["per_s"] for _, c in pair_rows],
        "bare_creates_per_s_by_pair": [b["per_s"] for b, _ in pair_rows],
        "list_p50_ms": lat["list"]["p50_ms"],
        "list_p95_ms": lat["list"]["p95_ms"],
        "detail_p50_ms": lat["detail"]["p50_ms"],
        "detail_p95_ms": lat["detail"]["p95_ms"],
        "create_p50_ms": lat["create"]["p50_ms"],
        "create_p95_ms": lat["create"]["p95_ms"],
        "bare_p50_ms": lat["bare"]["p50_ms"],
        "bare_p95_ms": lat["bare"]["p95_ms"],
        "list_p50_vs_bare": ratio(lat["list"]["p50_ms"], lat["bare"]["p50_ms"]),
        "list_p95_vs_bare": ratio(lat["list"]["p95_ms"], lat["bare"]["p95_ms"]),
        "detail_p50_vs_bare": ratio(lat["detail"]["p50_ms"], lat["bare"]["p50_ms"]),
        "detail_p95_vs_bare": ratio(lat["detail"]["p95_ms"], lat["bare"]["p95_ms"]),
        "create_p95_vs_bare": ratio(lat["create"]["p95_ms"], lat["bare"]["p95_ms"]),
        f"at_concurrency_{c_hi}": {
            k: {
                "per_s": thr[k]["per_s"],
                "per_s_vs_bare": ratio(thr[k]["per_s"], thr["bare"]["per_s"]),
                "p50_ms": thr[k]["p50_ms"],
                "p95_ms": thr[k]["p95_ms"],
            }
            for k in ("list", "detail", "create", "bare")
        },
        # CPU per request (gunicorn workers, plus the PostgreSQL processes), from /proc: far
        # less sensitive to other processes on the machine than the wall-clock figures.
        "cpu_ms_per_request": {k: thr[k]["app_cpu_ms_per_request"] for k in thr},
        "create_ratio_by_cpu": median(pair_cpu_ratios),
        "create_ratio_by_cpu_by_pair": pair_cpu_ratios,
        "disturbed_phases": sorted(k for k, p in phases.items() if p.get("disturbed")),
        "queries_per_request": {k: queries[k]["queries"] for k in ("list", "detail", "create")},
        "machine_slowdown": {k: p.get("machine_slowdown") for k, p in phases.items()},
        "interference_cpu_pct_max": max(
            (p.get("interference_cpu_pct") or 0.0 for p in phases.values()), default=None
        ),
        "worker_rss_mb": worker_rss,
        "worker_rss_max_mb": max((r for r in worker_rss if r is not None), default=None),
        "worker_memory": rss,
        "code": code,
        "latency_concurrency": c_lat,
        "throughput_concurrency": c_hi,
        "in_process": queries,
        "phases": phases,
    }
    return out


def median(values: list[Any]) -> Any:
    """The median of the numbers given (None when there are none)."""
    nums = sorted(v for v in values if v is not None)
    if not nums:
        return None
    mid = len(nums) // 2
    return nums[mid] if len(nums) % 2 else round((nums[mid - 1] + nums[mid]) / 2, 3)


def checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets next to what was measured (PostgreSQL at each size)."""
    out = []
    for size, r in results.get("postgresql", {}).items():
        rows = [
            ("API creation >= 70 % of the bare ceiling", r["create_ratio"], ">=",
             TARGETS["create_ratio_min"]),
            ("list p95 < 50 ms", r["list_p95_ms"], "<", TARGETS["list_p95_ms_max"]),
            ("detail p95 < 50 ms", r["detail_p95_ms"], "<", TARGETS["detail_p95_ms_max"]),
            ("memory per worker < 150 MB", r["worker_rss_max_mb"], "<",
             TARGETS["worker_rss_mb_max"]),
        ]  # fmt: skip
        for name, value, op, target in rows:
            met = None
            if value is not None:
                met = value >= target if op == ">=" else value < target
            out.append({"size": size, "target": name, "measured": value, "met": met})
    return out


def code_version() -> dict[str, Any]:
    """The commit the server runs (other people commit while a long run goes on)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return {"commit": None}
    return {"commit": commit or None, "modified_files": [line[3:] for line in status]}


def host_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["mem_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        import django
        import gunicorn

        info["django"] = django.get_version()
        info["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else None
            for name in ("shared_buffers", "work_mem", "synchronous_commit"):
                row = conn.execute(f"SHOW {name}").fetchone()
                info[f"pg_{name}"] = row[0] if row else None
    except Exception as exc:
        info["postgresql"] = f"unavailable: {exc.__class__.__name__}"
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated ticket counts")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="clients for throughput")
    parser.add_argument(
        "--latency-concurrency", type=int, default=WORKERS, help="clients for latency"
    )
    parser.add_argument("--quick", action="store_true", help="20,000 tickets, 4 s phases")
    parser.add_argument(
        "--quiet-wait", type=float, default=180.0,
        help="before each phase, wait up to this long for the machine to be idle",
    )  # fmt: skip
    parser.add_argument(
        "--max-interference", type=float, default=5.0,
        help="repeat a phase when other processes used more than this %% of the machine",
    )  # fmt: skip
    parser.add_argument("--attempts", type=int, default=3, help="most runs of one phase")
    parser.add_argument(
        "--write-pairs", type=int, default=3,
        help="alternating bare/create runs at --concurrency; the ratio is their median",
    )  # fmt: skip
    parser.add_argument(
        "--max-slowdown", type=float, default=1.2,
        help="repeat a phase when the calibration workload ran this much slower than at start",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and logs")
    args = parser.parse_args()

    def _terminate(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    if args.quick:
        args.write_pairs = 1
        args.sizes = "20000"
        args.duration = 4.0
        args.warmup = 1.0
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    for d in databases:
        if d not in ("postgresql", "sqlite"):
            parser.error(f"unknown database {d!r}")
    started = time.time()
    wait_until_quiet(args.quiet_wait)
    args.calibration_baseline_ms = min(calibrate() for _ in range(3))
    log(f"calibration workload: {args.calibration_baseline_ms} ms")
    doc: dict[str, Any] = {
        "benchmark": "api_tickets",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": host_info(),
        "code_at_start": code_version(),
        "config": {
            "sizes": sizes,
            "databases": databases,
            "workers": WORKERS,
            "worker_class": "sync",
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "max_requests": args.max_requests,
            "throughput_concurrency": args.concurrency,
            "latency_concurrency": args.latency_concurrency,
            "quick": args.quick,
            "quiet_wait_s": args.quiet_wait,
            "max_interference_pct": args.max_interference,
            "attempts": args.attempts,
            "max_slowdown": args.max_slowdown,
            "write_pairs": args.write_pairs,
            "calibration_baseline_ms": args.calibration_baseline_ms,
        },
        "results": {},
    }
    work = Path(tempfile.mkdtemp(prefix="doum-bench-"))
    try:
        for db in databases:
            log(f"{db}: preparing the database")
            if db == "postgresql":
                env = prepare_postgres()
            else:
                sqlite_dir = work / "sqlite"
                sqlite_dir.mkdir()
                env = prepare_sqlite(sqlite_dir)
            migrate(env)
            doc["results"][db] = {}
            fixture: dict[str, Any] = {}
            for i, size in enumerate(sizes):
                log(f"{db}: loading up to {size:,} tickets")
                t0 = time.perf_counter()
                seed_args = [PY, str(BENCH / "seed.py"), "--tickets", str(size)]
                if i == 0:
                    seed_args.append("--issue-token")
                seed_info = run_json(seed_args, env, "seed")
                seed_info["seed_seconds"] = round(time.perf_counter() - t0, 1)
                if i == 0:
                    fixture = seed_info
                n_after, seed_s = seed_info["tickets_after"], seed_info["seed_seconds"]
                log(f"{db}: {n_after:,} tickets after {seed_s}s")
                doc["results"][db][str(size)] = bench_size(
                    db, size, env, fixture, args, work, seed_info
                )
                if db == "sqlite":
                    db_file = Path(env["DOUM_VAR_DIR"]) / "doum.sqlite3"
                    doc["results"][db][str(size)]["db_file_mb"] = round(
                        db_file.stat().st_size / 1024 / 1024, 1
                    )
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    doc["checks"] = checks(doc["results"])
    doc["total_seconds"] = round(time.time() - started, 1)
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    out_file = out_dir / f"{time.strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
    out_file.write_text(text + "\n")
    print(text)
    log(f"saved {out_file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
