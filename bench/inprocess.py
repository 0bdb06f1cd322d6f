"""Query counts per request, measured in-process (bench/api_tickets.py runs this).

    DJANGO_SETTINGS_MODULE=doum.settings DATABASE_URL=... python bench/inprocess.py '<fixture json>'

Sends the benchmark's list, detail and create requests through django.test.Client (the whole
middleware stack, token auth and rate limiting included) against the benchmark database,
under django.test.utils.CaptureQueriesContext. Each request runs three times and the last run
is reported (the first run of a token writes its last-use time; that write is reported apart).
Also prints the database's plan of the list and detail queries: EXPLAIN (ANALYZE, BUFFERS) on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite. One JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doum.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

RUNS = 3


def capture(client: Client, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    runs = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data=json.dumps(body), content_type="application/json")
            wall = time.perf_counter() - t0
        if response.status_code >= 300:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.content[:300]!r}")
        runs.append((ctx.captured_queries, wall, len(response.content)))
    queries, wall, size = runs[-1]
    return {
        "queries": len(queries),
        "queries_first_run": len(runs[0][0]),
        "db_ms": round(sum(float(q["time"]) for q in queries) * 1000, 2),
        "wall_ms": round(wall * 1000, 2),
        "response_bytes": size,
        "sql": [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:400]} for q in queries],
        "_full_sql": [q["sql"] for q in queries],
    }


def plan(sql: str) -> list[str]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
        return [" | ".join(str(c) for c in row) for row in cur.fetchall()]


def main() -> int:
    fixture = json.loads(sys.argv[1])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {fixture['token']}", HTTP_HOST="127.0.0.1")
    team = fixture["bench_team_id"]
    detail_id = fixture["detail_ticket_ids"][0]
    out: dict[str, Any] = {"vendor": connection.vendor}
    out["list"] = capture(
        client, "GET", f"/api/v1/tickets?team_id={team}&status=open&limit=25", None
    )
    out["detail"] = capture(client, "GET", f"/api/v1/tickets/{detail_id}", None)
    out["create"] = capture(
        client,
        "POST",
        "/api/v1/tickets",
        {
            "subject": "Query count probe",
            "body": "How many queries does it take to open a ticket?",
            "requester_id": fixture["customer_ids"][0],
            "team_id": team,
            "priority": "normal",
        },
    )
    plans: dict[str, list[str]] = {}
    for name, marker in (("list", "LIMIT 26"), ("detail_comments", "LIMIT 101")):
        source = out["list" if name == "list" else "detail"]["_full_sql"]
        main_sql = next((q for q in source if marker in q and "SAVEPOINT" not in q), None)
        if main_sql:
            plans[name] = [main_sql, *plan(main_sql)]
    out["plans"] = plans
    for key in ("list", "detail", "create"):
        out[key].pop("_full_sql")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
