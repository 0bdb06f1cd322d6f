"""A realistic help desk to look at: two brands, three teams, a dozen staff, a few hundred
customers and a few thousand tickets over the last weeks, in Korean and English.

Everything is written through the action functions, under `clock.at(...)`, so the demo's
history is made of the same events real work makes: metrics, SLAs and audits computed from
it mean what they would mean in production. Nothing is inserted behind the actions' back.

How it is made, in three steps:
1. people and structure (brands, staff, teams, organizations, customers);
2. a *plan*: arrival instants with weekday and hour-of-day peaks in Asia/Seoul time, and for
   every ticket a life (triage, replies, waiting, hand-overs, solve, reopen, close) as a list
   of timed steps, each strictly later than the ticket's previous one and before the real now;
3. the steps of all tickets, sorted by time, played through the actions.
The plan depends only on `random.Random(seed)` and today's date: one seed gives the same help
desk, shifted to end now.
"""

from __future__ import annotations

import gc
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.db import transaction
from django.test.utils import override_settings

from doum.accounts import actions as accounts
from doum.accounts.models import Brand, Organization, Team, User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core import demo_content as content
from doum.core.demo_content import DEMO_PASSWORD, STAFF, Texts, Topic
from doum.metrics import refresh as metrics_refresh
from doum.tickets import actions as tickets
from doum.tickets.models import (
    Channel,
    Comment,
    EventKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
    Via,
)

__all__ = [
    "DEMO_PASSWORD",
    "DemoDataExists",
    "DemoLogin",
    "DemoSummary",
    "demo_logins",
    "existing_demo_logins",
    "has_tickets",
    "seed_demo",
]

SEOUL = ZoneInfo("Asia/Seoul")
Progress = Callable[[int, int], None]

# Relative ticket volume by weekday (Monday first) and by hour of the day, Seoul time.
DAY_WEIGHTS = (1.18, 1.08, 1.0, 1.0, 0.94, 0.48, 0.42)
HOUR_WEIGHTS = (
    0.14, 0.09, 0.06, 0.05, 0.05, 0.07, 0.15, 0.35, 0.75, 1.25, 1.9, 2.0,
    1.35, 1.45, 1.8, 1.95, 1.8, 1.3, 0.95, 0.75, 0.7, 0.62, 0.45, 0.28,
)  # fmt: skip
# Staffed hours, Seoul time: weekdays 09-18, a small weekend shift 10-16.
WORK_HOURS = ((9, 18),) * 5 + ((10, 16),) * 2
CLOSE_AFTER = timedelta(days=4)  # solved tickets close after four days, as in most help desks

IN_HOURS_CHANNELS = (
    (Channel.EMAIL, 25), (Channel.PORTAL, 15), (Channel.WEB, 12), (Channel.CHAT, 15),
    (Channel.PHONE, 18), (Channel.API, 8), (Channel.SOCIAL, 8),
)  # fmt: skip
OFF_HOURS_CHANNELS = (
    (Channel.EMAIL, 40), (Channel.PORTAL, 25), (Channel.WEB, 16), (Channel.API, 10),
    (Channel.SOCIAL, 9),
)  # fmt: skip
# The channel a customer's later replies arrive by.
REPLY_VIA = {
    Channel.EMAIL: Via.EMAIL, Channel.PORTAL: Via.PORTAL, Channel.WEB: Via.EMAIL,
    Channel.CHAT: Via.EMAIL, Channel.PHONE: Via.EMAIL, Channel.API: Via.EMAIL,
    Channel.SOCIAL: Via.SOCIAL,
}  # fmt: skip


class DemoDataExists(Exception):
    """Demo data only goes into an empty help desk."""


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: str
    teams: tuple[str, ...]


@dataclass(frozen=True)
class DemoSummary:
    tickets: int
    comments: int
    events: int
    customers: int
    organizations: int
    brands: int
    teams: int
    status_counts: dict[str, int]
    spam: int
    merged: int
    reopened: int
    first_ticket_at: datetime | None
    last_ticket_at: datetime | None
    seconds: float
    logins: tuple[DemoLogin, ...]
    password: str = DEMO_PASSWORD

    def describe(self) -> str:
        span = ""
        if self.first_ticket_at and self.last_ticket_at:
            first = self.first_ticket_at.astimezone(SEOUL)
            last = self.last_ticket_at.astimezone(SEOUL)
            span = f" created {first:%Y-%m-%d} to {last:%Y-%m-%d} (Asia/Seoul)"
        statuses = ", ".join(f"{s} {self.status_counts.get(s, 0)}" for s in Status.values)
        return "\n".join(
            [
                f"Seeded demo data in {self.seconds:.1f} s:",
                f"  {self.tickets} tickets{span}",
                f"  by status: {statuses}",
                f"  spam {self.spam}, merged {self.merged}, reopened {self.reopened}",
                f"  {self.comments} comments, {self.events} ticket events",
                f"  {self.customers} customers in {self.organizations} organizations, "
                f"{self.brands} brands, {self.teams} teams",
            ]
        )

    def logins_text(self) -> str:
        return format_logins(self.logins, self.password)


def format_logins(logins: Sequence[DemoLogin], password: str = DEMO_PASSWORD) -> str:
    width = max((len(login.email) for login in logins), default=10)
    lines = [f"Demo logins (password for all: {password}):"]
    for login in logins:
        teams = f" ({', '.join(login.teams)})" if login.teams else ""
        lines.append(f"  {login.email:<{width}}  {login.role:<11}  {login.name}{teams}")
    return "\n".join(lines)


def demo_logins() -> tuple[DemoLogin, ...]:
    """The staff accounts the demo creates (whether or not they exist yet)."""
    names = dict(content.TEAMS)
    return tuple(
        DemoLogin(s.email, s.name, s.role, tuple(names[t] for t in s.teams)) for s in STAFF
    )


def existing_demo_logins() -> tuple[DemoLogin, ...]:
    """The demo staff accounts present in this database (empty when no demo was seeded)."""
    present = set(
        User.objects.filter(email__in=[s.email for s in STAFF], is_active=True).values_list(
            "email", flat=True
        )
    )
    return tuple(login for login in demo_logins() if login.email in present)


def has_tickets() -> bool:
    return Ticket.objects.exists()


def seed_demo(
    *, tickets: int = 3000, days: int = 90, seed: int = 7, progress: Progress | None = None
) -> DemoSummary:
    """Seed an empty help desk with demo data; raises DemoDataExists when it is not empty."""
    if tickets < 20:
        raise ValueError("The demo needs at least 20 tickets.")
    if days < 7:
        raise ValueError("The demo needs at least 7 days of history.")
    started = time.perf_counter()
    end = clock.now() - timedelta(minutes=1)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # tens of thousands of short-lived ORM objects; collection only slows this down
    try:
        with transaction.atomic():
            _refuse_if_not_empty()
            rng = random.Random(seed)
            with _quick_staff_hashing():
                people = _People.create(rng, end=end, days=days, tickets=tickets)
            plan = _Planner(rng, people, end=end, days=days).plan(tickets)
            _play(plan, progress=progress)
            _views(people)
            _sla(people)
            _surveys(rng, end=end)
        # The analytics dashboards open with figures at once (the worker would also get there).
        metrics_refresh.run()
    finally:
        if gc_was_enabled:
            gc.enable()
    return _summary(time.perf_counter() - started)


def _surveys(rng: random.Random, *, end: datetime) -> None:
    """Satisfaction answers to about a third of the solved tickets, through the survey
    actions at the time each customer answered (Korean customers mostly write in Korean).
    Only the answered surveys exist: nothing is left for the worker to mail to the demo's
    made-up customers, so the demo shows no response rate."""
    from doum.surveys import actions as surveys
    from doum.surveys import delivery
    from doum.surveys.models import FollowUp, InvitationStatus
    from doum.surveys.staff_actions import do_complete_follow_up

    solved = (
        Ticket.objects.filter(
            status__in=(Status.SOLVED, Status.CLOSED),
            is_spam=False,
            merged_into__isnull=True,
            solved_at__isnull=False,
            requester__role=Role.CUSTOMER,
        )
        .select_related("requester")
        .order_by("pk")
    )
    for ticket in solved:
        if rng.random() > 0.35 or ticket.solved_at is None:
            continue
        asked = ticket.solved_at + timedelta(minutes=5)
        answered = asked + _lognormal_minutes(rng, 60 * 3, 1.0)
        if answered >= end:
            continue
        with clock.at(asked):
            found = delivery.schedule_after_solve(ticket.pk, kinds=("csat",), delay_minutes=0)
        if not found or found[0].status != InvitationStatus.SCHEDULED:
            continue
        good = rng.random() < 0.82
        korean = ticket.requester.language == "ko" or rng.random() < 0.3
        comments = content.SURVEY_COMMENTS[(good, "ko" if korean else "en")]
        comment = rng.choice(comments) if rng.random() < 0.6 else ""
        reason = "" if good else rng.choice(("slow", "unresolved", "unclear", "other"))
        with clock.at(answered):
            response = surveys.do_record_response(
                found[0].pk, score=1 if good else 0, comment=comment, reason=reason, source="mail"
            )
        # Leads have closed the loop on all but the last few days' unhappy customers.
        follow_up = FollowUp.objects.filter(response=response).select_related("owner").first()
        closed = answered + _lognormal_minutes(rng, 60 * 20, 0.6)
        owner = follow_up.owner if follow_up is not None else None
        if follow_up is not None and owner is not None and closed < end - timedelta(days=4):
            with clock.at(closed):
                do_complete_follow_up(
                    follow_up.pk, actor=owner, note=rng.choice(content.FOLLOW_UP_NOTES)
                )


def _views(people: _People) -> None:
    """Shared views a manager sets up for the floor, and one agent's personal view."""
    from doum.tickets.saved_views import do_create_saved_view

    unsolved = {"field": "status", "op": "is", "value": ["new", "open", "pending", "on_hold"]}
    do_create_saved_view(
        actor=people.manager, name="Urgent and high, unsolved", shared=True,
        conditions=[{"field": "priority", "op": "is", "value": ["urgent", "high"]}, unsolved],
        columns=["requester", "status", "priority", "assignee", "team", "updated"],
        sort="-updated_at",
    )  # fmt: skip
    do_create_saved_view(
        actor=people.manager, name="Phone calls this week", shared=True,
        conditions=[
            {"field": "channel", "op": "is", "value": ["phone"]},
            {"field": "created", "op": "within_days", "value": 7},
        ],
        columns=["requester", "organization", "status", "assignee", "created"],
        sort="-created_at",
    )  # fmt: skip
    agent = next(iter(people.members.values()))[0]
    do_create_saved_view(
        actor=agent, name="Waiting on customers",
        conditions=[{"field": "status", "op": "is", "value": ["pending"]}],
    )  # fmt: skip


def _sla(people: _People) -> None:
    """The Seoul office's business hours for every team and one SLA policy for every ticket;
    then the unsolved tickets' SLA timers, as of now (the history was written in the past, so
    the after-commit recompute skipped it)."""
    from doum.sla.calendar_actions import do_create_calendar, do_set_team_calendar
    from doum.sla.policy_actions import do_create_policy
    from doum.sla.state import recompute_open

    calendar = do_create_calendar(
        actor=people.manager, name="Seoul office", time_zone="Asia/Seoul",
        weekly={day: ["09:00-12:00", "13:00-18:00"] for day in range(5)},
        country_holidays=[{"country": "KR", "subdivision": None, "categories": []}],
    )  # fmt: skip
    for team in people.teams.values():
        do_set_team_calendar(actor=people.manager, team_id=team.pk, calendar_id=calendar.pk)
    hours = {"urgent": 1, "high": 4, "normal": 8, "low": 16}
    targets = [
        {"priority": priority, "metric": metric, "minutes": minutes, "business_hours": True}
        for priority, h in hours.items()
        for metric, minutes in (
            ("first_reply", h * 60 // 2), ("next_reply", h * 60), ("resolution", h * 60 * 5),
        )
    ]  # fmt: skip
    do_create_policy(
        actor=people.manager, name="Standard", calendar_id=calendar.pk, targets=targets,
        description="Business hours of the Seoul office, for every ticket.",
    )  # fmt: skip
    recompute_open()


class DemoPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few rounds, for the demo staff only: their password is printed on the
    screen anyway. The hash says how many rounds it used, so the standard PBKDF2 hasher checks
    it, and Django re-hashes it at full strength the first time each person signs in."""

    iterations = 10_000


@contextmanager
def _quick_staff_hashing() -> Iterator[None]:
    if get_hasher().algorithm != PBKDF2PasswordHasher.algorithm:
        yield  # another default hasher (tests use MD5): leave it alone
        return
    hashers = [f"{__name__}.DemoPasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


def _refuse_if_not_empty() -> None:
    if Ticket.objects.exists():
        raise DemoDataExists(
            "This help desk already has tickets; demo data only goes into an empty database. "
            "Point DOUM_VAR_DIR or DATABASE_URL at a fresh database to see the demo."
        )
    taken = sorted(
        str(email)
        for email in User.objects.filter(email__in=[s.email for s in STAFF]).values_list(
            "email", flat=True
        )
    )
    if taken:
        raise DemoDataExists(f"Demo staff already exist ({', '.join(taken)}).")
    names = [b["name"] for b in content.BRANDS]
    if Brand.objects.filter(name__in=names).exists():
        raise DemoDataExists(f"A demo brand already exists ({' or '.join(names)}).")


def _summary(seconds: float) -> DemoSummary:
    qs = Ticket.objects.all()
    status_counts = dict(Counter(qs.filter(is_spam=False).values_list("status", flat=True)))
    reopened = (
        TicketEvent.objects.filter(
            kind=EventKind.FIELD_CHANGED, field="status", old_value=Status.SOLVED
        )
        .exclude(new_value=Status.CLOSED)
        .values("ticket_id")
        .distinct()
        .count()
    )
    first = qs.order_by("created_at").values_list("created_at", flat=True).first()
    last = qs.order_by("-created_at").values_list("created_at", flat=True).first()
    return DemoSummary(
        tickets=qs.count(),
        comments=Comment.objects.count(),
        events=TicketEvent.objects.count(),
        customers=User.objects.filter(role=Role.CUSTOMER).count(),
        organizations=Organization.objects.count(),
        brands=Brand.objects.count(),
        teams=Team.objects.count(),
        status_counts=status_counts,
        spam=qs.filter(is_spam=True).count(),
        merged=qs.filter(merged_into__isnull=False).count(),
        reopened=reopened,
        first_ticket_at=first,
        last_ticket_at=last,
        seconds=seconds,
        logins=existing_demo_logins(),
    )


# --- time -------------------------------------------------------------------------------------


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def _lognormal_minutes(rng: random.Random, median: float, sigma: float = 0.8) -> timedelta:
    return timedelta(minutes=min(rng.lognormvariate(math.log(median), sigma), median * 12))


def _at_work(rng: random.Random, instant: datetime) -> datetime:
    """`instant` if the help desk is staffed then, else shortly after it next opens."""
    local = instant.astimezone(SEOUL)
    for _ in range(8):
        opens, closes = WORK_HOURS[local.weekday()]
        day_open = local.replace(hour=opens, minute=0, second=0, microsecond=0)
        day_close = local.replace(hour=closes, minute=0, second=0, microsecond=0)
        if local < day_open:
            return (day_open + _minutes(rng, 0, 25)).astimezone(UTC)
        if local < day_close:
            return local.astimezone(UTC)
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return instant  # pragma: no cover - every day has hours


def _is_staffed(instant: datetime) -> bool:
    local = instant.astimezone(SEOUL)
    opens, closes = WORK_HOURS[local.weekday()]
    return opens <= local.hour < closes


def _awake(rng: random.Random, instant: datetime) -> datetime:
    """Customers write at any hour but rarely between midnight and seven."""
    local = instant.astimezone(SEOUL)
    if local.hour < 7:
        local = local.replace(hour=7, minute=0, second=0) + _minutes(rng, 20, 180)
    return local.astimezone(UTC)


# --- people -----------------------------------------------------------------------------------


@dataclass
class _Customer:
    user: User
    lang: str
    has_email: bool


@dataclass
class _People:
    admin: User
    manager: User
    qa: User
    staff: dict[str, User]
    lang: dict[int, str]
    teams: dict[str, Team]
    leads: dict[str, User]
    members: dict[str, list[User]]
    multi_team: set[int]
    brands: dict[str, Brand]
    customers: list[_Customer]
    spammers: list[_Customer]
    vip_orgs: set[int]

    @classmethod
    def create(cls, rng: random.Random, *, end: datetime, days: int, tickets: int) -> _People:
        start = end - timedelta(days=days)

        def before_start(low: float, high: float) -> datetime:
            return start - timedelta(days=rng.uniform(low, high))

        with clock.at(before_start(400, 420)):
            first = STAFF[0]
            admin = accounts.do_create_user(
                actor=None, name=first.name, email=first.email, role=first.role,
                password=DEMO_PASSWORD, language=first.language, time_zone="Asia/Seoul",
            )  # fmt: skip
        brands: dict[str, Brand] = {}
        for i, look in enumerate(content.BRANDS):
            with clock.at(before_start(395, 399)):
                brands[look["slug"]] = accounts.do_create_brand(
                    actor=admin,
                    name=look["name"],
                    slug=look["slug"],
                    support_addresses=[look["address"]],
                    is_default=i == 0,
                    portal_title=look["portal_title"],
                    primary_color=look["primary_color"],
                    accent_color=look["accent_color"],
                )
        staff = {admin.email or "": admin}
        lang = {admin.pk: first.language}
        for spec in STAFF[1:]:
            with clock.at(before_start(200, 390)):
                user = accounts.do_create_user(
                    actor=admin, name=spec.name, email=spec.email, role=spec.role,
                    password=DEMO_PASSWORD, language=spec.language, time_zone="Asia/Seoul",
                )  # fmt: skip
            staff[spec.email] = user
            lang[user.pk] = spec.language
        manager = next(staff[s.email] for s in STAFF if s.role == Role.MANAGER)
        qa = next(staff[s.email] for s in STAFF if s.role == Role.QA_REVIEWER)
        teams: dict[str, Team] = {}
        leads: dict[str, User] = {}
        for key, name in content.TEAMS:
            lead = next(staff[s.email] for s in STAFF if s.leads == key)
            with clock.at(before_start(190, 199)):
                teams[key] = accounts.do_create_team(
                    actor=manager,
                    name=name,
                    description=content.TEAM_DESCRIPTIONS[key],
                    lead=lead,
                )
            leads[key] = lead
        members: dict[str, list[User]] = {key: [] for key in teams}
        multi_team: set[int] = set()
        for spec in STAFF:
            if len(spec.teams) > 1:
                multi_team.add(staff[spec.email].pk)
            for key in spec.teams:
                members[key].append(staff[spec.email])
                if spec.leads != key:
                    with clock.at(before_start(100, 189)):
                        accounts.do_add_team_member(
                            teams[key], actor=manager, user=staff[spec.email]
                        )
        # Each brand's support address is a mailbox (no IMAP: mail arrives by SMTP or HTTP).
        from doum.mail.mailboxes import do_create_mailbox

        for look in content.BRANDS:
            with clock.at(before_start(185, 189)):
                do_create_mailbox(
                    actor=admin, name=look["name"], address=look["address"],
                    brand_id=brands[look["slug"]].pk,
                )  # fmt: skip

        n_customers = max(40, min(400, tickets // 7))
        n_orgs = max(6, min(len(content.ORGANIZATIONS), n_customers // 13))
        orgs: list[tuple[Organization, str]] = []
        vip_orgs: set[int] = set()
        for name, slug, shared, notes in content.ORGANIZATIONS[:n_orgs]:
            with clock.at(before_start(190, 380)):
                org = accounts.do_create_organization(
                    actor=manager,
                    name=name,
                    domains=[f"{slug}.example"],
                    notes=notes,
                    shared_tickets=shared,
                )
            orgs.append((org, slug))
            if "Enterprise" in notes:
                vip_orgs.add(org.pk)

        seen: set[str] = set()
        customers = [
            _make_customer(rng, orgs, before_start(1, 180), seen) for _ in range(n_customers)
        ]
        spammers = []
        for name, email in content.SPAM_SENDERS:
            with clock.at(before_start(0.5, 1)):
                user = accounts.do_create_user(actor=None, name=name, email=email)
            spammers.append(_Customer(user, "ko" if "마케팅" in name else "en", True))
        return cls(
            admin=admin, manager=manager, qa=qa, staff=staff, lang=lang, teams=teams,
            leads=leads, members=members, multi_team=multi_team, brands=brands,
            customers=customers, spammers=spammers, vip_orgs=vip_orgs,
        )  # fmt: skip


def _make_customer(
    rng: random.Random, orgs: list[tuple[Organization, str]], at: datetime, seen: set[str]
) -> _Customer:
    korean = rng.random() < 0.62
    if korean:
        (family, family_r), (given, given_r) = (
            rng.choice(content.KOREAN_FAMILY),
            rng.choice(content.KOREAN_GIVEN),
        )
        name, handle, lang, tz = family + given, f"{given_r}.{family_r}", "ko", "Asia/Seoul"
    else:
        first, last = rng.choice(content.ENGLISH_FIRST), rng.choice(content.ENGLISH_LAST)
        name = f"{first} {last}"
        handle = f"{first}.{last}".lower().replace("'", "")
        lang, tz = "en", rng.choice(content.FOREIGN_TIME_ZONES)
    in_org = bool(orgs) and rng.random() < 0.45
    domain = f"{rng.choice(orgs)[1]}.example" if in_org else rng.choice(content.PERSONAL_DOMAINS)
    email: str | None = f"{handle}@{domain}"
    n = 1
    while email in seen:
        n += 1
        email = f"{handle}{rng.randint(2, 99) if n < 5 else n}@{domain}"
    roll = rng.random()
    phone = None
    if roll < 0.36:
        while phone is None or phone in seen:
            phone = f"+82 10-{rng.randint(2000, 9999)}-{rng.randint(1000, 9999)}"
        seen.add(phone)
        if roll < 0.06:
            email = None  # known only by phone
    if email:
        seen.add(email)
    with clock.at(at):
        user = accounts.do_create_user(
            actor=None, name=name, email=email, phone=phone, language=lang, time_zone=tz
        )
    return _Customer(user, lang, email is not None)


# --- the plan ---------------------------------------------------------------------------------


class _Stop(Exception):
    """The ticket's life reaches the present: it stays as it is now."""


@dataclass
class _Step:
    at: datetime
    seq: int
    key: int
    kind: str
    kw: dict[str, Any]


@dataclass
class _Ticket:
    key: int
    created: datetime
    kind: str = "customer"  # customer | phone | task | spam | problem | duplicate
    channel: str = Channel.EMAIL
    topic: Topic | None = None
    customer: _Customer | None = None
    brand: Brand | None = None
    fate: str = ""  # forced final status for the most recent tickets
    force_reopen: bool = False
    problem_key: int | None = None
    no_one_touch: bool = False
    agent: User | None = None
    assigned_at: datetime | None = None
    closes_at: datetime | None = None
    values: dict[str, str] = field(default_factory=dict)


class _Life:
    """The timed steps of one ticket: each strictly after the last, all before the end."""

    def __init__(self, planner: _Planner, ticket: _Ticket) -> None:
        self.planner = planner
        self.ticket = ticket
        self.last: datetime | None = None

    def add(self, at: datetime, kind: str, **kw: Any) -> datetime:
        if self.last is not None and at <= self.last:
            at = self.last + timedelta(seconds=self.planner.rng.randint(20, 120))
        if at >= self.planner.end:
            raise _Stop
        self.planner.steps.append(_Step(at, next(self.planner.seq), self.ticket.key, kind, kw))
        self.last = at
        return at


class _Planner:
    def __init__(self, rng: random.Random, people: _People, *, end: datetime, days: int) -> None:
        self.rng = rng
        self.people = people
        self.end = end
        self.start = end - timedelta(days=days)
        self.steps: list[_Step] = []
        self.seq = count()
        self.keys = count()
        self.topic_weights = [t.weight for t in content.TOPICS]
        self.customer_weights = self._popularity(len(people.customers))
        self.email_customers = [c for c in people.customers if c.has_email]
        self.email_weights = self._popularity(len(self.email_customers))
        self.agents_of: dict[str, list[tuple[User, float]]] = {
            key: [(u, 0.35 if u.pk == people.leads[key].pk else 1.0) for u in users]
            for key, users in people.members.items()
        }

    def _popularity(self, n: int) -> list[float]:
        # A few customers write a lot, most write once or twice.
        return [1 / (i + 1) ** 0.6 for i in range(n)]

    # --- arrivals ---------------------------------------------------------------------------

    def plan(self, n: int) -> list[_Step]:
        rng = self.rng
        n_merges = max(2, n // 1000)
        problem_at = self.start + (self.end - self.start) * rng.uniform(0.45, 0.6)
        problem_at = _at_work(rng, problem_at)
        fixed_at = _at_work(rng, problem_at + timedelta(hours=rng.uniform(40, 60)))
        arrivals = self._arrivals(n - n_merges - 1, spike=(problem_at, fixed_at))
        planned: list[_Ticket] = []
        for at in arrivals:
            planned.append(self._describe(_Ticket(next(self.keys), at)))
        problem = _Ticket(next(self.keys), problem_at, kind="problem", channel=Channel.WEB)
        for t in planned:
            if (
                t.kind == "customer"
                and problem_at < t.created < fixed_at - timedelta(hours=3)
                and rng.random() < 0.45
            ):
                t.topic = _topic("app_crash")
                t.problem_key = problem.key
                t.no_one_touch = True
        self._force_fates(planned)
        ordinary = [t for t in planned if t.kind == "customer" and not t.fate and not t.problem_key]
        for t in rng.sample(ordinary, max(1, round(len(planned) * 0.015))):
            t.kind = "spam"
            t.channel = rng.choice((Channel.EMAIL, Channel.EMAIL, Channel.WEB))
            t.customer = rng.choice(self.people.spammers)
            t.brand = self.people.brands["shop"]
        # At least two reopens, early enough to be seen through to the end.
        reopen_before = self.end - min(timedelta(days=10), (self.end - self.start) * 0.4)
        candidates = [
            t for t in planned
            if t.kind in ("customer", "phone") and not t.fate and t.created < reopen_before
        ]  # fmt: skip
        for t in rng.sample(candidates, min(2, len(candidates))):
            t.force_reopen = True
        for t in planned:
            self._live(t)
        self._live(problem, fixed_at=fixed_at)
        self._plan_merges(planned, n_merges)
        self.steps.sort(key=lambda s: (s.at, s.seq))
        return self.steps

    def _arrivals(self, n: int, spike: tuple[datetime, datetime]) -> list[datetime]:
        rng = self.rng
        hour = self.start.astimezone(SEOUL).replace(minute=0, second=0, microsecond=0)
        total = (self.end - self.start).total_seconds()
        slots: list[datetime] = []
        weights: list[float] = []
        day_noise: dict[object, float] = {}
        while hour < self.end:
            noise = day_noise.setdefault(hour.date(), rng.uniform(0.8, 1.2))
            growth = 0.9 + 0.2 * max(0.0, (hour - self.start).total_seconds()) / total
            weight = DAY_WEIGHTS[hour.weekday()] * HOUR_WEIGHTS[hour.hour] * noise * growth
            if spike[0] <= hour < spike[0] + timedelta(hours=36):
                weight *= 1.7  # the crash after a bad app release shows in the volume
            slots.append(hour)
            weights.append(weight)
            hour += timedelta(hours=1)
        out = []
        for slot in rng.choices(slots, weights=weights, k=n):
            low = max(0.0, (self.start - slot).total_seconds())
            high = min(3600.0, (self.end - slot).total_seconds() - 60)
            out.append((slot + timedelta(seconds=rng.uniform(low, max(low, high)))).astimezone(UTC))
        out.sort()
        return out

    def _describe(self, t: _Ticket) -> _Ticket:
        rng = self.rng
        staffed = _is_staffed(t.created)
        options = IN_HOURS_CHANNELS if staffed else OFF_HOURS_CHANNELS
        t.channel = rng.choices([c for c, _ in options], weights=[w for _, w in options])[0]
        t.topic = rng.choices(content.TOPICS, weights=self.topic_weights)[0]
        if t.channel == Channel.PHONE:
            t.kind = "task" if rng.random() < 0.08 else "phone"
            t.customer = rng.choices(self.people.customers, weights=self.customer_weights)[0]
        else:
            t.customer = rng.choices(self.email_customers, weights=self.email_weights)[0]
        pay = rng.random() < t.topic.pay_share
        t.brand = self.people.brands["pay" if pay else "shop"]
        t.values = self._values(t)
        return t

    def _values(self, t: _Ticket) -> dict[str, str]:
        rng = self.rng
        assert t.customer is not None
        ko = t.customer.lang == "ko"
        price = rng.choice(content.PRICES)
        local = t.created.astimezone(SEOUL) - timedelta(days=rng.randint(1, 9))
        return {
            "name": t.customer.user.name,
            "order": f"DS-{local:%y%m%d}-{rng.randint(100000, 999999)}",
            "amount": f"{price:,}원" if ko else f"₩{price:,}",
            "tracking": str(rng.randint(10**11, 10**12 - 1)),
            "courier": rng.choice(content.COURIERS_KO if ko else content.COURIERS_EN),
            "card": f"{rng.randint(0, 9999):04d}",
            "device": rng.choice(content.DEVICES),
            "version": rng.choice(content.APP_VERSIONS),
            "date": f"{local.month}월 {local.day}일" if ko else f"{local:%d %b}",
            "team": "",
        }

    def _force_fates(self, planned: list[_Ticket]) -> None:
        """The last two days' tickets make a working backlog, whatever the dice say.

        Every unsolved status appears (new and unrouted, routed to a team but unassigned,
        open, pending, on-hold), as a team has it on a Monday morning; about a fifth of
        them still live an ordinary life (and are mostly solved by now).
        """
        window = [
            t for t in planned
            if t.kind == "customer" and t.channel != Channel.CHAT and t.problem_key is None
            and self.end - timedelta(hours=48) < t.created < self.end - timedelta(minutes=30)
        ]  # fmt: skip
        if len(window) < 5:
            window = [t for t in planned[-max(10, len(planned) // 10) :] if t.kind == "customer"]
        fates = ["new", "routed", Status.OPEN, Status.PENDING, Status.ON_HOLD]
        weighted = [*fates, Status.OPEN, Status.OPEN, "routed", Status.PENDING, ""]
        for index, t in enumerate(reversed(window)):
            # The newest five take one status each, so every one shows even in a small demo.
            t.fate = fates[index] if index < len(fates) else self.rng.choice(weighted)

    # --- lives ------------------------------------------------------------------------------

    def _live(self, t: _Ticket, fixed_at: datetime | None = None) -> None:
        life = _Life(self, t)
        try:
            if t.kind == "problem":
                assert fixed_at is not None
                self._life_problem(t, life, fixed_at)
            elif t.kind == "spam":
                self._life_spam(t, life)
            elif t.kind in ("phone", "task"):
                self._life_staff_created(t, life)
            else:
                self._life_customer(t, life)
        except _Stop:
            pass

    def _text(self, texts: Texts, t: _Ticket, lang: str | None = None) -> str:
        assert t.customer is not None
        template = self.rng.choice(texts.pick(lang or t.customer.lang))
        return template.format_map(t.values)

    def _agent_reply(self, t: _Ticket, agent: User, texts: Texts, prefix: str = "") -> str:
        assert t.customer is not None and t.brand is not None
        body = prefix + self._text(texts, t)
        brand = t.brand.name
        if t.customer.lang == "ko":
            return (
                f"안녕하세요 {t.customer.user.name} 고객님, {brand} 고객센터 {agent.name}입니다."
                f"\n\n{body}\n\n감사합니다.\n{agent.name} 드림"
            )
        first = t.customer.user.name.split(" ")[0]
        return f"Hi {first},\n\n{body}\n\nKind regards,\n{agent.name}\n{brand} Support"

    def _note(self, t: _Ticket, author: User, texts: Texts) -> str:
        return self._text(texts, t, lang=self.people.lang.get(author.pk, "ko"))

    def _pick_agent(self, team: str, *, single_team: bool = False) -> User:
        pool = self.agents_of[team]
        if single_team:
            pool = [(u, w) for u, w in pool if u.pk not in self.people.multi_team] or pool
        return self.rng.choices([u for u, _ in pool], weights=[w for _, w in pool])[0]

    def _assignment(self, team: str, agent: User) -> dict[str, Any]:
        changes: dict[str, Any] = {"assignee_id": agent.pk}
        if agent.pk in self.people.multi_team:
            changes["team_id"] = self.people.teams[team].pk
        return changes

    def _priority(self, topic: Topic) -> str:
        roll = self.rng.random()
        if roll < topic.urgent_share:
            return Priority.URGENT
        if roll < topic.urgent_share + topic.high_share:
            return Priority.HIGH
        if roll > 0.95:
            return Priority.LOW
        return Priority.NORMAL

    def _tags(self, t: _Ticket) -> list[str]:
        assert t.topic is not None and t.customer is not None
        tags = list(t.topic.tags)
        if t.customer.user.organization_id in self.people.vip_orgs:
            tags.append("vip")
        if t.brand is not None and t.brand.slug == "pay" and "doum_pay" not in tags:
            tags.append("doum_pay")
        return tags

    def _life_spam(self, t: _Ticket, life: _Life) -> None:
        assert t.customer is not None and t.brand is not None
        rng = self.rng
        life.add(
            t.created, "create", actor=t.customer.user, via=t.channel, channel=t.channel,
            subject=rng.choice(content.SPAM.pick(t.customer.lang)),
            body=rng.choice(content.SPAM_BODY.pick(t.customer.lang)), brand_id=t.brand.pk,
        )  # fmt: skip
        agent = self._pick_agent(rng.choice(list(self.people.teams)))
        life.add(_at_work(rng, t.created + _minutes(rng, 3, 120)), "spam", actor=agent)

    def _life_customer(self, t: _Ticket, life: _Life) -> None:
        assert t.topic is not None and t.customer is not None and t.brand is not None
        rng, topic, customer = self.rng, t.topic, t.customer.user
        chat = t.channel == Channel.CHAT
        now = life.add(
            t.created, "create", actor=customer, via=t.channel, channel=t.channel,
            subject=self._text(topic.subjects, t), body=self._text(topic.bodies, t),
            brand_id=t.brand.pk,
        )  # fmt: skip
        if t.fate == "new":
            return
        if t.fate:
            self._life_forced(t, life, now)
            return
        if chat:
            now = now + _minutes(rng, 0.5, 6)
        else:
            now = _at_work(rng, now + _lognormal_minutes(rng, 30, 0.9))
        one_touch = not t.no_one_touch and rng.random() < (0.65 if chat else topic.one_touch)
        agent_via = Via.CHAT if chat else Via.WEB
        if one_touch:
            agent = self._pick_agent(topic.team, single_team=True)
            t.agent, t.assigned_at = agent, now
            now = life.add(
                now, "comment", actor=agent, via=agent_via, status=Status.SOLVED,
                body=self._agent_reply(t, agent, topic.solutions),
            )  # fmt: skip
            self._after_solve(t, life, agent, now)
            return
        misrouted = rng.random() < 0.06
        team = topic.team
        if misrouted:
            team = rng.choice([k for k in self.people.teams if k != topic.team])
        agent = self._pick_agent(team)
        changes = self._assignment(team, agent)
        if rng.random() < 0.6:
            changes["add_tags"] = self._tags(t)
        priority = self._priority(topic)
        if priority != Priority.NORMAL:
            changes["priority"] = priority
        if priority == Priority.URGENT:
            changes["add_follower_ids"] = [self.people.leads[topic.team].pk]
        triager = self.people.leads[team] if rng.random() < 0.45 else agent
        now = life.add(now, "update", actor=triager, via=Via.WEB, changes=changes)
        t.agent, t.assigned_at = agent, now
        if t.problem_key is not None:
            # A misrouted incident's agent cannot see the problem in the right team: the
            # manager links it.
            linker = self.people.manager if misrouted else agent
            now = life.add(
                now + _minutes(rng, 1, 15), "link", actor=linker, problem_key=t.problem_key
            )
        if misrouted:
            t.values["team"] = self.people.teams[topic.team].name
            now = life.add(
                _at_work(rng, now + _minutes(rng, 5, 90)), "comment", actor=agent, via=Via.WEB,
                public=False, body=self._note(t, agent, content.MISROUTE_NOTES),
            )  # fmt: skip
            agent = self._pick_agent(topic.team)
            changes = {"assignee_id": agent.pk, "team_id": self.people.teams[topic.team].pk}
            now = life.add(now + _minutes(rng, 1, 10), "update", actor=t.agent, via=Via.WEB,
                           changes=changes)  # fmt: skip
            t.agent = agent
        reply_delay = (1.0, 5.0) if chat else (5.0, 90.0)
        now = _at_work(rng, now + _minutes(rng, *reply_delay))
        reply_via = _reply_via(t)
        held = False
        for round_ in range(3):
            if not held and rng.random() < 0.08:
                held = True
                now = life.add(
                    now, "comment", actor=agent, via=Via.WEB, public=False,
                    status=Status.ON_HOLD, body=self._note(t, agent, topic.holds),
                )  # fmt: skip
                now = _at_work(rng, now + timedelta(hours=rng.uniform(16, 70)))
                if rng.random() < 0.3:
                    now = life.add(now, "comment", actor=agent, via=Via.WEB, public=False,
                                   body=self._note(t, agent, topic.notes))  # fmt: skip
                    now += _minutes(rng, 2, 30)
                prefix = self._text(content.HOLD_UPDATE, t) + "\n\n"
                now = life.add(
                    now, "comment", actor=agent, via=Via.WEB, status=Status.SOLVED,
                    body=self._agent_reply(t, agent, topic.solutions, prefix=prefix),
                )  # fmt: skip
                break
            ask = rng.random() < (0.42 if round_ == 0 else 0.2 if round_ == 1 else 0.0)
            if not ask:
                if rng.random() < 0.1:
                    now = life.add(now, "comment", actor=agent, via=Via.WEB, public=False,
                                   body=self._note(t, agent, topic.notes))  # fmt: skip
                    now += _minutes(rng, 1, 20)
                now = life.add(
                    now, "comment", actor=agent, via=agent_via if round_ == 0 else Via.WEB,
                    status=Status.SOLVED, body=self._agent_reply(t, agent, topic.solutions),
                )  # fmt: skip
                break
            now = life.add(
                now, "comment", actor=agent, via=agent_via if round_ == 0 else Via.WEB,
                status=Status.PENDING, body=self._agent_reply(t, agent, topic.asks),
            )  # fmt: skip
            if rng.random() < 0.15:
                # No answer: the agent solves it after a few days.
                now = _at_work(rng, now + timedelta(days=rng.uniform(3, 5)))
                now = life.add(
                    now, "comment", actor=agent, via=Via.WEB, status=Status.SOLVED,
                    body=self._agent_reply(t, agent, content.NO_REPLY_SOLVE),
                )  # fmt: skip
                break
            now = _awake(rng, now + _lognormal_minutes(rng, 150, 1.1))
            now = life.add(now, "comment", actor=customer, via=reply_via,
                           body=self._text(topic.answers, t))  # fmt: skip
            if rng.random() < 0.06:
                now = _awake(rng, now + _lognormal_minutes(rng, 240, 0.7))
                now = life.add(now, "comment", actor=customer, via=reply_via,
                               body=self._text(content.CHASERS, t))  # fmt: skip
            now = _at_work(rng, now + _lognormal_minutes(rng, 50, 1.0))
        self._after_solve(t, life, agent, now)

    def _life_forced(self, t: _Ticket, life: _Life, created: datetime) -> None:
        """A recent ticket left in a given unsolved status, its steps squeezed before now."""
        assert t.topic is not None
        rng = self.rng
        gap = (self.end - created) / 4
        agent = self._pick_agent(t.topic.team)
        if t.fate == "routed":
            # Triage put it in the team's queue; nobody has picked it up yet.
            lead = self.people.leads.get(t.topic.team, agent)
            life.add(created + gap * rng.uniform(0.2, 1.0), "update", actor=lead, via=Via.WEB,
                     changes={"team_id": self.people.teams[t.topic.team].pk})  # fmt: skip
            return
        now = life.add(created + gap * rng.uniform(0.4, 1.0), "update", actor=agent,
                       via=Via.WEB, changes=self._assignment(t.topic.team, agent))  # fmt: skip
        later = now + gap * rng.uniform(0.4, 1.0)
        if t.fate == Status.PENDING:
            life.add(later, "comment", actor=agent, via=Via.WEB, status=Status.PENDING,
                     body=self._agent_reply(t, agent, t.topic.asks))  # fmt: skip
        elif t.fate == Status.ON_HOLD:
            life.add(later, "comment", actor=agent, via=Via.WEB, public=False,
                     status=Status.ON_HOLD, body=self._note(t, agent, t.topic.holds))  # fmt: skip
        else:
            life.add(later, "comment", actor=agent, via=Via.WEB, public=False,
                     status=Status.OPEN, body=self._note(t, agent, t.topic.notes))  # fmt: skip

    def _after_solve(self, t: _Ticket, life: _Life, agent: User, solved: datetime) -> None:
        rng = self.rng
        assert t.topic is not None and t.customer is not None
        closes = solved + CLOSE_AFTER + _minutes(rng, 0, 360)
        t.closes_at = closes
        if rng.random() < 0.06:
            at = _at_work(rng, solved + _minutes(rng, 60, 60 * 48))
            if at < closes - timedelta(hours=12):
                life.add(at, "comment", actor=self.people.qa, via=Via.WEB, public=False,
                         body=self._note(t, self.people.qa, content.QA_NOTES))  # fmt: skip
        if t.force_reopen or rng.random() < 0.07:
            at = _awake(rng, solved + _lognormal_minutes(rng, 60 * 20, 0.9))
            if at < closes - timedelta(hours=2):
                now = life.add(at, "comment", actor=t.customer.user, via=_reply_via(t),
                               body=self._text(t.topic.reopens, t))  # fmt: skip
                now = _at_work(rng, now + _lognormal_minutes(rng, 90, 0.9))
                redo = self._text(content.REDO, t) + "\n\n"
                now = life.add(
                    now, "comment", actor=agent, via=Via.WEB, status=Status.SOLVED,
                    body=self._agent_reply(t, agent, t.topic.solutions, prefix=redo),
                )  # fmt: skip
                closes = now + CLOSE_AFTER + _minutes(rng, 0, 360)
                t.closes_at = closes
        life.add(closes, "update", actor=None, via=Via.AUTOMATION,
                 changes={"status": Status.CLOSED})  # fmt: skip

    def _life_staff_created(self, t: _Ticket, life: _Life) -> None:
        """A call logged by the agent who took it, or a follow-up task an agent set themselves."""
        assert t.topic is not None and t.customer is not None and t.brand is not None
        rng, topic = self.rng, t.topic
        agent = self._pick_agent(topic.team)
        t.agent, t.assigned_at = agent, t.created
        common: dict[str, Any] = {
            "actor": agent, "via": Via.PHONE if t.kind == "phone" else Via.WEB,
            "channel": Channel.PHONE, "requester_id": t.customer.user.pk,
            "brand_id": t.brand.pk, "assignee_id": agent.pk, "tags": self._tags(t),
        }  # fmt: skip
        if agent.pk in self.people.multi_team:
            common["team_id"] = self.people.teams[topic.team].pk
        if t.kind == "task":
            common["channel"] = Channel.WEB
            due = t.created + timedelta(hours=rng.uniform(20, 72))
            now = life.add(
                t.created, "create", **common, type=TicketType.TASK, due_at=due,
                subject=self._text(content.TASK, t), public=False,
                body=self._note(t, agent, content.TASK_BODY),
            )  # fmt: skip
            now = _at_work(rng, min(due, now + timedelta(hours=rng.uniform(3, 40))))
            now = life.add(
                now, "comment", actor=agent, via=Via.PHONE, public=False,
                status=Status.SOLVED, body=self._note(t, agent, content.TASK_DONE),
            )  # fmt: skip
            life.add(now + CLOSE_AFTER + _minutes(rng, 0, 360), "update", actor=None,
                     via=Via.AUTOMATION, changes={"status": Status.CLOSED})  # fmt: skip
            return
        outcome = rng.choices((Status.SOLVED, Status.PENDING, Status.OPEN), weights=(65, 15, 20))[0]
        duration = int(min(3600, max(30, rng.lognormvariate(math.log(260), 0.6))))
        body = self._text(content.PHONE_ASKED, t) + self._text(topic.bodies, t)
        if outcome == Status.SOLVED:
            body += "\n\n" + self._text(content.PHONE_TOLD, t) + self._text(topic.solutions, t)
        priority = self._priority(topic)
        now = life.add(
            t.created, "create", **common, status=outcome, priority=priority,
            subject=self._text(topic.subjects, t), body=body,
            comment_metadata={"duration_seconds": duration},
        )  # fmt: skip
        if outcome == Status.PENDING:
            now = _awake(rng, now + _lognormal_minutes(rng, 180, 1.0))
            now = life.add(now, "comment", actor=t.customer.user, via=_reply_via(t),
                           body=self._text(topic.answers, t))  # fmt: skip
            now = _at_work(rng, now + _lognormal_minutes(rng, 60, 0.9))
        elif outcome == Status.OPEN:
            now = _at_work(rng, now + _minutes(rng, 10, 120))
        if outcome != Status.SOLVED:
            now = life.add(
                now, "comment", actor=agent, via=Via.WEB, status=Status.SOLVED,
                body=self._agent_reply(t, agent, topic.solutions),
            )  # fmt: skip
        self._after_solve(t, life, agent, now)

    def _life_problem(self, t: _Ticket, life: _Life, fixed_at: datetime) -> None:
        rng, people = self.rng, self.people
        lead = people.leads["technical"]
        agent = self._pick_agent("technical", single_team=True)
        version = content.APP_VERSIONS[-1]
        life.add(
            t.created, "create", actor=lead, via=Via.WEB, channel=Channel.WEB,
            requester_id=lead.pk, brand_id=people.brands["shop"].pk, type=TicketType.PROBLEM,
            priority=Priority.URGENT, assignee_id=agent.pk,
            tags=["app_crash", "android", "known_issue"], public=False,
            subject=str(content.PROBLEM["subject_ko"]).format(version=version),
            body=str(content.PROBLEM["body_ko"]).format(version=version),
        )  # fmt: skip
        now = life.add(fixed_at, "comment", actor=agent, via=Via.WEB, public=False,
                       status=Status.SOLVED, body=str(content.PROBLEM["fixed_ko"]))  # fmt: skip
        life.add(now + CLOSE_AFTER + _minutes(rng, 0, 360), "update", actor=None,
                 via=Via.AUTOMATION, changes={"status": Status.CLOSED})  # fmt: skip

    def _plan_merges(self, planned: list[_Ticket], n: int) -> None:
        """A customer writes twice about one thing; the agent merges the second into the first."""
        rng = self.rng
        candidates = [
            t for t in planned
            if t.kind == "customer" and not t.fate and t.assigned_at is not None
            and t.agent is not None and t.problem_key is None
            and t.created < self.end - timedelta(days=3)
            and t.closes_at is not None and t.closes_at < self.end
        ]  # fmt: skip
        for target in rng.sample(candidates, min(n, len(candidates))):
            assert target.topic is not None and target.customer is not None
            assert target.assigned_at is not None and target.agent is not None
            dup = _Ticket(
                next(self.keys),
                target.created + _minutes(rng, 10, 90),
                kind="duplicate",
                channel=rng.choice((Channel.EMAIL, Channel.PORTAL, Channel.SOCIAL)),
                topic=target.topic,
                customer=target.customer,
                brand=target.brand,
                values=dict(target.values),
            )
            merge_at = _at_work(rng, max(dup.created, target.assigned_at) + _minutes(rng, 5, 60))
            assert target.closes_at is not None
            if merge_at >= target.closes_at - timedelta(days=1) or merge_at >= self.end:
                continue
            life = _Life(self, dup)
            try:
                life.add(
                    dup.created, "create", actor=target.customer.user, via=dup.channel,
                    channel=dup.channel, subject=self._text(target.topic.subjects, dup),
                    body=self._text(target.topic.bodies, dup),
                    brand_id=target.brand.pk if target.brand else None,
                )  # fmt: skip
                # The manager merges: by then the target may have been handed to another
                # team that its first agent no longer sees.
                manager = self.people.manager
                life.add(merge_at, "merge", actor=manager, target_key=target.key,
                         note=self._note(dup, manager, content.MERGE_NOTES))  # fmt: skip
            except _Stop:
                continue


def _reply_via(t: _Ticket) -> str:
    if t.customer is not None and not t.customer.has_email:
        return Via.PHONE
    return REPLY_VIA[Channel(t.channel)]


def _topic(key: str) -> Topic:
    return next(t for t in content.TOPICS if t.key == key)


# --- playing the plan -------------------------------------------------------------------------


def _play(steps: list[_Step], *, progress: Progress | None) -> None:
    created: dict[int, Ticket] = {}
    total = sum(1 for s in steps if s.kind == "create")
    for step in steps:
        try:
            with clock.at(step.at):
                _run(step, created)
        except Exception as exc:
            raise RuntimeError(
                f"Demo step '{step.kind}' for planned ticket {step.key} "
                f"at {step.at:%Y-%m-%d %H:%M} failed: {exc}"
            ) from exc
        if progress is not None and step.kind == "create" and len(created) % 250 == 0:
            progress(len(created), total)


def _run(step: _Step, created: dict[int, Ticket]) -> None:
    kw = dict(step.kw)
    if step.kind == "create":
        created[step.key] = tickets.do_create_ticket(**kw)
        return
    ticket = created[step.key]
    if step.kind == "update":
        tickets.do_update_ticket(ticket, **kw)
    elif step.kind == "comment":
        tickets.do_add_comment(ticket, **kw)
    elif step.kind == "spam":
        tickets.do_mark_spam(ticket, actor=kw["actor"], via=Via.WEB)
    elif step.kind == "link":
        problem = created[kw["problem_key"]]
        tickets.do_link_problem(ticket, problem, actor=kw["actor"], via=Via.WEB)
    elif step.kind == "merge":
        target = created[kw["target_key"]]
        tickets.do_merge_tickets(ticket, target, actor=kw["actor"], via=Via.WEB, note=kw["note"])
    else:  # pragma: no cover - a planner bug
        raise ValueError(f"unknown demo step {step.kind}")
