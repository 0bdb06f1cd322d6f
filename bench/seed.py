"""Fast bulk loading of benchmark tickets (fixture data for bench/api_tickets.py).

    DJANGO_SETTINGS_MODULE=doum.settings DATABASE_URL=... python bench/seed.py --tickets 100000

People and structure (a brand, 50 organizations, 3 teams, 30 agents, 1,000 customers, 20 tags)
are created through the real actions of doum.accounts, once. Tickets are then bulk-inserted
directly (benchmark fixture data only; the product's own demo data goes through the actions):
PostgreSQL with COPY, SQLite with executemany in large transactions. The database is topped up
to `--tickets` rows, so a second call with a larger number only adds the difference.

Every ticket gets 1 comment (the requester's first message), 2 search entries (subject and
comment, like do_create_ticket writes) and 2-4 events (created, comment_added, and for routed
tickets the assignee and status changes), 30 % of them 1-2 tags. Five "detail" tickets
(external_id bench-detail-1..5, team 1, open) carry 50 comments each, with their events and
search entries.

While loading: PostgreSQL runs the session with session_replication_role=replica (the foreign
key triggers do not fire; the generated ids are consistent by construction) and
synchronous_commit=off, then sets the identity sequences and runs VACUUM ANALYZE on the
loaded tables. SQLite runs with PRAGMA synchronous=OFF and foreign_keys=OFF on the loading
connection only; the schema, its indexes and the FTS5 triggers stay as migrated.

Prints one JSON object on stdout (the fixture ids, and the token with --issue-token); progress
goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doum.settings")
os.environ.setdefault("DOUM_FAST_PASSWORDS", "1")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from doum.accounts import actions as account_actions  # noqa: E402
from doum.accounts.models import Brand, Organization, Team, User  # noqa: E402
from doum.accounts.roles import Role  # noqa: E402
from doum.tickets import search  # noqa: E402
from doum.tickets.models import Tag, Ticket  # noqa: E402

BRAND_SLUG = "bench"
BENCH_AGENT_EMAIL = "bench-agent@support.example"
TEAM_NAMES = ("Billing", "Technical", "Accounts")
TEAM_WEIGHTS = (0.50, 0.30, 0.15)  # the remaining 5 % are unrouted (no team)
AGENTS_PER_TEAM = 10
ORGANIZATIONS = 50
CUSTOMERS = 1000
DETAIL_TICKETS = 5
DETAIL_COMMENTS = 50
SPAN_DAYS = 730
RECENT_DAYS = 14
CHUNK = 25_000

TICKET_COLS = (
    "id", "brand_id", "subject", "status", "priority", "type", "channel", "requester_id",
    "submitter_id", "organization_id", "assignee_id", "team_id", "due_at", "problem_id",
    "merged_into_id", "custom_fields", "external_id", "is_spam", "deleted_at", "created_at",
    "updated_at", "solved_at", "version",
)  # fmt: skip
COMMENT_COLS = (
    "id", "ticket_id", "author_id", "is_public", "body_html", "body_text", "via", "metadata",
    "created_at",
)  # fmt: skip
EVENT_COLS = (
    "id", "ticket_id", "kind", "field", "old_value", "new_value", "actor_id", "actor_role", "via",
    "at", "comment_id", "is_public", "version", "imported", "data",
)  # fmt: skip
SEARCH_COLS = ("id", "ticket_id", "comment_id", "is_public", "document")
TAG_COLS = ("id", "ticket_id", "tag_id")
TABLES = {
    "tickets_ticket": TICKET_COLS,
    "tickets_comment": COMMENT_COLS,
    "tickets_ticketevent": EVENT_COLS,
    "tickets_searchentry": SEARCH_COLS,
    "tickets_tickettag": TAG_COLS,
}


def log(msg: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- text pools ---------------------------------------------------------------------------------

_TOPICS = [
    ("refund", "환불"), ("invoice", "청구서"), ("delivery", "배송"), ("password reset", "비밀번호"),
    ("login", "로그인"), ("subscription", "구독"), ("payment failed", "결제 실패"),
    ("app crash", "앱 오류"), ("account locked", "계정 잠김"), ("order status", "주문 상태"),
    ("coupon", "쿠폰"), ("address change", "주소 변경"), ("export", "내보내기"),
    ("API limit", "API 한도"), ("two-factor", "2단계 인증"), ("data deletion", "데이터 삭제"),
]  # fmt: skip
_EN = [
    "I was charged twice for the same order and would like the extra payment returned.",
    "The mobile app closes as soon as I open the settings page.",
    "My package was marked as delivered but nothing arrived at my door.",
    "I cannot sign in since yesterday; the page says my session expired.",
    "Could you send me a copy of last month's invoice with our company details?",
    "We would like to upgrade our plan for twenty more seats before the end of the month.",
    "The export finished but the file is empty when I open it in a spreadsheet.",
    "Please change the delivery address on my open order to the office address below.",
    "I tried the reset link three times and it always says the token is invalid.",
    "Thanks for the quick answer, that solved it for us.",
]
_KO = [
    "같은 주문에 대해 두 번 결제되었습니다. 중복 결제된 금액을 환불해 주세요.",
    "앱에서 설정 화면을 열면 바로 종료됩니다.",
    "배송 완료로 나오는데 물건을 받지 못했습니다.",
    "어제부터 로그인이 안 됩니다. 세션이 만료되었다는 메시지가 나옵니다.",
    "지난달 청구서 사본을 회사 정보와 함께 보내주실 수 있나요?",
    "이번 달 말까지 좌석 20개를 추가로 구독하고 싶습니다.",
    "주문 배송지를 아래 사무실 주소로 변경해 주세요.",
    "빠른 답변 감사합니다. 문제가 해결되었습니다.",
]


@dataclass
class Pools:
    subjects: list[tuple[str, str]] = field(default_factory=list)  # (subject, search document)
    bodies: list[tuple[str, str, str]] = field(default_factory=list)  # (html, text, document)


def build_pools(rng: random.Random) -> Pools:
    pools = Pools()
    for i in range(400):
        en, ko = _TOPICS[i % len(_TOPICS)]
        subject = f"{ko} 문의 ({i})" if i % 3 == 0 else f"Question about {en} #{1000 + i}"
        pools.subjects.append((subject, search.document(subject)))
    for i in range(300):
        lang = _KO if i % 3 == 0 else _EN
        paragraphs = [
            " ".join(rng.choice(lang) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(1, 4))
        ]
        text = "\n\n".join(paragraphs)
        html = "".join(f"<p>{p}</p>" for p in paragraphs)
        pools.bodies.append((html, text, search.document(text)))
    return pools


# --- people (through the actions) ---------------------------------------------------------------


@dataclass
class Fixture:
    brand_id: int
    team_ids: list[int]
    agents_by_team: dict[int, list[int]]
    agent_ids: list[int]
    customer_ids: list[int]
    customer_org: dict[int, int | None]
    bench_agent_id: int
    tag_ids: list[int]
    token: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "brand_id": self.brand_id,
            "team_ids": self.team_ids,
            "bench_team_id": self.team_ids[0],
            "agent_ids": self.agent_ids,
            "bench_agent_id": self.bench_agent_id,
            "customer_ids": self.customer_ids,
            "token": self.token,
        }


def ensure_people() -> Fixture:
    """Create the brand, organizations, teams, agents, customers and tags once (via actions)."""
    if not Brand.objects.filter(slug=BRAND_SLUG).exists():
        started = time.perf_counter()
        with transaction.atomic():
            account_actions.do_create_brand(
                actor=None, name="Bench Brand", slug=BRAND_SLUG, is_default=True
            )
            orgs = [
                account_actions.do_create_organization(
                    actor=None, name=f"Bench Org {i}", domains=[f"org{i}.example"]
                )
                for i in range(ORGANIZATIONS)
            ]
            del orgs
            teams = [account_actions.do_create_team(actor=None, name=n) for n in TEAM_NAMES]
            n = 0
            for t_index, team in enumerate(teams):
                for a in range(AGENTS_PER_TEAM):
                    n += 1
                    is_lead = a == 0
                    email = (
                        BENCH_AGENT_EMAIL if (t_index, a) == (0, 1) else f"agent{n}@support.example"
                    )
                    agent = account_actions.do_create_user(
                        actor=None,
                        name=f"Agent {n}",
                        email=email,
                        role=Role.TEAM_LEAD if is_lead else Role.AGENT,
                        password=None,
                    )
                    if is_lead:
                        account_actions.do_set_team_lead(team, actor=None, lead=agent)
                    else:
                        account_actions.do_add_team_member(team, actor=None, user=agent)
            for i in range(CUSTOMERS):
                # 60 % of customers belong to an organization by their mail domain.
                domain = f"org{i % ORGANIZATIONS}.example" if i % 5 < 3 else f"mail{i}.example"
                account_actions.do_create_user(
                    actor=None,
                    name=f"Customer {i}",
                    email=f"customer{i}@{domain}",
                    role=Role.CUSTOMER,
                    password=None,
                )
            Tag.objects.bulk_create(
                [Tag(name=f"bench_tag_{i}") for i in range(20)], ignore_conflicts=True
            )
        log(f"people created through actions in {time.perf_counter() - started:.1f}s")
    brand = Brand.objects.get(slug=BRAND_SLUG)
    teams = list(Team.objects.filter(name__in=TEAM_NAMES).order_by("id"))
    agents_by_team: dict[int, list[int]] = {}
    for team in teams:
        agents_by_team[team.pk] = list(
            team.members.filter(is_active=True).order_by("id").values_list("id", flat=True)
        )
    agent_ids = [a for ids in agents_by_team.values() for a in ids]
    customers = list(
        User.objects.filter(role=Role.CUSTOMER, email__startswith="customer")
        .order_by("id")
        .values_list("id", "organization_id")
    )
    assert Organization.objects.count() >= ORGANIZATIONS
    return Fixture(
        brand_id=brand.pk,
        team_ids=[t.pk for t in teams],
        agents_by_team=agents_by_team,
        agent_ids=agent_ids,
        customer_ids=[c for c, _ in customers],
        customer_org=dict(customers),
        bench_agent_id=User.objects.get(email=BENCH_AGENT_EMAIL).pk,
        tag_ids=list(
            Tag.objects.filter(name__startswith="bench_tag_")
            .order_by("id")
            .values_list("id", flat=True)
        ),
    )


# --- ticket rows --------------------------------------------------------------------------------

STATUS_RECENT = (("new", 12), ("open", 40), ("pending", 20), ("on_hold", 5), ("solved", 23))
STATUS_OLD = (("closed", 88), ("solved", 6), ("open", 3), ("pending", 2), ("on_hold", 1))
PRIORITIES = (("low", 20), ("normal", 60), ("high", 15), ("urgent", 5))
CHANNELS = (("email", 50), ("web", 20), ("portal", 15), ("chat", 10), ("api", 5))
TYPES = (("question", 70), ("incident", 20), ("problem", 2), ("task", 0), ("question", 8))


def _expand(weighted: Sequence[tuple[str, int]]) -> list[str]:
    return [v for v, w in weighted for _ in range(w)]


@dataclass
class Ids:
    ticket: int
    comment: int
    event: int
    search: int
    tickettag: int


class TimeFormat:
    """Timestamps as the database's text form (SQLite: naive UTC, as Django stores them)."""

    def __init__(self, vendor: str) -> None:
        self.pg = vendor == "postgresql"

    def __call__(self, epoch: float) -> str:
        dt = datetime.fromtimestamp(epoch, UTC)
        if self.pg:
            return dt.isoformat(sep=" ", timespec="microseconds")
        return dt.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


@dataclass
class Generator:
    fixture: Fixture
    pools: Pools
    rng: random.Random
    fmt: TimeFormat
    now: float
    bool_true: Any
    bool_false: Any
    status_recent: list[str] = field(default_factory=lambda: _expand(STATUS_RECENT))
    status_old: list[str] = field(default_factory=lambda: _expand(STATUS_OLD))
    priorities: list[str] = field(default_factory=lambda: _expand(PRIORITIES))
    channels: list[str] = field(default_factory=lambda: _expand(CHANNELS))
    types: list[str] = field(default_factory=lambda: _expand(TYPES))

    def chunk(
        self, ids: Ids, count: int, position: int, total: int, detail_positions: set[int]
    ) -> dict[str, list[tuple[Any, ...]]]:
        """Rows for `count` tickets; `position` of `total` places them on the time line."""
        f = self.fixture
        rng = self.rng
        fmt = self.fmt
        T, F = self.bool_true, self.bool_false
        span = SPAN_DAYS * 86400.0
        start = self.now - span
        tickets: list[tuple[Any, ...]] = []
        comments: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        searches: list[tuple[Any, ...]] = []
        tags: list[tuple[Any, ...]] = []
        team_ids = f.team_ids
        for k in range(count):
            pos = position + k
            tid = ids.ticket
            ids.ticket += 1
            created = start + span * (pos + rng.random()) / total
            age = self.now - created
            is_detail = pos in detail_positions
            if is_detail:
                created = self.now - 86400 * (1 + rng.random())
                age = self.now - created
            r = rng.random()
            if is_detail:
                team_id: int | None = team_ids[0]
            elif r < TEAM_WEIGHTS[0]:
                team_id = team_ids[0]
            elif r < TEAM_WEIGHTS[0] + TEAM_WEIGHTS[1]:
                team_id = team_ids[1]
            elif r < sum(TEAM_WEIGHTS):
                team_id = team_ids[2]
            else:
                team_id = None
            if is_detail:
                status = "open"
            elif age < RECENT_DAYS * 86400:
                status = rng.choice(self.status_recent)
            else:
                status = rng.choice(self.status_old)
            requester = rng.choice(f.customer_ids)
            org = f.customer_org.get(requester)
            assignee: int | None = None
            if status != "new":
                pool = f.agents_by_team[team_id] if team_id is not None else f.agent_ids
                assignee = rng.choice(pool)
            if status in ("solved", "closed"):
                updated = created + min(age * 0.9, rng.expovariate(1 / (3 * 86400.0)))
                solved_at: str | None = fmt(updated)
            else:
                updated = self.now - rng.random() * min(age, 7 * 86400.0)
                solved_at = None
            channel = rng.choice(self.channels)
            subject, subject_doc = rng.choice(self.pools.subjects)
            created_s = fmt(created)
            updated_s = fmt(updated)
            priority = rng.choice(self.priorities)
            # events: created + comment_added (v1), then routing and status (v2)
            cid = ids.comment
            ids.comment += 1
            html, text, doc = rng.choice(self.pools.bodies)
            comments.append((cid, tid, requester, T, html, text, channel, "{}", created_s))
            data = (
                f'{{"status": "new", "priority": "{priority}", "channel": "{channel}", '
                f'"requester": {requester}, "team": {team_id if team_id else "null"}}}'
            )
            ev = ids.event
            events.append((ev, tid, "created", "", None, "new", requester, "customer", channel,
                           created_s, None, None, 1, F, data))  # fmt: skip
            events.append((ev + 1, tid, "comment_added", "", None, None, requester, "customer",
                           channel, created_s, cid, T, 1, F, "{}"))  # fmt: skip
            ev += 2
            version = 1
            if assignee is not None:
                version = 2
                at = fmt(created + min(age, 600.0 + rng.random() * 3600))
                events.append((ev, tid, "field_changed", "assignee", None, str(assignee), assignee,
                               "agent", "web", at, None, None, 2, F, "{}"))  # fmt: skip
                events.append((ev + 1, tid, "field_changed", "status", "new", status, assignee,
                               "agent", "web", updated_s if status != "open" else at, None, None,
                               2, F, "{}"))  # fmt: skip
                ev += 2
            sid = ids.search
            searches.append((sid, tid, None, T, subject_doc))
            searches.append((sid + 1, tid, cid, T, doc))
            sid += 2
            if is_detail:
                # 49 more comments: customer replies, agent replies and internal notes.
                for c in range(DETAIL_COMMENTS - 1):
                    ccid = ids.comment
                    ids.comment += 1
                    author, role, public = (
                        (requester, "customer", T) if c % 3 == 0
                        else (assignee, "agent", T) if c % 3 == 1
                        else (assignee, "agent", F)
                    )  # fmt: skip
                    at_s = fmt(created + (c + 1) * 600)
                    chtml, ctext, cdoc = rng.choice(self.pools.bodies)
                    comments.append((ccid, tid, author, public, chtml, ctext, "web", "{}", at_s))
                    version += 1
                    events.append((ev, tid, "comment_added", "", None, None, author, role, "web",
                                   at_s, ccid, public, version, F, "{}"))  # fmt: skip
                    ev += 1
                    searches.append((sid, tid, ccid, public, cdoc))
                    sid += 1
                updated_s = fmt(created + DETAIL_COMMENTS * 600)
            ids.event = ev
            ids.search = sid
            if rng.random() < 0.3:
                for tag_id in rng.sample(f.tag_ids, rng.randint(1, 2)):
                    tags.append((ids.tickettag, tid, tag_id))
                    ids.tickettag += 1
            external_id = (
                f"bench-detail-{sorted(detail_positions).index(pos) + 1}" if is_detail else None
            )
            tickets.append((
                tid, f.brand_id, subject, status, priority, rng.choice(self.types), channel,
                requester, requester, org, assignee, team_id, None, None, None, "{}", external_id,
                F, None, created_s, updated_s, solved_at, version,
            ))  # fmt: skip
        return {
            "tickets_ticket": tickets,
            "tickets_comment": comments,
            "tickets_ticketevent": events,
            "tickets_searchentry": searches,
            "tickets_tickettag": tags,
        }


# --- writers ------------------------------------------------------------------------------------


def _next_ids() -> Ids:
    def nxt(table: str) -> int:
        with connection.cursor() as cur:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            return int(cur.fetchone()[0])

    return Ids(
        ticket=nxt("tickets_ticket"),
        comment=nxt("tickets_comment"),
        event=nxt("tickets_ticketevent"),
        search=nxt("tickets_searchentry"),
        tickettag=nxt("tickets_tickettag"),
    )


def write_postgres(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    raw = connection.connection
    with raw.cursor() as cur:
        for table, cols in TABLES.items():
            data = rows[table]
            if not data:
                continue
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)


def write_sqlite(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    raw = connection.connection
    cur = raw.cursor()
    try:
        for table, cols in TABLES.items():
            data = rows[table]
            if not data:
                continue
            marks = ", ".join("?" for _ in cols)
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", data)
    finally:
        cur.close()


def secondary_indexes(vendor: str) -> list[tuple[str, str]]:
    """(name, DDL) of the loaded tables' indexes that no constraint or primary key owns, plus
    (SQLite) the FTS insert trigger: what the load drops and recreates in its transaction."""
    tables = list(TABLES)
    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relname = ANY(%s) AND NOT i.indisprimary AND NOT i.indisunique "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                "ORDER BY c.relname",
                [tables],
            )
        else:
            marks = ", ".join("%s" for _ in tables)
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name IN (" + marks + ") AND ("
                "(type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%') "
                "OR (type = 'trigger' AND name = 'tickets_searchentry_ai')) ORDER BY name",
                tables,
            )
        return [(str(name), str(sql)) for name, sql in cur.fetchall()]


def schema_fingerprint(vendor: str) -> list[tuple[str, str]]:
    """Every index and trigger of the loaded tables, to check the load left the schema as is."""
    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1",
                [list(TABLES)],
            )
        else:
            cur.execute(
                "SELECT name, COALESCE(sql, '') FROM sqlite_master "
                "WHERE type IN ('index', 'trigger', 'table') ORDER BY name"
            )
        return [(str(a), str(b)) for a, b in cur.fetchall()]


def load_tickets(
    fixture: Fixture, target: int, *, detail: bool, seed: int, rebuild_indexes: bool = True
) -> dict[str, Any]:
    vendor = connection.vendor
    existing = Ticket.objects.count()
    to_add = max(0, target - existing)
    info: dict[str, Any] = {"tickets_before": existing, "tickets_added": to_add}
    if to_add == 0:
        return info
    connection.ensure_connection()
    with connection.cursor() as cur:
        if vendor == "postgresql":
            try:
                cur.execute("SET session_replication_role = replica")
                info["fk_triggers"] = "off during load (session_replication_role=replica)"
            except Exception as exc:  # not a superuser: the deferred FK checks run at commit
                info["fk_triggers"] = f"on ({exc.__class__.__name__})"
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET work_mem = '256MB'")
            cur.execute("SET maintenance_work_mem = '1GB'")
        else:
            cur.execute("PRAGMA foreign_keys = OFF")
            cur.execute("PRAGMA synchronous = OFF")
            cur.execute("PRAGMA cache_size = -2000000")
            cur.execute("PRAGMA temp_store = MEMORY")
    before = schema_fingerprint(vendor)
    ids = _next_ids()
    first_search_id = ids.search
    rng = random.Random(seed + ids.ticket)
    pools = build_pools(random.Random(seed))
    fmt = TimeFormat(vendor)
    gen = Generator(fixture, pools, rng, fmt, time.time(), True, False)
    has_detail = Ticket.objects.filter(external_id__startswith="bench-detail-").exists()
    detail_positions: set[int] = set()
    if detail and not has_detail:
        detail_positions = {
            to_add - 1 - 97 * i for i in range(DETAIL_TICKETS) if to_add - 1 - 97 * i >= 0
        }
    writer = write_postgres if vendor == "postgresql" else write_sqlite
    started = time.perf_counter()
    gen_s = 0.0
    counts = dict.fromkeys(TABLES, 0)
    done = 0
    dropped: list[tuple[str, str]] = []
    # One transaction: the secondary indexes are dropped, the rows loaded and the indexes
    # rebuilt (sorted builds are far faster than millions of random index inserts). If
    # anything fails, the rollback restores the schema untouched.
    with transaction.atomic():
        if rebuild_indexes:
            dropped = secondary_indexes(vendor)
            with connection.cursor() as cur:
                for name, _sql in dropped:
                    kind = "TRIGGER" if name == "tickets_searchentry_ai" else "INDEX"
                    cur.execute(f'DROP {kind} "{name}"')
        while done < to_add:
            n = min(CHUNK, to_add - done)
            t0 = time.perf_counter()
            rows = gen.chunk(ids, n, done, to_add, detail_positions)
            gen_s += time.perf_counter() - t0
            writer(rows)
            for table, data in rows.items():
                counts[table] += len(data)
            done += n
            if done == to_add or (done // CHUNK) % 8 == 0:
                rate = done / (time.perf_counter() - started)
                log(f"{done:,}/{to_add:,} tickets ({rate:,.0f}/s)")
        info["rows_seconds"] = round(time.perf_counter() - started, 1)
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            if vendor == "sqlite" and any(n == "tickets_searchentry_ai" for n, _ in dropped):
                cur.execute(
                    "INSERT INTO tickets_searchentry_fts(rowid, document) "
                    "SELECT id, document FROM tickets_searchentry WHERE id >= %s",
                    [first_search_id],
                )
                log(f"FTS5 index filled in {time.perf_counter() - t0:.1f}s")
            for name, sql in dropped:
                t1 = time.perf_counter()
                cur.execute(sql)
                log(f"rebuilt {name} in {time.perf_counter() - t1:.1f}s")
        info["index_rebuild_seconds"] = round(time.perf_counter() - t0, 1)
        log("committing")
    info["rows_inserted"] = counts
    info["generate_seconds"] = round(gen_s, 1)
    info["indexes_rebuilt"] = [n for n, _ in dropped]
    info["load_seconds"] = round(time.perf_counter() - started, 1)
    t0 = time.perf_counter()
    if vendor == "postgresql":
        with connection.cursor() as cur:
            for table in TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            cur.execute("SET session_replication_role = DEFAULT")
        # VACUUM cannot run in a transaction; Django is in autocommit here.
        with connection.cursor() as cur:
            for table in TABLES:
                cur.execute(f"VACUUM (ANALYZE) {table}")
            # The people tables were written by the actions a moment ago; autovacuum would
            # analyze them within a minute on a live system.
            cur.execute("ANALYZE")
        info["post_load"] = "setval + VACUUM (ANALYZE) of the loaded tables + ANALYZE"
    else:
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = NORMAL")
        info["post_load"] = "wal_checkpoint(TRUNCATE); no ANALYZE (the product never runs it)"
    info["post_load_seconds"] = round(time.perf_counter() - t0, 1)
    info["schema_unchanged"] = schema_fingerprint(vendor) == before
    if not info["schema_unchanged"]:
        raise SystemExit("seed: the schema differs after the load; see the database")
    return info


def detail_ticket_ids() -> list[int]:
    return list(
        Ticket.objects.filter(external_id__startswith="bench-detail-")
        .order_by("id")
        .values_list("id", flat=True)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tickets", type=int, required=True, help="top the database up to N tickets"
    )
    parser.add_argument(
        "--issue-token", action="store_true", help="create an API token for the bench agent"
    )
    parser.add_argument(
        "--no-detail", action="store_true", help="do not create the 50-comment tickets"
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="insert with every index in place (slower) instead of rebuilding them",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    fixture = ensure_people()
    people_s = time.perf_counter() - started
    if args.issue_token:
        agent = User.objects.get(pk=fixture.bench_agent_id)
        fixture.token = account_actions.do_create_api_token(agent, actor=None, name="bench").secret
    info = load_tickets(
        fixture,
        args.tickets,
        detail=not args.no_detail,
        seed=args.seed,
        rebuild_indexes=not args.keep_indexes,
    )
    out = fixture.as_json()
    out.update(info)
    out["detail_ticket_ids"] = detail_ticket_ids()
    out["tickets_after"] = Ticket.objects.count()
    out["people_seconds"] = round(people_s, 1)
    out["seed_seconds"] = round(time.perf_counter() - started, 1)
    out["vendor"] = connection.vendor
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
