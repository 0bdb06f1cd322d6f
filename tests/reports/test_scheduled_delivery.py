"""Scheduled reports going out: the due job claims each run once, renders the attachment per
recipient language, and the mail arrives at a real SMTP server (the `smtp_sink`) with the
PDF/XLSX attached — in Korean for a Korean recipient."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from doum.accounts.roles import Role
from doum.core import clock
from doum.mail import outbound
from doum.mail.models import OutboundKind, OutboundMessage, OutboundStatus
from doum.reports import actions
from doum.reports.actions import delete_expired_exports
from doum.reports.models import DeliveryStatus, ReportDelivery, ScheduledReport
from doum.reports.rendering import report_data
from doum.reports.tasks import reports_due_task
from tests.mail.conftest import SmtpSink
from tests.mail.test_outbound import run_mail_tasks
from tests.personas import World, make_user
from tests.reports.helpers import billing_ticket, run_tasks
from tests.reports.pdftext import pdf_text

T0 = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)  # Monday 09:00 in Seoul


def _report(world: World, recipients: str, **changes: Any) -> ScheduledReport:
    data: dict[str, Any] = {
        "name": "Daily Billing",
        "dashboard": "team",
        "filters": {},
        "recipients": recipients,
        "frequency": "daily",
        "hour": 10,
        "minute": 0,
        "time_zone": "Asia/Seoul",
        "format": "both",
        "language": "en",
    }
    data.update(changes)
    return actions.do_create_scheduled_report(actions.ReportInput(**data), actor=world.manager)


def _attachments(message: EmailMessage) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


def test_a_due_report_is_claimed_once(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        report = _report(world, "boss@example.com")
    assert report.next_run_at == datetime(2025, 6, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert actions.claim_due(clock.now()) == []  # not due yet
    late = T0 + timedelta(hours=1, minutes=5)
    with time_machine.travel(late, tick=False):
        assert actions.claim_due(clock.now()) == [report.pk]
        assert actions.claim_due(clock.now()) == []  # a second scheduler finds nothing
    report.refresh_from_db()
    assert report.next_run_at == datetime(2025, 6, 3, 1, 0, tzinfo=UTC)
    assert report.last_run_at == late


def test_an_inactive_report_never_comes_due(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        report = _report(world, "boss@example.com", is_active=False)
    assert report.next_run_at is None
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        assert actions.claim_due(clock.now()) == []


def test_mail_without_a_ticket_carries_stored_attachments(
    world: World, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    key = default_storage.save("reports/test/hello.pdf", ContentFile(b"%PDF-1.4 test"))
    with django_capture_on_commit_callbacks(execute=True):
        msg = outbound.queue_message(
            kind=OutboundKind.REPORT, ticket=None, to=["boss@example.com"],
            subject="Report: 주간 보고", body_text="attached", is_automatic=True,
            auto_value="auto-generated",
            attachments=[{"storage_key": key, "filename": "주간.pdf",
                          "content_type": "application/pdf"}],
        )  # fmt: skip
    assert msg.status == OutboundStatus.QUEUED and msg.ticket_id is None
    run_mail_tasks()
    assert len(smtp_sink.received) == 1
    mail = smtp_sink.received[0].message
    assert mail["Subject"] == "Report: 주간 보고"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] is None
    assert _attachments(mail) == {"주간.pdf": b"%PDF-1.4 test"}


def test_the_report_arrives_with_attachments_in_each_language(
    world: World, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from doum.metrics import refresh

    korean = make_user(world.admin, Role.MANAGER, "한 매니저", "han@doum.test", language="ko")
    with (
        time_machine.travel(T0 - timedelta(days=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),  # the metrics listener marks it
    ):
        for n in range(3):
            billing_ticket(world, f"Refund for order {n}")
    with time_machine.travel(T0, tick=False):
        refresh.run()
        report = _report(world, f"#{korean.pk}\nboss@example.com")

    with time_machine.travel(T0 + timedelta(hours=1, minutes=1), tick=False):
        reports_due_task.enqueue()
        with django_capture_on_commit_callbacks(execute=True):
            run_tasks()
        run_mail_tasks()
        # The same run is not sent twice.
        reports_due_task.enqueue()
        with django_capture_on_commit_callbacks(execute=True):
            run_tasks()

    delivery = ReportDelivery.objects.get(report=report)
    assert delivery.status == DeliveryStatus.SENT, delivery.error
    assert sorted(delivery.recipients) == ["boss@example.com", "han@doum.test"]
    assert OutboundMessage.objects.filter(kind=OutboundKind.REPORT).count() == 2
    # The report's mail (not the tickets' own), by the report's name in either language.
    reports = [r for r in smtp_sink.received if "Daily Billing" in str(r.message["Subject"])]
    by_rcpt = {r.rcpt_tos[0]: r.message for r in reports}  # (not the tickets' own mail)
    assert set(by_rcpt) == {"boss@example.com", "han@doum.test"}

    ko = by_rcpt["han@doum.test"]
    assert "2025년 6월 2일" in str(ko["Subject"])  # rendered in Korean
    files = _attachments(ko)
    pdf = next(v for k, v in files.items() if k.endswith(".pdf"))
    xlsx = next(v for k, v in files.items() if k.endswith(".xlsx"))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "년" in text
    with time_machine.travel(T0 + timedelta(hours=1, minutes=1), tick=False):
        expected = report_data("team", {}, korean, clock.now()).summary
    assert expected.created >= 3
    assert f"{expected.created:,}" in text.split("\n")
    load_workbook(io.BytesIO(xlsx))

    en = by_rcpt["boss@example.com"]
    assert "June 2, 2025" in str(en["Subject"])
    assert any(k.endswith(".pdf") for k in _attachments(en))

    # The stored attachments are deleted a week later by the hourly clean-up.
    assert len(delivery.files) == 4 and all(default_storage.exists(k) for k in delivery.files)
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        delete_expired_exports()
    assert not any(default_storage.exists(k) for k in delivery.files)
    delivery.refresh_from_db()
    assert delivery.files == []
