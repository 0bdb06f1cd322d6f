"""The scheduled-report settings pages: managers and admins only; every hostile input (XSS in
the name, 1000 recipients, bad addresses, bad schedules, unknown time zones) gets a clear
error on its field; delete and "send now"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from doum.accounts.models import AuditLog
from doum.reports.models import ScheduledReport
from tests.personas import World


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Weekly Billing",
        "dashboard": "team",
        "filters": "",
        "recipients": "boss@example.com",
        "frequency": "weekly",
        "weekday": "0",
        "day_of_month": "",
        "time": "08:00",
        "time_zone": "Asia/Seoul",
        "format": "pdf",
        "language": "ko",
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_manager_creates_edits_and_lists_a_report(world: World) -> None:
    manager = _client(world.manager)
    assert manager.get("/reports/scheduled/new/").status_code == 200
    recipients = f"boss@example.com\n#{world.lead.pk}\nAGENT@doum.test"
    response = manager.post("/reports/scheduled/new/", _form(recipients=recipients))
    assert response.status_code == 302, response.content.decode()[:2000]
    report = ScheduledReport.objects.get()
    assert report.owner == world.manager
    assert report.recipients == [
        {"user": world.lead.pk},
        {"email": "boss@example.com"},
        {"user": world.agent.pk},  # a staff address becomes the person (their language)
    ]
    assert report.next_run_at is not None and report.weekday == 0 and report.day_of_month is None
    assert AuditLog.objects.filter(action="scheduled_report.created").exists()
    page = manager.get("/reports/scheduled/")
    assert b"Weekly Billing" in page.content and b"Lee Lead" in page.content

    edit = manager.post(
        f"/reports/scheduled/{report.pk}/",
        _form(name="Monthly", frequency="monthly", day_of_month="31", weekday=""),
    )
    assert edit.status_code == 302
    report.refresh_from_db()
    assert (report.name, report.frequency, report.day_of_month, report.weekday) == (
        "Monthly", "monthly", 31, None,
    )  # fmt: skip


def test_the_name_is_text_not_markup(world: World) -> None:
    manager = _client(world.manager)
    xss = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert manager.post("/reports/scheduled/new/", _form(name=xss)).status_code == 302
    page = manager.get("/reports/scheduled/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"recipients": ""}, "recipients", "This field is required."),
        ({"recipients": "not-an-address"}, "recipients", "neither an e-mail address"),
        ({"recipients": "a@b.com\nbob@@example.com"}, "recipients", "neither an e-mail"),
        (
            {"recipients": "\n".join(f"r{i}@example.com" for i in range(1000))},
            "recipients",
            "At most 50 recipients.",
        ),
        ({"recipients": "#999999"}, "recipients", "No active staff member with id 999999."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a known time zone"),
        ({"time": "25:00"}, "time", "Enter a valid time."),
        ({"frequency": "hourly"}, "frequency", "Select a valid choice."),
        ({"weekday": ""}, "weekday", "Choose the day of the week."),
        (
            {"frequency": "monthly", "day_of_month": "32"},
            "day_of_month",
            "between 1 and 31",
        ),
        ({"frequency": "monthly", "day_of_month": ""}, "day_of_month", "between 1 and 31"),
        ({"dashboard": "secret"}, "dashboard", "Select a valid choice."),
        ({"format": "exe"}, "format", "Select a valid choice."),
    ],
)
def test_hostile_input_gets_a_clear_error(
    world: World, changes: dict[str, Any], field: str, message: str
) -> None:
    response = _client(world.admin).post("/reports/scheduled/new/", _form(**changes))
    assert response.status_code == 400
    text = response.content.decode()
    assert f'data-field="{field}"' in text
    row = text.split(f'data-field="{field}"', 1)[1].split('<div class="form-row', 1)[0]
    assert message.lower() in row.lower(), row
    assert not ScheduledReport.objects.exists()


def test_a_customer_cannot_be_a_recipient(world: World) -> None:
    response = _client(world.manager).post(
        "/reports/scheduled/new/", _form(recipients=f"#{world.customer.pk}")
    )
    assert response.status_code == 400
    assert b"No active staff member" in response.content


@pytest.mark.parametrize("role", ["agent", "lead", "qa", "director"])
def test_other_staff_may_not_manage_reports(world: World, role: str) -> None:
    client = _client(world.by_role()[role])
    assert client.get("/reports/scheduled/").status_code == 403
    assert client.post("/reports/scheduled/new/", _form()).status_code == 403
    assert not ScheduledReport.objects.exists()


def test_delete_and_send_now(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    manager = _client(world.manager)
    manager.post("/reports/scheduled/new/", _form())
    report = ScheduledReport.objects.get()
    assert manager.get(f"/reports/scheduled/{report.pk}/send/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert manager.post(f"/reports/scheduled/{report.pk}/send/").status_code == 302
    assert len(callbacks) == 1
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="deliver_report_task").exists()
    assert manager.post(f"/reports/scheduled/{report.pk}/delete/").status_code == 302
    assert not ScheduledReport.objects.exists()
    assert manager.post(f"/reports/scheduled/{report.pk}/delete/").status_code == 404


def test_settings_index_links_to_scheduled_reports(world: World) -> None:
    page = _client(world.manager).get("/settings/")
    assert b'href="/reports/scheduled/"' in page.content
