"""Settings pages for teams (/settings/teams/…): the list, a new team, one team's name,
lead and members. Adding and removing members updates the member panel in place when
app.js sends the form (X-Doum-Partial), and falls back to a redirect without it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.accounts import actions
from doum.accounts.models import Team, TeamMembership, User
from doum.accounts.selectors import access_team, visible_teams
from doum.accounts.views.settings_forms import (
    AddMemberForm,
    LeadForm,
    NewTeamForm,
    TeamForm,
    add_action_error,
)
from doum.core.errors import DoumError, NotFound
from doum.core.web import (
    current_user,
    is_partial,
    people_manager_page,
    redirect_to,
    render_page,
)

MEMBERS_FRAGMENT = "accounts/settings_team_members.html"


def teams_with_counts(viewer: User) -> QuerySet[Team]:
    return (
        visible_teams(viewer)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name", "id")
    )


# --- the list and a new team ----------------------------------------------------------------


def _teams_page(request: HttpRequest, form: NewTeamForm, status: int = 200) -> HttpResponse:
    context = {"teams": teams_with_counts(current_user(request)), "form": form}
    return render_page(request, "accounts/settings_teams.html", context, status=status)


@require_GET
@people_manager_page
def teams(request: HttpRequest) -> HttpResponse:
    return _teams_page(request, NewTeamForm())


@people_manager_page
@require_POST
def team_create(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    form = NewTeamForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            team = actions.do_create_team(
                actor=viewer, name=data["name"], description=data["description"],
                lead=data["lead"],
            )  # fmt: skip
        except DoumError as error:
            status = add_action_error(form, error)
        else:
            messages.success(request, _("The team %(name)s exists now.") % {"name": team.name})
            return redirect_to(request, reverse("settings:team", args=[team.pk]))
    return _teams_page(request, form, status)


# --- one team -------------------------------------------------------------------------------


def _members(team: Team) -> list[TeamMembership]:
    return list(
        TeamMembership.objects.filter(team=team)
        .select_related("user")
        .order_by("user__name", "user_id")
    )


def _members_context(team: Team, add_form: AddMemberForm | None = None) -> dict[str, Any]:
    return {
        "team": team,
        "memberships": _members(team),
        "add_form": add_form or AddMemberForm(team=team),
        "members_error": "",
    }


def _team_page(
    request: HttpRequest, team: Team, *, status: int = 200, **extra: forms.Form | str
) -> HttpResponse:
    context: dict[str, Any] = {
        **_members_context(team),
        "team_form": TeamForm(initial={"name": team.name, "description": team.description}),
        "lead_form": LeadForm(initial={"lead": team.lead_id}),
    }
    context.update(extra)
    return render_page(
        request, "accounts/settings_team.html", context, fragment=MEMBERS_FRAGMENT, status=status
    )


@require_GET
@people_manager_page
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    return _team_page(request, access_team(current_user(request), team_id))


def _done(request: HttpRequest, team: Team, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect_to(request, reverse("settings:team", args=[team.pk]))


@people_manager_page
@require_POST
def team_update(request: HttpRequest, team_id: int) -> HttpResponse:
    viewer = current_user(request)
    team = access_team(viewer, team_id)
    form = TeamForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.do_update_team(team, actor=viewer, changes=dict(form.cleaned_data))
        except DoumError as error:
            status = add_action_error(form, error)
            team = access_team(viewer, team_id)
        else:
            return _done(request, team, _("Saved."))
    return _team_page(request, team, status=status, team_form=form)


@people_manager_page
@require_POST
def team_lead(request: HttpRequest, team_id: int) -> HttpResponse:
    viewer = current_user(request)
    team = access_team(viewer, team_id)
    form = LeadForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.do_set_team_lead(team, actor=viewer, lead=form.cleaned_data["lead"])
        except DoumError as error:
            status = add_action_error(form, error)
            team = access_team(viewer, team_id)
        else:
            return _done(request, team, _("Team lead saved."))
    return _team_page(request, team, status=status, lead_form=form)


def _members_answer(
    request: HttpRequest, team: Team, message: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """After a member change: the member panel for app.js, else back to the team page."""
    if status == 200 and not is_partial(request):
        return _done(request, team, message)
    context = {**_members_context(team), "members_message": message, **extra}
    return render_page(request, "accounts/settings_team.html", context,
                       fragment=MEMBERS_FRAGMENT, status=status)  # fmt: skip


@people_manager_page
@require_POST
def team_member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    viewer = current_user(request)
    team = access_team(viewer, team_id)
    form = AddMemberForm(request.POST, team=team)
    if not form.is_valid():
        return _members_answer(request, team, "", status=400, add_form=form)
    member = form.cleaned_data["user"]
    try:
        actions.do_add_team_member(team, actor=viewer, user=member)
    except DoumError as error:
        status = add_action_error(form, error)
        return _members_answer(request, team, "", status=status, add_form=form)
    return _members_answer(request, team, _("%(name)s joined the team.") % {"name": member.name})


@people_manager_page
@require_POST
def team_member_remove(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    team = access_team(viewer, team_id)
    membership = (
        TeamMembership.objects.filter(team=team, user_id=user_id).select_related("user").first()
    )
    if membership is None:
        raise NotFound(_("This person is not a member of the team."))
    try:
        actions.do_remove_team_member(team, actor=viewer, user=membership.user)
    except DoumError as error:
        return _members_answer(
            request, team, "", status=error.status_code, members_error=error.message
        )
    return _members_answer(
        request, team, _("%(name)s left the team.") % {"name": membership.user.name}
    )


urlpatterns: list[URLPattern] = [
    path("teams/", teams, name="teams"),
    path("teams/new/", team_create, name="team_create"),
    path("teams/<int:team_id>/", team_detail, name="team"),
    path("teams/<int:team_id>/edit/", team_update, name="team_update"),
    path("teams/<int:team_id>/lead/", team_lead, name="team_lead"),
    path("teams/<int:team_id>/members/add/", team_member_add, name="team_member_add"),
    path(
        "teams/<int:team_id>/members/<int:user_id>/remove/",
        team_member_remove,
        name="team_member_remove",
    ),
]
