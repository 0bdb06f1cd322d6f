"""/analytics/settings/: what an agent hour costs (for cost per ticket) and goals per team or
agent. Managers and admins; the writers in `doum.metrics.goals` check again and audit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.accounts.models import Team, User
from doum.accounts.roles import Role
from doum.core.errors import DoumError, InvalidInput
from doum.core.web import current_user, redirect_to, render_page, staff_page_for
from doum.metrics import goals
from doum.metrics.models import Goal
from doum.metrics.views.common import SETS_ANALYTICS, fmt_metric, metric_label, tabs
from doum.metrics.views.executive import analytics_settings


def _unit(metric: str) -> str:
    if "@" in metric:
        return _("minutes")
    if metric.endswith("_rate"):
        return "%"
    return _("tickets")


def _context(viewer: User, **extra: Any) -> dict[str, Any]:
    settings = analytics_settings()
    rows = []
    for goal in Goal.objects.select_related("team", "agent").order_by("metric", "pk"):
        rows.append(
            {
                "goal": goal,
                "who": goal.agent.name if goal.agent else (goal.team.name if goal.team else ""),
                "metric": metric_label(goal.metric),
                "target": fmt_metric(goal.metric, goal.target),
            }
        )
    return {
        "tabs": tabs(viewer, ""),
        "settings": settings,
        "currencies": goals.CURRENCIES,
        "goal_rows": rows,
        "goal_metrics": [(m, metric_label(m), _unit(m)) for m in goals.GOAL_METRICS],
        "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
        "agents": list(
            User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.TEAM_LEAD])
            .order_by("name")
            .values_list("pk", "name")
        ),
        "error": "",
        "error_field": "",
        "values": {},
        **extra,
    }


@require_GET
@staff_page_for(SETS_ANALYTICS)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render_page(request, "metrics/settings.html", _context(current_user(request)))


@staff_page_for(SETS_ANALYTICS)
@require_POST
def save_settings(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    try:
        goals.do_update_analytics_settings(
            actor=viewer,
            hourly_cost=request.POST.get("hourly_cost", "")[:40],
            currency=request.POST.get("currency", "")[:8],
            paid_hours_per_week=request.POST.get("paid_hours_per_week", "")[:40],
        )
    except DoumError as error:
        context = _context(
            viewer, error=str(error), error_field=getattr(error, "field", ""), values=request.POST
        )
        return render_page(request, "metrics/settings.html", context, status=error.status_code)
    messages.success(request, _("Saved."))
    return redirect_to(request, reverse("metrics:settings"))


def _target(metric: str, raw: str) -> float:
    try:
        number = float(raw.strip().replace(",", ""))
    except ValueError:
        raise InvalidInput(_("Enter a number."), field="target") from None
    if "@" in metric:
        return number * 60  # minutes → seconds
    if metric.endswith("_rate"):
        return number / 100  # percent → 0..1
    return number


def _optional_id(raw: str, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 15:
        raise InvalidInput(_("No such %(what)s.") % {"what": field}, field=field)
    return int(raw)


@staff_page_for(SETS_ANALYTICS)
@require_POST
def set_goal(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    metric = request.POST.get("metric", "")[:40]
    try:
        goals.do_set_goal(
            actor=viewer,
            metric=metric,
            target=_target(metric, request.POST.get("target", "")[:40]),
            team_id=_optional_id(request.POST.get("team", ""), "team"),
            agent_id=_optional_id(request.POST.get("agent", ""), "agent"),
        )
    except DoumError as error:
        context = _context(
            viewer, error=str(error), error_field=getattr(error, "field", ""), values=request.POST
        )
        return render_page(request, "metrics/settings.html", context, status=error.status_code)
    messages.success(request, _("Goal saved."))
    return redirect_to(request, reverse("metrics:settings"))


@staff_page_for(SETS_ANALYTICS)
@require_POST
def delete_goal(request: HttpRequest, goal_id: int) -> HttpResponse:
    goals.do_delete_goal(goal_id, actor=current_user(request))
    messages.success(request, _("Goal removed."))
    return redirect_to(request, reverse("metrics:settings"))


urlpatterns: list[URLPattern] = [
    path("settings/", settings_page, name="settings"),
    path("settings/save/", save_settings, name="settings_save"),
    path("settings/goals/", set_goal, name="goal_set"),
    path("settings/goals/<int:goal_id>/delete/", delete_goal, name="goal_delete"),
]
