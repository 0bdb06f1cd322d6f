"""Mailbox actions: admins only, every value validated (the error names its field), one audit
row per change without the password, and Doum's own-address cache forgotten after commit.
Also the mail selectors the admin pages read through: newest-first pages, admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from doum.accounts.models import AuditLog
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.mail import addresses, inbound, selectors
from doum.mail.mailboxes import (
    do_create_mailbox,
    do_deactivate_mailbox,
    do_reactivate_mailbox,
    do_update_mailbox,
)
from doum.mail.models import Mailbox
from tests.personas import World

SECRET = "s3cret-imap-password"


def create(world: World, **kw: Any) -> Mailbox:
    actor = kw.pop("actor", world.admin)
    values: dict[str, Any] = {
        "name": "Acme help", "address": "help@acme.test", "brand_id": world.brand.pk,
        "team_id": world.billing.pk,
    }  # fmt: skip
    values.update(kw)
    return do_create_mailbox(actor=actor, **values)


def polled(world: World, **kw: Any) -> Mailbox:
    values: dict[str, Any] = {
        "imap_host": "imap.acme.test", "imap_username": "help", "imap_password": SECRET,
    }  # fmt: skip
    return create(world, **{**values, **kw})


def test_admin_creates_a_mailbox_normalised_and_audited(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    assert "help@acme.test" in addresses.own_addresses()  # the brand's address, cached
    with django_capture_on_commit_callbacks(execute=True):
        mailbox = polled(world, address="  Sales@Acme.TEST ", name=" Sales  ")
    assert mailbox.address == "sales@acme.test" and mailbox.name == "Sales"
    assert mailbox.imap_port == 993 and mailbox.imap_security == "ssl"
    assert mailbox.imap_folder == "INBOX" and mailbox.is_active
    assert "sales@acme.test" in addresses.own_addresses()  # the cache was forgotten
    row = AuditLog.objects.get(action="mailbox.created", target_id=str(mailbox.pk))
    assert row.actor_id == world.admin.pk and row.data["address"] == "sales@acme.test"
    assert SECRET not in str(row.data) and "imap_password" not in row.data


@pytest.mark.parametrize("role", ["manager", "agent", "lead", "director", "qa"])
def test_only_admins_set_up_mailboxes(world: World, role: str) -> None:
    with pytest.raises(Forbidden):
        create(world, actor=world.by_role()[role])
    assert not Mailbox.objects.exists()
    mailbox = create(world)
    with pytest.raises(Forbidden):
        do_update_mailbox(mailbox, actor=world.by_role()[role], name="Taken over")
    with pytest.raises(Forbidden):
        do_deactivate_mailbox(mailbox, actor=world.by_role()[role])
    mailbox.refresh_from_db()
    assert mailbox.name == "Acme help" and mailbox.is_active


BAD: list[tuple[str, dict[str, Any]]] = [
    ("name", {"name": ""}),
    ("name", {"name": "\u200b "}),
    ("name", {"name": "Help\r\nBcc: victim@example.com"}),
    ("name", {"name": "<script>alert(1)</script>"}),
    ("name", {"name": 'Bank "security" <security@bank.example>'}),
    ("name", {"name": "x" * 101}),
    ("address", {"address": "not an address"}),
    ("address", {"address": "help@localhost"}),
    ("address", {"address": "help@acme.test\r\nBcc: x@y.example"}),
    ("address", {"address": "help+t1@acme.test"}),
    ("address", {"address": "a" * 300 + "@acme.test"}),
    ("brand", {"brand_id": 999_999}),
    ("team", {"team_id": 999_999}),
    ("imap_host", {"imap_host": "imaps://imap.acme.test", "imap_username": "u", "imap_password": "p"}),
    ("imap_host", {"imap_host": "imap.acme.test:993", "imap_username": "u", "imap_password": "p"}),
    ("imap_host", {"imap_host": "imap acme test", "imap_username": "u", "imap_password": "p"}),
    ("imap_host", {"imap_host": "x" * 300}),
    ("imap_port", {"imap_port": 0}),
    ("imap_port", {"imap_port": 70_000}),
    ("imap_port", {"imap_port": -1}),
    ("imap_security", {"imap_security": "tls13"}),
    ("imap_username", {"imap_username": "help\r\nA1 LOGOUT"}),
    ("imap_username", {"imap_host": "imap.acme.test", "imap_password": "p"}),
    ("imap_password", {"imap_host": "imap.acme.test", "imap_username": "u"}),
    ("imap_password", {"imap_password": "pa\nss"}),
    ("imap_password", {"imap_password": "p" * 501}),
    ("imap_folder", {"imap_folder": ""}),
    ("imap_folder", {"imap_folder": "INBOX\r\nA2 DELETE INBOX"}),
    ("imap_folder", {"imap_folder": "F" * 201}),
    ("imap_move_to", {"imap_move_to": "Done\nX"}),
    ("imap_move_to", {"imap_host": "imap.acme.test", "imap_username": "u", "imap_password": "p",
                      "imap_move_to": "INBOX"}),
]  # fmt: skip


@pytest.mark.parametrize(("field", "values"), BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_values_are_refused_on_their_field_and_nothing_is_saved(
    world: World, field: str, values: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        create(world, **values)
    assert caught.value.field == field
    assert not Mailbox.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="mailbox.").exists()


def test_addresses_are_unique_whatever_their_case(world: World) -> None:
    create(world)
    with pytest.raises(InvalidInput) as caught:
        create(world, address="HELP@acme.test", name="Other")
    assert caught.value.field == "address"
    other = create(world, address="sales@acme.test")
    with pytest.raises(InvalidInput) as caught:
        do_update_mailbox(other, actor=world.admin, address="Help@Acme.test")
    assert caught.value.field == "address"
    other.refresh_from_db()
    assert other.address == "sales@acme.test" and Mailbox.objects.count() == 2


def test_hosts_accept_names_and_ip_addresses(world: World) -> None:
    for i, host in enumerate(["IMAP.Acme.Test.", "127.0.0.1", "::1", "[2001:db8::1]"]):
        mailbox = polled(world, address=f"box{i}@acme.test", imap_host=host)
        assert mailbox.imap_host == host.lower().rstrip(".")


def test_an_empty_password_keeps_the_saved_one(world: World) -> None:
    mailbox = polled(world)
    do_update_mailbox(mailbox, actor=world.admin, name="Renamed", imap_password="")
    mailbox.refresh_from_db()
    assert mailbox.name == "Renamed" and mailbox.imap_password == SECRET
    do_update_mailbox(mailbox, actor=world.admin, imap_password="new-one")
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "new-one"
    rows = AuditLog.objects.filter(action="mailbox.updated", target_id=str(mailbox.pk))
    assert [r.data["changed"] for r in rows.order_by("id")] == [["name"], ["imap_password"]]
    assert all(SECRET not in str(r.data) and "new-one" not in str(r.data) for r in rows)


def test_changing_imap_settings_clears_the_last_polling_error(world: World) -> None:
    mailbox = polled(world)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error="auth failed")
    do_update_mailbox(mailbox, actor=world.admin, name="Only the name")
    mailbox.refresh_from_db()
    assert mailbox.last_error == "auth failed"
    do_update_mailbox(mailbox, actor=world.admin, imap_username="help2")
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_error_at is None


def test_an_update_that_fails_changes_nothing(world: World) -> None:
    mailbox = polled(world)
    with pytest.raises(InvalidInput) as caught:
        do_update_mailbox(mailbox, actor=world.admin, name="New name", imap_port=70_000)
    assert caught.value.field == "imap_port"
    mailbox.refresh_from_db()
    assert mailbox.name == "Acme help" and mailbox.imap_port == 993
    with pytest.raises(InvalidInput):
        do_update_mailbox(mailbox, actor=world.admin, created_at=None)
    with pytest.raises(InvalidInput):
        do_update_mailbox(mailbox, actor=world.admin, imap_username="")  # polling needs one


def test_no_change_writes_no_audit_row(world: World) -> None:
    mailbox = create(world)
    do_update_mailbox(mailbox, actor=world.admin, name="Acme help", address="HELP@acme.test")
    assert not AuditLog.objects.filter(action="mailbox.updated").exists()


def test_deactivate_and_reactivate(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    mailbox = create(world, address="sales@acme.test")
    assert "sales@acme.test" in addresses.own_addresses()
    with django_capture_on_commit_callbacks(execute=True):
        do_deactivate_mailbox(mailbox, actor=world.admin)
    mailbox.refresh_from_db()
    assert not mailbox.is_active
    assert AuditLog.objects.filter(action="mailbox.deactivated", target_id=str(mailbox.pk)).exists()
    # Still Doum's own address: mail from it must never be taken for a customer's.
    assert "sales@acme.test" in addresses.own_addresses()
    do_reactivate_mailbox(mailbox, actor=world.admin)
    mailbox.refresh_from_db()
    assert mailbox.is_active
    assert AuditLog.objects.filter(action="mailbox.reactivated").count() == 1


# --- selectors ------------------------------------------------------------------------------


def test_keyset_pages_are_newest_first_without_gaps_or_repeats(world: World) -> None:
    with time_machine.travel("2026-11-20 09:00:00+00:00", tick=False):
        same_instant = [
            inbound.store_inbound(f"Subject: {i}\n\nbody {i}".encode(), source="http").inbound_id
            for i in range(4)
        ]
    later = inbound.store_inbound(b"Subject: later\n\nbody", source="http").inbound_id
    seen: list[int] = []
    cursor = ""
    for _page in range(4):
        page = selectors.recent_inbound(cursor=cursor, limit=2)
        seen += [row.pk for row in page.rows]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [later, *sorted(same_instant, reverse=True)]
    assert selectors.recent_inbound("failed").rows == []
    for bad in ("zzz", "1.x", "99999999999999999999.1", "-5.3", "1.2.3"):
        assert selectors.recent_inbound(cursor=bad).rows[0].pk == later


def test_inbound_rows_are_for_admins_only(world: World) -> None:
    stored = inbound.store_inbound(b"Subject: hi\n\nbody", source="http")
    assert selectors.access_inbound(world.admin, stored.inbound_id).pk == stored.inbound_id
    for role in ("manager", "agent", "director", "customer"):
        with pytest.raises(NotFound):
            selectors.access_inbound(world.by_role()[role], stored.inbound_id)
    with pytest.raises(NotFound):
        selectors.access_original(world.admin, stored.inbound_id)  # no ticket: no original
    mailbox = create(world)
    assert selectors.access_mailbox(world.admin, mailbox.pk) == mailbox
    with pytest.raises(NotFound):
        selectors.access_mailbox(world.manager, mailbox.pk)
