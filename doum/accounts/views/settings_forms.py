"""Forms of the people and team settings pages: they parse and type the input; the actions
decide what is allowed and write. An action's error lands on the form field it names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from doum.accounts.models import Team, User
from doum.accounts.roles import STAFF_ROLES, Role
from doum.core.errors import DoumError

LANGUAGE_CHOICES = (("", _("Browser default")), ("en", _("English")), ("ko", _("Korean")))
ACTIVE_CHOICES = (("", _("Active and inactive")), ("1", _("Active")), ("0", _("Inactive")))


def staff_role_choices(*, include_admin: bool) -> list[tuple[str, str]]:
    return [
        (str(value), str(label))
        for value, label in Role.choices
        if value in STAFF_ROLES and (include_admin or value != Role.ADMIN)
    ]


def active_staff() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("name", "id")


def add_action_error(form: forms.Form, error: DoumError) -> int:
    """Show an action's error on the field it names (or on the form); return its status."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
    return error.status_code


def teams_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or e-mail"), required=False, max_length=200)
    role = forms.ChoiceField(label=_("Role"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False,
        empty_label=_("Any team"),
    )  # fmt: skip
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(data)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [("", _("Any role")), *staff_role_choices(include_admin=True)]


class NewStaffForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.CharField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))
    teams = teams_field()
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)

    def __init__(self, data: Mapping[str, Any] | None = None, *, include_admin: bool) -> None:
        super().__init__(data)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = staff_role_choices(include_admin=include_admin)
        role.initial = Role.AGENT


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = staff_role_choices(include_admin=True)


class UserTeamsForm(forms.Form):
    teams = teams_field()


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea
    )


class NewTeamForm(TeamForm):
    lead = forms.ModelChoiceField(
        label=_("Team lead"), queryset=active_staff(), required=False,
        empty_label=_("No lead yet"),
    )  # fmt: skip


class LeadForm(forms.Form):
    lead = forms.ModelChoiceField(
        label=_("Team lead"), queryset=active_staff(), required=False, empty_label=_("No lead")
    )


class AddMemberForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Staff member"), queryset=User.objects.none(), empty_label=_("Choose…")
    )

    def __init__(self, data: Mapping[str, Any] | None = None, *, team: Team) -> None:
        super().__init__(data)
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = active_staff().exclude(teams=team)


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip
