"""What the routing tests share: a Support team of three online agents, and tickets that
arrive with their after-commit listeners run (routing is one of them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest

from doum.accounts import actions as accounts
from doum.accounts.models import Team, User
from doum.accounts.roles import Role
from doum.routing import actions as routing
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.personas import World, make_user

Capture = Callable[..., AbstractContextManager[Any]]


@dataclass
class Support:
    team: Team
    agents: list[User]  # ordered by id


def add_member(world: World, team: Team, name: str) -> User:
    """A new agent in `team`, online."""
    user = make_user(world.admin, Role.AGENT, name, f"{name.lower().replace(' ', '.')}@doum.test")
    accounts.do_add_team_member(team, actor=world.admin, user=user)
    accounts.do_set_availability(user, actor=user, availability="online")
    return user


def make_support(world: World, n: int = 3, mode: str = "round_robin") -> Support:
    team = accounts.do_create_team(actor=world.admin, name="Support")
    agents = [add_member(world, team, f"Support {i}") for i in range(n)]
    routing.do_set_team_routing(
        team, actor=world.manager, mode=mode, reassign_offline_after_minutes=None
    )
    return Support(team=team, agents=sorted(agents, key=lambda u: u.pk))


@pytest.fixture
def support(world: World) -> Support:
    return make_support(world)


@pytest.fixture
def listeners(django_capture_on_commit_callbacks: Capture) -> Iterator[Capture]:
    """Run after-commit listeners (routing among them) for everything done in the block."""

    def run() -> AbstractContextManager[Any]:
        return django_capture_on_commit_callbacks(execute=True)

    yield run


def arrive(
    world: World, team: Team, subject: str = "Help", *, channel: str = "web", **kw: Any
) -> Ticket:
    """A customer's ticket an admin logs for `team`, unassigned (routing runs when the
    surrounding `listeners()` block ends: refresh the ticket after it)."""
    return tickets.do_create_ticket(
        actor=world.admin, via=Via.WEB, subject=subject, body="please help",
        requester_id=world.customer.pk, team_id=team.pk, channel=channel, **kw,
    )  # fmt: skip
