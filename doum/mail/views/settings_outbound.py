"""The outbound mail log (/settings/mail/outbound/): what Doum sent or tried to send, newest
first, with its status, attempts, last error and why a message was suppressed. Admins only;
the bodies are not loaded (the ticket holds the conversation)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from doum.core.web import admin_page, query_string, render_page
from doum.mail import selectors
from doum.mail.views.forms import OutboundFilterForm

LIST_FRAGMENT = "mail/settings_outbound_list.html"


@require_GET
@admin_page
def outbound_log(request: HttpRequest) -> HttpResponse:
    form = OutboundFilterForm(request.GET)
    status = kind = ""
    if form.is_valid():
        status = form.cleaned_data["status"]
        kind = form.cleaned_data["kind"]
    cursor = str(request.GET.get("cursor", ""))[:60]
    page = selectors.outbound_log(status=status, kind=kind, cursor=cursor)
    context = {
        "form": form,
        "page": page,
        "older_query": query_string({"status": status, "kind": kind, "cursor": page.next_cursor}),
        "is_first_page": not cursor,
    }
    return render_page(request, "mail/settings_outbound.html", context, fragment=LIST_FRAGMENT)


urlpatterns: list[URLPattern] = [
    path("mail/outbound/", outbound_log, name="mail_outbound"),
]
