"""Ticket settings pages: custom field definitions (/settings/fields/…) here, tags
(/settings/tags/…) in settings_tags.py. Managers and admins only; the actions in
field_definitions.py and tag_actions.py check that again and write the audit rows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from doum.core.errors import DoumError, NotFound
from doum.core.web import current_user, people_manager_page, redirect_to, render_page
from doum.tickets import field_definitions
from doum.tickets.field_definitions import WITH_OPTIONS
from doum.tickets.models import CustomField
from doum.tickets.views.settings_forms import (
    EditFieldForm,
    NewFieldForm,
    add_action_error,
    format_options,
)
from doum.tickets.views.settings_tags import urlpatterns as tag_urlpatterns


def custom_fields(applies_to: str = "") -> QuerySet[CustomField]:
    qs = CustomField.objects.order_by("applies_to", "position", "id")
    return qs.filter(applies_to=applies_to) if applies_to else qs


def access_custom_field(field_id: int) -> CustomField:
    """Field definitions are not secret to the staff who may open these pages."""
    field = CustomField.objects.filter(pk=field_id).first()
    if field is None:
        raise NotFound(_("No such custom field."))
    return field


@require_GET
@people_manager_page
def fields(request: HttpRequest) -> HttpResponse:
    applies_to = request.GET.get("applies_to", "")
    if applies_to not in CustomField.AppliesTo.values:
        applies_to = ""
    tabs = [{"value": "", "label": _("All")}] + [
        {"value": value, "label": label} for value, label in CustomField.AppliesTo.choices
    ]
    context = {"fields": custom_fields(applies_to), "applies_to": applies_to, "tabs": tabs}
    return render_page(
        request, "tickets/settings_fields.html", context,
        fragment="tickets/settings_fields_list.html",
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@people_manager_page
def field_create(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    status = 200
    if request.method == "POST":
        form = NewFieldForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                field = field_definitions.do_create_custom_field(
                    actor=viewer,
                    key=data["key"],
                    label=data["label"],
                    label_ko=data["label_ko"],
                    field_type=data["field_type"],
                    applies_to=data["applies_to"],
                    options=data["options"],
                    required_on_solve=data["required_on_solve"],
                    visible_to_customers=data["visible_to_customers"],
                    editable_by_customers=data["editable_by_customers"],
                    max_length=data["max_length"],
                    position=data["position"],
                )
            except DoumError as error:
                status = add_action_error(form, error)
            else:
                messages.success(
                    request, _("The field “%(label)s” exists now.") % {"label": field.label}
                )
                return redirect_to(
                    request, reverse("settings:fields") + f"?applies_to={field.applies_to}"
                )
    else:
        applies_to = request.GET.get("applies_to", CustomField.AppliesTo.TICKET)
        form = NewFieldForm(initial={"applies_to": applies_to})
    context = {"form": form, "with_options": sorted(WITH_OPTIONS)}
    return render_page(request, "tickets/settings_field_new.html", context, status=status)


def _initial(field: CustomField) -> dict[str, Any]:
    return {
        "label": field.label,
        "label_ko": field.label_ko,
        "options": format_options(field.options if isinstance(field.options, list) else []),
        "required_on_solve": field.required_on_solve,
        "visible_to_customers": field.visible_to_customers,
        "editable_by_customers": field.editable_by_customers,
        "max_length": field.max_length,
        "position": field.position,
        "is_active": field.is_active,
    }


@require_http_methods(["GET", "POST"])
@people_manager_page
def field_detail(request: HttpRequest, field_id: int) -> HttpResponse:
    viewer = current_user(request)
    field = access_custom_field(field_id)
    status = 200
    if request.method == "POST":
        form = EditFieldForm(request.POST)
        status = 400
        if form.is_valid():
            current = _initial(field)
            current["options"] = field.options
            changes = {
                key: value
                for key, value in form.cleaned_data.items()
                if value != current[key]
                and (key != "options" or field.field_type in WITH_OPTIONS or value)
            }
            try:
                if changes:
                    field_definitions.do_update_custom_field(field, actor=viewer, changes=changes)
            except DoumError as error:
                status = add_action_error(form, error)
                field = access_custom_field(field_id)
            else:
                messages.success(request, _("Saved."))
                return redirect_to(request, reverse("settings:field", args=[field.pk]))
    else:
        form = EditFieldForm(initial=_initial(field))
    context = {"form": form, "field": field, "has_options": field.field_type in WITH_OPTIONS}
    return render_page(request, "tickets/settings_field_edit.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("fields/", fields, name="fields"),
    path("fields/new/", field_create, name="field_create"),
    path("fields/<int:field_id>/", field_detail, name="field"),
    *tag_urlpatterns,
]
