"""Derived performance data: per-ticket metrics, daily rollups and backlog spans.

Nothing here is a source of truth: every row is computed from `TicketEvent` by
`doum.metrics.definitions` (one ticket) and `doum.metrics.rollups` (aggregates), and
`doum metrics rebuild` recomputes all of it from the events. See docs/metrics.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

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
            # SLA attainment reads only the rows with an SLA outcome (a minority).
            models.Index(
                fields=["solved_at"],
                name="tmetrics_sla_solved",
                condition=Q(excluded=False) & ~Q(sla={}),
            ),
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
    """Aggregated figures of one local period (a day, an ISO week or a month) in one time zone,
    for one group.

    Three grains, so a dashboard reads the fewest rows that answer it:
    `team` (team_key), `agent` (team_key, agent_key), `channel` (team_key, channel, priority).
    Three periods: `day` is the local day, `week` the week starting on Monday `day`, `month`
    the month starting on `day`; a week or month row is exactly the sum of its day rows, so a
    quarter reads about 3 month rows, a few week rows and at most 12 day rows per group
    instead of 91 (docs/architecture.md, "Metrics").

    Counts and duration sums are integer columns (summed by the database); each duration's
    sketch is a compact binary column (doum.metrics.sketch.encode, ~1 % relative accuracy
    for medians and p90). `net_backlog` is c_unsolved_in - c_unsolved_out: the backlog at the
    end of a day is one SUM over the day rows before it.
    """

    zone = models.CharField(max_length=64)
    grain = models.CharField(max_length=8)
    period = models.CharField(max_length=5, default="day")
    day = models.DateField()  # the first local day of the period
    team_key = models.IntegerField(default=0)
    agent_key = models.IntegerField(default=0)
    channel = models.CharField(max_length=10, default="")
    priority = models.CharField(max_length=10, default="")
    net_backlog = models.IntegerField(default=0)
    # Counts (rollups.COUNT_NAMES).
    c_created = models.IntegerField(default=0)
    c_solved = models.IntegerField(default=0)
    c_reopened = models.IntegerField(default=0)
    c_agent_replies = models.IntegerField(default=0)
    c_one_touch = models.IntegerField(default=0)
    c_two_touch = models.IntegerField(default=0)
    c_sla_met = models.IntegerField(default=0)
    c_sla_breached = models.IntegerField(default=0)
    c_unsolved_in = models.IntegerField(default=0)
    c_unsolved_out = models.IntegerField(default=0)
    # Durations (rollups.DURATION_NAMES): how many values, their total in seconds, and their
    # sketch (doum.metrics.sketch.encode; NULL when empty).
    first_reply_s_n = models.IntegerField(default=0)
    first_reply_s_sum = models.BigIntegerField(default=0)
    first_reply_s_sk = models.BinaryField(null=True)
    first_reply_bs_n = models.IntegerField(default=0)
    first_reply_bs_sum = models.BigIntegerField(default=0)
    first_reply_bs_sk = models.BinaryField(null=True)
    next_reply_s_n = models.IntegerField(default=0)
    next_reply_s_sum = models.BigIntegerField(default=0)
    next_reply_s_sk = models.BinaryField(null=True)
    next_reply_bs_n = models.IntegerField(default=0)
    next_reply_bs_sum = models.BigIntegerField(default=0)
    next_reply_bs_sk = models.BinaryField(null=True)
    first_resolution_s_n = models.IntegerField(default=0)
    first_resolution_s_sum = models.BigIntegerField(default=0)
    first_resolution_s_sk = models.BinaryField(null=True)
    first_resolution_bs_n = models.IntegerField(default=0)
    first_resolution_bs_sum = models.BigIntegerField(default=0)
    first_resolution_bs_sk = models.BinaryField(null=True)
    full_resolution_s_n = models.IntegerField(default=0)
    full_resolution_s_sum = models.BigIntegerField(default=0)
    full_resolution_s_sk = models.BinaryField(null=True)
    full_resolution_bs_n = models.IntegerField(default=0)
    full_resolution_bs_sum = models.BigIntegerField(default=0)
    full_resolution_bs_sk = models.BinaryField(null=True)
    requester_wait_s_n = models.IntegerField(default=0)
    requester_wait_s_sum = models.BigIntegerField(default=0)
    requester_wait_s_sk = models.BinaryField(null=True)
    requester_wait_bs_n = models.IntegerField(default=0)
    requester_wait_bs_sum = models.BigIntegerField(default=0)
    requester_wait_bs_sk = models.BinaryField(null=True)
    agent_wait_s_n = models.IntegerField(default=0)
    agent_wait_s_sum = models.BigIntegerField(default=0)
    agent_wait_s_sk = models.BinaryField(null=True)
    agent_wait_bs_n = models.IntegerField(default=0)
    agent_wait_bs_sum = models.BigIntegerField(default=0)
    agent_wait_bs_sk = models.BinaryField(null=True)
    on_hold_s_n = models.IntegerField(default=0)
    on_hold_s_sum = models.BigIntegerField(default=0)
    on_hold_s_sk = models.BinaryField(null=True)
    on_hold_bs_n = models.IntegerField(default=0)
    on_hold_bs_sum = models.BigIntegerField(default=0)
    on_hold_bs_sk = models.BinaryField(null=True)
    agent_work_s_n = models.IntegerField(default=0)
    agent_work_s_sum = models.BigIntegerField(default=0)
    agent_work_s_sk = models.BinaryField(null=True)
    agent_work_bs_n = models.IntegerField(default=0)
    agent_work_bs_sum = models.BigIntegerField(default=0)
    agent_work_bs_sk = models.BinaryField(null=True)
    status_new_n = models.IntegerField(default=0)
    status_new_sum = models.BigIntegerField(default=0)
    status_new_sk = models.BinaryField(null=True)
    status_open_n = models.IntegerField(default=0)
    status_open_sum = models.BigIntegerField(default=0)
    status_open_sk = models.BinaryField(null=True)
    status_pending_n = models.IntegerField(default=0)
    status_pending_sum = models.BigIntegerField(default=0)
    status_pending_sk = models.BinaryField(null=True)
    status_on_hold_n = models.IntegerField(default=0)
    status_on_hold_sum = models.BigIntegerField(default=0)
    status_on_hold_sk = models.BinaryField(null=True)
    # Tickets created in each local hour.
    h00 = models.IntegerField(default=0)
    h01 = models.IntegerField(default=0)
    h02 = models.IntegerField(default=0)
    h03 = models.IntegerField(default=0)
    h04 = models.IntegerField(default=0)
    h05 = models.IntegerField(default=0)
    h06 = models.IntegerField(default=0)
    h07 = models.IntegerField(default=0)
    h08 = models.IntegerField(default=0)
    h09 = models.IntegerField(default=0)
    h10 = models.IntegerField(default=0)
    h11 = models.IntegerField(default=0)
    h12 = models.IntegerField(default=0)
    h13 = models.IntegerField(default=0)
    h14 = models.IntegerField(default=0)
    h15 = models.IntegerField(default=0)
    h16 = models.IntegerField(default=0)
    h17 = models.IntegerField(default=0)
    h18 = models.IntegerField(default=0)
    h19 = models.IntegerField(default=0)
    h20 = models.IntegerField(default=0)
    h21 = models.IntegerField(default=0)
    h22 = models.IntegerField(default=0)
    h23 = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "zone", "grain", "period", "day", "team_key", "agent_key", "channel",
                    "priority",
                ],
                name="rollup_period_key_unique",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["zone", "grain", "period", "day"], name="rollup_zone_period_day")
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.period} {self.day} {self.zone}"


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
