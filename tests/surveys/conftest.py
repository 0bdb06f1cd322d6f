"""Fixtures of the survey delivery tests: the real SMTP sink, after-commit listeners that
run (the survey trigger is one), the background queues run in the test, a moved clock."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine

from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.mail.conftest import smtp_sink  # noqa: F401 - a fixture, used by name
from tests.personas import World
from tests.tasks import run_queue

Capture = Callable[..., AbstractContextManager[list[Callable[[], None]]]]


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def send_due(capture: Capture, moment: datetime) -> None:
    """At `moment`: the scheduler enqueues the survey job, a worker runs it, and the mail
    worker sends what it queued (to the SMTP sink when the test has one)."""
    from doum.surveys.tasks import send_due_task

    with at(moment):
        send_due_task.enqueue()
        with capture(execute=True):
            run_queue("default")
        with capture(execute=True):
            run_queue("mail")


def solve(
    capture: Capture, ticket: Ticket, actor: Any, *, via: str = Via.WEB, reply: bool = False
) -> Ticket:
    """Solve through the ticket actions, with the after-commit listeners (triggers) run."""
    with capture(execute=True):
        fresh = Ticket.objects.get(pk=ticket.pk)
        if reply:
            tickets.do_add_comment(fresh, actor=actor, via=via, body="Fixed.", public=True)
            fresh = Ticket.objects.get(pk=ticket.pk)
        return tickets.do_change_status(fresh, actor=actor, via=via, status="solved")


def reopen(capture: Capture, ticket: Ticket, world: World) -> Ticket:
    """The customer answers on the solved ticket, which reopens it."""
    with capture(execute=True):
        fresh = Ticket.objects.get(pk=ticket.pk)
        tickets.do_add_comment(
            fresh, actor=fresh.requester, via=Via.PORTAL, body="Still broken.", public=True
        )
    return Ticket.objects.get(pk=ticket.pk)


_LINK = re.compile(r"https?://[^\s\"'<>]+")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def install_default_survey_trigger() -> None:
    """Puts back the trigger migration surveys.0002 creates, for tests on a live server:
    each transactional test empties the tables afterwards, data migrations' rows included."""
    from django.apps import apps

    migration = importlib.import_module("doum.surveys.migrations.0002_default_survey_trigger")
    migration.create(apps, None)


def survey_links(message: EmailMessage) -> list[str]:
    """The survey links of a received mail, as paths with their query (in order)."""
    found = []
    for url in _LINK.findall(text_of(message)):
        parts = urlsplit(url)
        if parts.path.startswith("/survey/"):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Capture) -> Capture:
    return django_capture_on_commit_callbacks
