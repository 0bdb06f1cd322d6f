"""Saved views: "Save as view" from the list, the edit form, and the page that manages them.

Personal views belong to one agent (anyone else gets 404); shared views are listed for every
agent and changed by managers and admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import URLPattern, path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts.models import User
from doum.core.errors import Forbidden, InvalidInput
from doum.core.web import current_user, redirect_to, render_page, safe_next, staff_page
from doum.tickets.custom_fields import active_definitions
from doum.tickets.models import SavedView
from doum.tickets.queues import list_state
from doum.tickets.saved_views import (
    COLUMNS,
    CUSTOM_PREFIX,
    DATE_FIELDS,
    DEFAULT_COLUMNS,
    EMPTY_OPS,
    FIELD_LABELS,
    OP_LABELS,
    access_saved_view,
    can_change,
    can_manage_shared_views,
    conditions_from_filters,
    describe_condition,
    do_create_saved_view,
    do_delete_saved_view,
    do_move_saved_view,
    do_update_saved_view,
    visible_saved_views,
)
from doum.tickets.selectors import SORTS
from doum.tickets.views.list_counts import forget_counts

EMPTY_ROWS = 3
SORT_LABELS: dict[str, str | Promise] = {
    "-updated_at": gettext_lazy("Updated, newest first"),
    "updated_at": gettext_lazy("Updated, oldest first"),
    "-created_at": gettext_lazy("Created, newest first"),
    "created_at": gettext_lazy("Created, oldest first"),
    "-id": gettext_lazy("Number, highest first"),
    "id": gettext_lazy("Number, lowest first"),
    "-priority": gettext_lazy("Priority, urgent first"),
    "priority": gettext_lazy("Priority, low first"),
    "status": gettext_lazy("Status, new first"),
    "-status": gettext_lazy("Status, closed first"),
    "sla_next_deadline": gettext_lazy("Next SLA deadline, soonest first"),
    "-sla_next_deadline": gettext_lazy("Next SLA deadline, latest first"),
}


def _list_url(view: SavedView) -> str:
    return reverse("tickets:list") + f"?view={view.key}"


# --- the form ---------------------------------------------------------------------------------


@dataclass
class ConditionRow:
    field: str
    op: str
    value: str


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(conditions: list[dict[str, Any]]) -> list[ConditionRow]:
    rows = [ConditionRow(c["field"], c["op"], _value_text(c.get("value"))) for c in conditions]
    return rows + [ConditionRow("", "", "") for _ in range(EMPTY_ROWS)]


def conditions_from_form(post: QueryDict) -> list[dict[str, Any]]:
    """The condition rows of the edit form as raw conditions (validated by the action)."""
    fields = post.getlist("cond_field")
    ops = post.getlist("cond_op")
    values = post.getlist("cond_value")
    out: list[dict[str, Any]] = []
    for index, field in enumerate(fields):
        if not field:
            continue
        op = ops[index] if index < len(ops) else ""
        text = values[index].strip() if index < len(values) else ""
        value: Any
        if op in EMPTY_OPS:
            value = None
        elif field in DATE_FIELDS or field.startswith(CUSTOM_PREFIX):
            value = text
        else:
            value = [v.strip() for v in text.split(",") if v.strip()]
        out.append({"field": field, "op": op, "value": value})
    return out


def _form_context(
    user: User,
    *,
    view: SavedView | None,
    name: str,
    conditions: list[dict[str, Any]],
    columns: list[str],
    sort: str,
    shared: bool,
    error: InvalidInput | None = None,
) -> dict[str, object]:
    fields: list[tuple[str, str | Promise]] = list(FIELD_LABELS.items())
    fields += [(CUSTOM_PREFIX + key, d.label) for key, d in active_definitions().items()]
    return {
        "view": view,
        "name": name,
        "rows": _rows(conditions),
        "chosen_columns": columns,
        "all_columns": list(COLUMNS.items()),
        "sort": sort,
        "sorts": [(key, SORT_LABELS.get(key, key)) for key in SORTS],
        "shared": shared,
        "may_share": view is None and can_manage_shared_views(user),
        "field_choices": fields,
        "op_choices": list(OP_LABELS.items()),
        "error": error,
    }


def _submitted(request: HttpRequest) -> dict[str, Any]:
    return {
        "name": request.POST.get("name", ""),
        "conditions": conditions_from_form(request.POST),
        "columns": request.POST.getlist("columns"),
        "sort": request.POST.get("sort", "-updated_at"),
    }


@require_http_methods(["GET", "POST"])
@staff_page
def view_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        data = _submitted(request)
        shared = request.POST.get("shared") == "1"
        try:
            view = do_create_saved_view(actor=user, shared=shared, **data)
        except InvalidInput as error:
            context = _form_context(user, view=None, shared=shared, error=error, **data)
            return render_page(request, "tickets/views_form.html", context, status=400)
        forget_counts(user)
        messages.success(request, _("View “%(name)s” created.") % {"name": view.name})
        return redirect_to(request, _list_url(view))
    context = _form_context(
        user,
        view=None,
        name="",
        conditions=[],
        columns=list(DEFAULT_COLUMNS),
        sort="-updated_at",
        shared=request.GET.get("shared") == "1" and can_manage_shared_views(user),
    )
    return render_page(request, "tickets/views_form.html", context)


@require_http_methods(["GET", "POST"])
@staff_page
def view_edit(request: HttpRequest, view_id: int) -> HttpResponse:
    user = current_user(request)
    view = access_saved_view(user, view_id)
    if request.method == "POST":
        data = _submitted(request)
        try:
            view = do_update_saved_view(view, actor=user, **data)
        except InvalidInput as error:
            context = _form_context(user, view=view, shared=view.is_shared, error=error, **data)
            return render_page(request, "tickets/views_form.html", context, status=400)
        forget_counts(user)
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect_to(request, _list_url(view))
    if not can_change(user, view):
        raise Forbidden(_("Only managers and admins may change shared views."))
    context = _form_context(
        user,
        view=view,
        name=view.name,
        conditions=list(view.conditions),
        columns=list(view.columns),
        sort=view.sort,
        shared=view.is_shared,
    )
    return render_page(request, "tickets/views_form.html", context)


@require_POST
@staff_page
def view_save(request: HttpRequest) -> HttpResponse:
    """ "Save as view": the list's current view and filters become a personal view."""
    user = current_user(request)
    back = safe_next(request, reverse("tickets:list"))
    state = list_state(user, request.POST)
    base = state.queue.saved_view
    conditions = (
        list(base.conditions)
        if base is not None
        else conditions_from_filters(state.queue.filters, user)
    )
    conditions += conditions_from_filters(state.narrowing, user)
    columns = list(base.columns) if base is not None else list(DEFAULT_COLUMNS)
    try:
        view = do_create_saved_view(
            actor=user,
            name=request.POST.get("name", ""),
            conditions=conditions,
            columns=columns,
            sort=state.sort,
        )
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect_to(request, back)
    forget_counts(user)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect_to(request, _list_url(view))


@require_POST
@staff_page
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    user = current_user(request)
    view = access_saved_view(user, view_id)
    name = view.name
    do_delete_saved_view(view, actor=user)
    forget_counts(user)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": name})
    return redirect_to(request, safe_next(request, reverse("tickets:views_manage")))


@require_POST
@staff_page
def view_move(request: HttpRequest, view_id: int) -> HttpResponse:
    user = current_user(request)
    view = access_saved_view(user, view_id)
    do_move_saved_view(view, actor=user, direction=request.POST.get("direction", ""))
    return redirect_to(request, reverse("tickets:views_manage"))


@dataclass(frozen=True)
class ViewRow:
    view: SavedView
    conditions: list[str]


@require_GET
@staff_page
def views_manage(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    views = list(visible_saved_views(user))
    described = [ViewRow(v, [describe_condition(c) for c in v.conditions]) for v in views]
    context = {
        "personal": [r for r in described if r.view.owner_id == user.pk],
        "shared": [r for r in described if r.view.owner_id is None],
        "may_manage_shared": can_manage_shared_views(user),
    }
    return render_page(request, "tickets/views_manage.html", context)


urlpatterns: list[URLPattern] = [
    path("tickets/views/", views_manage, name="views_manage"),
    path("tickets/views/new", view_new, name="view_new"),
    path("tickets/views/save", view_save, name="view_save"),
    path("tickets/views/<int:view_id>/edit", view_edit, name="view_edit"),
    path("tickets/views/<int:view_id>/delete", view_delete, name="view_delete"),
    path("tickets/views/<int:view_id>/move", view_move, name="view_move"),
]
