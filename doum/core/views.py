"""The landing page and a health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from doum.accounts import roles
from doum.core.web import current_user, people_manager_page, staff_page
from doum.tickets.models import UNSOLVED_STATUSES
from doum.tickets.selectors import visible_tickets


@require_GET
@staff_page
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    tickets = visible_tickets(user)
    context = {
        "unsolved": tickets.filter(status__in=UNSOLVED_STATUSES).count(),
        "mine": tickets.filter(assignee=user, status__in=UNSOLVED_STATUSES).count()
        if user.is_agent
        else None,
    }
    return render(request, "core/home.html", context)


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3 document of /api/v1 (also served there by ninja)."""
    from doum.api.api import api

    return JsonResponse(
        api.get_openapi_schema(path_prefix="/api/v1/"), json_dumps_params={"ensure_ascii": False}
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


# (url name, title, what it is for) — pages an app does not install are left out.
SETTINGS_SECTIONS = (
    ("settings:users", _("People and roles"), _("Agents, their roles, and deactivation.")),
    ("settings:teams", _("Teams"), _("Teams, their leads and members.")),
    ("settings:fields", _("Custom fields"), _("Fields on tickets, customers and organizations.")),
    ("settings:tags", _("Tags"), _("Rename, merge and remove tags.")),
    ("tickets:views_manage", _("Views"), _("Shared ticket views: conditions, columns, order.")),
    ("settings:mailboxes", _("Mailboxes"), _("Support addresses, their brand and team, IMAP.")),
    ("settings:mail_failed", _("Failed mail"), _("Mail that made no ticket: retry or dismiss.")),
    ("settings:mail_outbound", _("Outbound mail log"), _("What Doum sent, and what failed.")),
    ("settings:mail_templates", _("Mail templates"), _("The mail Doum sends, in each language.")),
    ("settings:calendars", _("Business calendars"), _("Business hours, holidays, partial days.")),
    ("settings:sla_policies", _("SLA policies"), _("Targets per priority, order, what-if replay.")),
    ("settings:triggers", _("Triggers"), _("Rules that run when tickets are created or change.")),
    ("settings:automations", _("Automations"), _("Hourly rules on ticket age and waiting time.")),
    ("settings:macros", _("Macros"), _("Shared replies and actions agents apply in one click.")),
    ("settings:routing", _("Routing"), _("How each team assigns tickets; skills and capacity.")),
    ("settings:webhooks", _("Webhooks"), _("Signed ticket events sent to other systems.")),
    ("metrics:settings", _("Analytics"), _("Cost per agent hour and goals for dashboards.")),
    ("reports:scheduled", _("Scheduled reports"), _("Dashboards mailed as PDF or XLSX.")),
)
# Sections only admins may open (the others are for managers and admins).
ADMIN_SECTIONS = frozenset(
    {
        "settings:mailboxes",
        "settings:mail_failed",
        "settings:mail_outbound",
        "settings:mail_templates",
        "settings:webhooks",
    }
)


@require_GET
@people_manager_page
def settings_index(request: HttpRequest) -> HttpResponse:
    sections = []
    user = current_user(request)
    for name, title, description in SETTINGS_SECTIONS:
        if name in ADMIN_SECTIONS and user.role not in roles.ADMINISTERS:
            continue
        try:
            sections.append({"url": reverse(name), "title": title, "description": description})
        except NoReverseMatch:
            continue
    return render(request, "core/settings_index.html", {"sections": sections})
