"""Macro pages: shared macros under Settings › Macros (managers and admins) and each agent's
personal macros under /automation/macros/ (agents who may change tickets). Both scopes use
the same views; `Scope` says which macros, guard and URL names apply."""

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
from doum.automation import actions, selectors
from doum.automation.models import Macro
from doum.automation.views.forms import MacroForm, MoveForm, add_action_error, macro_initial
from doum.automation.views.reference import reference_context
from doum.core.errors import DoumError, InvalidInput
from doum.core.web import View, current_user, redirect_to, render_page, staff_page_for


@dataclass(frozen=True)
class Scope:
    namespace: str  # "settings" (shared) or "automation" (personal)
    shared: bool
    title: str | Promise
    guard: Callable[[View], View]
    access: Callable[[User, int], Macro]

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def rows(self, user: User) -> list[Macro]:
        found = selectors.shared_macros() if self.shared else selectors.personal_macros(user)
        return list(found)


SHARED = Scope(
    namespace="settings",
    shared=True,
    title=gettext_lazy("Shared macros"),
    guard=staff_page_for(roles.MANAGES_PEOPLE),
    access=selectors.access_shared_macro,
)
PERSONAL = Scope(
    namespace="automation",
    shared=False,
    title=gettext_lazy("My macros"),
    guard=staff_page_for(roles.EDITS_TICKETS),
    access=selectors.access_personal_macro,
)


def _list(scope: Scope) -> Callable[[HttpRequest], HttpResponse]:
    @require_GET
    @scope.guard
    def view(request: HttpRequest) -> HttpResponse:
        user = current_user(request)
        context: dict[str, Any] = {"scope": scope, "macros": scope.rows(user), "current": "macros"}
        if not scope.shared:
            context["shared_macros"] = [m for m in selectors.shared_macros() if m.is_active]
        return render_page(request, "automation/macros.html", context)

    return view


def _create(scope: Scope) -> Callable[[HttpRequest], HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @scope.guard
    def view(request: HttpRequest) -> HttpResponse:
        status = 200
        if request.method == "POST":
            form = MacroForm(request.POST)
            status = 400
            if form.is_valid():
                try:
                    macro = actions.do_create_macro(
                        actor=current_user(request), shared=scope.shared, **form.action_values()
                    )
                except DoumError as error:
                    status = add_action_error(form, error)
                else:
                    messages.success(request, _("Saved “%(name)s”.") % {"name": macro.name})
                    return redirect_to(request, scope.url("macros"))
        else:
            form = MacroForm()
        context = {"scope": scope, "form": form, "macro": None, **reference_context("macro")}
        return render_page(request, "automation/macro_form.html", context, status=status)

    return view


def _detail(scope: Scope) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @scope.guard
    def view(request: HttpRequest, macro_id: int) -> HttpResponse:
        viewer = current_user(request)
        macro = scope.access(viewer, macro_id)
        status = 200
        if request.method == "POST":
            form = MacroForm(request.POST)
            status = 400
            if form.is_valid():
                try:
                    actions.do_update_macro(macro, actor=viewer, **form.action_values())
                except DoumError as error:
                    status = add_action_error(form, error)
                else:
                    messages.success(request, _("Saved “%(name)s”.") % {"name": macro.name})
                    return redirect_to(request, scope.url("macro", macro.pk))
        else:
            form = MacroForm(initial=macro_initial(macro))
        context = {"scope": scope, "form": form, "macro": macro, **reference_context("macro")}
        return render_page(request, "automation/macro_form.html", context, status=status)

    return view


def _move(scope: Scope) -> Callable[[HttpRequest, int], HttpResponse]:
    @scope.guard
    @require_POST
    def view(request: HttpRequest, macro_id: int) -> HttpResponse:
        viewer = current_user(request)
        macro = scope.access(viewer, macro_id)
        form = MoveForm(request.POST)
        if not form.is_valid():
            raise InvalidInput(_("Move up or down."), field="direction")
        actions.do_move_macro(macro, actor=viewer, direction=form.cleaned_data["direction"])
        return redirect_to(request, scope.url("macros"))

    return view


def _active(scope: Scope) -> Callable[[HttpRequest, int], HttpResponse]:
    @scope.guard
    @require_POST
    def view(request: HttpRequest, macro_id: int) -> HttpResponse:
        viewer = current_user(request)
        macro = scope.access(viewer, macro_id)
        active = request.POST.get("active") == "1"
        actions.do_set_macro_active(macro, actor=viewer, active=active)
        if active:
            messages.success(request, _("“%(name)s” is active.") % {"name": macro.name})
        else:
            messages.success(request, _("“%(name)s” is deactivated.") % {"name": macro.name})
        return redirect_to(request, scope.url("macros"))

    return view


def _delete(scope: Scope) -> Callable[[HttpRequest, int], HttpResponse]:
    @scope.guard
    @require_POST
    def view(request: HttpRequest, macro_id: int) -> HttpResponse:
        viewer = current_user(request)
        macro = scope.access(viewer, macro_id)
        name = macro.name
        actions.do_delete_macro(macro, actor=viewer)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": name})
        return redirect_to(request, scope.url("macros"))

    return view


def patterns(scope: Scope) -> list[URLPattern]:
    return [
        path("macros/", _list(scope), name="macros"),
        path("macros/new/", _create(scope), name="macro_create"),
        path("macros/<int:macro_id>/", _detail(scope), name="macro"),
        path("macros/<int:macro_id>/move/", _move(scope), name="macro_move"),
        path("macros/<int:macro_id>/active/", _active(scope), name="macro_active"),
        path("macros/<int:macro_id>/delete/", _delete(scope), name="macro_delete"),
    ]


settings_urlpatterns: list[URLPattern] = patterns(SHARED)
personal_urlpatterns: list[URLPattern] = patterns(PERSONAL)
