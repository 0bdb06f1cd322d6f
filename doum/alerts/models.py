"""Models of doum.alerts: KPI anomaly episodes and in-app notifications.

An `AlertEpisode` is one stretch of anomalous hours of one KPI for one team (team NULL,
team_key 0: the whole help desk). At most one episode per (kind, team) is open at a time
(a partial unique constraint), and `notified_at` is claimed with a conditional UPDATE so an
episode notifies its people at most once. See doum/alerts/detection.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    VOLUME_SPIKE = "volume_spike", _("Ticket volume spike")
    FIRST_REPLY_DEGRADATION = "first_reply_degradation", _("First reply time degradation")
    CSAT_DEGRADATION = "csat_degradation", _("Satisfaction (CSAT) degradation")


class AlertEpisode(models.Model):
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team_key = models.IntegerField(default=0)  # team id, 0 = the whole help desk
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    hour_start = models.DateTimeField()  # the (UTC) hour that opened the episode
    last_anomalous_hour = models.DateTimeField()  # the latest anomalous hour seen
    value = models.FloatField()  # the KPI in the opening hour (CSAT: %, its 24-hour window)
    baseline = models.FloatField()  # median of the same hour in past weeks
    threshold = models.FloatField()  # the alert starts above it (CSAT: below it)
    peak = models.FloatField()  # the worst value during the episode (CSAT: the lowest)
    details = models.JSONField(default=dict)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "team_key"],
                condition=Q(closed_at__isnull=True),
                name="alert_one_open_episode",
            ),
        ]
        indexes = [models.Index(fields=["-opened_at"], name="alert_opened")]

    def __str__(self) -> str:
        return f"{self.kind} team {self.team_key} from {self.hour_start}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Notification(models.Model):
    """One in-app message to one staff member (title and body already in their language)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    link = models.CharField(max_length=500, blank=True, default="")
    episode = models.ForeignKey(
        AlertEpisode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The header's unread count: one index-only count per page view (cached briefly).
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(fields=["user", "-created_at"], name="notification_user_created"),
        ]

    def __str__(self) -> str:
        return f"to {self.user_id}: {self.title}"
