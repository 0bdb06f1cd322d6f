"""The email channel's rows: support mailboxes, every inbound message as received (raw bytes
first), every outbound message Doum sends, and the editable mail templates.

No business logic here: the writers are in `inbound.py`, `outbound.py`, `mailboxes.py` and
`templates_store.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doum.accounts.models import Brand, Team
from doum.tickets.models import Comment, Ticket


class Mailbox(models.Model):
    """A support address (e.g. support@example.com): its brand, its team, and optionally the
    IMAP mailbox Doum polls for it. Mail also arrives for it by SMTP/LMTP or HTTP."""

    class Security(models.TextChoices):
        SSL = "ssl", _("IMAPS (TLS from the start)")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (plain text, local servers only)")

    name = models.CharField(max_length=100)
    address = models.CharField(max_length=254, unique=True)  # lower-case
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="mailboxes")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="mailboxes"
    )
    is_active = models.BooleanField(default=True)
    # IMAP polling (empty host: no polling; mail arrives by SMTP/LMTP or HTTP instead).
    imap_host = models.CharField(max_length=253, blank=True, default="")
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=Security.choices, default=Security.SSL)
    imap_username = models.CharField(max_length=254, blank=True, default="")
    imap_password = models.CharField(max_length=500, blank=True, default="")
    imap_folder = models.CharField(max_length=200, default="INBOX")
    # Where fetched mail is moved; empty: it stays and is flagged \Seen and $DoumStored.
    imap_move_to = models.CharField(max_length=200, blank=True, default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.address


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not yet processed
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")
    IGNORED = "ignored", _("Ignored")  # Doum's own mail, a loop; kept, never processed


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP/LMTP")
    HTTP = "http", _("HTTP")


class InboundMessage(models.Model):
    """One received message. Its raw bytes are in storage under `storage_key` before this row
    commits; parsing and threading come after, so nothing received is ever lost."""

    source = models.CharField(max_length=10, choices=InboundSource.choices)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound"
    )
    envelope_to = models.JSONField(default=list, blank=True)
    # "mid:<Message-ID>" or, for mail without one, "sha:<sha256 of the bytes>"; one row each.
    dedupe_key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    storage_key = models.CharField(max_length=255)
    received_at = models.DateTimeField()
    times_delivered = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    outcome = models.CharField(max_length=30, blank=True, default="")
    failure_reason = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    from_address = models.CharField(max_length=254, blank=True, default="")
    subject = models.CharField(max_length=500, blank=True, default="")
    is_automatic = models.BooleanField(default=False)
    automatic_reason = models.CharField(max_length=100, blank=True, default="")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status_received"),
            models.Index(fields=["-received_at", "-id"], name="inbound_received"),
        ]

    def __str__(self) -> str:
        return f"inbound {self.pk} ({self.status})"


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Agent reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("New ticket acknowledgement")
    ASSIGNMENT = "assignment", _("Assignment notification")
    CUSTOMER_REPLY = "customer_reply", _("Customer reply notification")
    RULE = "rule", _("Mail sent by a trigger or automation")
    ESCALATION = "escalation", _("SLA warning or breach notification")
    REPORT = "report", _("Scheduled report")
    SURVEY = "survey", _("Satisfaction survey")


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")  # gave up after the last retry
    SUPPRESSED = "suppressed", _("Suppressed")  # loop caps, bounced address, no recipient


class OutboundMessage(models.Model):
    """One message Doum sends. Rendered when queued, so every retry sends the same bytes."""

    kind = models.CharField(max_length=20, choices=OutboundKind.choices)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.CharField(max_length=255, unique=True)  # without angle brackets
    in_reply_to = models.CharField(max_length=255, blank=True, default="")
    references = models.JSONField(default=list, blank=True)
    from_address = models.CharField(max_length=254)
    from_name = models.CharField(max_length=200, blank=True, default="")
    reply_to = models.CharField(max_length=254, blank=True, default="")
    to = models.JSONField(default=list)  # ["a@example.com", ...]
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=1000)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    # Files from default storage sent with the message (scheduled reports):
    # [{"storage_key": ..., "filename": ..., "content_type": ...}, ...]
    attachments = models.JSONField(default=list, blank=True)
    is_automatic = models.BooleanField(default=False)  # Auto-Submitted other than "no"
    status = models.CharField(
        max_length=12, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    suppressed_reason = models.CharField(max_length=200, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
            models.Index(fields=["ticket", "is_automatic", "created_at"], name="outbound_ticket"),
            models.Index(fields=["is_automatic", "created_at"], name="outbound_auto_created"),
        ]

    def __str__(self) -> str:
        return f"outbound {self.pk} {self.kind} ({self.status})"


class MailTemplate(models.Model):
    """An edited mail template; a kind and language without a row uses the built-in text."""

    kind = models.CharField(max_length=20, choices=OutboundKind.choices)
    language = models.CharField(max_length=10)  # "en" or "ko"
    subject = models.CharField(max_length=500)
    body = models.TextField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="mail_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"
