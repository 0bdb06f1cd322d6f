"""Feedback import pages under /surveys/ (docs/feedback-import.md).

* ``import/``: upload a CSV of survey responses or social mentions (managers and admins);
  the answer shows the report: counts and every rejected row with its column and reason.
* ``mentions/``: social mentions, newest first (team leads, managers, directors, admins).
* ``mentions/<id>/ticket/`` (POST): turn a mention into a ticket, or open the one it has
  (team leads, managers, admins).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.core.web import current_user, redirect_to, render_page, staff_page_for
from doum.surveys import importing, mentions
from doum.surveys.models import CsatScale, ImportKind, SurveyKind

PAGE_SIZE = 50
REPORT_ROWS_SHOWN = 1000


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("The file holds"), choices=ImportKind.choices, initial="responses"
    )
    file = forms.FileField(label=gettext_lazy("CSV file"))
    source = forms.ChoiceField(
        label=gettext_lazy("Exported from"),
        choices=[(p.name, p.label) for p in importing.PRESETS.values()],
        initial="custom",
        help_text=gettext_lazy("Survey responses: the tool's usual column names are recognised."),
    )
    mapping = forms.CharField(
        label=gettext_lazy("Column mapping"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One per line, COLUMN=field. Responses: response_id, email, ticket, score, "
            "comment, date, kind, reason. Mentions: channel, handle, text, url, time."
        ),
    )
    survey_kind = forms.ChoiceField(
        label=gettext_lazy("Kind of every response"),
        choices=[("", gettext_lazy("From the kind column")), *SurveyKind.choices],
        required=False,
    )
    csat_scale = forms.ChoiceField(
        label=gettext_lazy("CSAT numbers are"),
        choices=CsatScale.choices,
        initial=CsatScale.FIVE,
        help_text=gettext_lazy("Words (good, bad, 만족, 불만족) are always read as good / bad."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel of every mention"),
        choices=[
            ("", gettext_lazy("From the channel column")),
            *[(c, c) for c in mentions.CHANNELS],
        ],
        required=False,
    )
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone of times without one"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Empty: the tool's own (Typeform: UTC), else yours."),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"),
        choices=[
            ("auto", gettext_lazy("Detect (UTF-8, UTF-16, CP949/EUC-KR)")),
            ("utf-8", "UTF-8"),
            ("utf-16", "UTF-16"),
            ("cp949", "CP949 / EUC-KR"),
        ],
        initial="auto",
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check only, save nothing"), required=False, initial=True
    )
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Import the valid rows even when some are rejected"), required=False
    )
    create_customers = forms.BooleanField(
        label=gettext_lazy("Create customers for unknown e-mail addresses"), required=False
    )


def _run(form: ImportForm, request: HttpRequest) -> importing.ImportReport:
    data = form.cleaned_data
    upload = data["file"]
    raw = importing.read_capped(upload)
    actor = current_user(request)
    if data["kind"] == ImportKind.MENTIONS:
        mapping = importing.parse_mapping(data["mapping"].splitlines(), mentions.MENTION_FIELDS)
        return mentions.do_import_mentions(
            raw,
            mentions.MentionOptions(
                mapping=mapping, channel=data["channel"], time_zone=data["time_zone"].strip(),
                encoding=data["encoding"], dry_run=data["dry_run"],
                skip_invalid=data["skip_invalid"], filename=upload.name or "",
            ),
            actor=actor,
        )  # fmt: skip
    mapping = importing.parse_mapping(data["mapping"].splitlines(), importing.RESPONSE_FIELDS)
    return importing.do_import_responses(
        raw,
        importing.ResponseOptions(
            source=data["source"], mapping=mapping, kind=data["survey_kind"],
            csat_scale=data["csat_scale"], time_zone=data["time_zone"].strip(),
            encoding=data["encoding"], dry_run=data["dry_run"],
            skip_invalid=data["skip_invalid"], create_customers=data["create_customers"],
            filename=upload.name or "",
        ),
        actor=actor,
    )  # fmt: skip


@staff_page_for(importing.IMPORTS_FEEDBACK)
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    report: importing.ImportReport | None = None
    file_error = ""
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = _run(form, request)
            except importing.ImportFileError as error:
                file_error = str(error)
                status = 400
        else:
            status = 400
    else:
        form = ImportForm()
    return render_page(
        request,
        "surveys/import/upload.html",
        {
            "form": form,
            "report": report,
            "file_error": file_error,
            "shown_rejections": report.rejections[:REPORT_ROWS_SHOWN] if report else [],
            "recent": importing.recent_imports(),
            "max_mb": round(importing.max_file_bytes() / 2**20, 1),
            "default_zone": settings.DOUM_DEFAULT_TIME_ZONE,
        },
        status=status,
    )


@staff_page_for(mentions.SEES_MENTIONS)
@require_GET
def mention_list(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    page = Paginator(mentions.visible_mentions(viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "surveys/import/mentions.html",
        {
            "page": page,
            "may_make_tickets": viewer.role in mentions.MAKES_TICKETS_FROM_MENTIONS,
            "may_import": viewer.role in importing.IMPORTS_FEEDBACK,
        },
    )


@staff_page_for(mentions.MAKES_TICKETS_FROM_MENTIONS)
@require_POST
def mention_ticket(request: HttpRequest, mention_id: int) -> HttpResponse:
    ticket = mentions.do_create_ticket_from_mention(mention_id, actor=current_user(request))
    return redirect_to(request, reverse("tickets:ticket", args=[ticket.pk]))
