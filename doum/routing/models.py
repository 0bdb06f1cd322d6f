"""Routing models (fields and constraints only; writers are in actions.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doum.accounts.models import Team
from doum.tickets.models import Ticket

SKILL_LEVELS = range(1, 6)  # 1 (basic) … 5 (expert)
ANY_CHANNEL = "any"


class RoutingMode(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least-loaded")
    SKILLS = "skills", _("Skills-based")


class TeamRouting(models.Model):
    """How one team's unassigned tickets get an assignee. A team without a row is manual.

    `last_assigned_user` is the round-robin pointer: the next ticket goes to the first
    eligible member after it (by user id), so arrivals spread evenly; it is read and moved
    under a row lock on this row.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="routing")
    mode = models.CharField(max_length=20, choices=RoutingMode.choices, default=RoutingMode.MANUAL)
    # Give a ticket to someone else when its assignee has been away or offline this long and
    # has not replied yet (null: never).
    reassign_offline_after_minutes = models.PositiveIntegerField(null=True, blank=True)
    last_assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reassign_offline_after_minutes__isnull=True)
                | Q(reassign_offline_after_minutes__gte=1),
                name="team_routing_reassign_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.mode}"


class Skill(models.Model):
    """Something an agent knows (a language, a product); names are stored normalised."""

    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentSkill(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents")
    level = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="agent_skill_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=5), name="agent_skill_level_1_5"
            ),
        ]
        indexes = [models.Index(fields=["skill", "level"], name="agent_skill_skill_level")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.skill_id}:{self.level}"


class AgentCapacity(models.Model):
    """At most this many unsolved tickets assigned to the agent, on one channel or on all
    ("any"). Without an "any" row, the DOUM_ROUTING_DEFAULT_CAPACITY setting applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_capacities"
    )
    channel = models.CharField(max_length=10)  # a Channel value or "any"
    max_open_tickets = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="agent_capacity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}: {self.max_open_tickets}"


class AgentRoutingState(models.Model):
    """When routing last gave the agent a ticket (least-loaded breaks ties with it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_state"
    )
    last_routed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} routed {self.last_routed_at}"


class TicketSkillRequirement(models.Model):
    """A skill a ticket needs (set by triggers); skills-based routing reads these."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    min_level = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "skill"], name="ticket_skill_unique"),
            models.CheckConstraint(
                condition=Q(min_level__gte=1) & Q(min_level__lte=5),
                name="ticket_skill_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} needs {self.skill_id}:{self.min_level}"
