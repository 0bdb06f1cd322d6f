"""What-if (/settings/sla/policies/<id>/what-if/ and …/what-if/ for a draft): replay the tickets
created in a period against a policy, saved or as typed in the editor, and compare the
attainment per metric with what the policies in force now gave them
(`doum.sla.engine.what_if`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.core.errors import InvalidInput
from doum.core.web import people_manager_page, render_page
from doum.sla import policy_actions
from doum.sla.engine import MetricAttainment, ProposedPolicy, WhatIfResult, what_if
from doum.sla.models import Metric, SlaPolicy
from doum.sla.views.forms import POLICY_ACTION_FIELDS, PolicyForm, add_action_error
from doum.sla.views.settings_policies import access_policy
from doum.sla.views.what_if_period import default_period, parse_period, period_instants


@dataclass(frozen=True)
class AttainmentRow:
    metric: str
    label: str
    proposed: MetricAttainment | None
    current: MetricAttainment | None
    difference: float | None  # proposed - current, in percentage points


def attainment_rows(result: WhatIfResult) -> list[AttainmentRow]:
    proposed = {a.metric: a for a in result.proposed}
    current = {a.metric: a for a in result.current}
    rows = []
    for metric in [m for m in Metric.values if m in proposed or m in current]:
        p, c = proposed.get(metric), current.get(metric)
        difference = None
        if p is not None and c is not None and p.percent is not None and c.percent is not None:
            difference = round(p.percent - c.percent, 1)
        rows.append(AttainmentRow(metric, str(Metric(metric).label), p, c, difference))
    return rows


def _run(proposed: ProposedPolicy, start_text: str | None, end_text: str | None) -> dict[str, Any]:
    """The period, the result and the rows, or the period's error."""
    context: dict[str, Any] = {"result": None, "rows": [], "period_error": None}
    default_start, default_end = default_period()
    context["start"] = start_text or default_start.isoformat()
    context["end"] = end_text or default_end.isoformat()
    try:
        start, end = parse_period(start_text, end_text)
    except InvalidInput as error:
        context["period_error"] = error.message
        return context
    context["start"], context["end"] = start.isoformat(), end.isoformat()
    begin, finish = period_instants(start, end)
    result = what_if(start=begin, end=finish, proposed=proposed)
    context["result"] = result
    context["rows"] = attainment_rows(result)
    return context


@require_GET
@people_manager_page
def policy_what_if(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy: SlaPolicy = access_policy(policy_id)
    rules = policy_actions.policy_rules(policy)
    context = _run(rules.proposed(), request.GET.get("start"), request.GET.get("end"))
    context.update(policy=policy, draft=False, title=policy.name)
    status = 400 if context["period_error"] else 200
    return render_page(request, "sla/settings_what_if.html", context, status=status)


@people_manager_page
@require_POST
def draft_what_if(request: HttpRequest) -> HttpResponse:
    """The editor's form as typed (saved or not), replayed without saving anything."""
    form = PolicyForm(request.POST)
    context: dict[str, Any] = {"draft": True, "policy": None, "form_errors": [], "result": None}
    status = 400
    title = (request.POST.get("name") or "").strip()[:100] or _("Unsaved policy")
    if form.is_valid():
        values = form.action_values()
        try:
            rules = policy_actions.clean_rules(
                conditions=values["conditions"],
                targets=values["targets"],
                calendar_id=values["calendar_id"],
                warn_percent=values["warn_percent"],
                escalations=values["escalations"],
            )
        except InvalidInput as error:
            add_action_error(form, error, POLICY_ACTION_FIELDS)
        else:
            context.update(
                _run(rules.proposed(), request.POST.get("what_if_start"),
                     request.POST.get("what_if_end"))
            )  # fmt: skip
            status = 400 if context["period_error"] else 200
    if form.errors:
        context["form_errors"] = [
            f"{form[name].label}: {message}" if name in form.fields else str(message)
            for name, errors in form.errors.items()
            for message in errors
        ]
    context["title"] = title
    return render_page(request, "sla/settings_what_if.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("sla/policies/what-if/", draft_what_if, name="sla_what_if_draft"),
    path("sla/policies/<int:policy_id>/what-if/", policy_what_if, name="sla_what_if"),
]
