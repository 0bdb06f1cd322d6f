"""Derived performance data: per-ticket metrics, daily rollups and backlog spans.

Nothing here is a source of truth: every row is computed from `TicketEvent` by
`doum.metrics.definitions` (one ticket) and `doum.metrics.rollups` (aggregates), and
`doum metrics rebuild` recomputes all of it from the events. See docs/metrics.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from doum.tickets.models import Ticket


class TicketMetrics(models.Model):
    """One ticket's metrics as of `ticket_version`, under definitions `definitions_version`.

    Dimensions (team, assignee, channel, ...) are the ticket's values *now*: a ticket's
    metrics are attributed to its current team and assignee (as Zendesk Explore does).
    Durations are seconds; `*_bs` are business seconds on the ticket team's calendar.
    NULL means "does not apply (yet)", e.g. no first reply yet.
    """

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="metrics"
    )
    definitions_version = models.PositiveSmallIntegerField()
    ticket_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    # Dimensions (current values). Plain ids without database constraints: a removed team
    # or user keeps its history.
    brand = models.ForeignKey(
        "accounts.Brand", null=True, db_constraint=False, on_delete=models.DO_NOTHING,
        related_name="+",
    )  # fmt: skip
    team = models.ForeignKey(
        "accounts.Team", null=True, db_constraint=False, on_delete=models.DO_NOTHING,
        related_name="+",
    )  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, db_constraint=False, on_delete=models.DO_NOTHING,
        related_name="+",
    )  # fmt: skip
    organization = models.ForeignKey(
        "accounts.Organization", null=True, db_constraint=False, on_delete=models.DO_NOTHING,
        related_name="+",
    )  # fmt: skip
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, db_constraint=False, on_delete=models.DO_NOTHING,
        related_name="+",
    )  # fmt: skip
    channel = models.CharField(max_length=10)
    priority = models.CharField(max_length=10)
    type = models.CharField(max_length=10)
    status = models.CharField(max_length=10)
    # Spam, deleted: left out of every figure. Merged into another ticket: see docs/metrics.md.
    excluded = models.BooleanField(default=False)
    merged = models.BooleanField(default=False)
    agent_created = models.BooleanField(default=False)
    imported = models.BooleanField(default=False)

    created_at = models.DateTimeField()
    first_reply_at = models.DateTimeField(null=True)
    first_solved_at = models.DateTimeField(null=True)
    solved_at = models.DateTimeField(null=True)  # the last solve, NULL while unsolved

    first_reply_s = models.BigIntegerField(null=True)
    first_reply_bs = models.BigIntegerField(null=True)
    first_resolution_s = models.BigIntegerField(null=True)
    first_resolution_bs = models.BigIntegerField(null=True)
    full_resolution_s = models.BigIntegerField(null=True)
    full_resolution_bs = models.BigIntegerField(null=True)
    requester_wait_s = models.BigIntegerField(null=True)
    requester_wait_bs = models.BigIntegerField(null=True)
    agent_wait_s = models.BigIntegerField(null=True)
    agent_wait_bs = models.BigIntegerField(null=True)
    on_hold_s = models.BigIntegerField(null=True)
    on_hold_bs = models.BigIntegerField(null=True)
    agent_work_s = models.BigIntegerField(null=True)
    agent_work_bs = models.BigIntegerField(null=True)
    # Seconds spent in each unsolved status up to the last solve ({} while unsolved):
    # {"new": s, "open": s, "pending": s, "on_hold": s}.
    status_seconds = models.JSONField(default=dict)

    agent_replies = models.PositiveIntegerField(default=0)
    reopens = models.PositiveIntegerField(default=0)
    assignee_changes = models.PositiveIntegerField(default=0)  # assignee stations
    team_changes = models.PositiveIntegerField(default=0)  # team transfers (group stations − 1)
    one_touch = models.BooleanField(null=True)  # NULL while unsolved
    two_touch = models.BooleanField(null=True)
    # Every next reply: [[reply instant (epoch seconds), seconds, business seconds], ...].
    next_replies = models.JSONField(default=list)
    # Every unsolved period: [[start epoch seconds, end epoch seconds or null], ...].
    unsolved_spans = models.JSONField(default=list)
    # SLA outcome per target that ended: {"first_reply": "met" | "breached", ...}.
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", null=True, db_constraint=False, on_delete=models.DO_NOTHING,
        related_name="+",
    )  # fmt: skip
    sla = models.JSONField(default=dict)
    sla_met = models.PositiveSmallIntegerField(default=0)
    sla_breached = models.PositiveSmallIntegerField(default=0)
    # The last instant at which this ticket adds to any aggregate (doum.metrics.rollups.items;
    # NULL: a running unsolved span). The exact path of doum.metrics.queries reads the rows
    # with created_at < end and (active_until >= start or NULL).
    active_until = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="tmetrics_created"),
            models.Index(fields=["first_reply_at"], name="tmetrics_first_reply"),
            models.Index(fields=["solved_at"], name="tmetrics_solved"),
            models.Index(fields=["team", "solved_at"], name="tmetrics_team_solved"),
            models.Index(fields=["assignee", "solved_at"], name="tmetrics_assignee_solved"),
        ]

    def __str__(self) -> str:
        return f"metrics of #{self.ticket_id}"


class BacklogSpan(models.Model):
    """One period during which a ticket was unsolved (new, open, pending or on-hold).

    Rebuilt with the ticket's metrics; the backlog at an instant T is every span with
    start <= T < end (end NULL = still unsolved). See rollups.backlog_at.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True)
    ticket_created_at = models.DateTimeField()
    team_key = models.IntegerField(default=0)  # 0 = no team
    agent_key = models.IntegerField(default=0)  # 0 = unassigned
    channel = models.CharField(max_length=10)
    priority = models.CharField(max_length=10)

    class Meta:
        indexes = [
            models.Index(fields=["start"], name="backlogspan_start"),
            models.Index(fields=["end"], name="backlogspan_end"),
            models.Index(fields=["ticket"], name="backlogspan_ticket"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} unsolved from {self.start}"


class Rollup(models.Model):
    """Aggregated figures of one local day in one time zone, for one group.

    Three grains, so a dashboard reads the fewest rows that answer it:
    `team` (team_key), `agent` (team_key, agent_key), `channel` (team_key, channel, priority).
    `counts`: {"created": n, "solved": n, ...}; `sums`: {"first_reply_s": [n, total], ...};
    `sketches`: {"first_reply_s": {"<bucket>": n}} (doum.metrics.sketch, ~1 % relative
    accuracy for medians and p90); `hours`: tickets created in each local hour [24].
    """

    zone = models.CharField(max_length=64)
    grain = models.CharField(max_length=8)
    day = models.DateField()
    team_key = models.IntegerField(default=0)
    agent_key = models.IntegerField(default=0)
    channel = models.CharField(max_length=10, default="")
    priority = models.CharField(max_length=10, default="")
    counts = models.JSONField(default=dict)
    sums = models.JSONField(default=dict)
    sketches = models.JSONField(default=dict)
    hours = models.JSONField(default=list)
    # counts["unsolved_in"] - counts["unsolved_out"], as a column: the backlog at the end of a
    # day is one SUM over the days before it.
    net_backlog = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "grain", "day", "team_key", "agent_key", "channel", "priority"],
                name="rollup_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["zone", "grain", "day"], name="rollup_zone_grain_day")]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} {self.zone}"


class MetricsDirty(models.Model):
    """A ticket whose metrics must be recomputed (marked after each committed change)."""

    ticket_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"#{self.ticket_id} dirty"


class Goal(models.Model):
    """A target for one metric, for a team or one agent (shown on the agent dashboard).

    `metric` is a queries.Summary figure ("first_reply@median", "solved", "one_touch_rate",
    "sla_rate", ...); `target` is in the metric's unit (seconds for durations, 0..1 for
    rates); `higher_is_better` says which side of the target is good.
    """

    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    metric = models.CharField(max_length=40)
    target = models.FloatField()
    higher_is_better = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "agent", "metric"], name="goal_unique"),
        ]

    def __str__(self) -> str:
        return f"goal {self.metric}"


class AnalyticsSettings(models.Model):
    """Instance-wide analytics settings (one row, pk=1): what an agent hour costs."""

    hourly_cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="KRW")
    paid_hours_per_week = models.DecimalField(max_digits=5, decimal_places=2, default=40)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "analytics settings"
