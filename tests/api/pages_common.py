"""How a page's expected status per role is written down for the permission matrix.

Each area keeps its rows in its own module (pages_core.py, pages_tickets.py, …); the matrix
test merges them, and fails when the URL resolver has a route that no module lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.personas import World

ROLES = (
    "anonymous",
    "customer",
    "outsider",
    "agent",
    "tech_agent",
    "lead",
    "qa",
    "director",
    "manager",
    "admin",
)
STAFF = ROLES[3:]


@dataclass(frozen=True)
class PageCase:
    """GET ``path(world)`` (or the route itself) as each role; expect these status codes."""

    expected: dict[str, int]
    path: Callable[[World], str] | None = None


def staff_only(status: int = 200) -> dict[str, int]:
    """Anonymous visitors go to sign-in, customers to the portal, staff get ``status``."""
    return {"anonymous": 302, "customer": 302, "outsider": 302, **dict.fromkeys(STAFF, status)}


def only(roles: tuple[str, ...], status: int = 200, others: int = 403) -> dict[str, int]:
    """Staff ``roles`` get ``status``; other staff get ``others``; the rest are redirected."""
    expected = staff_only(others)
    expected.update(dict.fromkeys(roles, status))
    return expected
