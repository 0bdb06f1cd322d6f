"""Business calendar settings (/settings/calendars/…): the list with each team's calendar, a
new calendar, one calendar's page with its preview, a preview of unsaved changes, deletion,
and choosing a team's calendar. Managers and admins; the actions in
`doum.sla.calendar_actions` check the role again, validate every value and write the audit
rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts.models import Team
from doum.core.errors import DoumError, InvalidInput, NotFound
from doum.core.web import current_user, people_manager_page, redirect_to, render_page
from doum.sla import calendar_actions
from doum.sla.calendar import CalendarSpec
from doum.sla.models import Calendar, SlaPolicy, TeamCalendar
from doum.sla.selectors import calendar_spec, spec_from_parts
from doum.sla.views.calendar_preview import preview_days, year_holidays
from doum.sla.views.forms import (
    CALENDAR_ACTION_FIELDS,
    NEW_CALENDAR_INITIAL,
    CalendarForm,
    TeamCalendarForm,
    add_action_error,
    calendar_initial,
)


def access_calendar(calendar_id: int) -> Calendar:
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(_("No such calendar."), field="calendar")
    return calendar


@dataclass(frozen=True)
class CalendarRow:
    calendar: Calendar
    teams: list[str]
    policies: list[str]
    weekly_hours: str  # "45:00"


@dataclass(frozen=True)
class TeamRow:
    team: Team
    calendar_id: int | None


def _weekly_hours(calendar: Calendar) -> str:
    try:
        spec = calendar_spec(calendar)
    except (ValueError, TypeError, KeyError):
        return "—"
    minutes = sum(
        int(p.nominal_length.total_seconds() // 60) for day in spec.weekly.values() for p in day
    )
    return f"{minutes // 60}:{minutes % 60:02d}"


@require_GET
@people_manager_page
def calendar_list(request: HttpRequest) -> HttpResponse:
    calendars = list(Calendar.objects.order_by("name"))
    teams_of: dict[int, list[str]] = {}
    links = {link.team_id: link.calendar_id for link in TeamCalendar.objects.all()}
    teams = list(Team.objects.order_by("name"))
    for team in teams:
        if team.pk in links:
            teams_of.setdefault(links[team.pk], []).append(team.name)
    policies_of: dict[int, list[str]] = {}
    for name, calendar_id in SlaPolicy.objects.filter(calendar__isnull=False).values_list(
        "name", "calendar_id"
    ):
        assert calendar_id is not None
        policies_of.setdefault(calendar_id, []).append(name)
    rows = [
        CalendarRow(c, teams_of.get(c.pk, []), policies_of.get(c.pk, []), _weekly_hours(c))
        for c in calendars
    ]
    context = {
        "rows": rows,
        "calendars": calendars,
        "teams": [TeamRow(t, links.get(t.pk)) for t in teams],
    }
    return render_page(request, "sla/settings_calendars.html", context)


def _preview_context(spec: CalendarSpec | None) -> dict[str, Any]:
    if spec is None:
        return {"preview": None, "holidays": None}
    return {"preview": preview_days(spec), "holidays": year_holidays(spec)}


@require_http_methods(["GET", "POST"])
@people_manager_page
def calendar_create(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = CalendarForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                calendar = calendar_actions.do_create_calendar(
                    actor=current_user(request), **form.action_values()
                )
            except DoumError as error:
                status = add_action_error(form, error, CALENDAR_ACTION_FIELDS)
            else:
                messages.success(
                    request, _("The calendar “%(name)s” exists now.") % {"name": calendar.name}
                )
                return redirect_to(request, reverse("settings:calendar", args=[calendar.pk]))
    else:
        form = CalendarForm(initial=NEW_CALENDAR_INITIAL)
    context = {"form": form, "calendar": None, **_preview_context(None)}
    return render_page(request, "sla/settings_calendar.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_manager_page
def calendar_detail(request: HttpRequest, calendar_id: int) -> HttpResponse:
    viewer = current_user(request)
    calendar = access_calendar(calendar_id)
    status = 200
    if request.method == "POST":
        form = CalendarForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                calendar_actions.do_update_calendar(calendar, actor=viewer, **form.action_values())
            except DoumError as error:
                status = add_action_error(form, error, CALENDAR_ACTION_FIELDS)
                calendar = access_calendar(calendar_id)
            else:
                messages.success(request, _("Saved."))
                return redirect_to(request, reverse("settings:calendar", args=[calendar.pk]))
    else:
        form = CalendarForm(initial=calendar_initial(calendar))
    teams, policies = calendar_actions.calendar_users(calendar)
    try:
        spec: CalendarSpec | None = calendar_spec(calendar)
    except (ValueError, TypeError, KeyError):
        spec = None
    context = {
        "form": form,
        "calendar": calendar,
        "used_by_teams": teams,
        "used_by_policies": policies,
        **_preview_context(spec),
    }
    return render_page(request, "sla/settings_calendar.html", context, status=status)


@people_manager_page
@require_POST
def calendar_preview(request: HttpRequest) -> HttpResponse:
    """The form as typed, with the preview of what it would mean; nothing is saved."""
    calendar_id = request.POST.get("calendar_id") or ""
    calendar = (
        access_calendar(int(calendar_id))
        if calendar_id.isascii() and calendar_id.isdigit() and len(calendar_id) < 18
        else None
    )
    form = CalendarForm(request.POST)
    spec: CalendarSpec | None = None
    status = 400
    if form.is_valid():
        values = form.action_values()
        try:
            clean = calendar_actions.clean_calendar_values(
                time_zone=values["time_zone"],
                weekly=values["weekly"],
                country_holidays=values["country_holidays"],
                custom_holidays=values["custom_holidays"],
                partial_days=values["partial_days"],
            )
        except InvalidInput as error:
            add_action_error(form, error, CALENDAR_ACTION_FIELDS)
        else:
            status = 200
            spec = spec_from_parts(
                clean.time_zone,
                clean.weekly,
                clean.country_holidays,
                clean.custom_holidays,
                clean.partial_days,
            )
    context: dict[str, Any] = {
        "form": form,
        "calendar": calendar,
        "previewing": True,
        **_preview_context(spec),
    }
    if calendar is not None:
        teams, policies = calendar_actions.calendar_users(calendar)
        context.update(used_by_teams=teams, used_by_policies=policies)
    return render_page(request, "sla/settings_calendar.html", context, status=status)


@people_manager_page
@require_POST
def calendar_delete(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = access_calendar(calendar_id)
    try:
        calendar_actions.do_delete_calendar(calendar, actor=current_user(request))
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect_to(request, reverse("settings:calendar", args=[calendar.pk]))
    messages.success(request, _("The calendar “%(name)s” is deleted.") % {"name": calendar.name})
    return redirect_to(request, reverse("settings:calendars"))


@people_manager_page
@require_POST
def team_calendar(request: HttpRequest) -> HttpResponse:
    form = TeamCalendarForm(request.POST)
    back = reverse("settings:calendars")
    if not form.is_valid():
        messages.error(request, _("Choose a team and a calendar from the list."))
        return redirect_to(request, back)
    team_id = form.cleaned_data["team"]
    calendar_id = form.cleaned_data["calendar"]
    try:
        calendar_actions.do_set_team_calendar(
            actor=current_user(request), team_id=team_id, calendar_id=calendar_id
        )
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect_to(request, back)
    team = Team.objects.get(pk=team_id)
    if calendar_id is None:
        message = _("%(team)s has no business calendar now: it works around the clock.")
    else:
        message = _("%(team)s works by the calendar “%(calendar)s” now.")
    calendar_name = access_calendar(calendar_id).name if calendar_id else ""
    messages.success(request, message % {"team": team.name, "calendar": calendar_name})
    return redirect_to(request, back)


urlpatterns: list[URLPattern] = [
    path("calendars/", calendar_list, name="calendars"),
    path("calendars/new/", calendar_create, name="calendar_create"),
    path("calendars/preview/", calendar_preview, name="calendar_preview"),
    path("calendars/teams/", team_calendar, name="team_calendar"),
    path("calendars/<int:calendar_id>/", calendar_detail, name="calendar"),
    path("calendars/<int:calendar_id>/delete/", calendar_delete, name="calendar_delete"),
]
