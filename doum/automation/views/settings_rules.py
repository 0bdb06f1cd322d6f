"""Settings › Triggers and Settings › Automations (managers and admins): the ordered list
with fire counts, a new rule, one rule's form, and one POST endpoint each for moving,
activating/deactivating and deleting. Triggers and automations share these views; `KINDS`
says which model, actions and URL names each uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts import roles
from doum.accounts.models import User
from doum.automation import actions, conditions, selectors
from doum.automation.effects import TargetNames, describe_effects, target_names
from doum.automation.models import Automation, Trigger
from doum.automation.views.forms import MoveForm, RuleForm, add_action_error, rule_initial
from doum.automation.views.reference import reference_context
from doum.core.errors import DoumError, InvalidInput
from doum.core.web import current_user, redirect_to, render_page, staff_page_for

manager_page = staff_page_for(roles.MANAGES_PEOPLE)


@dataclass(frozen=True)
class Kind:
    key: str  # "trigger" or "automation"
    title: str | Promise
    singular: str | Promise
    intro: str | Promise
    access: Callable[[User, int], Any]
    rows: Callable[[], Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    set_active: Callable[..., Any]
    delete: Callable[..., Any]
    move: Callable[..., Any]

    def url(self, suffix: str = "", *args: Any) -> str:
        name = f"settings:{self.key}s" if not suffix else f"settings:{self.key}_{suffix}"
        return reverse(name, args=args)

    def detail_url(self, pk: int) -> str:
        return reverse(f"settings:{self.key}", args=[pk])


TRIGGERS = Kind(
    key="trigger",
    title=gettext_lazy("Triggers"),
    singular=gettext_lazy("trigger"),
    intro=gettext_lazy(
        "Triggers run right after a ticket is created or changed, in this order. When a "
        "trigger changes the ticket, the triggers that have not fired yet are checked again; "
        "each fires at most once per change."
    ),
    access=selectors.access_trigger,
    rows=selectors.triggers_in_order,
    create=actions.do_create_trigger,
    update=actions.do_update_trigger,
    set_active=actions.do_set_trigger_active,
    delete=actions.do_delete_trigger,
    move=actions.do_move_trigger,
)
AUTOMATIONS = Kind(
    key="automation",
    title=gettext_lazy("Automations"),
    singular=gettext_lazy("automation"),
    intro=gettext_lazy(
        "Automations run every hour over tickets that are not closed, in this order. Each "
        "needs a time condition, and a condition its own effects make false (for example "
        "“status is solved” with the effect “set status to closed”); it fires at most once "
        "per ticket for each period its time conditions count from."
    ),
    access=selectors.access_automation,
    rows=selectors.automations_in_order,
    create=actions.do_create_automation,
    update=actions.do_update_automation,
    set_active=actions.do_set_automation_active,
    delete=actions.do_delete_automation,
    move=actions.do_move_automation,
)


def _summary(rule: Trigger | Automation, names: TargetNames) -> dict[str, Any]:
    return {
        "rule": rule,
        "conditions": conditions.describe(conditions.conditions_of(rule.conditions)),
        "effects": describe_effects(list(rule.effects), names),
    }


def _list(kind: Kind) -> Callable[[HttpRequest], HttpResponse]:
    @require_GET
    @manager_page
    def view(request: HttpRequest) -> HttpResponse:
        rules = list(kind.rows())
        names = target_names(list(r.effects) for r in rules)
        rows = [_summary(r, names) for r in rules]
        context = {"kind": kind, "rows": rows, "current": f"{kind.key}s"}
        return render_page(request, "automation/settings_rules.html", context)

    return view


def _create(kind: Kind) -> Callable[[HttpRequest], HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @manager_page
    def view(request: HttpRequest) -> HttpResponse:
        status = 200
        if request.method == "POST":
            form = RuleForm(request.POST)
            status = 400
            if form.is_valid():
                try:
                    rule = kind.create(actor=current_user(request), **form.action_values())
                except DoumError as error:
                    status = add_action_error(form, error)
                else:
                    messages.success(request, _("Saved “%(name)s”.") % {"name": rule.name})
                    return redirect_to(request, kind.url())
        else:
            form = RuleForm(initial={"conditions": _starter(kind), "effects": "[]"})
        context = {"kind": kind, "form": form, "rule": None, **reference_context(kind.key)}
        return render_page(request, "automation/settings_rule_form.html", context, status=status)

    return view


def _starter(kind: Kind) -> str:
    if kind.key == "automation":
        return (
            '{\n  "all": [\n    {"field": "status", "op": "is", "value": ["solved"]},\n'
            '    {"field": "hours_since_solved", "op": "greater_than", "value": 96}\n  ],\n'
            '  "any": []\n}'
        )
    return (
        '{\n  "all": [\n    {"field": "update_type", "op": "is", "value": "created"}\n  ],\n'
        '  "any": []\n}'
    )


def _detail(kind: Kind) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @manager_page
    def view(request: HttpRequest, rule_id: int) -> HttpResponse:
        viewer = current_user(request)
        rule = kind.access(viewer, rule_id)
        status = 200
        if request.method == "POST":
            form = RuleForm(request.POST)
            status = 400
            if form.is_valid():
                try:
                    kind.update(rule, actor=viewer, **form.action_values())
                except DoumError as error:
                    status = add_action_error(form, error)
                else:
                    messages.success(request, _("Saved “%(name)s”.") % {"name": rule.name})
                    return redirect_to(request, kind.detail_url(rule.pk))
        else:
            form = RuleForm(initial=rule_initial(rule))
        context = {"kind": kind, "form": form, "rule": rule, **reference_context(kind.key)}
        return render_page(request, "automation/settings_rule_form.html", context, status=status)

    return view


def _move(kind: Kind) -> Callable[[HttpRequest, int], HttpResponse]:
    @manager_page
    @require_POST
    def view(request: HttpRequest, rule_id: int) -> HttpResponse:
        viewer = current_user(request)
        rule = kind.access(viewer, rule_id)
        form = MoveForm(request.POST)
        if not form.is_valid():
            raise InvalidInput(_("Move up or down."), field="direction")
        kind.move(rule, actor=viewer, direction=form.cleaned_data["direction"])
        return redirect_to(request, kind.url())

    return view


def _active(kind: Kind) -> Callable[[HttpRequest, int], HttpResponse]:
    @manager_page
    @require_POST
    def view(request: HttpRequest, rule_id: int) -> HttpResponse:
        viewer = current_user(request)
        rule = kind.access(viewer, rule_id)
        active = request.POST.get("active") == "1"
        kind.set_active(rule, actor=viewer, active=active)
        if active:
            messages.success(request, _("“%(name)s” is active.") % {"name": rule.name})
        else:
            messages.success(request, _("“%(name)s” is deactivated.") % {"name": rule.name})
        return redirect_to(request, kind.url())

    return view


def _delete(kind: Kind) -> Callable[[HttpRequest, int], HttpResponse]:
    @manager_page
    @require_POST
    def view(request: HttpRequest, rule_id: int) -> HttpResponse:
        viewer = current_user(request)
        rule = kind.access(viewer, rule_id)
        name = rule.name
        kind.delete(rule, actor=viewer)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": name})
        return redirect_to(request, kind.url())

    return view


def _patterns(kind: Kind) -> list[URLPattern]:
    k = kind.key
    return [
        path(f"{k}s/", _list(kind), name=f"{k}s"),
        path(f"{k}s/new/", _create(kind), name=f"{k}_create"),
        path(f"{k}s/<int:rule_id>/", _detail(kind), name=k),
        path(f"{k}s/<int:rule_id>/move/", _move(kind), name=f"{k}_move"),
        path(f"{k}s/<int:rule_id>/active/", _active(kind), name=f"{k}_active"),
        path(f"{k}s/<int:rule_id>/delete/", _delete(kind), name=f"{k}_delete"),
    ]


urlpatterns: list[URLPattern] = [*_patterns(TRIGGERS), *_patterns(AUTOMATIONS)]
