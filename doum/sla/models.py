"""SLA rows: business calendars, SLA policies with their targets, and each ticket's SLA state.

No business logic here: writers are in actions.py, the arithmetic in calendar.py, the timer
computation in engine.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doum.accounts.models import Team
from doum.tickets.models import Priority, Ticket


class Calendar(models.Model):
    """A business calendar as people edit it (built into a `calendar.CalendarSpec` to compute).

    weekly: {"0": ["09:00-12:00", "13:00-18:00"], ..., "6": []} (0 = Monday; missing = closed)
    country_holidays: [{"country": "KR", "subdivision": null, "categories": []}]
    custom_holidays: ["2026-12-24", ...]
    partial_days: [{"day": "2026-12-31", "periods": ["09:00-13:00"]}] (periods [] = closed)
    """

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="Asia/Seoul")
    weekly = models.JSONField(default=dict, blank=True)
    country_holidays = models.JSONField(default=list, blank=True)
    custom_holidays = models.JSONField(default=list, blank=True)
    partial_days = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class TeamCalendar(models.Model):
    """The calendar a team works by (routing and business-hours conditions read it)."""

    team = models.OneToOneField(
        Team, primary_key=True, on_delete=models.CASCADE, related_name="sla_calendar"
    )
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="teams")

    def __str__(self) -> str:
        return f"{self.team_id} -> {self.calendar_id}"


class Metric(models.TextChoices):
    """What an SLA target measures (docs/sla.md says what starts, pauses and stops each)."""

    FIRST_REPLY = "first_reply", _("First reply")
    NEXT_REPLY = "next_reply", _("Next reply")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    REQUESTER_WAIT = "requester_wait", _("Requester wait time")
    AGENT_WORK = "agent_work", _("Agent work time")
    RESOLUTION = "resolution", _("Total resolution")


class SlaPolicy(models.Model):
    """Ordered; the first active policy whose conditions match a ticket applies to it.

    conditions: {"priority": [...], "team_id": [...], "channel": [...], "type": [...],
    "organization_id": [...], "brand_id": [...], "tags_any": [...], "tags_all": [...],
    "custom_fields": {"key": [values]}} — every given key must match (a list means "one of");
    an empty object matches every ticket.
    escalations: {"warning": [effects], "breach": [effects]} in doum.automation.effects'
    shape, run once when a target of this policy warns or breaches.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict, blank=True)
    calendar = models.ForeignKey(
        Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="policies"
    )  # business-hours targets use it; None = the ticket team's calendar (24/7 if none)
    warn_percent = models.PositiveSmallIntegerField(default=75)  # "at risk" from here
    escalations = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "metric"], name="sla_target_unique"
            ),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="sla_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.priority} {self.minutes}m"


class TicketSla(models.Model):
    """A ticket's SLA summary: which policy applies and its next deadline (views sort on it)."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Applied by a trigger ("apply SLA policy"): wins over the ordered matching.
    pinned_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_deadline = models.DateTimeField(null=True, blank=True)  # earliest active deadline
    at_risk = models.BooleanField(default=False)  # an active target is past its warning
    breached = models.BooleanField(default=False)  # any target breached (active or not)
    computed_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["next_deadline"], name="ticketsla_next_deadline")]

    def __str__(self) -> str:
        return f"SLA of #{self.ticket_id}"


class TimerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    FULFILLED = "fulfilled", _("Fulfilled")
    BREACHED = "breached", _("Breached")
    # Ended without being met or missed (solved without a reply, merged, deleted, spam, or the
    # target no longer applies); left out of attainment. docs/sla.md has the exact rules.
    STOPPED = "stopped", _("Stopped")


class SlaTimer(models.Model):
    """One SLA target's clock on one ticket (next reply and periodic update have one per cycle,
    numbered by `cycle`).

    `deadline` moves by exactly the paused business time while paused. `next_check_at` is the
    next instant the sweep must look at this timer (its warning, then its deadline); NULL when
    nothing is left to fire. The sweep claims a firing with a conditional UPDATE on
    `warned_at`/`breach_fired_at`, so each fires exactly once.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_timers")
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    cycle = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=TimerStatus.choices)
    target_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)  # None while paused
    warn_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.BigIntegerField(null=True, blank=True)  # while paused
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    breach_seconds = models.BigIntegerField(null=True, blank=True)  # by how much (so far)
    next_check_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breach_fired_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "cycle"], name="sla_timer_unique"),
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="slatimer_next_check",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(fields=["ticket", "metric"], name="slatimer_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}#{self.cycle} on #{self.ticket_id}: {self.status}"


class SlaEscalationLog(models.Model):
    """What an escalation did (one row per firing), for the ticket page and the audit."""

    timer = models.ForeignKey(SlaTimer, on_delete=models.CASCADE, related_name="escalations")
    kind = models.CharField(max_length=10)  # "warning" | "breach"
    fired_at = models.DateTimeField()
    outcome = models.TextField(blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.kind} of timer {self.timer_id}"
