"""Scheduled reports (/reports/scheduled/…): list, new, edit, delete, send now.

Managers and admins. The form only shapes input; `doum.reports.actions` validates every value
(name, recipients, schedule, time zone) and its InvalidInput errors are shown on the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.core.errors import InvalidInput
from doum.core.web import current_user, people_manager_page, redirect_to, render_page
from doum.reports import actions
from doum.reports.models import Dashboard, Frequency, ReportFormat, ScheduledReport
from doum.reports.selectors import (
    access_scheduled_report,
    recipient_labels,
    scheduled_reports,
)

WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]
FILTERS_MAX_LENGTH = 2000


class ReportForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    dashboard = forms.ChoiceField(label=gettext_lazy("Dashboard"), choices=Dashboard.choices)
    filters = forms.CharField(
        label=gettext_lazy("Filters"),
        required=False,
        max_length=FILTERS_MAX_LENGTH,
        help_text=gettext_lazy(
            "The dashboard's filters as in its address, e.g. period=last_7_days&team=3."
        ),
    )
    recipients = forms.CharField(
        label=gettext_lazy("Recipients"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        help_text=gettext_lazy(
            "One per line: e-mail addresses, or #id of a staff member (they get the report "
            "in their own language, with what they may see)."
        ),
    )
    frequency = forms.ChoiceField(label=gettext_lazy("Frequency"), choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Day of the week (weekly)"),
        choices=[("", "—"), *WEEKDAYS],
        coerce=int,
        required=False,
        empty_value=None,
    )
    day_of_month = forms.IntegerField(
        label=gettext_lazy("Day of the month (monthly)"),
        required=False,
        help_text=gettext_lazy("29, 30 or 31 send on the last day of shorter months."),
    )
    time = forms.TimeField(label=gettext_lazy("Time"), input_formats=["%H:%M"])
    time_zone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64)
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ReportFormat.choices)
    language = forms.ChoiceField(
        label=gettext_lazy("Language for e-mail addresses"), choices=settings.LANGUAGES
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


def _initial(report: ScheduledReport | None, default_zone: str) -> dict[str, Any]:
    if report is None:
        return {
            "dashboard": Dashboard.TEAM,
            "frequency": Frequency.WEEKLY,
            "weekday": 0,
            "time": "08:00",
            "time_zone": default_zone,
            "format": ReportFormat.PDF,
            "language": "en",
            "is_active": True,
        }
    query = QueryDict(mutable=True)
    query.update(report.filters)
    lines = []
    for r in report.recipients:
        lines.append(f"#{r['user']}" if "user" in r else str(r.get("email", "")))
    return {
        "name": report.name,
        "dashboard": report.dashboard,
        "filters": query.urlencode(),
        "recipients": "\n".join(lines),
        "frequency": report.frequency,
        "weekday": report.weekday,
        "day_of_month": report.day_of_month,
        "time": f"{report.hour:02d}:{report.minute:02d}",
        "time_zone": report.time_zone,
        "format": report.format,
        "language": report.language,
        "is_active": report.is_active,
    }


def _input(form: ReportForm) -> actions.ReportInput:
    data = form.cleaned_data
    filters = QueryDict(data.get("filters") or "")
    return actions.ReportInput(
        name=data["name"],
        dashboard=data["dashboard"],
        filters={k: filters.get(k) or "" for k in filters},
        recipients=data["recipients"],
        frequency=data["frequency"],
        hour=data["time"].hour,
        minute=data["time"].minute,
        time_zone=data["time_zone"].strip(),
        weekday=data.get("weekday"),
        day_of_month=data.get("day_of_month"),
        format=data["format"],
        language=data["language"],
        is_active=bool(data.get("is_active")),
    )


def _add_error(form: ReportForm, error: InvalidInput) -> None:
    field = error.field if error.field in form.fields else None
    if error.field in ("hour", "minute"):
        field = "time"
    form.add_error(field, error.message)


@people_manager_page
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    reports = list(scheduled_reports())
    rows = [(r, recipient_labels(r)) for r in reports]
    return render_page(request, "reports/scheduled_list.html", {"rows": rows})


def _edit(request: HttpRequest, report: ScheduledReport | None) -> HttpResponse:
    user = current_user(request)
    zone = user.time_zone or str(settings.DOUM_DEFAULT_TIME_ZONE)
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                if report is None:
                    report = actions.do_create_scheduled_report(_input(form), actor=user)
                    messages.success(request, _("Scheduled report created."))
                else:
                    actions.do_update_scheduled_report(report, _input(form), actor=user)
                    messages.success(request, _("Scheduled report saved."))
            except InvalidInput as error:
                _add_error(form, error)
            else:
                return redirect_to(request, reverse("reports:scheduled"))
        status = 400
    else:
        form = ReportForm(initial=_initial(report, zone))
        status = 200
    deliveries = list(report.deliveries.order_by("-run_at")[:10]) if report else []
    return render_page(
        request,
        "reports/scheduled_form.html",
        {"form": form, "report": report, "deliveries": deliveries},
        status=status,
    )


@people_manager_page
@require_http_methods(["GET", "POST"])
def report_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@people_manager_page
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, report_id: int) -> HttpResponse:
    return _edit(request, access_scheduled_report(current_user(request), report_id))


@people_manager_page
@require_POST
def report_delete(request: HttpRequest, report_id: int) -> HttpResponse:
    user = current_user(request)
    report = access_scheduled_report(user, report_id)
    actions.do_delete_scheduled_report(report, actor=user)
    messages.success(request, _("Scheduled report deleted."))
    return redirect_to(request, reverse("reports:scheduled"))


@people_manager_page
@require_POST
def report_send_now(request: HttpRequest, report_id: int) -> HttpResponse:
    user = current_user(request)
    report = access_scheduled_report(user, report_id)
    actions.do_send_report_now(report, actor=user)
    messages.success(request, _("The report is being sent."))
    return redirect_to(request, reverse("reports:scheduled"))


urlpatterns: list[URLPattern] = [
    path("scheduled/", report_list, name="scheduled"),
    path("scheduled/new/", report_create, name="scheduled_create"),
    path("scheduled/<int:report_id>/", report_edit, name="scheduled_edit"),
    path("scheduled/<int:report_id>/delete/", report_delete, name="scheduled_delete"),
    path("scheduled/<int:report_id>/send/", report_send_now, name="scheduled_send"),
]
