"""Mailbox settings (/settings/mailboxes/…): the list, a new mailbox, one mailbox's settings,
deactivation and reactivation. Admins only; the actions in `doum.mail.mailboxes` check that
again, validate every value and write the audit rows. The IMAP password is never sent back
to the browser: its field is always empty, and an empty field keeps the saved password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.core.errors import DoumError
from doum.core.web import admin_page, current_user, redirect_to, render_page
from doum.mail import mailboxes, selectors
from doum.mail.views.forms import MailboxForm, add_action_error, mailbox_initial


@require_GET
@admin_page
def mailbox_list(request: HttpRequest) -> HttpResponse:
    context = {"mailboxes": selectors.mailbox_list(), "failed_count": selectors.failed_count()}
    return render_page(request, "mail/settings_mailboxes.html", context)


@require_http_methods(["GET", "POST"])
@admin_page
def mailbox_create(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = MailboxForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                mailbox = mailboxes.do_create_mailbox(
                    actor=current_user(request), **form.action_values()
                )
            except DoumError as error:
                status = add_action_error(form, error)
            else:
                messages.success(
                    request, _("The mailbox %(address)s exists now.") % {"address": mailbox}
                )
                return redirect_to(request, reverse("settings:mailbox", args=[mailbox.pk]))
    else:
        form = MailboxForm()
    return render_page(request, "mail/settings_mailbox_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def mailbox_detail(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    viewer = current_user(request)
    mailbox = selectors.access_mailbox(viewer, mailbox_id)
    status = 200
    if request.method == "POST":
        form = MailboxForm(request.POST, editing=True)
        status = 400
        if form.is_valid():
            try:
                mailboxes.do_update_mailbox(mailbox, actor=viewer, **form.action_values())
            except DoumError as error:
                status = add_action_error(form, error)
                mailbox = selectors.access_mailbox(viewer, mailbox_id)
            else:
                messages.success(request, _("Saved."))
                return redirect_to(request, reverse("settings:mailbox", args=[mailbox.pk]))
    else:
        form = MailboxForm(initial=mailbox_initial(mailbox), editing=True)
    context = {"form": form, "mailbox": mailbox}
    return render_page(request, "mail/settings_mailbox.html", context, status=status)


def _set_active(request: HttpRequest, mailbox_id: int, *, active: bool) -> HttpResponse:
    viewer = current_user(request)
    mailbox = selectors.access_mailbox(viewer, mailbox_id)
    if active:
        mailboxes.do_reactivate_mailbox(mailbox, actor=viewer)
        message = _("%(address)s receives mail again.")
    else:
        mailboxes.do_deactivate_mailbox(mailbox, actor=viewer)
        message = _("%(address)s is deactivated: Doum no longer polls it.")
    messages.success(request, message % {"address": mailbox.address})
    return redirect_to(request, reverse("settings:mailbox", args=[mailbox.pk]))


@admin_page
@require_POST
def mailbox_deactivate(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    return _set_active(request, mailbox_id, active=False)


@admin_page
@require_POST
def mailbox_reactivate(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    return _set_active(request, mailbox_id, active=True)


urlpatterns: list[URLPattern] = [
    path("mailboxes/", mailbox_list, name="mailboxes"),
    path("mailboxes/new/", mailbox_create, name="mailbox_create"),
    path("mailboxes/<int:mailbox_id>/", mailbox_detail, name="mailbox"),
    path("mailboxes/<int:mailbox_id>/deactivate/", mailbox_deactivate, name="mailbox_deactivate"),
    path("mailboxes/<int:mailbox_id>/reactivate/", mailbox_reactivate, name="mailbox_reactivate"),
]
