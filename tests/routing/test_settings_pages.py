"""The routing settings pages (/settings/routing/…): what they show, what they write through
the actions, and how hostile input is answered (a message that says what is wrong, status
400, nothing saved)."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doum.accounts.models import AuditLog
from doum.routing import actions as routing
from doum.routing.models import AgentCapacity, AgentSkill, Skill, TeamRouting
from doum.routing.selectors import required_skills
from doum.tickets.models import Via
from tests.pages import signed_in, text
from tests.personas import World


def body(response: object) -> str:
    return html.unescape(text(response))


def test_the_overview_shows_teams_skills_and_agents(world: World) -> None:
    korean = routing.do_create_skill(actor=world.admin, name="korean")
    routing.do_set_agent_skills(world.agent, actor=world.admin, levels={korean.pk: 4})
    routing.do_set_agent_capacity(world.agent, actor=world.admin, capacities={"email": 3})
    routing.do_set_team_routing(
        world.billing, actor=world.admin, mode="skills", reassign_offline_after_minutes=15
    )
    page = body(signed_in(world.manager).get("/settings/routing/"))
    assert "Billing" in page and "Skills-based" in page and "15 minutes" in page
    assert "korean 4" in page and "Email: 3" in page
    assert "1 / 20" in page  # the agent's one unsolved ticket, the default capacity
    assert "Routing" in body(signed_in(world.manager).get("/settings/"))


def test_the_overview_reads_a_fixed_number_of_queries(world: World) -> None:
    client = signed_in(world.manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/settings/routing/").status_code == 200
        return len(captured)

    before = queries()
    skill = routing.do_create_skill(actor=world.admin, name="korean")
    for agent in (world.agent, world.tech_agent, world.idle_agent, world.lead):
        routing.do_set_agent_skills(agent, actor=world.admin, levels={skill.pk: 2})
        routing.do_set_agent_capacity(agent, actor=world.admin, capacities={"chat": 2})
    routing.do_set_team_routing(
        world.technical, actor=world.admin, mode="skills", reassign_offline_after_minutes=5
    )
    assert queries() == before


def test_a_manager_sets_a_teams_mode_and_bad_values_are_refused(world: World) -> None:
    client = signed_in(world.manager)
    url = f"/settings/routing/teams/{world.billing.pk}/"
    assert client.get(url).status_code == 200
    for data, message in [
        ({"mode": "chaos"}, "Select a valid choice. chaos is not one of the available choices."),
        ({"mode": "round_robin", "reassign_offline_after_minutes": "-5"}, "greater than or equal to 1"),
        ({"mode": "round_robin", "reassign_offline_after_minutes": "soon"}, "Enter a whole number."),
        ({"mode": "round_robin", "reassign_offline_after_minutes": "99999999"}, "less than or equal to 10080"),
        ({}, "This field is required."),
    ]:  # fmt: skip
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert message in body(response), data
    assert not TeamRouting.objects.exists()
    response = client.post(url, {"mode": "least_loaded", "reassign_offline_after_minutes": "45"})
    assert response.status_code == 302 and response["Location"] == "/settings/routing/"
    saved = TeamRouting.objects.get(team=world.billing)
    assert (saved.mode, saved.reassign_offline_after_minutes) == ("least_loaded", 45)
    audit = AuditLog.objects.get(action="routing.team_changed")
    assert audit.data["new"] == {"mode": "least_loaded", "reassign": 45}
    client.post(url, {"mode": "least_loaded", "reassign_offline_after_minutes": ""})
    assert TeamRouting.objects.get(team=world.billing).reassign_offline_after_minutes is None
    assert client.get("/settings/routing/teams/999999/").status_code == 404


def test_skills_are_created_renamed_and_deleted_with_clear_refusals(world: World) -> None:
    client = signed_in(world.admin)
    response = client.post("/settings/routing/skills/new/", {"name": "  Korean   Language "})
    assert response.status_code == 302
    skill = Skill.objects.get()
    assert skill.name == "korean language"
    for name, message in [
        ("KOREAN language", "A skill called 'korean language' exists."),
        ("billing:3", "A skill name cannot contain ':'."),
        ("<script>alert(1)</script>", "A skill name cannot contain '<'."),
        ("a,b", "A skill name cannot contain ','."),
        ("\u200b\u200b", "Give the skill a name."),
        ("", "This field is required."),
        ("x" * 51, "Ensure this value has at most 50 characters (it has 51)."),
    ]:
        response = client.post("/settings/routing/skills/new/", {"name": name})
        assert response.status_code == 400, name
        assert message in body(response), name
        assert "<script>alert" not in text(response)
    assert Skill.objects.count() == 1

    billing = routing.do_create_skill(actor=world.admin, name="billing")
    response = client.post(f"/settings/routing/skills/{skill.pk}/", {"name": "Billing"})
    assert response.status_code == 400
    assert "A skill called 'billing' exists." in body(response)
    assert (
        client.post(f"/settings/routing/skills/{skill.pk}/", {"name": "한국어"}).status_code == 302
    )
    assert Skill.objects.get(pk=skill.pk).name == "한국어"

    routing.do_set_agent_skills(world.agent, actor=world.admin, levels={billing.pk: 2})
    routing.do_set_required_skills(world.ticket.pk, ["billing:2"], actor=None, via=Via.TRIGGER)
    assert client.get(f"/settings/routing/skills/{billing.pk}/delete/").status_code == 405
    response = client.post(f"/settings/routing/skills/{billing.pk}/delete/")
    assert response.status_code == 302
    assert not Skill.objects.filter(pk=billing.pk).exists()
    assert not AgentSkill.objects.exists() and required_skills(world.ticket.pk) == {}
    assert client.post(f"/settings/routing/skills/{billing.pk}/delete/").status_code == 404
    assert {"skill.created", "skill.renamed", "skill.deleted"} <= set(
        AuditLog.objects.values_list("action", flat=True)
    )


def test_an_agents_skills_and_capacity_are_saved_and_bad_values_are_refused(
    world: World,
) -> None:
    korean = routing.do_create_skill(actor=world.admin, name="korean")
    billing = routing.do_create_skill(actor=world.admin, name="billing")
    client = signed_in(world.manager)
    base = f"/settings/routing/agents/{world.agent.pk}/"
    assert client.get(base).status_code == 200

    for level in ("9", "0", "-1", "expert", "3.5"):
        response = client.post(base + "skills/", {f"skill_{korean.pk}": level})
        assert response.status_code == 400, level
        assert "Select a valid choice." in body(response), level
    assert not AgentSkill.objects.exists()
    response = client.post(
        base + "skills/", {f"skill_{korean.pk}": "4", f"skill_{billing.pk}": "", "skill_999": "5"}
    )
    assert response.status_code == 302
    assert dict(AgentSkill.objects.values_list("skill__name", "level")) == {"korean": 4}
    client.post(base + "skills/", {f"skill_{korean.pk}": ""})
    assert not AgentSkill.objects.exists()

    for field, value, message in [
        ("capacity_any", "-1", "greater than or equal to 0"),
        ("capacity_email", "lots", "Enter a whole number."),
        ("capacity_chat", "10001", "less than or equal to 10000"),
        ("capacity_web", "1e3", "Enter a whole number."),
    ]:
        response = client.post(base + "capacity/", {field: value})
        assert response.status_code == 400, value
        assert message in body(response), value
    assert not AgentCapacity.objects.exists()
    response = client.post(base + "capacity/", {"capacity_any": "8", "capacity_phone": "0"})
    assert response.status_code == 302
    assert dict(AgentCapacity.objects.values_list("channel", "max_open_tickets")) == {
        "any": 8, "phone": 0
    }  # fmt: skip
    client.post(base + "capacity/", {"capacity_any": "", "capacity_phone": "0"})
    assert dict(AgentCapacity.objects.values_list("channel", "max_open_tickets")) == {"phone": 0}

    # Customers, QA reviewers and unknown ids are not agents routing can give tickets to.
    for user_id in (world.customer.pk, world.qa.pk, 999999):
        assert client.get(f"/settings/routing/agents/{user_id}/").status_code == 404
        assert client.post(f"/settings/routing/agents/{user_id}/capacity/", {}).status_code == 404


@pytest.mark.parametrize("role", ["agent", "lead", "qa", "director"])
def test_other_staff_may_not_change_routing(world: World, role: str) -> None:
    skill = routing.do_create_skill(actor=world.admin, name="korean")
    client = signed_in(world.by_role()[role])
    posts = [
        (f"/settings/routing/teams/{world.billing.pk}/", {"mode": "round_robin"}),
        ("/settings/routing/skills/new/", {"name": "billing"}),
        (f"/settings/routing/skills/{skill.pk}/", {"name": "renamed"}),
        (f"/settings/routing/skills/{skill.pk}/delete/", {}),
        (f"/settings/routing/agents/{world.agent.pk}/skills/", {f"skill_{skill.pk}": "5"}),
        (f"/settings/routing/agents/{world.agent.pk}/capacity/", {"capacity_any": "1"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert list(Skill.objects.values_list("name", flat=True)) == ["korean"]
    assert not TeamRouting.objects.exists() and not AgentSkill.objects.exists()
    assert not AgentCapacity.objects.exists()


def test_writes_need_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    response = client.post("/settings/routing/skills/new/", {"name": "korean"})
    assert response.status_code == 403
    assert not Skill.objects.exists()


def test_the_actions_refuse_what_the_forms_cannot_send(world: World) -> None:
    from doum.core.errors import Forbidden, InvalidInput

    skill = routing.do_create_skill(actor=world.admin, name="korean")
    with pytest.raises(InvalidInput, match="not a routing mode"):
        routing.do_set_team_routing(
            world.billing, actor=world.admin, mode="chaos", reassign_offline_after_minutes=None
        )
    with pytest.raises(InvalidInput, match="whole number of minutes"):
        routing.do_set_team_routing(
            world.billing, actor=world.admin, mode="manual", reassign_offline_after_minutes=0
        )
    with pytest.raises(InvalidInput, match="from 1 to 5"):
        routing.do_set_agent_skills(world.agent, actor=world.admin, levels={skill.pk: 6})
    with pytest.raises(InvalidInput, match="no skill with id"):
        routing.do_set_agent_skills(world.agent, actor=world.admin, levels={999: 1})
    with pytest.raises(InvalidInput, match="not an active agent"):
        routing.do_set_agent_skills(world.customer, actor=world.admin, levels={skill.pk: 1})
    with pytest.raises(InvalidInput, match="'fax' is not a channel"):
        routing.do_set_agent_capacity(world.agent, actor=world.admin, capacities={"fax": 1})
    with pytest.raises(InvalidInput, match="from 0 to 10000"):
        routing.do_set_agent_capacity(world.agent, actor=world.admin, capacities={"any": True})
    with pytest.raises(Forbidden):
        routing.do_create_skill(actor=world.lead, name="billing")
    assert not TeamRouting.objects.exists() and not AgentSkill.objects.exists()
    assert not AgentCapacity.objects.exists()
