"""Allowed hosts (/settings/webhooks/allowed-hosts/): the hosts whose webhooks may reach
loopback, private or link-local addresses and use plain http. The hosts named by the
DOUM_WEBHOOK_ALLOWED_HOSTS setting are listed too (read-only). Admins only; audited."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from doum.core.errors import DoumError
from doum.core.web import admin_page, current_user, redirect_to, render_page
from doum.webhooks import actions, selectors
from doum.webhooks.views.forms import AllowedHostForm, add_action_error


@require_http_methods(["GET", "POST"])
@admin_page
def allowed_hosts(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = AllowedHostForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                row = actions.do_add_allowed_host(
                    actor=current_user(request),
                    host=form.cleaned_data["host"],
                    note=form.cleaned_data["note"],
                )
            except DoumError as error:
                status = add_action_error(form, error)
            else:
                messages.success(
                    request, _("Webhooks to %(host)s are allowed now.") % {"host": row.host}
                )
                return redirect_to(request, reverse("settings:webhook_allowed_hosts"))
    else:
        form = AllowedHostForm()
    context = {
        "form": form,
        "rows": selectors.allowed_host_rows(),
        "setting_hosts": selectors.setting_hosts(),
    }
    return render_page(request, "webhooks/settings_allowed_hosts.html", context, status=status)


@admin_page
@require_POST
def allowed_host_remove(request: HttpRequest, allowed_id: int) -> HttpResponse:
    viewer = current_user(request)
    row = selectors.access_allowed_host(viewer, allowed_id)
    actions.do_remove_allowed_host(row.pk, actor=viewer)
    messages.success(
        request,
        _("%(host)s is no longer allowed; its webhooks are refused if it resolves to a private "
          "address.") % {"host": row.host},
    )  # fmt: skip
    return redirect_to(request, reverse("settings:webhook_allowed_hosts"))


urlpatterns: list[URLPattern] = [
    path("webhooks/allowed-hosts/", allowed_hosts, name="webhook_allowed_hosts"),
    path(
        "webhooks/allowed-hosts/<int:allowed_id>/remove/",
        allowed_host_remove,
        name="webhook_allowed_host_remove",
    ),
]
