"""Models of doum.reports: background exports, scheduled reports and their deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportKind(models.TextChoices):
    TICKETS = "tickets", _("Ticket list")


class Export(models.Model):
    """A large export written by a background task to default storage; only its requester
    may download it, until `expires_at` (then the scheduler deletes the file)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    params = models.JSONField(default=dict, blank=True)  # the list's query string, as lists
    format = models.CharField(max_length=5, choices=ExportFormat.choices)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    row_count = models.PositiveIntegerField(default=0)
    storage_key = models.CharField(max_length=300, blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_by_user"),
            models.Index(fields=["expires_at"], name="export_expires"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} {self.kind}.{self.format} ({self.status})"


class Dashboard(models.TextChoices):
    TEAM = "team", _("Team lead dashboard")
    OPERATIONS = "operations", _("Operations dashboard")
    EXECUTIVE = "executive", _("Executive summary")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
    BOTH = "both", _("PDF and XLSX")


class ScheduledReport(models.Model):
    """A dashboard report mailed on a schedule. `recipients` is a list of
    {"user": id} and {"email": address} entries; a user gets it in their language, an address
    in `language`."""

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dashboard = models.CharField(max_length=20, choices=Dashboard.choices)
    filters = models.JSONField(default=dict, blank=True)  # the dashboard's query parameters
    recipients = models.JSONField(default=list)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)  # 0 = Monday (weekly)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)  # 1–31 (monthly)
    hour = models.PositiveSmallIntegerField(default=8)
    minute = models.PositiveSmallIntegerField(default=0)
    time_zone = models.CharField(max_length=64)
    format = models.CharField(max_length=5, choices=ReportFormat.choices, default=ReportFormat.PDF)
    language = models.CharField(max_length=10, default="en")  # for addresses without a user
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["is_active", "next_run_at"], name="report_due")]

    def __str__(self) -> str:
        return f"scheduled report {self.pk} {self.name}"


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("Queued for sending")
    FAILED = "failed", _("Failed")


class ReportDelivery(models.Model):
    """One run of a scheduled report: who it was queued for, or why it failed."""

    report = models.ForeignKey(ScheduledReport, on_delete=models.CASCADE, related_name="deliveries")
    run_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    recipients = models.JSONField(default=list)  # the addresses mail was queued for
    outbound_ids = models.JSONField(default=list, blank=True)
    # Storage keys of the attachments; deleted with the files after REPORT_FILES_KEEP_DAYS.
    files = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["report", "-run_at"], name="delivery_by_report")]

    def __str__(self) -> str:
        return f"delivery {self.pk} of report {self.report_id} ({self.status})"
