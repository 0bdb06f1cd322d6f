"""Mail template settings (/settings/mail/templates/…): every kind of mail Doum sends, in
each language, marked when an admin has edited it; one template's subject and body with the
placeholders it may use, a preview with sample values, save, and reset to the built-in text.

`doum.mail.templates_store` validates templates (only known placeholders and a few safe tags)
and writes them with an audit row; these views only parse the form and show its answer.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.core.errors import DoumError, InvalidInput, NotFound
from doum.core.web import admin_page, current_user, redirect_to, render_page
from doum.mail import templates_store
from doum.mail.models import MailTemplate, OutboundKind
from doum.mail.views.forms import MailTemplateForm, add_action_error

LANGUAGE_NAMES = {"en": gettext_lazy("English"), "ko": gettext_lazy("Korean")}


def _check(kind: str, language: str) -> tuple[str, str]:
    if kind not in templates_store.TEMPLATE_KINDS or language not in templates_store.LANGUAGES:
        raise NotFound(_("No such mail template."))
    return kind, language


def _kind_label(kind: str) -> str:
    return str(OutboundKind(kind).label)


@require_GET
@admin_page
def template_list(request: HttpRequest) -> HttpResponse:
    custom = {
        (row.kind, row.language): row
        for row in MailTemplate.objects.select_related("updated_by").only(
            "kind", "language", "updated_at", "updated_by__name"
        )
    }
    rows = [
        {
            "kind": kind,
            "label": label,
            "languages": [
                {"code": code, "name": LANGUAGE_NAMES[code], "custom": custom.get((kind, code))}
                for code in templates_store.LANGUAGES
            ],
        }
        for kind, label in OutboundKind.choices
        if kind in templates_store.TEMPLATE_KINDS
    ]
    return render_page(request, "mail/settings_templates.html", {"rows": rows})


def _preview(subject: str, body: str, language: str) -> dict[str, str]:
    rendered_subject, text, _html = templates_store.preview(subject, body, language)
    return {"subject": rendered_subject, "text": text}


def _edit_page(
    request: HttpRequest,
    kind: str,
    language: str,
    form: MailTemplateForm,
    *,
    status: int = 200,
    preview: dict[str, str] | None = None,
) -> HttpResponse:
    _subject, _body, is_custom = templates_store.get_template(kind, language)
    row = MailTemplate.objects.filter(kind=kind, language=language).select_related("updated_by")
    context: dict[str, Any] = {
        "kind": kind,
        "kind_label": _kind_label(kind),
        "language": language,
        "language_name": LANGUAGE_NAMES[language],
        "form": form,
        "is_custom": is_custom,
        "custom": row.first() if is_custom else None,
        "placeholders": ["{{ " + name + " }}" for name in templates_store.placeholder_names()],
        "if_example": "{% if portal_url %} … {% endif %}",
        "preview": preview,
    }
    return render_page(request, "mail/settings_template.html", context, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def template_edit(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    kind, language = _check(kind, language)
    if request.method == "GET":
        subject, body, _custom = templates_store.get_template(kind, language)
        form = MailTemplateForm(initial={"subject": subject, "body": body})
        try:
            shown: dict[str, str] | None = _preview(subject, body, language)
        except InvalidInput:  # a saved template that no longer compiles: edit it
            shown = None
        return _edit_page(request, kind, language, form, preview=shown)
    form = MailTemplateForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            templates_store.do_save_mail_template(
                actor=current_user(request), kind=kind, language=language,
                subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
            )  # fmt: skip
        except DoumError as error:
            status = add_action_error(form, error)
        else:
            messages.success(request, _("Saved. Mail of this kind uses your text from now on."))
            return redirect_to(request, reverse("settings:mail_template", args=[kind, language]))
    return _edit_page(request, kind, language, form, status=status)


@admin_page
@require_POST
def template_preview(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    """The edit page again with the typed text kept and rendered with sample values."""
    kind, language = _check(kind, language)
    form = MailTemplateForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, kind, language, form, status=400)
    try:
        shown = _preview(form.cleaned_data["subject"], form.cleaned_data["body"], language)
    except InvalidInput as error:
        return _edit_page(request, kind, language, form, status=add_action_error(form, error))
    return _edit_page(request, kind, language, form, preview=shown)


@admin_page
@require_POST
def template_reset(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    kind, language = _check(kind, language)
    templates_store.do_reset_mail_template(
        actor=current_user(request), kind=kind, language=language
    )
    messages.success(request, _("Back to Doum's built-in text."))
    return redirect_to(request, reverse("settings:mail_template", args=[kind, language]))


urlpatterns: list[URLPattern] = [
    path("mail/templates/", template_list, name="mail_templates"),
    path("mail/templates/<slug:kind>/<slug:language>/", template_edit, name="mail_template"),
    path(
        "mail/templates/<slug:kind>/<slug:language>/preview/",
        template_preview,
        name="mail_template_preview",
    ),
    path(
        "mail/templates/<slug:kind>/<slug:language>/reset/",
        template_reset,
        name="mail_template_reset",
    ),
]
