"""Helpers for the automation tests: after-commit listeners run (triggers are one), and the
rules are made through the real actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from doum.automation import actions
from doum.automation.models import Automation, Trigger
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.personas import World

Commit = Callable[[], AbstractContextManager[list[Callable[[], None]]]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Commit:
    """`with committed():` runs the after-commit listeners of what the block wrote (and of
    what those listeners wrote in turn), as a real commit would."""

    def run() -> AbstractContextManager[list[Callable[[], None]]]:
        return django_capture_on_commit_callbacks(execute=True)  # type: ignore[no-any-return]

    return run


@pytest.fixture(autouse=True)
def _no_default_rules(db: None) -> Iterator[None]:
    """The automations a fresh Doum ships with (migration 0002) stay out of the way unless a
    test asks for them."""
    Automation.objects.update(is_active=False)
    Trigger.objects.update(is_active=False)
    yield


def trigger(world: World, name: str, conditions: Any, effects: Any) -> Trigger:
    return actions.do_create_trigger(
        actor=world.admin, name=name, conditions=conditions, effects=effects
    )


def automation(world: World, name: str, conditions: Any, effects: Any) -> Automation:
    return actions.do_create_automation(
        actor=world.admin, name=name, conditions=conditions, effects=effects
    )


def new_ticket(world: World, subject: str = "Help", body: str = "Please help", **kw: Any) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.customer, via=Via.PORTAL, subject=subject, body=body, **kw
    )
