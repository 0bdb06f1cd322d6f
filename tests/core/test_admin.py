"""The Django admin is for looking, never for writing (writes would skip the actions)."""

from django.test import Client

from doum.tickets.models import Ticket
from tests.personas import World


def test_admin_can_inspect_but_not_change(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    assert client.get("/admin/tickets/ticket/").status_code == 200
    page = client.get(f"/admin/tickets/ticket/{world.ticket.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.get("/admin/tickets/ticket/add/").status_code == 403
    r = client.post(f"/admin/tickets/ticket/{world.ticket.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    assert Ticket.objects.filter(pk=world.ticket.pk).exists()


def test_other_roles_are_kept_out(world: World) -> None:
    for user in (world.manager, world.agent, world.customer):
        client = Client()
        client.force_login(user)
        assert client.get("/admin/tickets/ticket/").status_code == 302
