"""Running queued background tasks inside a test (as `db_worker --batch` does), and the
tickets the export tests share."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.personas import World
from tests.tasks import run_queue


def run_tasks(queue: str = "default") -> list[DBTaskResult]:
    return run_queue(queue)


def technical_ticket(w: World, subject: str = "Technical secret: server down") -> Ticket:
    t = tickets.do_create_ticket(actor=w.outsider, via=Via.PORTAL, subject=subject, body="help")
    tickets.do_assign(
        t, actor=w.admin, via=Via.WEB, assignee_id=w.tech_agent.pk, team_id=w.technical.pk
    )
    return t


def billing_ticket(w: World, subject: str) -> Ticket:
    t = tickets.do_create_ticket(actor=w.customer, via=Via.PORTAL, subject=subject, body="x")
    tickets.do_assign(t, actor=w.admin, via=Via.WEB, assignee_id=w.agent.pk, team_id=w.billing.pk)
    return t
