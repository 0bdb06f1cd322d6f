"""Ticket list exports: the same tickets the viewer's list shows, CSV streamed with a BOM,
XLSX, hostile subjects neutralised; past DOUM_EXPORT_SYNC_MAX_ROWS a background export that
only its requester can download, deleted when it expires."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from openpyxl import load_workbook

from doum.core import clock, scheduler
from doum.reports.actions import delete_expired_exports
from doum.reports.models import Export, ExportStatus
from tests.personas import World
from tests.reports.helpers import billing_ticket, run_tasks, technical_ticket


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_agent_export_has_their_teams_tickets_only(world: World) -> None:
    secret = technical_ticket(world)
    hostile = billing_ticket(world, '=HYPERLINK("http://evil.example","refund")')
    response = _client(world.agent).get("/reports/export/tickets.csv?view=all")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][:2] == ["Number", "Subject"]
    numbers = {int(r[0]) for r in rows[1:]}
    assert world.ticket.pk in numbers and hostile.pk in numbers
    assert secret.pk not in numbers
    subjects = {int(r[0]): r[1] for r in rows[1:]}
    assert subjects[hostile.pk] == "'" + hostile.subject
    # The manager sees every ticket.
    manager_rows = _csv_rows(_client(world.manager).get("/reports/export/tickets.csv?view=all"))
    assert secret.pk in {int(r[0]) for r in manager_rows[1:]}


def test_export_follows_the_list_filters_and_search(world: World) -> None:
    other = billing_ticket(world, "Invoice question")
    rows = _csv_rows(
        _client(world.agent).get(
            "/reports/export/tickets.csv", {"view": "all", "q": "invoice", "status": "open"}
        )
    )
    assert [int(r[0]) for r in rows[1:]] == [other.pk]


def test_xlsx_export(world: World) -> None:
    response = _client(world.lead).get("/reports/export/tickets.xlsx?view=all")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == world.ticket.pk  # a number cell, not text
    assert values[1][1] == world.ticket.subject


def test_customers_and_visitors_are_sent_away(world: World) -> None:
    assert _client(world.customer).get("/reports/export/tickets.csv").status_code == 302
    assert _client(world.customer).get("/reports/export/tickets.csv")["Location"] == "/portal/"
    assert Client().get("/reports/export/tickets.csv").status_code == 302


def test_an_unknown_format_or_view_is_not_found(world: World) -> None:
    agent = _client(world.agent)
    assert agent.get("/reports/export/tickets.pdf").status_code == 404
    assert agent.get("/reports/export/tickets.csv?view=v999999").status_code == 404


def test_large_list_becomes_a_background_export_for_its_requester_only(
    world: World, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    settings.DOUM_EXPORT_SYNC_MAX_ROWS = 1
    secret = technical_ticket(world)
    billing_ticket(world, "@SUM(1+1)*cmd")
    agent = _client(world.agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.get("/reports/export/tickets.csv?view=all")
    assert response.status_code == 302 and response["Location"] == "/reports/exports/"
    export = Export.objects.get(requested_by=world.agent)
    assert export.status == ExportStatus.QUEUED
    page = agent.get("/reports/exports/")
    assert page.status_code == 200 and b'data-status="queued"' in page.content

    run_tasks()
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    assert export.row_count == 2
    assert default_storage.exists(export.storage_key)

    download = agent.get(f"/reports/exports/{export.pk}/download")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    numbers = {int(r[0]) for r in rows[1:]}
    assert world.ticket.pk in numbers and secret.pk not in numbers
    assert "'@SUM(1+1)*cmd" in {r[1] for r in rows[1:]}

    # Nobody else may download it, not even an admin (404, as for a missing export).
    assert _client(world.admin).get(f"/reports/exports/{export.pk}/download").status_code == 404
    assert _client(world.tech_agent).get("/reports/exports/").content.count(b"data-export") == 0

    # Expired: the link is gone and the hourly job deletes the file and the row.
    with time_machine.travel(clock.now() + timedelta(hours=73), tick=False):
        assert agent.get(f"/reports/exports/{export.pk}/download").status_code == 404
        assert delete_expired_exports() == 1
    assert not default_storage.exists(export.storage_key)
    assert not Export.objects.filter(pk=export.pk).exists()


def test_xlsx_background_export(
    world: World, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    settings.DOUM_EXPORT_SYNC_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        _client(world.manager).get("/reports/export/tickets.xlsx?view=all")
    run_tasks()
    export = Export.objects.get(requested_by=world.manager)
    assert export.status == ExportStatus.DONE, export.error
    with default_storage.open(export.storage_key, "rb") as f:
        book = load_workbook(io.BytesIO(f.read()))
    assert book.active is not None and book.active.max_row == 2


def test_scheduler_jobs_are_registered() -> None:
    names = {job.name for job in scheduler.jobs()}
    assert {"reports.due", "reports.expired_exports"} <= names


def test_the_ticket_list_links_to_its_export(world: World) -> None:
    page = _client(world.agent).get("/tickets/", {"view": "all", "status": "open"})
    assert page.status_code == 200
    assert b'href="/reports/export/tickets.csv?view=all&amp;status=open"' in page.content
    assert b'href="/reports/export/tickets.xlsx?view=all&amp;status=open"' in page.content
