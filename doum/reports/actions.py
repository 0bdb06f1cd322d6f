"""Writers of the reports app: background exports and scheduled reports.

Exports: `do_request_export` writes the row and enqueues the task after commit; `run_export`
(the task's body) claims the row with a conditional UPDATE, writes the file to the default
storage while reading the tickets in chunks, and records the outcome; `delete_expired_exports`
removes files past their time.

Scheduled reports: create, update, delete (managers and admins, with an audit row each),
`do_send_report_now`, and `run_due_reports` / `deliver_report` (the scheduler job's body): each
due report is claimed by moving its `next_run_at` on with a conditional UPDATE, so two
schedulers or workers never send the same run twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit
from doum.accounts.models import User
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import is_blank, single_line
from doum.reports import exports, scheduling
from doum.reports.models import (
    Dashboard,
    DeliveryStatus,
    Export,
    ExportFormat,
    ExportKind,
    ExportStatus,
    ReportDelivery,
    ReportFormat,
    ScheduledReport,
)
from doum.reports.selectors import (
    MANAGES_REPORTS,
    export_queryset,
    ticket_header,
    ticket_list_state,
    ticket_rows,
)

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 50
NAME_MAX = 200
FILTERS_MAX = 30
ERROR_MAX = 2000
DUE_BATCH = 50
REPORT_FILES_KEEP_DAYS = 7
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


# --- exports ------------------------------------------------------------------------------------


def do_request_export(
    *, actor: User, kind: str, params: Mapping[str, Sequence[str]], format: str
) -> Export:
    """Queue a background export of what `actor` sees; the file is theirs alone."""
    if not actor.is_agent:
        raise Forbidden(_("Only staff may export."))
    if kind not in ExportKind.values:
        raise InvalidInput(_("Unknown export."), field="kind")
    if format not in ExportFormat.values:
        raise InvalidInput(_("Choose CSV or XLSX."), field="format")
    ticket_list_state(actor, params)  # a view the actor may not open is NotFound now
    with transaction.atomic():
        export = Export.objects.create(
            requested_by=actor,
            kind=kind,
            params={k: list(v) for k, v in params.items()},
            format=format,
            created_at=clock.now(),
        )
        export_id = export.pk
        transaction.on_commit(lambda: _enqueue_export(export_id))
    return export


def _enqueue_export(export_id: int) -> None:
    from doum.reports.tasks import run_export_task

    try:
        run_export_task.enqueue(export_id)
    except Exception:
        log.exception("export %s: could not enqueue", export_id)


def export_filename(export: Export) -> str:
    stamp = timezone.localtime(export.created_at).strftime("%Y%m%d-%H%M")
    return f"tickets-{stamp}.{export.format}"


def run_export(export_id: int) -> str:
    """Write one queued export; returns its status afterwards."""
    claimed = Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return str(Export.objects.filter(pk=export_id).values_list("status", flat=True).first())
    export = Export.objects.select_related("requested_by").get(pk=export_id)
    viewer = export.requested_by
    key = f"exports/{clock.now():%Y/%m}/{uuid.uuid4().hex}.{export.format}"
    try:
        if not viewer.is_active or not viewer.is_agent:
            raise InvalidInput(_("The requester may no longer export."))
        with translation.override(viewer.language or None):
            state = ticket_list_state(viewer, export.params)
            rows = ticket_rows(export_queryset(viewer, state))
            with exports.spooled() as out:
                if export.format == ExportFormat.XLSX:
                    count = exports.write_xlsx(out, ticket_header(), rows, title="Tickets")
                else:
                    count = exports.write_csv(out, ticket_header(), rows)
                out.seek(0)
                saved = default_storage.save(key, File(out))
    except Exception as error:
        text = single_line(f"{type(error).__name__}: {error}")[:ERROR_MAX]
        log.warning("export %s failed: %s", export_id, text)
        Export.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=text, finished_at=clock.now()
        )
        return ExportStatus.FAILED
    now = clock.now()
    Export.objects.filter(pk=export_id).update(
        status=ExportStatus.DONE,
        storage_key=saved,
        row_count=count,
        finished_at=now,
        expires_at=now + timedelta(hours=int(settings.DOUM_EXPORT_KEEP_HOURS)),
    )
    return ExportStatus.DONE


def delete_expired_exports() -> int:
    """Delete the files (and rows) of exports past `expires_at`; returns how many."""
    now = clock.now()
    expired = list(Export.objects.filter(expires_at__lte=now).values_list("pk", "storage_key"))
    for pk, key in expired:
        if key:
            try:
                default_storage.delete(key)
            except OSError:
                log.warning("export %s: could not delete %s", pk, key)
                continue
        Export.objects.filter(pk=pk).delete()
    # Exports that failed or were lost keep no file; drop their rows after a week.
    Export.objects.filter(expires_at__isnull=True, created_at__lte=now - timedelta(days=7)).exclude(
        status=ExportStatus.RUNNING
    ).delete()
    # Scheduled reports' attachments, once the mail has long been sent (or given up on).
    # (A window, not "every old one": the hourly job has long handled anything older.)
    old = ReportDelivery.objects.filter(
        run_at__lte=now - timedelta(days=REPORT_FILES_KEEP_DAYS),
        run_at__gt=now - timedelta(days=REPORT_FILES_KEEP_DAYS + 30),
    ).only("pk", "files")
    for delivery in old:
        if not delivery.files:
            continue
        for key in delivery.files:
            try:
                default_storage.delete(str(key))
            except OSError:
                log.warning("report delivery %s: could not delete %s", delivery.pk, key)
        ReportDelivery.objects.filter(pk=delivery.pk).update(files=[])
    return len(expired)


# --- scheduled reports: validation ----------------------------------------------------------------


@dataclass(frozen=True)
class ReportInput:
    name: str
    dashboard: str
    filters: Mapping[str, str]
    recipients: str | Sequence[str]  # one per line or comma: user ids ("#12"/"12") or addresses
    frequency: str
    hour: int
    minute: int
    time_zone: str
    weekday: int | None = None
    day_of_month: int | None = None
    format: str = ReportFormat.PDF
    language: str = "en"
    is_active: bool = True


def _require_manager(actor: User) -> None:
    if actor.role not in MANAGES_REPORTS:
        raise Forbidden(_("Only managers and admins may manage scheduled reports."))


def clean_recipients(value: str | Sequence[str]) -> list[dict[str, object]]:
    """Recipients as {"user": id} / {"email": address}: active staff by id, or e-mail
    addresses (staff addresses become their user, so they get their language)."""
    items = (
        value.replace(",", "\n").replace(";", "\n").splitlines()
        if isinstance(value, str)
        else list(value)
    )
    items = [single_line(str(i)) for i in items if not is_blank(str(i))]
    if not items:
        raise InvalidInput(_("Add at least one recipient."), field="recipients")
    if len(items) > MAX_RECIPIENTS:
        raise InvalidInput(
            _("At most %(n)d recipients.") % {"n": MAX_RECIPIENTS}, field="recipients"
        )
    ids: list[int] = []
    addresses: list[str] = []
    for item in items:
        text = item.lstrip("#")
        if text.isascii() and text.isdigit() and len(text) < 18:
            ids.append(int(text))
            continue
        address = item.lower()
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(
                _("“%(value)s” is neither an e-mail address nor a user id.")
                % {"value": item[:100]},
                field="recipients",
            ) from None
        addresses.append(address)
    staff = {
        u.pk: u for u in User.objects.filter(pk__in=ids, role__in=roles.STAFF_ROLES, is_active=True)
    }
    for missing in [i for i in ids if i not in staff]:
        raise InvalidInput(
            _("No active staff member with id %(id)s.") % {"id": missing}, field="recipients"
        )
    by_email = {
        (u.email or "").lower(): u.pk
        for u in User.objects.filter(
            email__in=addresses, role__in=roles.STAFF_ROLES, is_active=True
        )
    }
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for pk in ids:
        if f"u{pk}" not in seen:
            seen.add(f"u{pk}")
            out.append({"user": pk})
    for address in addresses:
        if address in by_email:
            if f"u{by_email[address]}" not in seen:
                seen.add(f"u{by_email[address]}")
                out.append({"user": by_email[address]})
        elif address not in seen:
            seen.add(address)
            out.append({"email": address})
    return out


def _clean(data: ReportInput) -> dict[str, object]:
    name = single_line(data.name)
    if is_blank(name):
        raise InvalidInput(_("Give the report a name."), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(_("At most %(n)d characters.") % {"n": NAME_MAX}, field="name")
    if data.dashboard not in Dashboard.values:
        raise InvalidInput(_("Choose a dashboard."), field="dashboard")
    if data.format not in ReportFormat.values:
        raise InvalidInput(_("Choose PDF, XLSX or both."), field="format")
    if data.language not in LANGUAGES:
        raise InvalidInput(_("Choose a language."), field="language")
    if len(data.filters) > FILTERS_MAX:
        raise InvalidInput(_("Too many filters."), field="filters")
    filters = {str(k)[:40]: str(v)[:200] for k, v in data.filters.items() if str(v)}
    schedule = scheduling.validate(
        scheduling.Schedule(
            data.frequency, data.hour, data.minute, data.time_zone, data.weekday, data.day_of_month
        )
    )
    return {
        "name": name,
        "dashboard": data.dashboard,
        "filters": filters,
        "recipients": clean_recipients(data.recipients),
        "frequency": schedule.frequency,
        "weekday": schedule.weekday,
        "day_of_month": schedule.day_of_month,
        "hour": schedule.hour,
        "minute": schedule.minute,
        "time_zone": schedule.time_zone,
        "format": data.format,
        "language": data.language,
        "is_active": bool(data.is_active),
    }


def schedule_of(report: ScheduledReport) -> scheduling.Schedule:
    return scheduling.Schedule(
        report.frequency,
        report.hour,
        report.minute,
        report.time_zone,
        report.weekday,
        report.day_of_month,
    )


def _validate_filters(owner: User, filters: Mapping[str, str]) -> None:
    """Refuse filters the dashboards refuse (when the metrics can tell already)."""
    from doum.metrics import queries

    try:
        queries.parse_filters(dict(filters), viewer=owner, now=clock.now())
    except queries.FilterError as error:
        raise InvalidInput(str(error), field="filters") from error
    except NotImplementedError:  # pragma: no cover - before the metrics land
        pass


@transaction.atomic
def do_create_scheduled_report(data: ReportInput, *, actor: User) -> ScheduledReport:
    _require_manager(actor)
    clean = _clean(data)
    _validate_filters(actor, clean["filters"])  # type: ignore[arg-type]
    now = clock.now()
    report = ScheduledReport(owner=actor, created_at=now, updated_at=now, **clean)
    report.next_run_at = scheduling.next_run(schedule_of(report), now) if report.is_active else None
    report.save(force_insert=True)
    audit(actor, "scheduled_report.created", report, name=report.name)
    return report


@transaction.atomic
def do_update_scheduled_report(
    report: ScheduledReport, data: ReportInput, *, actor: User
) -> ScheduledReport:
    _require_manager(actor)
    clean = _clean(data)
    _validate_filters(report.owner, clean["filters"])  # type: ignore[arg-type]
    for name, value in clean.items():
        setattr(report, name, value)
    now = clock.now()
    report.updated_at = now
    report.next_run_at = scheduling.next_run(schedule_of(report), now) if report.is_active else None
    report.save()
    audit(actor, "scheduled_report.updated", report, name=report.name)
    return report


@transaction.atomic
def do_delete_scheduled_report(report: ScheduledReport, *, actor: User) -> None:
    _require_manager(actor)
    audit(actor, "scheduled_report.deleted", report, name=report.name)
    report.delete()


def do_send_report_now(report: ScheduledReport, *, actor: User) -> None:
    """Send the report at once (its schedule is not moved)."""
    _require_manager(actor)
    audit(actor, "scheduled_report.sent_now", report, name=report.name)
    report_id = report.pk
    transaction.on_commit(lambda: _enqueue_delivery(report_id))


def _enqueue_delivery(report_id: int) -> None:
    from doum.reports.tasks import deliver_report_task

    try:
        deliver_report_task.enqueue(report_id)
    except Exception:
        log.exception("scheduled report %s: could not enqueue", report_id)


# --- scheduled reports: delivery ------------------------------------------------------------------


def claim_due(now: datetime) -> list[int]:
    """Claim every due report: each claim moves `next_run_at` on from the value it read, so a
    run is claimed by exactly one caller."""
    claimed: list[int] = []
    due = ScheduledReport.objects.filter(is_active=True, next_run_at__lte=now).order_by(
        "next_run_at", "id"
    )[:DUE_BATCH]
    for report in due:
        following = scheduling.next_run(schedule_of(report), now)
        won = ScheduledReport.objects.filter(
            pk=report.pk, is_active=True, next_run_at=report.next_run_at
        ).update(next_run_at=following, last_run_at=now)
        if won:
            claimed.append(report.pk)
    return claimed


def run_due_reports() -> int:
    """The scheduler job: claim the due reports and deliver each; returns how many ran."""
    ran = 0
    for report_id in claim_due(clock.now()):
        deliver_report(report_id)
        ran += 1
    return ran


@dataclass(frozen=True)
class Audience:
    viewer: User  # whose visibility the figures use
    language: str
    addresses: list[str]


def audiences(report: ScheduledReport) -> list[Audience]:
    """Recipients grouped by (visibility, language): a user sees what they may see, in their
    language; plain addresses get what the report's owner sees, in the report's language."""
    ids = [int(str(r["user"])) for r in report.recipients if "user" in r]
    users = {
        u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True, role__in=roles.STAFF_ROLES)
    }
    groups: dict[tuple[int, str], list[str]] = {}
    viewers: dict[int, User] = {report.owner.pk: report.owner}
    for r in report.recipients:
        if "user" in r:
            user = users.get(int(str(r["user"])))
            if user is None or not user.email:
                continue
            viewers[user.pk] = user
            language = user.language if user.language in LANGUAGES else report.language
            groups.setdefault((user.pk, language), []).append(user.email.lower())
        elif "email" in r:
            groups.setdefault((report.owner.pk, report.language), []).append(str(r["email"]))
    return [Audience(viewers[pk], lang, addrs) for (pk, lang), addrs in groups.items()]


def deliver_report(report_id: int) -> ReportDelivery | None:
    """Render the report per audience and queue one mail each with the attachment(s)."""
    from doum.mail.models import OutboundKind
    from doum.mail.outbound import queue_message
    from doum.reports import rendering

    report = ScheduledReport.objects.select_related("owner").filter(pk=report_id).first()
    if report is None:
        return None
    now = clock.now()
    sent_to: list[str] = []
    outbound_ids: list[int] = []
    stored: list[str] = []
    try:
        if not report.owner.is_active or report.owner.role not in MANAGES_REPORTS:
            raise InvalidInput(_("The report's owner may no longer send reports."))
        for audience in audiences(report):
            files = rendering.render_files(report, audience.viewer, audience.language, now)
            stored += [f["storage_key"] for f in files]
            with translation.override(audience.language):
                subject, body = rendering.mail_text(report, now)
            msg = queue_message(
                kind=OutboundKind.REPORT,
                ticket=None,
                to=audience.addresses,
                subject=subject,
                body_text=body,
                is_automatic=True,
                auto_value="auto-generated",
                attachments=files,
            )
            outbound_ids.append(msg.pk)
            sent_to += audience.addresses
    except Exception as error:
        text = single_line(f"{type(error).__name__}: {error}")[:ERROR_MAX]
        log.warning("scheduled report %s failed: %s", report_id, text)
        return ReportDelivery.objects.create(
            report=report,
            run_at=now,
            status=DeliveryStatus.FAILED,
            recipients=sent_to,
            outbound_ids=outbound_ids,
            files=stored,
            error=text,
        )
    return ReportDelivery.objects.create(
        report=report,
        run_at=now,
        status=DeliveryStatus.SENT,
        recipients=sent_to,
        outbound_ids=outbound_ids,
        files=stored,
    )
