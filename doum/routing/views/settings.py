"""Routing settings (/settings/routing/…): each team's assignment mode and reassign-after
time, the skills list, and each agent's skill levels and capacity. Managers and admins only;
the actions in `doum.routing.actions` check that again, validate every value and write the
audit rows. One endpoint per operation; a form's errors come back on the same page (400)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts.models import User
from doum.core.errors import DoumError
from doum.core.web import current_user, people_manager_page, redirect_to, render_page
from doum.routing import actions, selectors
from doum.routing.models import ANY_CHANNEL, RoutingMode, Skill
from doum.routing.views.forms import (
    AgentCapacityForm,
    AgentSkillsForm,
    SkillForm,
    TeamRoutingForm,
    add_action_error,
    capacity_label,
    skill_field_name,
)

# --- the overview -----------------------------------------------------------------------------


@require_GET
@people_manager_page
def routing_overview(request: HttpRequest) -> HttpResponse:
    selectors.check_can_manage_routing(current_user(request))
    agents = selectors.routable_agents()
    ids = [a.pk for a in agents]
    skills = selectors.agent_skill_levels(ids)
    limits = selectors.agent_capacities(ids)
    counts = selectors.open_tickets(ids)
    default = selectors.default_capacity()
    rows = [
        {
            "agent": agent,
            "skills": sorted(skills.get(agent.pk, {}).items()),
            "capacity": limits.get(agent.pk, {}).get(ANY_CHANNEL, default),
            "channel_limits": [
                (capacity_label(ch), n)
                for ch, n in sorted(limits.get(agent.pk, {}).items())
                if ch != ANY_CHANNEL
            ],
            "open": counts[agent.pk][ANY_CHANNEL],
        }
        for agent in agents
    ]
    context = {
        "teams": selectors.team_rows(),
        "skills": selectors.skill_list(),
        "agents": rows,
        "default_capacity": default,
    }
    return render_page(request, "routing/settings_routing.html", context)


# --- teams ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@people_manager_page
def routing_team(request: HttpRequest, team_id: int) -> HttpResponse:
    viewer = current_user(request)
    team = selectors.access_team(viewer, team_id)
    status = 200
    if request.method == "POST":
        form = TeamRoutingForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                actions.do_set_team_routing(
                    team, actor=viewer, mode=form.cleaned_data["mode"],
                    reassign_offline_after_minutes=form.cleaned_data[
                        "reassign_offline_after_minutes"
                    ],
                )  # fmt: skip
            except DoumError as error:
                status = add_action_error(form, error)
            else:
                messages.success(request, _("Routing for %(team)s is saved.") % {"team": team.name})
                return redirect_to(request, reverse("settings:routing"))
    else:
        routing = selectors.team_routing(team.pk)
        form = TeamRoutingForm(
            initial={
                "mode": routing.mode if routing else RoutingMode.MANUAL,
                "reassign_offline_after_minutes": (
                    routing.reassign_offline_after_minutes if routing else None
                ),
            }
        )
    context = {"team": team, "form": form}
    return render_page(request, "routing/settings_team.html", context, status=status)


# --- skills -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@people_manager_page
def skill_create(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    selectors.check_can_manage_routing(viewer)
    status = 200
    if request.method == "POST":
        form = SkillForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                skill = actions.do_create_skill(actor=viewer, name=form.cleaned_data["name"])
            except DoumError as error:
                status = add_action_error(form, error)
            else:
                messages.success(
                    request, _("The skill %(name)s exists now.") % {"name": skill.name}
                )
                return redirect_to(request, reverse("settings:routing"))
    else:
        form = SkillForm()
    return render_page(
        request, "routing/settings_skill.html", {"form": form, "skill": None}, status=status
    )


@require_http_methods(["GET", "POST"])
@people_manager_page
def skill_detail(request: HttpRequest, skill_id: int) -> HttpResponse:
    viewer = current_user(request)
    skill = selectors.access_skill(viewer, skill_id)
    status = 200
    if request.method == "POST":
        form = SkillForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                actions.do_rename_skill(skill, actor=viewer, name=form.cleaned_data["name"])
            except DoumError as error:
                status = add_action_error(form, error)
                skill = selectors.access_skill(viewer, skill_id)
            else:
                messages.success(request, _("Saved."))
                return redirect_to(request, reverse("settings:routing"))
    else:
        form = SkillForm(initial={"name": skill.name})
    return render_page(
        request, "routing/settings_skill.html", {"form": form, "skill": skill}, status=status
    )


@people_manager_page
@require_POST
def skill_delete(request: HttpRequest, skill_id: int) -> HttpResponse:
    viewer = current_user(request)
    skill = selectors.access_skill(viewer, skill_id)
    name = skill.name
    actions.do_delete_skill(skill, actor=viewer)
    messages.success(request, _("The skill %(name)s is deleted.") % {"name": name})
    return redirect_to(request, reverse("settings:routing"))


# --- agents -----------------------------------------------------------------------------------


def _skills() -> list[Skill]:
    return list(Skill.objects.order_by("name"))


def _skills_form(agent: User, skills: list[Skill]) -> AgentSkillsForm:
    have = selectors.agent_skill_levels([agent.pk]).get(agent.pk, {})
    initial = {skill_field_name(s): have.get(s.name) for s in skills}
    return AgentSkillsForm(skills=skills, initial=initial)


def _capacity_form(agent: User) -> AgentCapacityForm:
    have = selectors.agent_capacities([agent.pk]).get(agent.pk, {})
    return AgentCapacityForm(
        default_capacity=selectors.default_capacity(),
        initial={f"capacity_{ch}": n for ch, n in have.items()},
    )


def _agent_page(
    request: HttpRequest,
    agent: User,
    *,
    skills_form: AgentSkillsForm | None = None,
    capacity_form: AgentCapacityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    skills = _skills()
    context: dict[str, Any] = {
        "agent": agent,
        "skills_form": skills_form or _skills_form(agent, skills),
        "capacity_form": capacity_form or _capacity_form(agent),
        "open": selectors.open_tickets([agent.pk])[agent.pk][ANY_CHANNEL],
        "teams": agent.teams.order_by("name"),
    }
    return render_page(request, "routing/settings_agent.html", context, status=status)


@require_GET
@people_manager_page
def agent_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    agent = selectors.access_routing_agent(current_user(request), user_id)
    return _agent_page(request, agent)


@people_manager_page
@require_POST
def agent_skills(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    agent = selectors.access_routing_agent(viewer, user_id)
    form = AgentSkillsForm(request.POST, skills=_skills())
    status = 400
    if form.is_valid():
        try:
            actions.do_set_agent_skills(agent, actor=viewer, levels=form.levels())
        except DoumError as error:
            status = add_action_error(form, error)
        else:
            messages.success(request, _("Skills of %(name)s are saved.") % {"name": agent.name})
            return redirect_to(request, reverse("settings:routing_agent", args=[agent.pk]))
    return _agent_page(request, agent, skills_form=form, status=status)


@people_manager_page
@require_POST
def agent_capacity(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    agent = selectors.access_routing_agent(viewer, user_id)
    form = AgentCapacityForm(request.POST, default_capacity=selectors.default_capacity())
    status = 400
    if form.is_valid():
        try:
            actions.do_set_agent_capacity(agent, actor=viewer, capacities=form.capacities())
        except DoumError as error:
            status = add_action_error(form, error)
        else:
            messages.success(request, _("Capacity of %(name)s is saved.") % {"name": agent.name})
            return redirect_to(request, reverse("settings:routing_agent", args=[agent.pk]))
    return _agent_page(request, agent, capacity_form=form, status=status)


urlpatterns: list[URLPattern] = [
    path("routing/", routing_overview, name="routing"),
    path("routing/teams/<int:team_id>/", routing_team, name="routing_team"),
    path("routing/skills/new/", skill_create, name="routing_skill_create"),
    path("routing/skills/<int:skill_id>/", skill_detail, name="routing_skill"),
    path("routing/skills/<int:skill_id>/delete/", skill_delete, name="routing_skill_delete"),
    path("routing/agents/<int:user_id>/", agent_detail, name="routing_agent"),
    path("routing/agents/<int:user_id>/skills/", agent_skills, name="routing_agent_skills"),
    path("routing/agents/<int:user_id>/capacity/", agent_capacity, name="routing_agent_capacity"),
]
