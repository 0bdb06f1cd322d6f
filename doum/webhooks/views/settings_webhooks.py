"""Webhook settings (/settings/webhooks/…): the list, a new webhook, one webhook's settings,
deactivation and reactivation, its secret (shown after creation and rotation, revealed on
request: both audited), and a test ping sent at once. Admins only; the actions check that
again, validate every value and write the audit rows.

The secret is only ever in the body of a POST's answer (never in a redirect, a flash
message or a GET page), and that answer is marked `no-store`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.core.errors import DoumError
from doum.core.web import admin_page, current_user, redirect_to, render_page
from doum.webhooks import actions, delivery, selectors
from doum.webhooks.models import DeliveryStatus, Webhook
from doum.webhooks.views.forms import WebhookForm, add_action_error, webhook_initial


@require_GET
@admin_page
def webhook_list(request: HttpRequest) -> HttpResponse:
    context = {"webhooks": selectors.webhook_list(), "dead_count": selectors.dead_count()}
    return render_page(request, "webhooks/settings_webhooks.html", context)


def secret_page(request: HttpRequest, webhook: Webhook, secret: str, reason: str) -> HttpResponse:
    """The secret, once, in the answer to a POST."""
    context = {"webhook": webhook, "secret": secret, "reason": reason}
    response = render_page(request, "webhooks/settings_webhook_secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@admin_page
def webhook_create(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = WebhookForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                webhook = actions.do_create_webhook(
                    actor=current_user(request), **form.action_values()
                )
            except DoumError as error:
                status = add_action_error(form, error)
            else:
                return secret_page(request, webhook, webhook.secret, "created")
    else:
        form = WebhookForm(initial={"events": ["ticket.created", "ticket.updated",
                                               "comment.added", "ticket.solved"]})  # fmt: skip
    return render_page(request, "webhooks/settings_webhook_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def webhook_detail(request: HttpRequest, webhook_id: int) -> HttpResponse:
    viewer = current_user(request)
    webhook = selectors.access_webhook(viewer, webhook_id)
    status = 200
    if request.method == "POST":
        form = WebhookForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                actions.do_update_webhook(webhook, actor=viewer, **form.action_values())
            except DoumError as error:
                status = add_action_error(form, error)
                webhook = selectors.access_webhook(viewer, webhook_id)
            else:
                messages.success(request, _("Saved."))
                return redirect_to(request, reverse("settings:webhook", args=[webhook.pk]))
    else:
        form = WebhookForm(initial=webhook_initial(webhook))
    recent = selectors.delivery_log(webhook, limit=5).rows
    context = {"form": form, "webhook": webhook, "recent": recent}
    return render_page(request, "webhooks/settings_webhook.html", context, status=status)


def _set_active(request: HttpRequest, webhook_id: int, *, active: bool) -> HttpResponse:
    viewer = current_user(request)
    webhook = selectors.access_webhook(viewer, webhook_id)
    if active:
        actions.do_reactivate_webhook(webhook, actor=viewer)
        message = _("%(name)s sends events again.")
    else:
        actions.do_deactivate_webhook(webhook, actor=viewer)
        message = _("%(name)s is deactivated: Doum sends it nothing until it is reactivated.")
    messages.success(request, message % {"name": webhook.name})
    return redirect_to(request, reverse("settings:webhook", args=[webhook.pk]))


@admin_page
@require_POST
def webhook_deactivate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    return _set_active(request, webhook_id, active=False)


@admin_page
@require_POST
def webhook_reactivate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    return _set_active(request, webhook_id, active=True)


@admin_page
@require_POST
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    viewer = current_user(request)
    webhook = actions.do_rotate_webhook_secret(
        selectors.access_webhook(viewer, webhook_id), actor=viewer
    )
    return secret_page(request, webhook, webhook.secret, "rotated")


@admin_page
@require_POST
def webhook_reveal(request: HttpRequest, webhook_id: int) -> HttpResponse:
    viewer = current_user(request)
    webhook = selectors.access_webhook(viewer, webhook_id)
    secret = actions.do_reveal_webhook_secret(webhook, actor=viewer)
    return secret_page(request, webhook, secret, "revealed")


@admin_page
@require_POST
def webhook_ping(request: HttpRequest, webhook_id: int) -> HttpResponse:
    viewer = current_user(request)
    webhook = selectors.access_webhook(viewer, webhook_id)
    ping = actions.do_queue_test_ping(webhook, actor=viewer)
    outcome = delivery.send_delivery(ping.pk)
    row = selectors.access_delivery(viewer, ping.pk)
    if outcome == DeliveryStatus.SUCCEEDED:
        messages.success(
            request,
            _("The ping was delivered: the receiver answered %(status)s.")
            % {"status": row.response_status},
        )
    else:
        messages.error(
            request,
            _("The ping was not delivered: %(reason)s (%(detail)s).")
            % {"reason": row.get_error_kind_display(), "detail": row.error[:300]},
        )
    return redirect_to(request, reverse("settings:webhook_delivery", args=[ping.pk]))


urlpatterns: list[URLPattern] = [
    path("webhooks/", webhook_list, name="webhooks"),
    path("webhooks/new/", webhook_create, name="webhook_create"),
    path("webhooks/<int:webhook_id>/", webhook_detail, name="webhook"),
    path("webhooks/<int:webhook_id>/deactivate/", webhook_deactivate, name="webhook_deactivate"),
    path("webhooks/<int:webhook_id>/reactivate/", webhook_reactivate, name="webhook_reactivate"),
    path("webhooks/<int:webhook_id>/rotate-secret/", webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:webhook_id>/secret/", webhook_reveal, name="webhook_secret"),
    path("webhooks/<int:webhook_id>/ping/", webhook_ping, name="webhook_ping"),
]
