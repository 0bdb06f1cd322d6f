"""Organizations: names, mail domains that attach customers, shared tickets, audit rows."""

from __future__ import annotations

import pytest

from doum.accounts import actions as accounts
from doum.accounts.models import AuditLog, Organization, OrganizationDomain
from doum.accounts.selectors import access_organization, visible_organizations
from doum.core.errors import Forbidden, InvalidInput, NotFound
from tests.personas import World


def test_customers_are_attached_by_their_email_domain(world: World) -> None:
    assert world.customer.organization == world.acme
    assert world.colleague.organization == world.acme
    assert world.outsider.organization is None

    beta = accounts.do_create_organization(
        actor=world.agent, name="Beta Ltd", domains=[" @Beta.Example ", "beta.co.kr"]
    )
    assert sorted(beta.domains.values_list("domain", flat=True)) == ["beta.co.kr", "beta.example"]
    for email in ("jo@beta.example", "JI@BETA.CO.KR"):
        person = accounts.do_create_user(actor=world.agent, name="Beta person", email=email)
        assert person.organization == beta
    # A subdomain is a different domain.
    stranger = accounts.do_create_user(actor=world.agent, name="Sub", email="x@mail.beta.example")
    assert stranger.organization is None
    # An explicit organization wins over the domain.
    placed = accounts.do_create_user(
        actor=world.agent, name="Placed", email="y@beta.example", organization=world.acme
    )
    assert placed.organization == world.acme


def test_a_domain_belongs_to_one_organization(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_organization(actor=world.agent, name="Copycat", domains=["ACME.example"])
    assert excinfo.value.field == "domains"
    assert not Organization.objects.filter(name="Copycat").exists()


@pytest.mark.parametrize(
    "domain", ["", "localhost", "a b.example", "x@y.example", "<x>.example", "evil\x00.example"]
)
def test_bad_domains_are_rejected(world: World, domain: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_update_organization(
            world.acme, actor=world.agent, changes={"domains": [domain]}
        )
    assert excinfo.value.field == "domains"
    assert list(world.acme.domains.values_list("domain", flat=True)) == ["acme.example"]


def test_organization_names_are_unique_ignoring_case(world: World) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_organization(actor=world.agent, name="  ACME corp ")
    assert excinfo.value.field == "name"
    other = accounts.do_create_organization(actor=world.agent, name="Other")
    with pytest.raises(InvalidInput):
        accounts.do_update_organization(other, actor=world.agent, changes={"name": "acme CORP"})
    # Renaming to your own name in another case is fine.
    accounts.do_update_organization(world.acme, actor=world.agent, changes={"name": "ACME Corp"})
    assert Organization.objects.get(pk=world.acme.pk).name == "ACME Corp"


def test_updating_an_organization_is_audited(world: World) -> None:
    accounts.do_update_organization(
        world.acme,
        actor=world.lead,
        changes={"shared_tickets": True, "domains": ["acme.example", "acme.co.kr"], "notes": "Key"},
    )
    acme = Organization.objects.get(pk=world.acme.pk)
    assert acme.shared_tickets is True
    assert acme.notes == "Key"
    assert set(
        OrganizationDomain.objects.filter(organization=acme).values_list("domain", flat=True)
    ) == {
        "acme.example",
        "acme.co.kr",
    }
    row = AuditLog.objects.filter(action="organization.updated").get()
    assert (row.actor, row.target_type, row.target_id) == (world.lead, "organization", str(acme.pk))
    assert row.data == {"fields": ["domains", "notes", "shared_tickets"]}
    # Dropping a domain removes it.
    accounts.do_update_organization(acme, actor=world.lead, changes={"domains": ["acme.co.kr"]})
    assert list(acme.domains.values_list("domain", flat=True)) == ["acme.co.kr"]


def test_who_may_create_and_edit_organizations(world: World) -> None:
    for who in ("customer", "qa", "director"):
        with pytest.raises(Forbidden):
            accounts.do_create_organization(actor=getattr(world, who), name=f"By {who}")
        with pytest.raises(Forbidden):
            accounts.do_update_organization(
                world.acme, actor=getattr(world, who), changes={"shared_tickets": True}
            )
    assert Organization.objects.get(pk=world.acme.pk).shared_tickets is False
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_update_organization(world.acme, actor=world.agent, changes={"id": 5})
    assert excinfo.value.field == "id"


def test_customers_see_only_their_own_organization(world: World) -> None:
    other = accounts.do_create_organization(actor=world.agent, name="Other")
    assert list(visible_organizations(world.customer)) == [world.acme]
    assert list(visible_organizations(world.outsider)) == []
    with pytest.raises(NotFound):
        access_organization(world.customer, other.pk)
    assert access_organization(world.agent, other.pk) == other
