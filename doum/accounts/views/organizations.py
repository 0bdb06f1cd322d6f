"""Organization pages: the list, one organization (domains, notes, custom fields, members,
its tickets and one timeline), and its edit. Staff only; customers are sent to the portal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.accounts import actions, crm, roles
from doum.accounts.models import Organization, User
from doum.accounts.selectors import access_organization, visible_users
from doum.accounts.views.forms import clean_notes, custom_field_input, errors_by_field
from doum.accounts.views.people import QUERY_MAX, page_number
from doum.core.errors import DoumError, Forbidden
from doum.core.web import current_user, redirect_to, render_page, staff_page
from doum.tickets.custom_fields import clean_values
from doum.tickets.models import CustomField
from doum.tickets.selectors import visible_tickets

MEMBERS_SHOWN = 50
TICKETS_SHOWN = 20
DOMAINS_MAX = 2_000


@require_GET
@staff_page
def organizations(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    query = request.GET.get("q", "")[:QUERY_MAX]
    paginator = Paginator(crm.search_organizations(viewer, query), crm.PAGE_SIZE)
    page = paginator.get_page(page_number(request))
    context = {
        "query": query,
        "page": page,
        "organizations": list(page.object_list),
        "section": "organizations",
    }
    return render_page(
        request,
        "accounts/organizations.html",
        context,
        fragment="accounts/organizations_results.html",
    )


def _context(request: HttpRequest, viewer: User, org: Organization) -> dict[str, Any]:
    cursor = request.GET.get("before") or None
    members = visible_users(viewer).filter(organization=org).order_by("name", "id")
    return {
        "organization": org,
        "domains": [d.domain for d in org.domains.order_by("domain")],
        "fields": crm.field_rows(CustomField.AppliesTo.ORGANIZATION, org.custom_fields),
        "members": list(members[:MEMBERS_SHOWN]),
        "member_count": members.count(),
        "tickets": list(
            visible_tickets(viewer)
            .filter(organization=org, is_spam=False)
            .select_related("requester")
            .order_by("-created_at", "-id")[:TICKETS_SHOWN]
        ),
        "counts": crm.ticket_counts(viewer, Q(organization_id=org.pk)),
        "timeline": crm.organization_timeline(viewer, org, cursor),
        "timeline_url": reverse("accounts:organization", args=[org.pk]),
        "can_edit": viewer.role in roles.EDITS_CUSTOMERS,
        "can_manage": viewer.role in roles.MANAGES_PEOPLE,
        "errors": {},
        "section": "organizations",
    }


@require_GET
@staff_page
def organization(request: HttpRequest, org_id: int) -> HttpResponse:
    viewer = current_user(request)
    org = access_organization(viewer, org_id)
    return render_page(
        request,
        "accounts/organization.html",
        _context(request, viewer, org),
        fragment="accounts/people_timeline.html",
    )


@require_POST
@staff_page
def organization_update(request: HttpRequest, org_id: int) -> HttpResponse:
    """Notes and custom fields (staff who edit customers); domains and whether members share
    tickets (managers and admins)."""
    viewer = current_user(request)
    org = access_organization(viewer, org_id)
    rows = crm.field_rows(CustomField.AppliesTo.ORGANIZATION, org.custom_fields)
    raw = custom_field_input(rows, request.POST)
    changes: dict[str, Any] = {}
    try:
        if viewer.role not in roles.EDITS_CUSTOMERS:
            raise Forbidden(_("Your role may not edit organizations."))
        if "notes" in request.POST:
            changes["notes"] = clean_notes(request.POST["notes"])
        if raw:
            definitions = {r.key: r.definition for r in rows}
            merged = {**org.custom_fields, **clean_values(raw, definitions, customer=False)}
            changes["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
        manager_fields = {"domains", "shared_tickets__present"} & set(request.POST)
        if manager_fields and viewer.role not in roles.MANAGES_PEOPLE:
            raise Forbidden(_("Only managers and admins may change domains and ticket sharing."))
        if "domains" in request.POST:
            text = request.POST["domains"][:DOMAINS_MAX]
            changes["domains"] = [d for d in text.replace(",", " ").split() if d]
        if "shared_tickets__present" in request.POST:
            changes["shared_tickets"] = request.POST.get("shared_tickets") == "on"
        if changes:
            actions.do_update_organization(org, actor=viewer, changes=changes)
    except DoumError as error:
        if error.status_code in (403, 404):
            raise
        context = _context(request, viewer, org)
        known = {"notes", "domains", *(f"cf_{r.key}" for r in rows)}
        context["errors"] = errors_by_field(error, known)
        context["posted"] = request.POST
        context["fields"] = [crm.FieldRow(r.definition, raw.get(r.key, r.value)) for r in rows]
        return render_page(
            request, "accounts/organization.html", context,
            fragment="accounts/organization_details.html", status=400,
        )  # fmt: skip
    messages.success(request, _("Saved."))
    return redirect_to(request, reverse("accounts:organization", args=[org.pk]))


urlpatterns: list[URLPattern] = [
    path("organizations/", organizations, name="organizations"),
    path("organizations/<int:org_id>/", organization, name="organization"),
    path("organizations/<int:org_id>/edit", organization_update, name="organization_update"),
]
