"""Customer (CRM) pages: find a customer, one customer's page (identities, notes, custom
fields, and one timeline of their tickets and interactions), and its edits.

Organizations are in organizations.py. Staff only; customers are sent to the portal.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.accounts import actions, crm, roles
from doum.accounts.models import Identity, User
from doum.accounts.selectors import access_user
from doum.accounts.views.forms import (
    clean_notes,
    custom_field_input,
    errors_by_field,
)
from doum.core.errors import DoumError, Forbidden, InvalidInput, NotFound
from doum.core.web import current_user, redirect_to, render_page, staff_page
from doum.tickets.custom_fields import clean_values
from doum.tickets.models import CustomField

QUERY_MAX = 200


def new_ticket_url(requester_id: int) -> str:
    try:
        base = reverse("tickets:new")
    except NoReverseMatch:
        base = "/tickets/new"
    return f"{base}?requester={requester_id}"


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 else 1


@require_GET
@staff_page
def people(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    query = request.GET.get("q", "")[:QUERY_MAX]
    paginator = Paginator(crm.search_customers(viewer, query), crm.PAGE_SIZE)
    page = paginator.get_page(page_number(request))
    context = {
        "query": query,
        "page": page,
        "people": list(page.object_list),
        "can_create_tickets": viewer.role in roles.EDITS_TICKETS,
        "section": "people",
    }
    return render_page(
        request, "accounts/people.html", context, fragment="accounts/people_results.html"
    )


def _person_context(request: HttpRequest, viewer: User, person: User) -> dict[str, Any]:
    cursor = request.GET.get("before") or None
    return {
        "person": person,
        "identities": list(person.identities.order_by("-is_primary", "kind", "id")),
        "identity_kinds": Identity.Kind.choices,
        "fields": crm.field_rows(CustomField.AppliesTo.USER, person.custom_fields),
        "counts": crm.ticket_counts(viewer, Q(requester_id=person.pk)),
        "timeline": crm.person_timeline(viewer, person, cursor),
        "timeline_url": reverse("accounts:person", args=[person.pk]),
        "can_edit": _can_edit(viewer, person),
        "can_create_tickets": viewer.role in roles.EDITS_TICKETS and person.is_active,
        "new_ticket_url": new_ticket_url(person.pk),
        "errors": {},
        "section": "people",
    }


def _can_edit(viewer: User, person: User) -> bool:
    if person.role == roles.Role.ADMIN:
        return viewer.role in roles.ADMINISTERS
    if person.is_agent:
        return viewer.role in roles.MANAGES_PEOPLE
    return viewer.role in roles.EDITS_CUSTOMERS


@require_GET
@staff_page
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    found = access_user(viewer, user_id)
    context = _person_context(request, viewer, found)
    return render_page(
        request, "accounts/person.html", context, fragment="accounts/people_timeline.html"
    )


@require_POST
@staff_page
def person_update(request: HttpRequest, user_id: int) -> HttpResponse:
    """Notes and custom fields of one person."""
    viewer = current_user(request)
    found = access_user(viewer, user_id)
    rows = crm.field_rows(CustomField.AppliesTo.USER, found.custom_fields)
    changes: dict[str, Any] = {}
    raw = custom_field_input(rows, request.POST)
    try:
        if "notes" in request.POST:
            changes["notes"] = clean_notes(request.POST["notes"])
        if raw:
            definitions = {r.key: r.definition for r in rows}
            cleaned = clean_values(raw, definitions, customer=False)
            merged = {**found.custom_fields, **cleaned}
            changes["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
        if changes:
            actions.do_update_user(found, actor=viewer, changes=changes)
    except DoumError as error:
        if error.status_code in (403, 404):
            raise
        context = _person_context(request, viewer, found)
        context["errors"] = errors_by_field(error, {"notes", *(f"cf_{r.key}" for r in rows)})
        context["posted_notes"] = request.POST.get("notes", "")
        context["fields"] = [crm.FieldRow(r.definition, raw.get(r.key, r.value)) for r in rows]
        return render_page(
            request, "accounts/person.html", context,
            fragment="accounts/person_details.html", status=400,
        )  # fmt: skip
    messages.success(request, _("Saved."))
    return redirect_to(request, reverse("accounts:person", args=[found.pk]))


@require_POST
@staff_page
def identity_add(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    found = access_user(viewer, user_id)
    kind = request.POST.get("kind", "")
    value = request.POST.get("value", "")[:300]
    try:
        if not value.strip():
            raise InvalidInput(_("Enter an address, number or handle."), field="value")
        if not _can_edit(viewer, found):
            raise Forbidden(_("Your role may not edit this person."))
        actions.do_add_identity(found, actor=viewer, kind=kind, value=value)
    except DoumError as error:
        if error.status_code in (403, 404):
            raise
        context = _person_context(request, viewer, found)
        context["identity_error"] = error.message
        context["identity_kind"] = kind
        context["identity_value"] = value
        return render_page(
            request, "accounts/person.html", context,
            fragment="accounts/person_identities.html", status=400,
        )  # fmt: skip
    messages.success(request, _("Identity added."))
    return redirect_to(request, reverse("accounts:person", args=[found.pk]))


def _identity(viewer: User, user_id: int, identity_id: int) -> tuple[User, Identity]:
    """A person the viewer may see, and one of their identities (404 for anything else)."""
    found = access_user(viewer, user_id)
    identity = found.identities.filter(pk=identity_id).first()
    if identity is None:
        raise NotFound(_("No such identity."))
    return found, identity


@require_POST
@staff_page
def identity_remove(request: HttpRequest, user_id: int, identity_id: int) -> HttpResponse:
    viewer = current_user(request)
    found, identity = _identity(viewer, user_id, identity_id)
    try:
        if not _can_edit(viewer, found):
            raise Forbidden(_("Your role may not edit this person."))
        actions.do_remove_identity(identity, actor=viewer)
    except DoumError as error:
        if error.status_code in (403, 404):
            raise
        context = _person_context(request, viewer, found)
        context["identity_error"] = error.message
        return render_page(
            request, "accounts/person.html", context,
            fragment="accounts/person_identities.html", status=400,
        )  # fmt: skip
    messages.success(request, _("Identity removed."))
    return redirect_to(request, reverse("accounts:person", args=[found.pk]))


@require_POST
@staff_page
def identity_clear_bounce(request: HttpRequest, user_id: int, identity_id: int) -> HttpResponse:
    """An agent says mail to this address works again (after it bounced)."""
    viewer = current_user(request)
    found, identity = _identity(viewer, user_id, identity_id)
    if not _can_edit(viewer, found):
        raise Forbidden(_("Your role may not edit this person."))
    actions.do_clear_bounce(identity, actor=viewer)
    messages.success(request, _("Doum will send mail to this address again."))
    return redirect_to(request, reverse("accounts:person", args=[found.pk]))


urlpatterns: list[URLPattern] = [
    path("people/", people, name="people"),
    path("people/<int:user_id>/", person, name="person"),
    path("people/<int:user_id>/edit", person_update, name="person_update"),
    path("people/<int:user_id>/identities", identity_add, name="identity_add"),
    path(
        "people/<int:user_id>/identities/<int:identity_id>/remove",
        identity_remove,
        name="identity_remove",
    ),
    path(
        "people/<int:user_id>/identities/<int:identity_id>/clear-bounce",
        identity_clear_bounce,
        name="identity_clear_bounce",
    ),
]
