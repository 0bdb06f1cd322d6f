"""Customer (CRM) and organization pages: who sees what, the timeline, edits, hostile input."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doum.accounts import actions as accounts
from doum.accounts.models import AuditLog, Identity, User
from doum.accounts.roles import Role
from doum.tickets import actions as tickets
from doum.tickets.field_definitions import do_create_custom_field
from doum.tickets.models import Via
from tests.personas import World, make_user

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_people_search_finds_by_name_email_phone_and_organization(world: World) -> None:
    accounts.do_add_identity(world.outsider, actor=world.agent, kind="phone", value="010-5555-1234")
    client = client_of(world.agent)
    assert "Kim Customer" in client.get("/people/?q=kim").text
    page = client.get("/people/?q=elsewhere.example").text
    assert "Olly Outsider" in page and "Kim Customer" not in page
    assert "Olly Outsider" in client.get("/people/?q=010 5555").text
    by_org = client.get("/people/?q=Acme Corp").text
    assert "Kim Customer" in by_org and "Park Colleague" in by_org and "Olly" not in by_org
    # Staff are not customers.
    assert "Taehee Tech" not in client.get("/people/?q=tech").text
    assert "No customer matches" in client.get("/people/?q=nobody-here").text


def test_people_partial_update_returns_only_the_results(world: World) -> None:
    response = client_of(world.agent).get("/people/?q=kim", HTTP_X_DOUM_PARTIAL="1")
    assert response.text.startswith('<section id="people-results"')
    assert "<html" not in response.text


def test_customers_are_sent_to_the_portal(world: World) -> None:
    for path in ("/people/", f"/people/{world.colleague.pk}/", f"/organizations/{world.acme.pk}/"):
        response = client_of(world.customer).get(path)
        assert response.status_code == 302 and response["Location"] == "/portal/"
    assert Client().get("/people/").status_code == 302


def test_person_page_shows_identities_org_counts_and_new_ticket_button(world: World) -> None:
    page = client_of(world.agent).get(f"/people/{world.customer.pk}/").text
    assert "kim@acme.example" in page
    assert f'href="/organizations/{world.acme.pk}/"' in page
    assert f"/tickets/new?requester={world.customer.pk}" in page
    assert 'data-testid="count-unsolved">1<' in page
    # A director reads but may not open tickets.
    page = client_of(world.director).get(f"/people/{world.customer.pk}/").text
    assert "new-ticket-for-person" not in page and 'id="person-edit"' not in page


def test_timeline_lists_tickets_replies_and_calls_newest_first(world: World) -> None:
    call = tickets.do_create_ticket(
        actor=world.agent, via=Via.PHONE, subject="Called about invoice", body="Asked for a copy",
        requester_id=world.customer.pk, channel="phone", public=False,
        comment_metadata={"call": {"duration_seconds": 185, "direction": "inbound"}},
    )  # fmt: skip
    page = client_of(world.agent).get(f"/people/{world.customer.pk}/").text
    kinds = [
        chunk.split('"', 1)[0]
        for chunk in page.split('data-testid="timeline-item" data-kind="')[1:]
    ]
    # Newest first: the call (its comment, then its creation), then the first ticket's reply,
    # the customer's first message and the ticket's creation.
    assert kinds == ["call", "ticket", "reply", "comment", "ticket"]
    assert "3:05" in page and f"#{call.pk} Called about invoice" in page
    assert "SECRET internal" not in page  # internal notes other than calls stay out
    assert f'href="/tickets/{world.ticket.pk}/"' in page


def test_timeline_shows_only_tickets_the_agent_may_see(world: World) -> None:
    page = client_of(world.tech_agent).get(f"/people/{world.customer.pk}/").text
    assert "환불 요청" not in page and "Nothing yet." in page
    assert 'data-testid="count-total">0<' in page


def test_timeline_pages_with_a_cursor(world: World) -> None:
    for n in range(25):
        tickets.do_create_ticket(
            actor=world.agent, via=Via.WEB, subject=f"Ticket {n}", body="b",
            requester_id=world.outsider.pk,
        )  # fmt: skip
    client = client_of(world.agent)
    first = client.get(f"/people/{world.outsider.pk}/").text
    assert first.count('data-testid="timeline-item"') == 20
    cursor = first.split("?before=", 1)[1].split('"', 1)[0]
    second = client.get(f"/people/{world.outsider.pk}/?before={cursor}", HTTP_X_DOUM_PARTIAL="1")
    assert second.text.startswith('<section id="timeline"')
    assert second.text.count('data-testid="timeline-item"') == 20
    assert client.get(f"/people/{world.outsider.pk}/?before=nonsense").status_code == 400


def _queries_of_person_page(world: World, tickets_wanted: int) -> int:
    have = world.outsider.requested_tickets.count()
    for n in range(have, tickets_wanted):
        t = tickets.do_create_ticket(
            actor=world.agent, via=Via.WEB, subject=f"T{n}", body="b",
            requester_id=world.outsider.pk,
        )  # fmt: skip
        tickets.do_add_comment(t, actor=world.outsider, via=Via.PORTAL, body="reply")
    client = client_of(world.agent)
    client.get(f"/people/{world.outsider.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/people/{world.outsider.pk}/").status_code == 200
    return len(queries)


def test_person_page_query_count_is_constant(world: World) -> None:
    few = _queries_of_person_page(world, 2)
    many = _queries_of_person_page(world, 20)
    assert few == many
    assert many <= 12


def test_hostile_names_notes_and_identities_render_escaped(world: World) -> None:
    villain = make_user(world.agent, Role.CUSTOMER, HOSTILE, "villain@evil.example")
    accounts.do_update_user(villain, actor=world.agent, changes={"notes": HOSTILE})
    accounts.do_add_identity(villain, actor=world.agent, kind="other", value="<b>bold</b>")
    client = client_of(world.agent)
    for path in (f"/people/{villain.pk}/", "/people/?q=evil"):
        page = client.get(path).text
        assert "<script>alert" not in page and "onerror=alert(1)>" not in page
        assert "&lt;script&gt;" in page
    assert "<b>bold</b>" not in client.get(f"/people/{villain.pk}/").text


def test_agent_edits_notes_and_custom_fields(world: World) -> None:
    do_create_custom_field(
        actor=world.admin, key="tier", label="Tier", field_type="dropdown", applies_to="user",
        options=[{"value": "gold", "label": "Gold"}, {"value": "basic", "label": "Basic"}],
    )  # fmt: skip
    client = client_of(world.agent)
    response = client.post(
        f"/people/{world.customer.pk}/edit", {"notes": "Prefers phone", "cf_tier": "gold"}
    )
    assert response.status_code == 302
    world.customer.refresh_from_db()
    assert world.customer.notes == "Prefers phone"
    assert world.customer.custom_fields == {"tier": "gold"}
    bad = client.post(f"/people/{world.customer.pk}/edit", {"cf_tier": "platinum"})
    assert bad.status_code == 400 and "not one of the field" in bad.text
    too_long = client.post(f"/people/{world.customer.pk}/edit", {"notes": "x" * 10_001})
    assert too_long.status_code == 400 and "At most 10000 characters." in too_long.text


def test_qa_and_director_may_not_edit_customers(world: World) -> None:
    for user in (world.qa, world.director):
        response = client_of(user).post(f"/people/{world.customer.pk}/edit", {"notes": "x"})
        assert response.status_code == 403
    world.customer.refresh_from_db()
    assert world.customer.notes == ""


def test_add_and_remove_identities(world: World) -> None:
    client = client_of(world.agent)
    added = client.post(
        f"/people/{world.customer.pk}/identities", {"kind": "phone", "value": "+82 10-1234-5678"}
    )
    assert added.status_code == 302
    phone = Identity.objects.get(user=world.customer, kind="phone")
    assert phone.value == "+821012345678"
    bad = client.post(f"/people/{world.customer.pk}/identities", {"kind": "email", "value": "nope"})
    assert bad.status_code == 400 and "not a valid e-mail" in bad.text
    taken = client.post(
        f"/people/{world.colleague.pk}/identities", {"kind": "phone", "value": "+821012345678"}
    )
    assert taken.status_code == 400 and "belongs to someone else" in taken.text
    unknown = client.post(f"/people/{world.customer.pk}/identities", {"kind": "fax", "value": "1"})
    assert unknown.status_code == 400
    removed = client.post(f"/people/{world.customer.pk}/identities/{phone.pk}/remove")
    assert removed.status_code == 302
    assert not Identity.objects.filter(pk=phone.pk).exists()
    assert AuditLog.objects.filter(action="identity.removed", target_id=str(phone.pk)).exists()
    sign_in = Identity.objects.get(user=world.customer, kind="email")
    kept = client.post(f"/people/{world.customer.pk}/identities/{sign_in.pk}/remove")
    assert kept.status_code == 400 and Identity.objects.filter(pk=sign_in.pk).exists()
    # Another person's identity id under this person's URL is not found.
    other = Identity.objects.get(user=world.colleague, kind="email")
    assert (
        client.post(f"/people/{world.customer.pk}/identities/{other.pk}/remove").status_code == 404
    )


def test_missing_csrf_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent)
    response = client.post(f"/people/{world.customer.pk}/edit", {"notes": "x"})
    assert response.status_code == 403


def test_unknown_person_is_not_found(world: World) -> None:
    assert client_of(world.agent).get("/people/999999/").status_code == 404


def test_organizations_list_and_page(world: World) -> None:
    client = client_of(world.agent)
    listing = client.get("/organizations/?q=acme.example").text
    assert "Acme Corp" in listing
    page = client.get(f"/organizations/{world.acme.pk}/").text
    assert "acme.example" in page and "Kim Customer" in page and "Park Colleague" in page
    assert 'data-testid="organization-ticket"' in page
    assert 'data-testid="timeline-item"' in page
    # An agent edits notes but not domains or sharing.
    assert 'id="organization-notes"' in page and 'id="organization-domains"' not in page
    assert (
        'data-testid="organization-ticket"'
        not in client_of(world.tech_agent).get(f"/organizations/{world.acme.pk}/").text
    )


def test_organization_edit_rules(world: World) -> None:
    agent = client_of(world.agent)
    assert agent.post(f"/organizations/{world.acme.pk}/edit", {"notes": "VIP"}).status_code == 302
    refused = agent.post(
        f"/organizations/{world.acme.pk}/edit",
        {"shared_tickets__present": "1", "shared_tickets": "on"},
    )
    assert refused.status_code == 403
    manager = client_of(world.manager)
    ok = manager.post(
        f"/organizations/{world.acme.pk}/edit",
        {
            "domains": "acme.example acme.co.kr",
            "shared_tickets__present": "1",
            "shared_tickets": "on",
        },
    )
    assert ok.status_code == 302
    world.acme.refresh_from_db()
    assert world.acme.shared_tickets and world.acme.notes == "VIP"
    assert sorted(d.domain for d in world.acme.domains.all()) == ["acme.co.kr", "acme.example"]
    bad = manager.post(f"/organizations/{world.acme.pk}/edit", {"domains": "not a <domain>"})
    assert bad.status_code == 400 and "is not a mail domain" in bad.text
    assert (
        client_of(world.qa).post(f"/organizations/{world.acme.pk}/edit", {"notes": "x"}).status_code
        == 403
    )
