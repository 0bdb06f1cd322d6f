"""Writers for analytics settings: goals (per team or agent) and what an agent hour costs.

Managers and admins only. Each validates every value, raises InvalidInput naming the field,
and writes one audit row in the same transaction.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, require_role
from doum.accounts.models import Team, User
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.metrics.models import AnalyticsSettings, Goal

# Metrics a goal may target, and whether more is better.
GOAL_METRICS: dict[str, bool] = {
    "solved": True,
    "first_reply@median": False,
    "full_resolution@median": False,
    "one_touch_rate": True,
    "reopened": False,
    "reopen_rate": False,
    "sla_rate": True,
}
CURRENCIES = ("KRW", "USD", "EUR", "JPY", "GBP", "CNY", "SGD", "AUD", "CAD")
MAX_HOURLY_COST = Decimal("1000000000")


def _check(actor: User | None) -> None:
    require_role(actor, roles.MANAGES_PEOPLE, _("Only managers and admins change analytics."))


@transaction.atomic
def do_set_goal(
    *,
    actor: User | None,
    metric: str,
    target: float,
    team_id: int | None = None,
    agent_id: int | None = None,
) -> Goal:
    """Create or replace the goal for ``metric`` of one team or one agent."""
    _check(actor)
    if metric not in GOAL_METRICS:
        raise InvalidInput(
            _("Goals can be set for: %(metrics)s.") % {"metrics": ", ".join(GOAL_METRICS)},
            field="metric",
        )
    if not isinstance(target, int | float) or math.isnan(target) or math.isinf(target):
        raise InvalidInput(_("Enter a number."), field="target")
    if target < 0:
        raise InvalidInput(_("A goal cannot be negative."), field="target")
    if metric.endswith("_rate") and target > 1:
        raise InvalidInput(_("A rate goal is at most 100%."), field="target")
    if target > 10**9:
        raise InvalidInput(_("This goal is too large."), field="target")
    if (team_id is None) == (agent_id is None):
        raise InvalidInput(_("Choose a team or an agent (one of them)."), field="team")
    team = agent = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise InvalidInput(_("No such team."), field="team")
    if agent_id is not None:
        agent = User.objects.filter(pk=agent_id, is_active=True).exclude(role="customer").first()
        if agent is None:
            raise InvalidInput(_("No such agent."), field="agent")
    now = clock.now()
    goal, created = Goal.objects.update_or_create(
        team=team,
        agent=agent,
        metric=metric,
        defaults={
            "target": float(target),
            "higher_is_better": GOAL_METRICS[metric],
            "updated_at": now,
        },
        create_defaults={
            "target": float(target),
            "higher_is_better": GOAL_METRICS[metric],
            "created_at": now,
            "updated_at": now,
        },
    )
    audit(
        actor,
        "goal.created" if created else "goal.updated",
        goal,
        metric=metric,
        goal_target=float(target),
        team=team_id,
        agent=agent_id,
    )
    return goal


@transaction.atomic
def do_delete_goal(goal_id: int, *, actor: User | None) -> None:
    _check(actor)
    goal = Goal.objects.select_for_update().filter(pk=goal_id).first()
    if goal is None:
        raise InvalidInput(_("No such goal."), field="goal")
    audit(
        actor,
        "goal.deleted",
        goal,
        metric=goal.metric,
        goal_target=goal.target,
        team=goal.team_id,
        agent=goal.agent_id,
    )
    goal.delete()


def _decimal(value: object, field: str, maximum: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise InvalidInput(_("Enter a number."), field=field)
    if number < 0:
        raise InvalidInput(_("This cannot be negative."), field=field)
    if number > maximum:
        raise InvalidInput(_("At most %(max)s.") % {"max": maximum}, field=field)
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def do_update_analytics_settings(
    *,
    actor: User | None,
    hourly_cost: object,
    currency: str,
    paid_hours_per_week: object,
) -> AnalyticsSettings:
    """Set what an agent hour costs and how many hours a week are paid."""
    _check(actor)
    cost = _decimal(hourly_cost, "hourly_cost", MAX_HOURLY_COST)
    hours = _decimal(paid_hours_per_week, "paid_hours_per_week", Decimal(168))
    if hours == 0:
        raise InvalidInput(
            _("Paid hours per week must be more than zero."), field="paid_hours_per_week"
        )
    currency = (currency or "").strip().upper()
    if currency not in CURRENCIES:
        raise InvalidInput(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(CURRENCIES)},
            field="currency",
        )
    settings, _created = AnalyticsSettings.objects.select_for_update().get_or_create(pk=1)
    before = {
        "hourly_cost": str(settings.hourly_cost),
        "currency": settings.currency,
        "paid_hours_per_week": str(settings.paid_hours_per_week),
    }
    settings.hourly_cost = cost
    settings.currency = currency
    settings.paid_hours_per_week = hours
    settings.updated_at = clock.now()
    settings.save()
    audit(
        actor,
        "analytics_settings.updated",
        settings,
        before=before,
        after={
            "hourly_cost": str(cost),
            "currency": currency,
            "paid_hours_per_week": str(hours),
        },
    )
    return settings
