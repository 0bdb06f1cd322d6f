"""Closed-loop HTTP load generator for bench/api_tickets.py (standard library only).

    python bench/loadgen.py '<json spec>'

`concurrency` threads each send one request at a time over http.client to 127.0.0.1 (a
gunicorn sync worker closes the connection after every response, so a client reconnects for
each request; the latency includes that connect). The run warms up for `warmup_s`, prints
`MEASURING` on stdout, measures for `duration_s` or until `max_requests` requests completed
(whichever comes first), then prints one JSON line with the figures and exits. Only requests
that started and finished inside the measuring window are counted.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

Request = tuple[str, str, bytes | None, dict[str, str]]

SUBJECTS = [
    "Refund for a double charge",
    "배송 조회가 안 됩니다",
    "Cannot sign in after the password reset",
    "청구서 사본 요청",
    "The export file is empty",
    "App crashes when opening settings",
]
BODIES = [
    "Hello, I was charged twice for order 4411 yesterday. Could you return the extra payment?",
    "안녕하세요. 어제 주문한 상품이 아직 도착하지 않았습니다. 배송 상태를 확인해 주세요.",
    "Since this morning the login page says my session expired, even after clearing cookies.\n\n"
    "I use the desktop app on Windows 11.",
    "지난달 청구서를 회사 정보와 함께 다시 보내주실 수 있나요? 감사합니다.",
]


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def make_factory(spec: dict[str, Any]) -> Callable[[random.Random], Request]:
    kind = spec["kind"]
    host = f"127.0.0.1:{spec['port']}"
    auth = {"Host": host, "Authorization": f"Bearer {spec['token']}", "Accept": "application/json"}
    if kind == "list":
        path = f"/api/v1/tickets?team_id={spec['team_id']}&status=open&limit=25"

        def list_request(rng: random.Random) -> Request:
            return ("GET", path, None, auth)

        return list_request
    if kind == "detail":
        paths = [f"/api/v1/tickets/{i}" for i in spec["detail_ids"]]

        def detail_request(rng: random.Random) -> Request:
            return ("GET", rng.choice(paths), None, auth)

        return detail_request
    if kind == "create":
        headers = {**auth, "Content-Type": "application/json"}
        customers = spec["customer_ids"]

        def create_request(rng: random.Random) -> Request:
            body = {
                "subject": rng.choice(SUBJECTS),
                "body": rng.choice(BODIES),
                "requester_id": rng.choice(customers),
                "team_id": spec["team_id"],
                "priority": rng.choice(["low", "normal", "normal", "high"]),
            }
            return ("POST", "/api/v1/tickets", json.dumps(body).encode(), headers)

        return create_request
    if kind == "bare":
        path = (
            f"/bench/bare-create?brand_id={spec['brand_id']}&user_id={spec['user_id']}"
            "&role=customer"
        )
        headers = {"Host": host, "Content-Length": "0"}

        def bare_request(rng: random.Random) -> Request:
            return ("POST", path, b"", headers)

        return bare_request
    raise SystemExit(f"unknown kind {kind!r}")


def run(spec: dict[str, Any]) -> dict[str, Any]:
    factory = make_factory(spec)
    concurrency = int(spec["concurrency"])
    warmup_s = float(spec["warmup_s"])
    duration_s = float(spec["duration_s"])
    max_requests = int(spec.get("max_requests", 1_000_000))
    lock = threading.Lock()
    samples: list[tuple[float, float, int]] = []  # (start, end, status) after the warm-up
    errors: dict[str, int] = {}
    error_sample: list[str] = []
    stop = threading.Event()
    t_begin = time.perf_counter()
    measure_start = t_begin + warmup_s
    state = {"measure_end": measure_start + duration_s, "done": 0}

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", int(spec["port"]), timeout=60)
        while not stop.is_set():
            method, path, body, headers = factory(rng)
            t0 = time.perf_counter()
            status = -1
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
                if status >= 300:
                    with lock:
                        if len(error_sample) < 3:
                            error_sample.append(f"{status} {data[:300]!r}")
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    key = type(exc).__name__
                    errors[key] = errors.get(key, 0) + 1
                    if len(error_sample) < 3:
                        error_sample.append(f"{key}: {exc}")
            t1 = time.perf_counter()
            if t0 >= measure_start:
                with lock:
                    if t1 <= state["measure_end"]:
                        samples.append((t0, t1, status))
                        if 200 <= status < 300:
                            state["done"] += 1
                            if state["done"] >= max_requests:
                                state["measure_end"] = t1
                                stop.set()
            if t1 > state["measure_end"]:
                stop.set()
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    if measure_start > now:
        time.sleep(measure_start - now)
    cpu0 = os.times()
    print("MEASURING", flush=True)
    while not stop.is_set() and time.perf_counter() < state["measure_end"]:
        stop.wait(0.05)
    cpu1 = os.times()
    stop.set()
    for t in threads:
        t.join(timeout=70)
    window = state["measure_end"] - measure_start
    ok = sorted((e - s) * 1000.0 for s, e, st in samples if 200 <= st < 300)
    bad = sum(1 for _, _, st in samples if not 200 <= st < 300)
    statuses: dict[str, int] = {}
    for _, _, st in samples:
        statuses[str(st)] = statuses.get(str(st), 0) + 1
    return {
        "kind": spec["kind"],
        "concurrency": concurrency,
        "window_s": round(window, 3),
        "requests_ok": len(ok),
        "requests_failed": bad,
        "statuses": statuses,
        "exceptions": errors,
        "error_sample": error_sample,
        "per_s": round(len(ok) / window, 1) if window > 0 else None,
        "p50_ms": _r(percentile(ok, 50)),
        "p95_ms": _r(percentile(ok, 95)),
        "p99_ms": _r(percentile(ok, 99)),
        "mean_ms": _r(sum(ok) / len(ok)) if ok else None,
        "max_ms": _r(ok[-1]) if ok else None,
        "client_cpu_s": round((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 2),
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


if __name__ == "__main__":
    result = run(json.loads(sys.argv[1]))
    print(json.dumps(result), flush=True)
