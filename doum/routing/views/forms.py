"""Forms of the routing settings pages: they parse and type the input; the actions in
`doum.routing.actions` validate it again and write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from doum.core.errors import DoumError
from doum.routing.actions import (
    CAPACITY_CHANNELS,
    MAX_CAPACITY,
    MAX_REASSIGN_MINUTES,
    SKILL_NAME_MAX,
)
from doum.routing.models import ANY_CHANNEL, SKILL_LEVELS, RoutingMode, Skill
from doum.tickets.models import Channel


def add_action_error(form: forms.Form, error: DoumError) -> int:
    """Show an action's error next to the field it names (or on the form); return its status."""
    field = error.field
    form.add_error(field if field in form.fields else None, error.message)
    return error.status_code


class TeamRoutingForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Assignment"), choices=RoutingMode.choices,
        help_text=_(
            "Manual: agents and triggers assign. Round-robin: each online agent in turn. "
            "Least-loaded: the online agent with the fewest unsolved tickets. Skills-based: "
            "the least-loaded online agent who has every skill the ticket requires."
        ),
    )  # fmt: skip
    reassign_offline_after_minutes = forms.IntegerField(
        label=_("Reassign an absent agent's tickets after (minutes)"), required=False,
        min_value=1, max_value=MAX_REASSIGN_MINUTES,
        help_text=_(
            "When an assignee has been away or offline this long and has not replied yet, "
            "their new and open tickets go to another online agent. Empty: never."
        ),
    )  # fmt: skip


class SkillForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=SKILL_NAME_MAX,
        help_text=_(
            "For example korean, billing or refunds. Triggers require skills by this name; "
            "letters are stored in lower case."
        ),
    )  # fmt: skip


LEVEL_CHOICES = [("", "—"), *((str(n), str(n)) for n in SKILL_LEVELS)]


def skill_field_name(skill: Skill) -> str:
    return f"skill_{skill.pk}"


class AgentSkillsForm(forms.Form):
    """One level field per skill (empty: the agent does not have it)."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        skills: Sequence[Skill],
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.skills = list(skills)
        for skill in self.skills:
            self.fields[skill_field_name(skill)] = forms.TypedChoiceField(
                label=skill.name, choices=LEVEL_CHOICES, required=False, coerce=int,
                empty_value=None,
            )  # fmt: skip

    def levels(self) -> dict[int, int | None]:
        return {s.pk: self.cleaned_data[skill_field_name(s)] for s in self.skills}


def capacity_label(channel: str) -> str:
    if channel == ANY_CHANNEL:
        return str(_("All channels"))
    return str(Channel(channel).label)


class AgentCapacityForm(forms.Form):
    """One limit per channel and one over all channels (empty: no limit of its own)."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        default_capacity: int,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        for channel in CAPACITY_CHANNELS:
            help_text = (
                _("Empty: %(default)s, the default.") % {"default": default_capacity}
                if channel == ANY_CHANNEL
                else ""
            )
            self.fields[f"capacity_{channel}"] = forms.IntegerField(
                label=capacity_label(channel), required=False, min_value=0,
                max_value=MAX_CAPACITY, help_text=help_text,
            )  # fmt: skip

    def capacities(self) -> dict[str, int | None]:
        return {c: self.cleaned_data[f"capacity_{c}"] for c in CAPACITY_CHANNELS}
