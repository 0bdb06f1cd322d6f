"""The landing page and a health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from doum.accounts.models import User
from doum.tickets.models import UNSOLVED_STATUSES
from doum.tickets.selectors import visible_tickets


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
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
