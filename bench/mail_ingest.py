"""Inbound mail throughput: raw bytes to threaded ticket comments, per worker process.

    .venv/bin/python bench/mail_ingest.py              # SQLite, then PostgreSQL, 2,000 mails
    .venv/bin/python bench/mail_ingest.py --messages 500 --databases sqlite

For each database, one worker process (a fresh migrated database: SQLite in a temporary
folder, PostgreSQL in the database `doum_bench_mail`, dropped and recreated) runs:

1. **mail**: `--messages` generated messages through `store_inbound` + `process_inbound`, the
   path every source takes (IMAP, SMTP and HTTP only differ in how the bytes arrive). The mix:
   sizes from 1 KB to ~300 KB (a third carry one or two attachments of 20–250 KB), half are
   replies to an earlier message (In-Reply-To, a quoted original in the body), Korean and
   English, a tenth in EUC-KR, a twentieth automatic (auto-replies); senders are 300 customers
   who exist after their first mail. Messages per second, and p50/p95 per message.
2. **baseline**: the same number of tickets and comments written directly through
   `do_create_ticket` / `do_add_comment` (no mail), with the same bodies, so that
   `ratio_to_actions` says what the mail pipeline costs on top of the ticket writes.
3. **memory**: the peak resident memory (VmHWM) after the run, then after parsing and storing
   one message of 30 MB (an attachment under the 40 MB limit) and one of 60 MB (over the
   limit: stored, then failed without being parsed), as increases over the peak before.

Prints one JSON document on stdout; progress goes to stderr. No thresholds are asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "doum_bench_mail"

KO = "안녕하세요. 주문한 상품이 아직 도착하지 않았습니다. 배송 상태를 확인해 주실 수 있을까요? "
EN = "Hello, my card was declined twice today although the balance is fine. Please check. "


def log(msg: str) -> None:
    print(f"[mail {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def environment(database: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOUM_")}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "doum.settings",
            "DOUM_DEBUG": "0",
            "DOUM_FAST_PASSWORDS": "1",
            "DOUM_LOG_LEVEL": "ERROR",
            "DOUM_VAR_DIR": str(tmp),
            "DOUM_MEDIA_ROOT": str(tmp / "media"),
        }
    )
    if database == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    return env


def vm_hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def make_mails(n: int, seed: int) -> list[tuple[bytes, bool]]:
    """(raw bytes, is a reply) in arrival order; replies follow their originals."""
    rng = random.Random(seed)
    senders = [f"Customer {i} <customer{i}@example.com>" for i in range(300)]
    sent: list[tuple[str, str, str]] = []  # (message id, sender, subject)
    out: list[tuple[bytes, bool]] = []
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(n):
        reply = bool(sent) and rng.random() < 0.5
        korean = rng.random() < 0.5
        msg = EmailMessage()
        if reply:
            parent_id, sender, subject = rng.choice(sent)
            msg["Subject"] = "Re: " + subject
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
        else:
            sender = rng.choice(senders)
            subject = f"{'배송 문의' if korean else 'Card declined'} {i}"
            msg["Subject"] = subject
        msg["From"] = sender
        msg["To"] = "help@bench.example"
        msg["Date"] = format_datetime(start + timedelta(minutes=i))
        mid = make_msgid(domain="example.com")
        msg["Message-ID"] = mid
        if rng.random() < 0.05:
            msg["Auto-Submitted"] = "auto-replied"
        size = rng.choice([1, 2, 4, 8, 16, 32])  # paragraphs x ~1 KB
        text = ((KO if korean else EN) * 12 + "\n\n") * size
        if reply:
            text += "\n\nOn Mon, 2 Nov 2026 at 10:00, Support <help@bench.example> wrote:\n"
            text += "".join(f"> {line}\n" for line in (EN * 20).split(". "))
        charset = "euc-kr" if korean and rng.random() < 0.2 else "utf-8"
        msg.set_content(text, charset=charset)
        if rng.random() < 1 / 3:
            for k in range(rng.choice([1, 1, 2])):
                data = rng.randbytes(rng.randint(20_000, 250_000))
                msg.add_attachment(
                    data, maintype="application", subtype="pdf", filename=f"invoice-{i}-{k}.pdf"
                )
        out.append((msg.as_bytes(), reply))
        if not reply:
            sent.append((mid, sender, subject))
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "n": len(ordered),
    }


def worker(messages: int, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from doum.accounts import actions as accounts
    from doum.accounts.roles import Role
    from doum.mail.inbound import process_inbound, store_inbound
    from doum.mail.mailboxes import do_create_mailbox
    from doum.mail.models import InboundMessage
    from doum.tickets import actions as tickets
    from doum.tickets.changes import NewAttachment
    from doum.tickets.models import Ticket

    admin = accounts.do_create_user(
        actor=None, name="Bench Admin", email="admin@bench.example", role=Role.ADMIN
    )
    brand = accounts.do_create_brand(actor=admin, name="Bench", slug="bench")
    team = accounts.do_create_team(actor=admin, name="Support")
    mailbox = do_create_mailbox(
        actor=admin, name="Help", address="help@bench.example", brand_id=brand.pk,
        team_id=team.pk,
    )  # fmt: skip
    mails = make_mails(messages, seed)
    log(f"{len(mails)} mails generated, {sum(len(m) for m, _ in mails) / 2**20:.1f} MB")

    # 1. the mail pipeline
    samples: list[float] = []
    started = time.perf_counter()
    for raw, _reply in mails:
        t0 = time.perf_counter()
        stored = store_inbound(raw, source="smtp", mailbox_id=mailbox.pk)
        process_inbound(stored.inbound_id)
        samples.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    statuses = {
        s: InboundMessage.objects.filter(status=s).count()
        for s in ("processed", "failed", "ignored", "received")
    }
    outcomes: dict[str, int] = {}
    for o in InboundMessage.objects.values_list("outcome", flat=True):
        outcomes[o] = outcomes.get(o, 0) + 1
    log(f"mail: {len(mails) / elapsed:.0f}/s")

    # 2. the same writes straight through the actions
    from email import message_from_bytes, policy

    customers = {}
    base_samples: list[float] = []
    parents: dict[str, Ticket] = {}
    base_started = time.perf_counter()
    for raw, reply in mails:
        msg = message_from_bytes(raw, policy=policy.default)
        t0 = time.perf_counter()
        sender = str(msg["From"]).split("<")[1].rstrip(">").replace("@", "+base@")
        body_part = msg.get_body(preferencelist=("plain",))
        body = body_part.get_content() if body_part is not None else "x"
        files = [
            NewAttachment(a.get_filename() or "a.bin", a.get_content_type(), a.get_content())
            for a in msg.iter_attachments()
        ]
        if sender not in customers:
            customers[sender] = accounts.do_find_or_create_customer(actor=None, email=sender)
        person = customers[sender]
        parent = parents.get(str(msg["In-Reply-To"])) if reply else None
        if parent is not None:
            tickets.do_add_comment(parent, actor=person, via="email", body=body, attachments=files)
        else:
            ticket = tickets.do_create_ticket(
                actor=person, via="email", subject=str(msg["Subject"]), body=body,
                brand_id=brand.pk, attachments=files,
            )  # fmt: skip
            tickets.do_update_ticket(ticket, actor=None, via="email", changes={"team_id": team.pk})
            parents[str(msg["Message-ID"])] = ticket
        base_samples.append(time.perf_counter() - t0)
    base_elapsed = time.perf_counter() - base_started
    log(f"baseline: {len(mails) / base_elapsed:.0f}/s")

    # 3. memory with one big message under the limit and one over it
    hwm_before = vm_hwm_kb()
    big = EmailMessage()
    big["From"] = "big@example.com"
    big["To"] = "help@bench.example"
    big["Subject"] = "big"
    big["Message-ID"] = make_msgid(domain="example.com")
    big.set_content("see attachment")
    big.add_attachment(
        random.Random(1).randbytes(22 * 2**20), maintype="application", subtype="zip",
        filename="logs.zip",
    )  # fmt: skip
    raw_big = big.as_bytes()
    del big
    t0 = time.perf_counter()
    stored = store_inbound(raw_big, source="smtp", mailbox_id=mailbox.pk)
    big_status = process_inbound(stored.inbound_id)
    big_seconds = time.perf_counter() - t0
    hwm_big = vm_hwm_kb()
    # ~60 MB (over the 40 MB limit), with a Message-ID of its own.
    over = raw_big.replace(b"Message-ID: <", b"Message-ID: <over.", 1) + raw_big[: 30 * 2**20]
    del raw_big
    stored = store_inbound(over, source="smtp", mailbox_id=mailbox.pk)
    over_status = process_inbound(stored.inbound_id)
    over_reason = InboundMessage.objects.get(pk=stored.inbound_id).failure_reason
    hwm_over = vm_hwm_kb()

    rate = len(mails) / elapsed
    base_rate = len(mails) / base_elapsed
    return {
        "messages": len(mails),
        "replies": sum(1 for _m, r in mails if r),
        "megabytes": round(sum(len(m) for m, _ in mails) / 2**20, 1),
        "mail": {
            "messages_per_s": round(rate, 1),
            "seconds": round(elapsed, 2),
            **summary(samples),
            "statuses": statuses,
            "outcomes": outcomes,
        },
        "baseline_actions": {
            "messages_per_s": round(base_rate, 1),
            "seconds": round(base_elapsed, 2),
            **summary(base_samples),
        },
        "ratio_to_actions": round(base_rate / rate, 2),
        "memory": {
            "peak_mb_after_run": round(hwm_before / 1024, 1),
            "big_message_mb": round(len(over) / 2 / 2**20, 1),
            "big_status": big_status,
            "big_seconds": round(big_seconds, 2),
            "peak_increase_mb_big": round((hwm_big - hwm_before) / 1024, 1),
            "over_limit_mb": round(len(over) / 2**20, 1),
            "over_limit_status": over_status,
            "over_limit_reason": over_reason[:120],
            "peak_increase_mb_over_limit": round((hwm_over - hwm_big) / 1024, 1),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.messages, args.seed)))
        return 0
    results: dict[str, Any] = {"bench": "mail_ingest", "messages": args.messages}
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="doum-mail-bench-") as tmp:
            env = environment(database, Path(tmp))
            log(f"{database}: running {args.messages} messages")
            proc = subprocess.run(
                [PY, __file__, "--worker", "--messages", str(args.messages),
                 "--seed", str(args.seed)],
                env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True,
            )  # fmt: skip
            results[database] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
