"""Applying a macro from the ticket page: one POST with the macro and the version the agent
saw; back to the ticket with what happened (or why nothing did)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from doum.accounts import roles
from doum.automation import actions, selectors
from doum.automation.views.forms import ApplyMacroForm
from doum.core.errors import Conflict, InvalidInput
from doum.core.web import current_user, redirect_to, staff_page_for
from doum.tickets.models import Via
from doum.tickets.selectors import access_ticket


@staff_page_for(roles.EDITS_TICKETS)
@require_POST
def apply_macro(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    ticket = access_ticket(user, number)
    url = reverse("tickets:ticket", args=[ticket.pk])
    form = ApplyMacroForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a macro to apply."))
        return redirect_to(request, url + "#macro-form")
    macro = selectors.access_macro_to_apply(user, form.cleaned_data["macro"])
    try:
        applied = actions.do_apply_macro(
            ticket,
            macro,
            actor=user,
            via=Via.WEB,
            expected_version=form.cleaned_data.get("version"),
        )
    except Conflict:
        messages.error(
            request,
            _(
                "This ticket changed since you opened it, so the macro “%(name)s” was not "
                "applied. Check the changes and apply it again."
            )
            % {"name": macro.name},
        )
        return redirect_to(request, url + "#macro-form")
    except InvalidInput as error:
        messages.error(
            request,
            _("The macro “%(name)s” could not be applied: %(reason)s")
            % {"name": macro.name, "reason": error.message},
        )
        return redirect_to(request, url + "#macro-form")
    messages.success(request, _("Applied the macro “%(name)s”.") % {"name": macro.name})
    anchor = f"#comment-{applied.comment.pk}" if applied.comment else ""
    return redirect_to(request, url + anchor)


urlpatterns: list[URLPattern] = [
    path("tickets/<int:number>/macro/", apply_macro, name="apply_macro"),
]
