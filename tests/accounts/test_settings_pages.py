"""The people and team settings pages: who may open them, what they show, what they write
(through the actions, with audit rows), and how bad input is answered."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doum.accounts import actions as accounts
from doum.accounts.models import AuditLog, Team, TeamMembership, User
from doum.accounts.roles import Role
from tests.pages import PARTIAL, text
from tests.pages import signed_in as client_for
from tests.personas import World, make_user
from tests.tickets.test_hostile_input import XSS

# --- people ---------------------------------------------------------------------------------


def test_staff_list_shows_roles_teams_availability_and_no_customers(world: World) -> None:
    accounts.do_deactivate_user(world.idle_agent, actor=world.manager)
    page = text(client_for(world.manager).get("/settings/users/"))
    assert "Ari Agent" in page and "Billing" in page and "Team lead" in page
    assert "Ivy Idle" in page and "Inactive" in page and "Offline" in page
    assert "Kim Customer" not in page and "kim@acme.example" not in page


def test_staff_list_filters_by_role_team_status_and_text(world: World) -> None:
    accounts.do_deactivate_user(world.idle_agent, actor=world.manager)
    client = client_for(world.manager)
    by_team = text(client.get(f"/settings/users/?team={world.technical.pk}"))
    assert "Taehee Tech" in by_team and "Ari Agent" not in by_team
    by_role = text(client.get("/settings/users/?role=qa_reviewer"))
    assert "Quinn QA" in by_role and "Ari Agent" not in by_role
    inactive = text(client.get("/settings/users/?active=0"))
    assert "Ivy Idle" in inactive and "Ari Agent" not in inactive
    found = text(client.get("/settings/users/?q=tech%40doum"))
    assert "Taehee Tech" in found and "Ari Agent" not in found
    bad = client.get("/settings/users/?team=999999&role=boss")
    assert bad.status_code == 200 and "Select a valid choice" in text(bad)
    partial = client.get("/settings/users/?role=agent", headers=PARTIAL)
    assert text(partial).startswith('<div id="staff-list">') and "<html" not in text(partial)


def _grow_staff(world: World, count: int) -> None:
    start = User.objects.count()
    for i in range(count):
        user = make_user(world.admin, Role.AGENT, f"Extra {start + i}", f"x{start + i}@doum.test")
        accounts.do_add_team_member(world.billing, actor=world.admin, user=user)
        accounts.do_add_team_member(world.technical, actor=world.admin, user=user)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/settings/users/", "/settings/teams/"])
def test_list_pages_cost_the_same_queries_for_3_or_15_more_rows(world: World, url: str) -> None:
    client = client_for(world.manager)
    _grow_staff(world, 3)
    few = _queries(client, url)
    _grow_staff(world, 12)
    assert _queries(client, url) == few
    assert few <= 10


@pytest.mark.parametrize("role", ["agent", "lead", "qa", "director"])
def test_other_staff_get_403_and_change_nothing(world: World, role: str) -> None:
    user = world.by_role()[role]
    client = client_for(user)
    assert client.get("/settings/users/").status_code == 403
    response = client.post(
        "/settings/users/new/", {"name": "Sneaky", "email": "sneaky@doum.test", "role": "agent"}
    )
    assert response.status_code == 403
    assert client.post(f"/settings/users/{world.agent.pk}/deactivate/").status_code == 403
    assert client.post(f"/settings/teams/{world.billing.pk}/members/add/",
                       {"user": world.idle_agent.pk}).status_code == 403  # fmt: skip
    assert not User.objects.filter(email="sneaky@doum.test").exists()
    assert User.objects.get(pk=world.agent.pk).is_active
    assert not TeamMembership.objects.filter(user=world.idle_agent).exists()


def test_customers_are_sent_to_the_portal(world: World) -> None:
    response = client_for(world.customer).get("/settings/users/")
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_manager_creates_an_agent_with_teams_and_language(world: World) -> None:
    client = client_for(world.manager)
    response = client.post(
        "/settings/users/new/",
        {"name": " Jun Newcomer ", "email": "Jun@Doum.test", "role": "agent", "language": "ko",
         "teams": [world.billing.pk, world.technical.pk]},
    )  # fmt: skip
    user = User.objects.get(email="jun@doum.test")
    assert response.status_code == 302 and response["Location"] == f"/settings/users/{user.pk}/"
    assert user.name == "Jun Newcomer" and user.role == Role.AGENT and user.language == "ko"
    assert set(user.teams.values_list("name", flat=True)) == {"Billing", "Technical"}
    assert AuditLog.objects.filter(action="user.created", target_id=str(user.pk),
                                   actor=world.manager).exists()  # fmt: skip
    assert AuditLog.objects.filter(action="team.member_added", data__user=user.pk).count() == 2
    page = text(client.get(response["Location"]))
    assert "Jun Newcomer can now sign in." in page


def test_new_staff_form_explains_bad_input_per_field(world: World) -> None:
    client = client_for(world.manager)

    def post(**data: object) -> str:
        base = {"name": "Someone", "email": "someone@doum.test", "role": "agent"}
        response = client.post("/settings/users/new/", {**base, **data})
        assert response.status_code == 400
        return text(response)

    assert "Someone already uses this e-mail address." in post(email="AGENT@doum.test")
    assert "This is not a valid e-mail address." in post(email="not-an-address")
    assert "This field is required." in post(name="")
    assert "This field may not be blank." in post(name="\x07\x1b ")  # controls are dropped
    assert "Null characters are not allowed." in post(name="a\x00b")
    assert "Select a valid choice. boss" in post(role="boss")
    assert "Select a valid choice. admin" in post(role="admin")  # managers make no admins
    assert "Select a valid choice. 999999" in post(teams=[999999])
    assert "Ensure this value has at most 200 characters" in post(name="x" * 201)
    assert "Select a valid choice" in post(language="fr")
    assert not User.objects.filter(email="someone@doum.test").exists()


def test_admins_may_create_admins(world: World) -> None:
    response = client_for(world.admin).post(
        "/settings/users/new/", {"name": "Second Admin", "email": "a2@doum.test", "role": "admin"}
    )
    assert response.status_code == 302
    assert User.objects.get(email="a2@doum.test").role == Role.ADMIN


def test_missing_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.manager)
    response = client.post(
        "/settings/users/new/", {"name": "X", "email": "x@doum.test", "role": "agent"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="x@doum.test").exists()


def test_user_page_edits_name_language_and_teams(world: World) -> None:
    client = client_for(world.manager)
    url = f"/settings/users/{world.agent.pk}/"
    page = text(client.get(url))
    assert "Only admins change roles." in page and 'id="role-form"' not in page
    response = client.post(url + "edit/", {"name": "Ari Renamed", "language": "en"})
    assert response.status_code == 302 and response["Location"] == url
    response = client.post(url + "teams/", {"teams": [world.technical.pk]})
    assert response.status_code == 302
    agent = User.objects.get(pk=world.agent.pk)
    assert agent.name == "Ari Renamed" and agent.language == "en"
    assert list(agent.teams.values_list("name", flat=True)) == ["Technical"]
    assert AuditLog.objects.filter(action="team.member_removed", data__user=agent.pk,
                                   target_id=str(world.billing.pk)).exists()  # fmt: skip
    bad = client.post(url + "edit/", {"name": "   ", "language": "xx"})
    assert bad.status_code == 400
    assert "This field is required." in text(bad) and "Select a valid choice" in text(bad)
    assert client.get("/settings/users/999999/").status_code == 404
    assert client.get(f"/settings/users/{world.customer.pk}/").status_code == 404  # not staff


def test_only_admins_change_roles(world: World) -> None:
    url = f"/settings/users/{world.agent.pk}/role/"
    refused = client_for(world.manager).post(url, {"role": "team_lead"})
    assert refused.status_code == 403 and "Your role may not change roles." in text(refused)
    assert User.objects.get(pk=world.agent.pk).role == Role.AGENT

    admin = client_for(world.admin)
    assert 'id="role-form"' in text(admin.get(f"/settings/users/{world.agent.pk}/"))
    assert admin.post(url, {"role": "team_lead"}).status_code == 302
    assert User.objects.get(pk=world.agent.pk).role == Role.TEAM_LEAD
    log = AuditLog.objects.get(action="user.role_changed", target_id=str(world.agent.pk))
    assert log.data == {"old": "agent", "new": "team_lead"} and log.actor == world.admin
    history = text(admin.get(f"/settings/users/{world.agent.pk}/"))
    assert "Role changed from Agent to Team lead." in history

    unknown = admin.post(url, {"role": "overlord"})
    assert unknown.status_code == 400 and "Select a valid choice" in text(unknown)
    own = admin.post(f"/settings/users/{world.admin.pk}/role/", {"role": "agent"})
    assert own.status_code == 403 and "You may not remove your own admin role." in text(own)
    assert User.objects.get(pk=world.admin.pk).role == Role.ADMIN


def test_deactivate_and_reactivate(world: World) -> None:
    client = client_for(world.manager)
    url = f"/settings/users/{world.agent.pk}/"
    page = text(client.get(url))
    assert 'id="deactivate-form"' in page and "data-confirm=" in page
    assert client.post(url + "deactivate/").status_code == 302
    assert not User.objects.get(pk=world.agent.pk).is_active
    assert 'id="reactivate-form"' in text(client.get(url))
    assert client.post(url + "reactivate/").status_code == 302
    assert User.objects.get(pk=world.agent.pk).is_active
    actions = list(
        AuditLog.objects.filter(target_type="user", target_id=str(world.agent.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["user.deactivated", "user.reactivated"]


def test_deactivating_yourself_or_an_admin_as_manager_is_refused_clearly(world: World) -> None:
    client = client_for(world.manager)
    own = client.post(f"/settings/users/{world.manager.pk}/deactivate/")
    assert own.status_code == 403 and "You may not deactivate yourself." in text(own)
    admin = client.post(f"/settings/users/{world.admin.pk}/deactivate/")
    assert admin.status_code == 403 and "Your role may not deactivate admins." in text(admin)
    assert (
        User.objects.filter(pk__in=[world.manager.pk, world.admin.pk], is_active=True).count() == 2
    )


def test_only_admins_set_passwords(world: World) -> None:
    url = f"/settings/users/{world.agent.pk}/password/"
    manager = client_for(world.manager).post(url, {"password": "a much better passphrase 7"})
    assert manager.status_code == 403
    admin = client_for(world.admin)
    weak = admin.post(url, {"password": "123"})
    assert weak.status_code == 400 and "too short" in text(weak)
    assert admin.post(url, {"password": "a much better passphrase 7"}).status_code == 302
    assert User.objects.get(pk=world.agent.pk).check_password("a much better passphrase 7")


def test_hostile_names_are_shown_escaped(world: World) -> None:
    client = client_for(world.manager)
    for i, payload in enumerate(XSS[:5]):
        response = client.post(
            "/settings/users/new/", {"name": payload, "email": f"h{i}@doum.test", "role": "agent"}
        )
        assert response.status_code == 302
        accounts.do_create_team(actor=world.manager, name=f"{payload} {i}")
    pages = [text(client.get(u)) for u in ("/settings/users/", "/settings/teams/")]
    user = User.objects.get(email="h0@doum.test")
    pages.append(text(client.get(f"/settings/users/{user.pk}/")))
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "<svg onload" not in page
    assert html.escape(XSS[0]) in pages[0]


# --- teams ----------------------------------------------------------------------------------


def test_teams_list_shows_lead_and_member_counts(world: World) -> None:
    page = text(client_for(world.manager).get("/settings/teams/"))
    assert "Billing" in page and "Lee Lead" in page and "Technical" in page
    billing = page.split(f'data-team-id="{world.billing.pk}"')[1].split("</tr>")[0]
    assert '<td class="num" data-testid="member-count">2</td>' in billing  # lead and agent


def test_create_team_with_lead_and_errors(world: World) -> None:
    client = client_for(world.manager)
    response = client.post(
        "/settings/teams/new/",
        {"name": "VIP", "description": "Big customers", "lead": world.idle_agent.pk},
    )
    team = Team.objects.get(name="VIP")
    assert response.status_code == 302 and response["Location"] == f"/settings/teams/{team.pk}/"
    assert team.lead == world.idle_agent and team.members.filter(pk=world.idle_agent.pk).exists()
    assert AuditLog.objects.filter(action="team.created", target_id=str(team.pk)).exists()

    duplicate = client.post("/settings/teams/new/", {"name": "billing"})
    assert duplicate.status_code == 400 and "A team with this name exists." in text(duplicate)
    empty = client.post("/settings/teams/new/", {"name": "  "})
    assert empty.status_code == 400 and "This field is required." in text(empty)
    customer_lead = client.post("/settings/teams/new/", {"name": "X", "lead": world.customer.pk})
    assert customer_lead.status_code == 400 and "Select a valid choice" in text(customer_lead)
    assert not Team.objects.filter(name="X").exists()


def test_rename_team_and_set_its_lead(world: World) -> None:
    client = client_for(world.manager)
    url = f"/settings/teams/{world.technical.pk}/"
    assert (
        client.post(url + "edit/", {"name": "Tech support", "description": "L2"}).status_code == 302
    )
    team = Team.objects.get(pk=world.technical.pk)
    assert team.name == "Tech support" and team.description == "L2"
    assert AuditLog.objects.filter(action="team.updated", target_id=str(team.pk)).exists()
    taken = client.post(url + "edit/", {"name": "BILLING"})
    assert taken.status_code == 400 and "A team with this name exists." in text(taken)
    assert Team.objects.get(pk=team.pk).name == "Tech support"

    assert client.post(url + "lead/", {"lead": world.idle_agent.pk}).status_code == 302
    team.refresh_from_db()
    assert team.lead == world.idle_agent  # a lead who was no member joins the team
    assert TeamMembership.objects.filter(team=team, user=world.idle_agent).exists()
    unknown = client.post(url + "lead/", {"lead": 999999})
    assert unknown.status_code == 400 and "Select a valid choice" in text(unknown)
    assert client.post(url + "lead/", {"lead": ""}).status_code == 302
    team.refresh_from_db()
    assert team.lead is None
    assert client.get("/settings/teams/999999/").status_code == 404


def test_add_and_remove_members_in_place(world: World) -> None:
    client = client_for(world.manager)
    url = f"/settings/teams/{world.billing.pk}/"
    added = client.post(url + "members/add/", {"user": world.idle_agent.pk}, headers=PARTIAL)
    assert added.status_code == 200
    body = text(added)
    assert body.startswith('<section class="panel" id="team-members"') and "<html" not in body
    assert "Ivy Idle joined the team." in body
    assert TeamMembership.objects.filter(team=world.billing, user=world.idle_agent).exists()

    again = client.post(url + "members/add/", {"user": world.idle_agent.pk}, headers=PARTIAL)
    assert again.status_code == 400 and "Select a valid choice" in text(again)  # already in
    customer = client.post(url + "members/add/", {"user": world.customer.pk}, headers=PARTIAL)
    assert customer.status_code == 400

    removed = client.post(url + f"members/{world.idle_agent.pk}/remove/", headers=PARTIAL)
    assert removed.status_code == 200 and "Ivy Idle left the team." in text(removed)
    assert not TeamMembership.objects.filter(team=world.billing, user=world.idle_agent).exists()
    assert AuditLog.objects.filter(action="team.member_removed",
                                   data__user=world.idle_agent.pk).exists()  # fmt: skip
    gone = client.post(url + f"members/{world.idle_agent.pk}/remove/")
    assert gone.status_code == 404

    plain = client.post(url + "members/add/", {"user": world.tech_agent.pk})
    assert plain.status_code == 302 and plain["Location"] == url  # without JavaScript


def test_team_page_marks_the_lead_and_confirms_removals(world: World) -> None:
    page = text(client_for(world.admin).get(f"/settings/teams/{world.billing.pk}/"))
    members = page.split('id="team-members"')[1]
    assert 'Lee Lead</a> <span class="badge">Team lead</span>' in members
    assert 'data-confirm="Remove Ari Agent from Billing?"' in members
    assert 'data-target="#team-members"' in members
