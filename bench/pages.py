"""Server time and query counts of the workspace's ticket list and ticket page.

    .venv/bin/python bench/pages.py                        # PostgreSQL, 100,000 tickets
    .venv/bin/python bench/pages.py --database sqlite      # the embedded default
    .venv/bin/python bench/pages.py --tickets 20000 --requests 60   # a quick look

Loads the database with bench/seed.py (drops and recreates the PostgreSQL database
`doum_bench_pages`; SQLite lives in a temporary folder), then, in one process, signs in the
bench agent (an agent of the Billing team, who sees that team's tickets and the unrouted ones)
and the bench manager (who sees everything) and requests each page through Django's test
client with the whole middleware stack: the server time of a request is from the first
middleware to the last byte of the rendered HTML (no network, no browser). Each page is warmed
up, then requested `--requests` times in rotation with the others; p50/p95/max in
milliseconds. Query counts come from one extra request under CaptureQueriesContext. The JSON
API's list and detail endpoints for the same tickets are measured in the same run as a
baseline (ratios page / API), and the ticket page's query count is taken for a ticket with one
comment and for one with 50 comments (it must not grow).

Prints one JSON document on stdout; progress goes to stderr. No thresholds are asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "doum_bench_pages"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"


def log(msg: str) -> None:
    print(f"[pages {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def environment(database: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOUM_")}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "doum.settings",
            "DOUM_DEBUG": "0",
            "DOUM_FAST_PASSWORDS": "1",
            "DOUM_LOG_LEVEL": "WARNING",
            "DOUM_RATE_LIMIT_TOKEN_PER_MIN": "1000000000",
            "DOUM_RATE_LIMIT_IP_PER_MIN": "1000000000",
            "DOUM_RATE_LIMIT_ANON_PER_MIN": "1000000000",
            "DOUM_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        }
    )
    if database == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        env["DATABASE_URL"] = PG_URL
    else:
        env["DOUM_VAR_DIR"] = str(tmp)
    return env


def load(env: dict[str, str], tickets: int) -> dict[str, Any]:
    started = time.perf_counter()
    subprocess.run([PY, "-m", "django", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    proc = subprocess.run(
        [PY, "bench/seed.py", "--tickets", str(tickets)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    fixture: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    fixture["load_seconds"] = round(time.perf_counter() - started, 1)
    return fixture


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "max_ms": round(max(samples), 2),
        "n": len(samples),
    }


def measure(fixture: dict[str, Any], requests: int) -> dict[str, Any]:
    # Django is set up only now, with the environment the loader used.
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from doum.accounts.actions import do_create_api_token
    from doum.accounts.models import User
    from doum.accounts.roles import Role
    from doum.tickets.models import Ticket

    agent = User.objects.get(pk=fixture["bench_agent_id"])
    manager = User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN]).first()
    if manager is None:
        from doum.accounts.actions import do_create_user

        manager = do_create_user(
            actor=None, name="Bench Manager", email="bench-manager@support.example",
            role=Role.MANAGER, password="bench-manager-pw",
        )  # fmt: skip
    clients: dict[str, Client] = {}
    for who, user in (("agent", agent), ("manager", manager)):
        client = Client()
        client.force_login(user)
        clients[who] = client
    token = do_create_api_token(agent, actor=agent, name="pages bench").secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    detail_ids: list[int] = fixture["detail_ticket_ids"]
    ordinary = list(
        Ticket.objects.filter(team_id=fixture["bench_team_id"], external_id__isnull=True)
        .order_by("-id")
        .values_list("id", flat=True)[:50]
    )
    list_url = reverse("tickets:list")
    team_view = f"team-{fixture['bench_team_id']}"

    def get(client: Client, url: str) -> Callable[[], int]:
        def call() -> int:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            return len(response.content)

        return call

    def ticket_page(ids: list[int]) -> Callable[[], int]:
        state = {"i": 0}

        def call() -> int:
            state["i"] += 1
            return get(clients["agent"], f"/tickets/{ids[state['i'] % len(ids)]}/")()

        return call

    pages: dict[str, Callable[[], int]] = {
        "list_my_open": get(clients["agent"], list_url + "?view=mine"),
        "list_team_queue": get(clients["agent"], f"{list_url}?view={team_view}"),
        "list_all_manager": get(clients["manager"], list_url + "?view=all"),
        "list_search": get(clients["agent"], f"{list_url}?view=all&q=refund"),
        "ticket_page_50_comments": ticket_page(detail_ids),
        "ticket_page_ordinary": ticket_page(ordinary),
        "api_list_baseline": get(api, f"/api/v1/tickets?team_id={fixture['bench_team_id']}"),
        "api_detail_baseline": get(api, f"/api/v1/tickets/{detail_ids[0]}"),
    }

    queries: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for name, call in pages.items():
        for _ in range(5):
            call()  # warm caches, connections and templates
        with CaptureQueriesContext(connection) as ctx:
            sizes[name] = call()
        queries[name] = len(ctx.captured_queries)

    # The ticket page's query count with one comment and with 50 must be the same.
    one_comment = ordinary[0]
    with CaptureQueriesContext(connection) as ctx:
        get(clients["agent"], f"/tickets/{one_comment}/")()
    queries_one = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        get(clients["agent"], f"/tickets/{detail_ids[0]}/")()
    queries_fifty = len(ctx.captured_queries)

    samples: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(requests):
        for name, call in pages.items():
            started = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - started) * 1000)

    results = {
        name: {**summary(s), "queries": queries[name], "bytes": sizes[name]}
        for name, s in samples.items()
    }
    api_list = results["api_list_baseline"]["p95_ms"]
    api_detail = results["api_detail_baseline"]["p95_ms"]
    ratios = {
        name: round(results[name]["p95_ms"] / (api_detail if "ticket" in name else api_list), 2)
        for name in pages
        if not name.startswith("api_")
    }
    return {
        "vendor": connection.vendor,
        "tickets": Ticket.objects.count(),
        "pages": results,
        "p95_ratio_to_api_baseline": ratios,
        "ticket_page_queries": {"one_comment": queries_one, "fifty_comments": queries_fifty},
        "target_p95_ms": 80,
        "worst_page_p95_ms": max(
            r["p95_ms"] for n, r in results.items() if not n.startswith("api_")
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="doum-pages-") as tmp:
        env = environment(args.database, Path(tmp))
        log(f"loading {args.tickets:,} tickets into {args.database}")
        fixture = load(env, args.tickets)
        log(f"loaded in {fixture['load_seconds']} s; measuring")
        os.environ.clear()
        os.environ.update(env)
        result = measure(fixture, args.requests)
        result["load_seconds"] = fixture["load_seconds"]
        result["requests_per_page"] = args.requests
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
