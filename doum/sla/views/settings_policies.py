"""SLA policy settings (/settings/sla/policies/…): the ordered list (move up and down,
activate, deactivate), a new policy, one policy's editor, deletion. Managers and admins; the
actions in `doum.sla.policy_actions` check the role again, validate every value and write
the audit rows. The what-if pages are in settings_what_if.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts.models import Brand, Organization, Team
from doum.core.errors import DoumError, InvalidInput, NotFound
from doum.core.web import current_user, people_manager_page, redirect_to, render_page
from doum.sla import policy_actions
from doum.sla.models import Metric, SlaPolicy, SlaTarget
from doum.sla.views.forms import (
    POLICY_ACTION_FIELDS,
    PolicyForm,
    add_action_error,
    new_policy_initial,
    policy_initial,
)
from doum.sla.views.what_if_period import default_period
from doum.tickets.models import Channel, Priority, TicketType


def access_policy(policy_id: int) -> SlaPolicy:
    policy = SlaPolicy.objects.select_related("calendar").filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("No such SLA policy."), field="policy")
    return policy


def describe_conditions(
    conditions: Mapping[str, Any], names: Mapping[str, Mapping[int, str]]
) -> list[str]:
    """Each condition as a person reads it: "Priority: High, Urgent"."""
    labels = {
        "priority": (_("Priority"), dict(Priority.choices)),
        "channel": (_("Channel"), dict(Channel.choices)),
        "type": (_("Type"), dict(TicketType.choices)),
    }
    out = []
    for key, (label, choices) in labels.items():
        if conditions.get(key):
            values = ", ".join(str(choices.get(v, v)) for v in conditions[key])
            out.append(f"{label}: {values}")
    for key, label in (
        ("team_id", _("Team")),
        ("brand_id", _("Brand")),
        ("organization_id", _("Organization")),
    ):
        if conditions.get(key):
            known = names.get(key, {})
            values = ", ".join(known.get(int(v), f"#{v}") for v in conditions[key])
            out.append(f"{label}: {values}")
    if conditions.get("tags_any"):
        out.append(_("Any tag of: %(tags)s") % {"tags": ", ".join(conditions["tags_any"])})
    if conditions.get("tags_all"):
        out.append(_("All tags of: %(tags)s") % {"tags": ", ".join(conditions["tags_all"])})
    for key, values in (conditions.get("custom_fields") or {}).items():
        out.append(f"{key}: {', '.join(str(v) for v in values)}")
    return out


def condition_names(policies: Iterable[SlaPolicy]) -> dict[str, dict[int, str]]:
    """The names of the teams, brands and organizations the policies' conditions name."""
    wanted: dict[str, set[int]] = {"team_id": set(), "brand_id": set(), "organization_id": set()}
    for policy in policies:
        for key, ids in wanted.items():
            ids.update(int(v) for v in (policy.conditions or {}).get(key) or [])
    models: dict[str, type[Team | Brand | Organization]] = {
        "team_id": Team,
        "brand_id": Brand,
        "organization_id": Organization,
    }
    return {
        key: dict(models[key].objects.filter(pk__in=ids).values_list("pk", "name"))
        for key, ids in wanted.items()
        if ids
    }


@dataclass(frozen=True)
class PolicyRow:
    policy: SlaPolicy
    conditions: list[str]
    targets: int
    order_up: list[int]  # the whole order with this policy one place up (empty at the top)
    order_down: list[int]


@require_GET
@people_manager_page
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = list(SlaPolicy.objects.select_related("calendar").order_by("position", "id"))
    counts: dict[int, int] = dict(
        SlaTarget.objects.filter(policy__in=policies)
        .values("policy_id")
        .annotate(n=Count("id"))
        .values_list("policy_id", "n")
    )
    names = condition_names(policies)
    ids = [p.pk for p in policies]
    rows = []
    for index, policy in enumerate(policies):
        up: list[int] = []
        down: list[int] = []
        if index > 0:
            up = [*ids[: index - 1], ids[index], ids[index - 1], *ids[index + 1 :]]
        if index < len(ids) - 1:
            down = [*ids[:index], ids[index + 1], ids[index], *ids[index + 2 :]]
        described = describe_conditions(policy.conditions or {}, names)
        rows.append(PolicyRow(policy, described, counts.get(policy.pk, 0), up, down))
    return render_page(request, "sla/settings_policies.html", {"rows": rows})


def _editor_context(form: PolicyForm, policy: SlaPolicy | None) -> dict[str, Any]:
    start, end = default_period()
    return {
        "form": form,
        "policy": policy,
        "grid": form.grid(),
        "priorities": Priority.choices,
        "metrics": Metric.choices,
        "what_if_start": start.isoformat(),
        "what_if_end": end.isoformat(),
    }


@require_http_methods(["GET", "POST"])
@people_manager_page
def policy_create(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                policy = policy_actions.do_create_policy(
                    actor=current_user(request), **form.action_values()
                )
            except DoumError as error:
                status = add_action_error(form, error, POLICY_ACTION_FIELDS)
            else:
                messages.success(
                    request, _("The SLA policy “%(name)s” exists now.") % {"name": policy.name}
                )
                return redirect_to(request, reverse("settings:sla_policy", args=[policy.pk]))
    else:
        form = PolicyForm(initial=new_policy_initial())
    return render_page(
        request, "sla/settings_policy.html", _editor_context(form, None), status=status
    )


@require_http_methods(["GET", "POST"])
@people_manager_page
def policy_detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    viewer = current_user(request)
    policy = access_policy(policy_id)
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                policy_actions.do_update_policy(policy, actor=viewer, **form.action_values())
            except DoumError as error:
                status = add_action_error(form, error, POLICY_ACTION_FIELDS)
                policy = access_policy(policy_id)
            else:
                messages.success(request, _("Saved."))
                return redirect_to(request, reverse("settings:sla_policy", args=[policy.pk]))
    else:
        form = PolicyForm(initial=policy_initial(policy))
    return render_page(
        request, "sla/settings_policy.html", _editor_context(form, policy), status=status
    )


def _set_active(request: HttpRequest, policy_id: int, *, active: bool) -> HttpResponse:
    viewer = current_user(request)
    policy = access_policy(policy_id)
    if active:
        policy_actions.do_activate_policy(policy, actor=viewer)
        message = _("The SLA policy “%(name)s” applies to matching tickets again.")
    else:
        policy_actions.do_deactivate_policy(policy, actor=viewer)
        message = _("The SLA policy “%(name)s” is deactivated: no ticket matches it now.")
    messages.success(request, message % {"name": policy.name})
    return redirect_to(request, reverse("settings:sla_policies"))


@people_manager_page
@require_POST
def policy_activate(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _set_active(request, policy_id, active=True)


@people_manager_page
@require_POST
def policy_deactivate(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _set_active(request, policy_id, active=False)


@people_manager_page
@require_POST
def policy_reorder(request: HttpRequest) -> HttpResponse:
    try:
        policy_actions.do_reorder_policies(
            actor=current_user(request), policy_ids=request.POST.getlist("order")
        )
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The order of the SLA policies is saved."))
    return redirect_to(request, reverse("settings:sla_policies"))


@people_manager_page
@require_POST
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = access_policy(policy_id)
    try:
        policy_actions.do_delete_policy(policy, actor=current_user(request))
    except InvalidInput as error:  # rules still apply it
        messages.error(request, error.message)
        return redirect_to(request, reverse("settings:sla_policy", args=[policy.pk]))
    messages.success(request, _("The SLA policy “%(name)s” is deleted.") % {"name": policy.name})
    return redirect_to(request, reverse("settings:sla_policies"))


urlpatterns: list[URLPattern] = [
    path("sla/policies/", policy_list, name="sla_policies"),
    path("sla/policies/new/", policy_create, name="sla_policy_create"),
    path("sla/policies/reorder/", policy_reorder, name="sla_policy_reorder"),
    path("sla/policies/<int:policy_id>/", policy_detail, name="sla_policy"),
    path("sla/policies/<int:policy_id>/activate/", policy_activate, name="sla_policy_activate"),
    path(
        "sla/policies/<int:policy_id>/deactivate/",
        policy_deactivate,
        name="sla_policy_deactivate",
    ),
    path("sla/policies/<int:policy_id>/delete/", policy_delete, name="sla_policy_delete"),
]
