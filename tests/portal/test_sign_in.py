"""Sign-up, sign-in with a password, and sign-in links by e-mail."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from doum.accounts.models import AuditLog, Identity, User
from doum.accounts.roles import Role
from doum.portal import signin
from tests.personas import PASSWORD, World
from tests.portal.conftest import ClientFor
from tests.portal.helpers import PortalClient as Client
from tests.portal.helpers import page_text

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

GOOD_PASSWORD = "a long and unusual passphrase 7"
LINK = re.compile(r"https?://[^/\s]+(/portal/login/link/[^\s]+)")


def link_in(message: mail.EmailMessage) -> str:
    found = LINK.search(str(message.body))
    assert found, message.body
    return found.group(1)


def sign_up(
    client: Client, email: str, name: str = "New Person", password: str = GOOD_PASSWORD
) -> Response:
    return client.post("/portal/signup", {"name": name, "email": email, "password": password})


# --- sign-up -------------------------------------------------------------------------------


def test_sign_up_creates_a_customer_and_mails_a_link(world: World) -> None:
    response = sign_up(Client(), "New.Person@Example.org")
    assert response.status_code == 200
    assert 'data-testid="check-mail"' in response.content.decode()
    user = User.objects.get(email="new.person@example.org")
    assert user.role == Role.CUSTOMER and user.name == "New Person"
    assert user.check_password(GOOD_PASSWORD)
    assert AuditLog.objects.filter(action="user.signed_up", target_id=str(user.pk)).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.org"]
    # Not signed in by signing up: the address is proved by the link.
    assert "_auth_user_id" not in Client().session


def test_sign_up_with_a_taken_address_answers_the_same_and_takes_nothing_over(
    world: World,
) -> None:
    fresh = sign_up(Client(), "someone.new@example.org")
    taken = sign_up(Client(), "KIM@acme.example", name="Mallory", password=GOOD_PASSWORD)
    assert taken.status_code == fresh.status_code == 200

    assert page_text(taken, "KIM@acme.example") == page_text(fresh, "someone.new@example.org")
    world.customer.refresh_from_db()
    assert world.customer.name == "Kim Customer"
    assert world.customer.check_password(PASSWORD)
    assert User.objects.filter(email__iexact="kim@acme.example").count() == 1
    # The real owner is told, with a link of their own.
    owner_mail = mail.outbox[-1]
    assert owner_mail.to == ["kim@acme.example"]
    assert "already has an account" in str(owner_mail.body)
    link_in(owner_mail)


def test_sign_up_with_a_staff_address_sends_no_link(world: World) -> None:
    response = sign_up(Client(), "agent@doum.test")
    assert response.status_code == 200
    assert mail.outbox[-1].to == ["agent@doum.test"]
    assert "/portal/login/link/" not in str(mail.outbox[-1].body)
    assert User.objects.get(email="agent@doum.test").role == Role.AGENT


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "email": "a@example.org", "password": GOOD_PASSWORD}, "name"),
        ({"name": "X" * 201, "email": "a@example.org", "password": GOOD_PASSWORD}, "name"),
        ({"name": "A", "email": "not-an-address", "password": GOOD_PASSWORD}, "email"),
        ({"name": "A", "email": "a@example.org", "password": "short"}, "password"),
        ({"name": "A", "email": "a@example.org", "password": "password123"}, "password"),
    ],
)
def test_sign_up_bad_input_is_shown_on_the_field(
    world: World, data: dict[str, str], field: str
) -> None:
    response = Client().post("/portal/signup", data)
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not User.objects.filter(email="a@example.org").exists()
    assert not mail.outbox


def test_forms_refuse_a_missing_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/portal/signup", {"name": "A", "email": "a@example.org", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="a@example.org").exists()


# --- password sign-in ------------------------------------------------------------------------


def test_customer_signs_in_with_password_and_lands_on_requests(world: World) -> None:
    client = Client()
    response = client.post("/portal/login", {"email": "KIM@acme.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/requests"
    assert client.session["_auth_user_id"] == str(world.customer.pk)


def test_staff_signing_in_at_the_portal_go_to_the_workspace(world: World) -> None:
    client = Client()
    response = client.post("/portal/login", {"email": "agent@doum.test", "password": PASSWORD})
    assert response["Location"] == "/"
    assert client.get("/portal/requests")["Location"] == "/"
    assert client.get("/portal/")["Location"] == "/"


def test_wrong_password_is_refused_and_throttled(world: World) -> None:
    client = Client()
    for _ in range(signin.LOGIN_FAILURES_PER_ADDRESS.count):
        wrong = client.post("/portal/login", {"email": "kim@acme.example", "password": "nope"})
        assert wrong.status_code == 400
        assert "do not match" in wrong.content.decode()
    # Now even the right password waits: guessing stops.
    blocked = client.post("/portal/login", {"email": "kim@acme.example", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_next_parameter_stays_on_this_site(world: World) -> None:
    client = Client()
    evil = client.post(
        "/portal/login?next=https://evil.example/",
        {"email": "kim@acme.example", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert evil["Location"] == "/portal/requests"
    client = Client()
    page = f"/portal/requests/{world.ticket.pk}"
    good = client.post("/portal/login", {"email": "kim@acme.example", "password": PASSWORD,
                                         "next": page})  # fmt: skip
    assert good["Location"] == page


def test_signed_in_customers_do_not_see_sign_in_pages(world: World, signed_in: ClientFor) -> None:
    client = signed_in(world.customer)
    for path in ("/portal/login", "/portal/signup", "/portal/login/link"):
        assert client.get(path)["Location"] == "/portal/"


def test_sign_out(world: World, signed_in: ClientFor) -> None:
    client = signed_in(world.customer)
    response = client.post("/portal/logout")
    assert response["Location"] == "/portal/"
    assert "_auth_user_id" not in client.session


# --- sign-in links ---------------------------------------------------------------------------


def ask_link(client: Client, email: str) -> Response:
    return client.post("/portal/login/link", {"email": email})


def test_link_request_answers_the_same_for_known_and_unknown_addresses(world: World) -> None:
    known = ask_link(Client(), "kim@acme.example")
    unknown = ask_link(Client(), "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 200
    assert page_text(known, "kim@acme.example") == page_text(unknown, "nobody@nowhere.example")
    assert [m.to for m in mail.outbox] == [["kim@acme.example"]]


def test_link_signs_in_once_and_verifies_the_address(world: World) -> None:
    ask_link(Client(), "kim@acme.example")
    path = link_in(mail.outbox[0])
    client = Client()
    confirm = client.get(path)  # opening the link (or a mail scanner) does not sign in
    assert confirm.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Kim Customer" in confirm.content.decode()
    response = client.post(path)
    assert response["Location"] == "/portal/requests"
    assert client.session["_auth_user_id"] == str(world.customer.pk)
    assert Identity.objects.get(user=world.customer, kind="email").verified
    # Used once: the same link no longer works, in this browser or another.
    again = Client().post(path)
    assert again.status_code == 400
    assert 'data-testid="link-invalid"' in again.content.decode()
    assert "_auth_user_id" not in Client().session


def test_link_expires_after_30_minutes(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask_link(Client(), "kim@acme.example")
    path = link_in(mail.outbox[0])
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert Client().get(path).status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        client = Client()
        assert client.post(path).status_code == 400
        assert "_auth_user_id" not in client.session


def test_tampered_or_foreign_tokens_do_not_sign_in(world: World) -> None:
    token = signin.make_link_token(world.customer)
    _, _, rest = token.partition(".")
    forged = f"{world.outsider.pk}.{rest}"
    for bad in (forged, token[:-2] + "xx", "x" * 300, "1.abc:def:ghi"):
        client = Client()
        assert client.post(f"/portal/login/link/{bad}").status_code == 400
        assert "_auth_user_id" not in client.session
    # Staff never sign in with a link, even a genuinely signed one.
    staff_token = signin.make_link_token(world.agent)
    client = Client()
    assert client.post(f"/portal/login/link/{staff_token}").status_code == 400


def test_link_requests_are_throttled_per_address_and_per_ip(world: World) -> None:
    for _ in range(signin.LINK_PER_ADDRESS.count):
        assert ask_link(Client(), "kim@acme.example").status_code == 200
    assert ask_link(Client(), "KIM@acme.example").status_code == 429
    assert len(mail.outbox) == signin.LINK_PER_ADDRESS.count
    # Unknown addresses count the same way (the throttle reveals nothing).
    for i in range(signin.LINK_PER_IP.count - signin.LINK_PER_ADDRESS.count - 1):
        assert ask_link(Client(), f"n{i}@nowhere.example").status_code == 200
    assert ask_link(Client(), "last@nowhere.example").status_code == 429
    other_ip = Client(REMOTE_ADDR="10.9.8.7")
    assert ask_link(other_ip, "park@acme.example").status_code == 200


def _record_mail_language(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from django.utils import translation

    languages: list[str] = []
    original = signin.send_mail

    def recording(*args: object, **kwargs: object) -> int:
        languages.append(translation.get_language() or "")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(signin, "send_mail", recording)
    return languages


def test_mail_is_in_the_customers_language(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from doum.accounts.actions import do_update_user

    languages = _record_mail_language(monkeypatch)
    do_update_user(world.customer, actor=world.customer, changes={"language": "ko"})
    ask_link(Client(), "kim@acme.example")  # the visitor's browser is in English
    ask_link(Client(), "park@acme.example")  # no language of their own: the page's
    assert languages == ["ko", "en"]
    assert "Kim Customer" in str(mail.outbox[0].body)
    link_in(mail.outbox[0])


def test_new_customers_keep_the_language_they_signed_up_in(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    languages = _record_mail_language(monkeypatch)
    client = Client()
    client.post("/portal/language", {"language": "ko"})
    sign_up(client, "minji@example.org", name="김민지")
    assert User.objects.get(email="minji@example.org").language == "ko"
    assert languages == ["ko"]


def test_language_switch_for_visitors_and_customers(world: World, signed_in: ClientFor) -> None:
    visitor = Client()
    response = visitor.post("/portal/language", {"language": "ko", "next": "/portal/new"})
    assert response["Location"] == "/portal/new"
    assert response.cookies["django_language"].value == "ko"
    assert 'lang="ko"' in visitor.get("/portal/").content.decode()
    customer = signed_in(world.customer)
    customer.post("/portal/language", {"language": "ko"})
    world.customer.refresh_from_db()
    assert world.customer.language == "ko"
    bad = customer.post("/portal/language", {"language": "xx", "next": "https://evil.example/"})
    assert bad["Location"] == "/portal/"
    world.customer.refresh_from_db()
    assert world.customer.language == "ko"
