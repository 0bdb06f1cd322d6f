"""Teams: who creates them, who changes their members, and the audit trail."""

from __future__ import annotations

import pytest

from doum.accounts import actions as accounts
from doum.accounts.models import AuditLog, Team, TeamMembership, User
from doum.accounts.selectors import access_team, team_ids_of, visible_teams
from doum.core.errors import Forbidden, InvalidInput, NotFound
from tests.personas import World


def members(team: Team) -> set[str]:
    return set(TeamMembership.objects.filter(team=team).values_list("user__name", flat=True))


def test_the_world_teams(world: World) -> None:
    assert members(world.billing) == {"Lee Lead", "Ari Agent"}
    assert world.billing.lead == world.lead
    assert members(world.technical) == {"Taehee Tech"}
    assert team_ids_of(world.agent) == [world.billing.pk]
    assert team_ids_of(world.idle_agent) == []


def test_people_managers_create_teams_with_unique_names(world: World) -> None:
    team = accounts.do_create_team(
        actor=world.manager,
        name=" Returns\r\n",
        description="Returns and exchanges",
        lead=world.agent,
    )
    assert team.name == "Returns"
    assert team.lead == world.agent
    assert members(team) == {"Ari Agent"}
    assert [
        r.action
        for r in AuditLog.objects.filter(target_type="team", target_id=str(team.pk)).order_by("id")
    ] == [
        "team.created",
        "team.member_added",
        "team.lead_changed",
    ]
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_team(actor=world.manager, name="returns")
    assert excinfo.value.field == "name"
    for who in ("lead", "agent", "qa", "director", "customer"):
        with pytest.raises(Forbidden):
            accounts.do_create_team(actor=getattr(world, who), name=f"By {who}")


def test_a_lead_manages_their_own_teams_members_only(world: World) -> None:
    accounts.do_add_team_member(world.billing, actor=world.lead, user=world.idle_agent)
    assert "Ivy Idle" in members(world.billing)
    row = AuditLog.objects.filter(action="team.member_added").order_by("-id").first()
    assert row is not None
    assert (row.actor, row.data) == (world.lead, {"user": world.idle_agent.pk})

    accounts.do_remove_team_member(world.billing, actor=world.lead, user=world.idle_agent)
    assert "Ivy Idle" not in members(world.billing)
    assert AuditLog.objects.filter(action="team.member_removed", actor=world.lead).exists()

    with pytest.raises(Forbidden):
        accounts.do_add_team_member(world.technical, actor=world.lead, user=world.idle_agent)
    for who in ("agent", "qa", "director", "customer"):
        with pytest.raises(Forbidden):
            accounts.do_add_team_member(
                world.billing, actor=getattr(world, who), user=world.idle_agent
            )
    assert "Ivy Idle" not in members(world.billing)


def test_only_staff_join_teams_and_joining_twice_is_one_membership(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_add_team_member(world.billing, actor=world.manager, user=world.customer)
    assert excinfo.value.field == "user"
    before = AuditLog.objects.count()
    accounts.do_add_team_member(world.billing, actor=world.manager, user=world.agent)
    assert TeamMembership.objects.filter(team=world.billing, user=world.agent).count() == 1
    assert AuditLog.objects.count() == before  # nothing changed, nothing logged
    # Removing someone who is not a member is not a change either.
    accounts.do_remove_team_member(world.technical, actor=world.manager, user=world.agent)
    assert AuditLog.objects.count() == before


def test_team_leads_must_be_staff(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_set_team_lead(world.technical, actor=world.manager, lead=world.customer)
    assert excinfo.value.field == "lead"
    accounts.do_set_team_lead(world.technical, actor=world.manager, lead=world.tech_agent)
    assert Team.objects.get(pk=world.technical.pk).lead == world.tech_agent
    accounts.do_set_team_lead(world.technical, actor=world.manager, lead=None)
    assert Team.objects.get(pk=world.technical.pk).lead is None
    with pytest.raises(Forbidden):
        accounts.do_set_team_lead(world.billing, actor=world.lead, lead=world.agent)


def test_teams_are_visible_to_staff_only(world: World) -> None:
    assert set(visible_teams(world.agent)) == {world.billing, world.technical}
    assert access_team(world.director, world.technical.pk) == world.technical
    assert list(visible_teams(world.customer)) == []
    with pytest.raises(NotFound):
        access_team(world.customer, world.billing.pk)


def test_team_ids_include_teams_a_person_leads(world: World) -> None:
    accounts.do_set_team_lead(world.technical, actor=world.manager, lead=world.lead)
    accounts.do_remove_team_member(world.technical, actor=world.manager, user=world.lead)
    lead = User.objects.get(pk=world.lead.pk)  # a fresh instance: the ids are cached per instance
    assert sorted(team_ids_of(lead)) == sorted([world.billing.pk, world.technical.pk])
