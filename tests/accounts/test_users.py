"""Creating people, changing roles, editing profiles, deactivating and passwords."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from doum.accounts import actions as accounts
from doum.accounts.models import ApiToken, AuditLog, Identity, User
from doum.accounts.roles import STAFF_ROLES, Role
from doum.accounts.selectors import access_user, visible_users
from doum.core.errors import Forbidden, InvalidInput, NotFound
from tests.personas import PASSWORD, World

# Who may create whom: customers by anyone who edits customers, staff by people managers,
# admins only by admins.
MAY_CREATE: dict[str, set[str]] = {
    "admin": set(Role.values),
    "manager": set(Role.values) - {Role.ADMIN},
    "lead": {Role.CUSTOMER},
    "agent": {Role.CUSTOMER},
    "qa": set(),
    "director": set(),
    "customer": set(),
}


def test_who_may_create_whom(world: World, subtests: pytest.Subtests) -> None:
    n = 0
    for who, allowed in MAY_CREATE.items():
        actor = getattr(world, who)
        for role in Role.values:
            n += 1
            with subtests.test(actor=who, role=role):
                email = f"new{n}@people.example"
                if role in allowed:
                    user = accounts.do_create_user(actor=actor, name="New", email=email, role=role)
                    assert user.role == role
                    assert user.is_agent == (role in STAFF_ROLES)
                else:
                    with pytest.raises(Forbidden):
                        accounts.do_create_user(actor=actor, name="New", email=email, role=role)
                    assert not User.objects.filter(email=email).exists()


def test_creating_staff_writes_an_audit_row_and_customers_do_not(world: World) -> None:
    before = AuditLog.objects.filter(action="user.created").count()
    agent = accounts.do_create_user(
        actor=world.manager, name="Nia New", email="nia@doum.test", role=Role.AGENT
    )
    accounts.do_create_user(actor=world.agent, name="Cal Customer", email="cal@x.example")
    rows = AuditLog.objects.filter(action="user.created").order_by("id")
    assert rows.count() == before + 1
    row = rows.last()
    assert row is not None
    assert (row.actor, row.target_type, row.target_id, row.data) == (
        world.manager,
        "user",
        str(agent.pk),
        {"role": "agent"},
    )


def test_a_new_user_has_a_primary_email_identity_and_can_sign_in(world: World) -> None:
    user = accounts.do_create_user(
        actor=world.manager,
        name="  Sam   Staff \r\n",
        email="  Sam.Staff@Doum.TEST ",
        role=Role.AGENT,
        password=PASSWORD,
        phone="+82 10-1234-5678",
    )
    assert user.name == "Sam   Staff"
    assert user.email == "sam.staff@doum.test"
    identities = {(i.kind, i.value, i.is_primary) for i in user.identities.all()}
    assert identities == {("email", "sam.staff@doum.test", True), ("phone", "+821012345678", False)}
    assert authenticate(email="sam.staff@doum.test", password=PASSWORD) == user


def test_staff_need_an_email_but_customers_can_have_just_a_phone(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_user(
            actor=world.admin, name="No Mail", phone="010-5555-1234", role="agent"
        )
    assert excinfo.value.field == "email"
    customer = accounts.do_create_user(actor=world.agent, name="Phone Only", phone="010-5555-1234")
    assert customer.email is None
    assert customer.identities.get().is_primary is True
    assert not customer.has_usable_password()


def test_invalid_user_input_is_named(world: World) -> None:
    cases = [
        ({"role": "superuser", "email": "a@x.example"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"phone": "12"}, "phone"),
    ]
    for kwargs, field in cases:
        params = {"name": "Someone", **kwargs}
        with pytest.raises(InvalidInput) as excinfo:
            accounts.do_create_user(actor=world.admin, **params)  # type: ignore[arg-type]
        assert excinfo.value.field == field


def test_an_email_or_phone_belongs_to_one_person(world: World) -> None:
    for email in ("kim@acme.example", "KIM@ACME.EXAMPLE", " Kim@Acme.Example "):
        with pytest.raises(InvalidInput) as excinfo:
            accounts.do_create_user(actor=world.agent, name="Other Kim", email=email)
        assert excinfo.value.field == "email"
    accounts.do_create_user(actor=world.agent, name="Phone", phone="+82 10 1111 2222")
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_user(actor=world.agent, name="Phone 2", phone="0082-10-1111-2222")
    assert excinfo.value.field == "phone"


# --- roles ----------------------------------------------------------------------------------


def test_only_admins_change_roles_and_it_is_audited(world: World) -> None:
    for who in ("manager", "director", "lead", "agent", "customer"):
        with pytest.raises(Forbidden):
            accounts.do_change_role(world.agent, actor=getattr(world, who), role=Role.MANAGER)
    assert User.objects.get(pk=world.agent.pk).role == Role.AGENT

    accounts.do_change_role(world.agent, actor=world.admin, role=Role.TEAM_LEAD)
    assert User.objects.get(pk=world.agent.pk).role == Role.TEAM_LEAD
    row = AuditLog.objects.get(action="user.role_changed")
    assert (row.actor, row.target_id, row.data) == (
        world.admin,
        str(world.agent.pk),
        {"old": "agent", "new": "team_lead"},
    )


def test_an_admin_cannot_remove_their_own_admin_role(world: World) -> None:
    for role in (Role.MANAGER, Role.AGENT, Role.CUSTOMER):
        with pytest.raises(Forbidden):
            accounts.do_change_role(world.admin, actor=world.admin, role=role)
    assert User.objects.get(pk=world.admin.pk).role == Role.ADMIN
    # Another admin may.
    other = accounts.do_create_user(
        actor=world.admin, name="Second Admin", email="admin2@doum.test", role=Role.ADMIN
    )
    accounts.do_change_role(world.admin, actor=other, role=Role.MANAGER)
    assert User.objects.get(pk=world.admin.pk).role == Role.MANAGER


def test_role_changes_are_validated(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_change_role(world.agent, actor=world.admin, role="overlord")
    assert excinfo.value.field == "role"
    phone_only = accounts.do_create_user(actor=world.agent, name="P", phone="010-9999-0000")
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_change_role(phone_only, actor=world.admin, role=Role.AGENT)
    assert excinfo.value.field == "email"


# --- profiles -------------------------------------------------------------------------------


def test_people_edit_their_own_profile(world: World) -> None:
    accounts.do_update_user(
        world.customer,
        actor=world.customer,
        changes={"name": "Kim C.", "language": "ko", "time_zone": "Asia/Seoul"},
    )
    kim = User.objects.get(pk=world.customer.pk)
    assert (kim.name, kim.language, kim.time_zone) == ("Kim C.", "ko", "Asia/Seoul")


def test_profile_values_are_validated(world: World) -> None:
    for changes, field in (
        ({"language": "fr"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"name": ""}, "name"),
        ({"email": "new@x.example"}, "email"),
        ({"role": "admin"}, "role"),
        ({"is_active": True}, "is_active"),
    ):
        with pytest.raises(InvalidInput) as excinfo:
            accounts.do_update_user(world.customer, actor=world.customer, changes=changes)
        assert excinfo.value.field == field
    assert User.objects.get(pk=world.customer.pk).role == Role.CUSTOMER


def test_who_may_edit_whom(world: World) -> None:
    # Customers: anyone who edits customers. Staff: people managers.
    accounts.do_update_user(world.customer, actor=world.agent, changes={"notes": "Prefers mail"})
    with pytest.raises(Forbidden):
        accounts.do_update_user(world.customer, actor=world.colleague, changes={"name": "X"})
    with pytest.raises(Forbidden):
        accounts.do_update_user(world.customer, actor=world.qa, changes={"name": "X"})
    with pytest.raises(Forbidden):
        accounts.do_update_user(world.tech_agent, actor=world.agent, changes={"name": "X"})
    accounts.do_update_user(world.tech_agent, actor=world.manager, changes={"name": "Tae"})
    assert User.objects.get(pk=world.tech_agent.pk).name == "Tae"


def test_a_customer_cannot_edit_staff_notes_or_their_organization(world: World) -> None:
    accounts.do_update_user(world.customer, actor=world.agent, changes={"notes": "Chargeback risk"})
    for changes in (
        {"notes": "Lovely customer"},
        {"custom_fields": {"vip": True}},
        {"organization": None},
    ):
        with pytest.raises(Forbidden):
            accounts.do_update_user(world.customer, actor=world.customer, changes=changes)
    kim = User.objects.get(pk=world.customer.pk)
    assert kim.notes == "Chargeback risk"
    assert kim.custom_fields == {}
    assert kim.organization == world.acme


# --- deactivation ---------------------------------------------------------------------------


def test_deactivation_revokes_tokens_and_is_audited(world: World) -> None:
    issued = accounts.do_create_api_token(world.agent, actor=world.agent, name="CLI")
    assert accounts.user_for_token(issued.secret) == world.agent

    accounts.do_deactivate_user(world.agent, actor=world.manager)
    agent = User.objects.get(pk=world.agent.pk)
    assert agent.is_active is False
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert accounts.user_for_token(issued.secret) is None
    assert authenticate(email="agent@doum.test", password=PASSWORD) is None
    row = AuditLog.objects.get(action="user.deactivated")
    assert (row.actor, row.target_id) == (world.manager, str(world.agent.pk))


def test_who_may_deactivate(world: World) -> None:
    for who in ("agent", "lead", "qa", "director", "customer"):
        with pytest.raises(Forbidden):
            accounts.do_deactivate_user(world.tech_agent, actor=getattr(world, who))
    with pytest.raises(Forbidden):
        accounts.do_deactivate_user(world.manager, actor=world.manager)
    # A manager may not lock out an admin (that is taking away the admin role).
    with pytest.raises(Forbidden):
        accounts.do_deactivate_user(world.admin, actor=world.manager)
    assert User.objects.get(pk=world.admin.pk).is_active is True
    other = accounts.do_create_user(
        actor=world.admin, name="Second Admin", email="admin2@doum.test", role=Role.ADMIN
    )
    accounts.do_deactivate_user(other, actor=world.admin)
    assert User.objects.get(pk=other.pk).is_active is False


# --- passwords ------------------------------------------------------------------------------


def test_passwords_are_validated_set_and_audited(world: World) -> None:
    for weak in ("short", "password123", "12345678901"):
        with pytest.raises(InvalidInput) as excinfo:
            accounts.do_set_password(world.agent, actor=world.agent, password=weak)
        assert excinfo.value.field == "password"
    accounts.do_set_password(world.agent, actor=world.agent, password="a much longer phrase 77")
    assert authenticate(email="agent@doum.test", password="a much longer phrase 77") is not None
    assert authenticate(email="agent@doum.test", password=PASSWORD) is None
    assert AuditLog.objects.filter(
        action="user.password_set", target_id=str(world.agent.pk)
    ).exists()


def test_only_admins_set_other_peoples_passwords(world: World) -> None:
    with pytest.raises(Forbidden):
        accounts.do_set_password(world.agent, actor=world.manager, password="another phrase 88")
    accounts.do_set_password(world.agent, actor=world.admin, password="another phrase 88")


# --- who sees whom --------------------------------------------------------------------------


def test_customers_see_only_themselves_unless_their_organization_shares(world: World) -> None:
    assert list(visible_users(world.customer)) == [world.customer]
    with pytest.raises(NotFound):
        access_user(world.customer, world.colleague.pk)
    with pytest.raises(NotFound):
        access_user(world.customer, world.agent.pk)
    accounts.do_update_organization(world.acme, actor=world.agent, changes={"shared_tickets": True})
    kim = User.objects.get(pk=world.customer.pk)
    assert set(visible_users(kim)) == {world.customer, world.colleague}
    assert access_user(kim, world.colleague.pk) == world.colleague
    with pytest.raises(NotFound):
        access_user(kim, world.outsider.pk)


def test_staff_see_everyone(world: World) -> None:
    assert visible_users(world.agent).count() == User.objects.count()
    assert access_user(world.qa, world.outsider.pk) == world.outsider


def test_find_or_create_customer_recognises_people(world: World) -> None:
    assert accounts.do_find_or_create_customer(actor=world.agent, email="KIM@acme.example") == (
        world.customer
    )
    new = accounts.do_find_or_create_customer(actor=world.agent, email="Lee@Acme.Example")
    assert (new.name, new.email, new.organization) == ("Lee", "lee@acme.example", world.acme)
    assert accounts.do_find_or_create_customer(actor=None, email="lee@acme.example") == new
    by_phone = accounts.do_find_or_create_customer(actor=None, phone="010 2222 3333", name="Ph")
    assert accounts.do_find_or_create_customer(actor=None, phone="01022223333") == by_phone
    assert Identity.objects.filter(value="01022223333").count() == 1


INVISIBLE_ONLY = [
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner and joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero-width no-break space (BOM)
    " \u200b \u2060 ",
    "\u200b\n\ufeff",
]


@pytest.mark.parametrize("name", INVISIBLE_ONLY)
def test_a_name_of_only_invisible_characters_is_blank(world: World, name: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_user(actor=world.admin, name=name, email="ghost@x.example")
    assert (excinfo.value.field, excinfo.value.message) == ("name", "This field may not be blank.")
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_update_user(world.customer, actor=world.customer, changes={"name": name})
    assert excinfo.value.field == "name"
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_team(actor=world.manager, name=name)
    assert excinfo.value.field == "name"
    assert not User.objects.filter(email="ghost@x.example").exists()
    assert User.objects.get(pk=world.customer.pk).name == world.customer.name


def test_invisible_characters_inside_a_visible_name_are_kept(world: World) -> None:
    # Joiners belong in emoji sequences and some scripts: only an all-invisible name is blank.
    name = "Kim \U0001f469\u200d\U0001f4bb"
    user = accounts.do_create_user(actor=world.admin, name=name, email="kim@x.example")
    assert User.objects.get(pk=user.pk).name == name
