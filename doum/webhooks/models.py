"""Webhooks' rows: the endpoints admins set up, every delivery Doum makes to them (the delivery
log; the dead-letter list is the deliveries that gave up), and the hosts admins allow to
resolve to private addresses.

No business logic here: the writers are in `actions.py` and `delivery.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from doum.tickets.models import Ticket


class WebhookEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    COMMENT_ADDED = "comment.added", _("Comment added")
    TICKET_SOLVED = "ticket.solved", _("Ticket solved")
    SLA_WARNING = "sla.warning", _("SLA warning")
    SLA_BREACHED = "sla.breached", _("SLA breached")
    TRIGGER = "trigger", _("Sent by a trigger")
    PING = "ping", _("Test ping")  # sent from the settings page; nobody subscribes to it


# What a webhook may subscribe to (everything but the test ping).
SUBSCRIBABLE_EVENTS = tuple(e for e in WebhookEvent if e != WebhookEvent.PING)


class Webhook(models.Model):
    """An endpoint that receives signed ticket events (POSTed JSON)."""

    name = models.CharField(max_length=100)
    url = models.CharField(max_length=2000)
    # The HMAC key of the signatures: generated, shown to admins on request, rotatable.
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)  # WebhookEvent values it subscribes to
    # Internal notes' bodies go out only to webhooks that opt in (their existence always does).
    include_internal = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Gave up")


class DeliveryError(models.TextChoices):
    """Why an attempt failed (the details are in `WebhookDelivery.error`)."""

    BLOCKED = "blocked", _("Refused: the address is not allowed")
    INSECURE = "insecure", _("Refused: plain http to a host that is not allowed")
    DNS = "dns", _("The host name did not resolve")
    CONNECT = "connect", _("Could not connect")
    TLS = "tls", _("TLS or certificate error")
    TIMEOUT = "timeout", _("No answer in time")
    PROTOCOL = "protocol", _("Not a valid HTTP answer")
    REDIRECT = "redirect", _("Redirect (not followed)")
    HTTP_STATUS = "http_status", _("The receiver answered with an error")
    INTERRUPTED = "interrupted", _("The sending worker stopped")
    INACTIVE = "inactive", _("The webhook is inactive")


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one webhook, with the outcome of its last attempt.

    `next_attempt_at` is when the next attempt is due (queued and failed rows) or, while a
    worker sends (status "sending"), when its lease runs out. `task_due_at` is when the task
    last enqueued for the row should have run; the sweep re-enqueues rows whose task is lost.
    """

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    task_due_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")
    error_kind = models.CharField(
        max_length=16, choices=DeliveryError.choices, blank=True, default=""
    )
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["webhook", "-created_at", "-id"], name="webhook_delivery_log"),
            models.Index(fields=["status", "-created_at", "-id"], name="webhook_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} {self.event} ({self.status})"


class AllowedHost(models.Model):
    """A host an admin allows to resolve to loopback, private or link-local addresses (and to
    be reached over plain http); the DOUM_WEBHOOK_ALLOWED_HOSTS setting names more."""

    host = models.CharField(max_length=255, unique=True)  # normalised: lower-case, ASCII
    note = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.host
