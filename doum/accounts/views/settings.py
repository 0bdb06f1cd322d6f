"""Settings pages for people and roles (/settings/users/…); teams are in settings_teams.py.

Managers and admins open them (others get 403, customers go to the portal). Each POST
endpoint parses one form and calls one action; the action decides who may do what (only
admins change roles, or touch an admin), and its error is shown on the form field it names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts import actions, roles
from doum.accounts.models import AuditLog, Team, User
from doum.accounts.roles import STAFF_ROLES, Role
from doum.accounts.selectors import visible_users
from doum.accounts.views.settings_forms import (
    NewStaffForm,
    PasswordForm,
    ProfileForm,
    RoleForm,
    StaffFilterForm,
    UserTeamsForm,
    add_action_error,
)
from doum.accounts.views.settings_teams import urlpatterns as team_urlpatterns
from doum.core.errors import DoumError, NotFound
from doum.core.web import current_user, people_manager_page, redirect_to, render_page

PAGE_SIZE = 50
HISTORY_SIZE = 20


def staff_members(viewer: User) -> QuerySet[User]:
    """Staff the settings pages list: every staff role, with their teams in one more query."""
    return (
        visible_users(viewer)
        .filter(role__in=STAFF_ROLES)
        .prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))
        .order_by("name", "id")
    )


def access_staff_member(viewer: User, user_id: int) -> User:
    member = staff_members(viewer).filter(pk=user_id).first()
    if member is None:
        raise NotFound(_("No such staff member."))
    return member


# --- the list -------------------------------------------------------------------------------


@require_GET
@people_manager_page
def users(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    form = StaffFilterForm(request.GET)
    qs = staff_members(viewer)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(name__icontains=data["q"]) | Q(email__icontains=data["q"]))
        if data["role"]:
            qs = qs.filter(role=data["role"])
        if data["team"] is not None:
            qs = qs.filter(teams=data["team"])
        if data["active"]:
            qs = qs.filter(is_active=data["active"] == "1")
    else:
        qs = qs.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {"form": form, "page": page, "filter_query": urlencode(filters)}
    return render_page(
        request, "accounts/settings_users.html", context,
        fragment="accounts/settings_users_list.html",
    )  # fmt: skip


# --- a new staff member ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@people_manager_page
def user_create(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    include_admin = viewer.role in roles.ADMINISTERS
    status = 200
    if request.method == "POST":
        form = NewStaffForm(request.POST, include_admin=include_admin)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = actions.do_create_staff_member(
                    actor=viewer, name=data["name"], email=data["email"], role=data["role"],
                    teams=data["teams"], language=data["language"],
                )  # fmt: skip
            except DoumError as error:
                status = add_action_error(form, error)
            else:
                messages.success(request, _("%(name)s can now sign in.") % {"name": member.name})
                return redirect_to(request, reverse("settings:user", args=[member.pk]))
        else:
            status = 400
    else:
        form = NewStaffForm(include_admin=include_admin)
    return render_page(request, "accounts/settings_user_new.html", {"form": form}, status=status)


# --- one staff member -----------------------------------------------------------------------


def _user_page(
    request: HttpRequest, member: User, *, status: int = 200, **forms_: forms.Form | str
) -> HttpResponse:
    viewer = current_user(request)
    context: dict[str, Any] = {
        "member": member,
        "member_teams": list(member.teams.all()),
        "profile_form": ProfileForm(initial={"name": member.name, "language": member.language}),
        "role_form": RoleForm(initial={"role": member.role}),
        "teams_form": UserTeamsForm(initial={"teams": [t.pk for t in member.teams.all()]}),
        "can_change_role": viewer.role in roles.ADMINISTERS,
        "is_self": viewer.pk == member.pk,
        "status_error": "",
        "password_form": PasswordForm(),
        "history": _history(member),
    }
    context.update(forms_)
    return render_page(request, "accounts/settings_user.html", context, status=status)


def _role_label(value: object) -> str:
    return str(Role(value).label) if value in Role.values else str(value)


def _history(member: User) -> list[dict[str, Any]]:
    """The audit rows about this person, in words."""
    rows = (
        AuditLog.objects.filter(target_type="user", target_id=str(member.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:HISTORY_SIZE]
    )
    entries = []
    for row in rows:
        data = row.data if isinstance(row.data, dict) else {}
        if row.action == "user.role_changed":
            text = _("Role changed from %(old)s to %(new)s.") % {
                "old": _role_label(data.get("old")), "new": _role_label(data.get("new")),
            }  # fmt: skip
        elif row.action == "user.availability_changed":
            text = _("Availability changed to %(new)s.") % {"new": data.get("new", "")}
        else:
            text = str(HISTORY_TEXT.get(row.action, row.action))
        entries.append({"at": row.at, "actor": row.actor, "text": text})
    return entries


HISTORY_TEXT = {
    "user.created": gettext_lazy("Created."),
    "user.deactivated": gettext_lazy("Deactivated."),
    "user.reactivated": gettext_lazy("Reactivated."),
    "user.password_set": gettext_lazy("Password set."),
}


@require_GET
@people_manager_page
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_page(request, access_staff_member(current_user(request), user_id))


def _done(request: HttpRequest, member: User, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect_to(request, reverse("settings:user", args=[member.pk]))


@people_manager_page
@require_POST
def user_update(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    member = access_staff_member(viewer, user_id)
    form = ProfileForm(request.POST)
    status = 400
    if form.is_valid():
        changes = {"name": form.cleaned_data["name"], "language": form.cleaned_data["language"]}
        try:
            actions.do_update_user(member, actor=viewer, changes=changes)
        except DoumError as error:
            status = add_action_error(form, error)
            member = access_staff_member(viewer, user_id)
        else:
            return _done(request, member, _("Saved."))
    return _user_page(request, member, status=status, profile_form=form)


@people_manager_page
@require_POST
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    member = access_staff_member(viewer, user_id)
    form = RoleForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.do_change_role(member, actor=viewer, role=form.cleaned_data["role"])
        except DoumError as error:
            status = add_action_error(form, error)
            member = access_staff_member(viewer, user_id)
        else:
            return _done(
                request, member,
                _("%(name)s is now %(role)s.")
                % {"name": member.name, "role": member.get_role_display()},
            )  # fmt: skip
    return _user_page(request, member, status=status, role_form=form)


@people_manager_page
@require_POST
def user_teams(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    member = access_staff_member(viewer, user_id)
    form = UserTeamsForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.do_set_user_teams(member, actor=viewer, teams=form.cleaned_data["teams"])
        except DoumError as error:
            status = add_action_error(form, error)
        else:
            return _done(request, member, _("Teams saved."))
    return _user_page(request, member, status=status, teams_form=form)


@people_manager_page
@require_POST
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    member = access_staff_member(viewer, user_id)
    form = PasswordForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.do_set_password(member, actor=viewer, password=form.cleaned_data["password"])
        except DoumError as error:
            status = add_action_error(form, error)
        else:
            return _done(request, member, _("Password set."))
    return _user_page(request, member, status=status, password_form=form)


@people_manager_page
@require_POST
def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    member = access_staff_member(viewer, user_id)
    try:
        actions.do_deactivate_user(member, actor=viewer)
    except DoumError as error:
        member = access_staff_member(viewer, user_id)
        return _user_page(request, member, status=error.status_code, status_error=error.message)
    return _done(request, member, _("%(name)s can no longer sign in.") % {"name": member.name})


@people_manager_page
@require_POST
def user_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    member = access_staff_member(viewer, user_id)
    try:
        actions.do_reactivate_user(member, actor=viewer)
    except DoumError as error:
        member = access_staff_member(viewer, user_id)
        return _user_page(request, member, status=error.status_code, status_error=error.message)
    return _done(request, member, _("%(name)s can sign in again.") % {"name": member.name})


urlpatterns: list[URLPattern] = [
    path("users/", users, name="users"),
    path("users/new/", user_create, name="user_create"),
    path("users/<int:user_id>/", user_detail, name="user"),
    path("users/<int:user_id>/edit/", user_update, name="user_update"),
    path("users/<int:user_id>/role/", user_role, name="user_role"),
    path("users/<int:user_id>/teams/", user_teams, name="user_teams"),
    path("users/<int:user_id>/password/", user_password, name="user_password"),
    path("users/<int:user_id>/deactivate/", user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/reactivate/", user_reactivate, name="user_reactivate"),
    *team_urlpatterns,
]
