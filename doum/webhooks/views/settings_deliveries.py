"""Deliveries for admins (/settings/webhooks/…): one webhook's delivery log (paged, newest
first, by status), the dead-letter list of every webhook, one delivery with its body and the
receiver's answer, and "Replay". Everything that came from a receiver is shown escaped."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.core.errors import DoumError
from doum.core.web import admin_page, current_user, query_string, redirect_to, render_page
from doum.webhooks import actions, selectors
from doum.webhooks.delivery import REPLAYABLE_STATUSES
from doum.webhooks.views.forms import DeliveryFilterForm

LOG_FRAGMENT = "webhooks/_deliveries_list.html"


def _cursor(request: HttpRequest) -> str:
    return str(request.GET.get("cursor", ""))[:60]


@require_GET
@admin_page
def delivery_log(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = selectors.access_webhook(current_user(request), webhook_id)
    form = DeliveryFilterForm(request.GET)
    status = form.status_value()
    cursor = _cursor(request)
    page = selectors.delivery_log(webhook, status=status, cursor=cursor)
    context = {
        "webhook": webhook,
        "form": form,
        "page": page,
        "list_url": reverse("settings:webhook_deliveries", args=[webhook.pk]),
        "first_query": query_string({"status": status}),
        "older_query": query_string({"status": status, "cursor": page.next_cursor}),
        "is_first_page": not cursor,
        "replayable": REPLAYABLE_STATUSES,
    }
    return render_page(request, "webhooks/settings_deliveries.html", context, fragment=LOG_FRAGMENT)


@require_GET
@admin_page
def dead_list(request: HttpRequest) -> HttpResponse:
    cursor = _cursor(request)
    page = selectors.dead_letters(cursor=cursor)
    context = {
        "page": page,
        "list_url": reverse("settings:webhook_dead"),
        "first_query": "",
        "older_query": query_string({"cursor": page.next_cursor}),
        "is_first_page": not cursor,
        "show_webhook": True,
        "replayable": REPLAYABLE_STATUSES,
    }
    return render_page(request, "webhooks/settings_dead.html", context, fragment=LOG_FRAGMENT)


@require_GET
@admin_page
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    found = selectors.access_delivery(current_user(request), delivery_id)
    payload = json.dumps(found.payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    context = {
        "delivery": found,
        "payload": payload,
        "can_replay": found.status in REPLAYABLE_STATUSES,
    }
    return render_page(request, "webhooks/settings_delivery.html", context)


@admin_page
@require_POST
def delivery_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    viewer = current_user(request)
    found = selectors.access_delivery(viewer, delivery_id)
    try:
        actions.do_replay_delivery(found.pk, actor=viewer)
    except DoumError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Delivery %(id)s is queued again; it is sent with the same id and body.")
            % {"id": found.pk},
        )
    back = reverse("settings:webhook_delivery", args=[found.pk])
    if request.POST.get("back") == "dead":
        back = reverse("settings:webhook_dead")
    return redirect_to(request, back)


urlpatterns: list[URLPattern] = [
    path("webhooks/<int:webhook_id>/deliveries/", delivery_log, name="webhook_deliveries"),
    path("webhooks/dead/", dead_list, name="webhook_dead"),
    path("webhooks/deliveries/<int:delivery_id>/", delivery_detail, name="webhook_delivery"),
    path(
        "webhooks/deliveries/<int:delivery_id>/replay/",
        delivery_replay,
        name="webhook_delivery_replay",
    ),
]
