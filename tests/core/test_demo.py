"""The demo help desk: seeded once for this module (through the real actions), then read."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings

from doum.accounts.models import User
from doum.accounts.roles import Role
from doum.core.demo import DEMO_PASSWORD, DemoDataExists, DemoSummary, seed_demo
from doum.tickets.models import (
    Channel,
    Comment,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)

SEOUL = ZoneInfo("Asia/Seoul")
HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[DemoSummary]:
    """150 tickets over 30 days, rolled back when the module is done."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            summary = seed_demo(tickets=150, days=30, seed=7)
        yield summary
        transaction.set_rollback(True)


def test_summary_counts_what_was_seeded(demo: DemoSummary, db: None) -> None:
    assert demo.tickets == Ticket.objects.count() == 150
    assert demo.comments == Comment.objects.count() > demo.tickets
    assert demo.brands == 2 and demo.teams == 3
    assert demo.organizations >= 6 and demo.customers >= 40
    assert "150 tickets" in demo.describe()


def test_every_status_is_present(demo: DemoSummary, db: None) -> None:
    statuses = set(Ticket.objects.filter(is_spam=False).values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert Ticket.objects.filter(is_spam=True).exists()
    assert Ticket.objects.filter(merged_into__isnull=False).count() >= 1


def test_every_ticket_has_a_history_in_the_past_in_order(demo: DemoSummary, db: None) -> None:
    now = datetime.now(tz=UTC)
    by_ticket: dict[int, list[tuple[int, datetime, str]]] = {}
    for ticket_id, pk, at, kind in TicketEvent.objects.order_by("id").values_list(
        "ticket_id", "id", "at", "kind"
    ):
        by_ticket.setdefault(ticket_id, []).append((pk, at, kind))
    tickets = dict(Ticket.objects.values_list("id", "created_at"))
    assert set(by_ticket) == set(tickets)
    for ticket_id, events in by_ticket.items():
        assert events[0][2] == EventKind.CREATED
        assert events[0][1] == tickets[ticket_id]
        times = [at for _, at, _ in events]
        assert times == sorted(times), f"ticket {ticket_id} has events out of order"
        assert times[-1] < now
    assert Ticket.objects.filter(updated_at__gte=now).count() == 0
    assert Comment.objects.filter(created_at__gte=now).count() == 0


def test_weekdays_are_busier_than_weekends_and_days_than_nights(
    demo: DemoSummary, db: None
) -> None:
    local = [t.astimezone(SEOUL) for t in Ticket.objects.values_list("created_at", flat=True)]
    per_day = Counter(t.date() for t in local)
    first, last = min(per_day), max(per_day)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def average(selected: list[date]) -> float:
        return sum(per_day[d] for d in selected) / len(selected)

    weekdays = [d for d in days if d.weekday() < 5]
    weekend = [d for d in days if d.weekday() >= 5]
    assert average(weekdays) > average(weekend)
    hours = Counter(t.hour for t in local)
    assert sum(hours[h] for h in range(10, 17)) > 4 * sum(hours[h] for h in range(0, 7))


def test_subjects_are_korean_and_english(demo: DemoSummary, db: None) -> None:
    subjects = list(Ticket.objects.values_list("subject", flat=True))
    korean = [s for s in subjects if HANGUL.search(s)]
    english = [s for s in subjects if s.isascii()]
    assert len(korean) >= 20 and len(english) >= 20


def test_customers_reopen_solved_tickets(demo: DemoSummary, db: None) -> None:
    reopens = TicketEvent.objects.filter(
        kind=EventKind.FIELD_CHANGED,
        field="status",
        old_value=Status.SOLVED,
        new_value=Status.OPEN,
    )
    assert reopens.exists()
    assert {e.actor.role for e in reopens.select_related("actor")} == {Role.CUSTOMER}
    assert demo.reopened == reopens.values("ticket_id").distinct().count()


def test_channels_teams_and_phone_calls(demo: DemoSummary, db: None) -> None:
    channels = set(Ticket.objects.values_list("channel", flat=True))
    assert channels == set(Channel.values)
    durations = [
        c.metadata.get("duration_seconds")
        for c in Comment.objects.filter(ticket__channel=Channel.PHONE, ticket__type="question")
        if "duration_seconds" in c.metadata
    ]
    assert durations and all(isinstance(d, int) and d > 0 for d in durations)
    assigned = Ticket.objects.filter(
        status__in=[Status.SOLVED, Status.CLOSED], is_spam=False, merged_into__isnull=True
    )
    assert not assigned.filter(assignee__isnull=True).exists()
    assert set(assigned.values_list("team__name", flat=True)) >= {
        "Billing",
        "Technical Support",
        "Delivery",
    }
    problem = Ticket.objects.get(type=TicketType.PROBLEM)
    assert problem.incidents.exists()


def test_every_printed_login_signs_in(demo: DemoSummary, db: None) -> None:
    emails = re.findall(r"\S+@\S+", demo.logins_text())
    assert len(emails) == len(demo.logins) >= 12
    assert DEMO_PASSWORD in demo.logins_text()
    for email in emails:
        user = authenticate(email=email, password=DEMO_PASSWORD)
        assert isinstance(user, User), email
        assert user.is_agent
    roles = set(User.objects.filter(email__in=emails).values_list("role", flat=True))
    assert roles == set(Role.values) - {Role.CUSTOMER}


def test_refuses_a_help_desk_with_tickets(demo: DemoSummary, db: None) -> None:
    with pytest.raises(DemoDataExists, match="already has tickets"):
        seed_demo(tickets=20, days=7)
    assert Ticket.objects.count() == 150


def test_views_are_set_up_and_show_tickets(demo: DemoSummary, db: None) -> None:
    from doum.tickets.models import SavedView

    shared = list(SavedView.objects.filter(owner__isnull=True).order_by("position", "id"))
    assert [v.name for v in shared] == ["Urgent and high, unsolved", "Phone calls this week"]
    personal = SavedView.objects.filter(owner__isnull=False).get()
    client = Client()
    client.force_login(personal.owner)
    page = client.get(f"/tickets/?view=v{shared[0].pk}")
    assert page.status_code == 200 and "Urgent and high, unsolved" in page.text
    assert "Waiting on customers" in page.text  # the agent's own view in the side panel
