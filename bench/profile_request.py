"""Profile one benchmark request in-process with cProfile (a diagnostic aid, not a benchmark).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doum_bench \
        python bench/profile_request.py list|detail|create [--n 50] [--sort tottime] [--top 40]

Uses the fixture a previous bench/api_tickets.py (or bench/seed.py) run left in the database: a
token is issued for the bench agent if needed. Prints the wall time per request and the
cProfile table on stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doum.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from doum.accounts.actions import do_create_api_token  # noqa: E402
from doum.accounts.models import Team, User  # noqa: E402
from doum.tickets.models import Ticket  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["list", "detail", "create"])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    agent = User.objects.get(email="bench-agent@support.example")
    token = do_create_api_token(agent, actor=None, name="profile").secret
    team = Team.objects.get(name="Billing")
    detail = Ticket.objects.filter(external_id__startswith="bench-detail-").order_by("id").first()
    customer = User.objects.filter(role="customer").order_by("id").first()
    assert detail is not None and customer is not None
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    body = json.dumps(
        {
            "subject": "Profile probe",
            "body": "Hello, I was charged twice for order 4411 yesterday.",
            "requester_id": customer.pk,
            "team_id": team.pk,
        }
    )

    def one() -> None:
        if args.kind == "list":
            r = client.get(f"/api/v1/tickets?team_id={team.pk}&status=open&limit=25")
        elif args.kind == "detail":
            r = client.get(f"/api/v1/tickets/{detail.pk}")
        else:
            r = client.post("/api/v1/tickets", data=body, content_type="application/json")
        assert r.status_code < 300, r.content[:300]

    for _ in range(5):
        one()
    t0 = time.perf_counter()
    for _ in range(args.n):
        one()
    plain = (time.perf_counter() - t0) / args.n
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.n):
        one()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(f"{args.kind}: {plain * 1000:.2f} ms per request without the profiler")
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
