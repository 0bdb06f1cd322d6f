"""The one clock: now() in UTC, at() to write history with real timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from doum.accounts import actions as accounts
from doum.core import clock
from doum.tickets import actions as tickets
from doum.tickets.models import Comment, Ticket, TicketEvent, Via
from tests.personas import World

SEOUL = ZoneInfo("Asia/Seoul")


def test_now_is_aware_utc() -> None:
    now = clock.now()
    assert now.tzinfo is UTC
    assert not clock.is_overridden()


def test_time_machine_moves_the_clock() -> None:
    with time_machine.travel(datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC), tick=False):
        assert clock.now() == datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_at_fixes_the_instant_and_converts_it_to_utc() -> None:
    instant = datetime(2024, 3, 1, 9, 30, tzinfo=SEOUL)
    with clock.at(instant):
        assert clock.is_overridden()
        assert clock.now() == instant
        assert clock.now().tzinfo is UTC
        assert clock.now().hour == 0  # 09:30 in Seoul is 00:30 UTC
    assert not clock.is_overridden()


def test_at_rejects_naive_datetimes() -> None:
    naive = datetime(2024, 3, 1, 9, 30)
    with pytest.raises(ValueError, match="timezone-aware"), clock.at(naive):
        pass  # pragma: no cover
    assert not clock.is_overridden()


def test_at_nests_and_restores_even_after_an_error() -> None:
    outer = datetime(2024, 1, 1, tzinfo=UTC)
    inner = datetime(2025, 1, 1, tzinfo=UTC)
    with clock.at(outer):
        with pytest.raises(RuntimeError), clock.at(inner):
            assert clock.now() == inner
            raise RuntimeError("boom")
        assert clock.now() == outer
    assert not clock.is_overridden()


def test_at_takes_precedence_over_time_machine() -> None:
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        with clock.at(datetime(2020, 1, 1, tzinfo=UTC)):
            assert clock.now() == datetime(2020, 1, 1, tzinfo=UTC)
        assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2199, 12, 31),
        timezones=st.sampled_from(
            [UTC, SEOUL, ZoneInfo("America/New_York"), timezone(timedelta(hours=-3, minutes=-30))]
        ),
    )
)
def test_at_returns_the_same_instant_for_any_aware_datetime(instant: datetime) -> None:
    with clock.at(instant):
        # Compare instants: Python never calls a datetime in a DST fold equal across zones.
        assert clock.now().timestamp() == instant.timestamp()
        assert clock.now() == instant.astimezone(UTC)
        assert clock.now().utcoffset() == timedelta(0)


def test_actions_stamp_the_instant_given_to_at(world: World) -> None:
    opened = datetime(2023, 11, 5, 1, 30, tzinfo=SEOUL)  # one Seoul night, still Nov 4 in UTC
    replied = opened + timedelta(hours=2, minutes=15)
    with clock.at(opened):
        ticket = tickets.do_create_ticket(
            actor=world.customer, via=Via.IMPORT, subject="Old ticket", body="From 2023"
        )
    with clock.at(replied):
        tickets.do_add_comment(ticket, actor=world.agent, via=Via.IMPORT, body="Reply from 2023")

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.created_at == opened
    assert ticket.created_at.astimezone(UTC) == datetime(2023, 11, 4, 16, 30, tzinfo=UTC)
    assert ticket.updated_at == replied
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))
    assert [e.at for e in events] == [opened, opened, replied, replied]
    assert all(e.imported for e in events)  # via import marks the events
    assert [c.created_at for c in Comment.objects.filter(ticket=ticket).order_by("id")] == [
        opened,
        replied,
    ]


def test_accounts_actions_stamp_the_instant_too(world: World) -> None:
    instant = datetime(2022, 6, 1, 12, 0, tzinfo=UTC)
    with clock.at(instant):
        user = accounts.do_create_user(actor=world.agent, name="Old", email="old@x.example")
        team = accounts.do_create_team(actor=world.admin, name="Archive")
    assert user.created_at == instant
    assert user.identities.get().created_at == instant
    assert team.created_at == instant
