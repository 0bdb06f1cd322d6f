"""Password reset: the same answer for known and unknown addresses, throttling, the mail in
the person's language, and the whole flow end to end."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from doum.accounts import actions as accounts
from doum.accounts.models import AuditLog
from tests.personas import PASSWORD, World


def ask(email: str, ip: str = "10.0.0.1") -> tuple[int, str, str]:
    response = Client(REMOTE_ADDR=ip).post("/password-reset/", {"email": email}, follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else ""
    # The page differs only by the CSRF token every new visitor gets.
    text = re.sub(r'(csrf-token" content|csrfmiddlewaretoken" value)="[^"]*"', "", response.text)
    return response.status_code, final, text


def test_sign_in_page_links_to_password_reset(db: None) -> None:
    page = Client().get("/login/").text
    assert 'href="/password-reset/"' in page and "Forgot your password?" in page


def test_known_and_unknown_addresses_get_the_same_answer(world: World) -> None:
    known = ask("kim@acme.example")
    unknown = ask("nobody@nowhere.example")
    assert known == unknown
    assert known[0] == 200 and known[1] == "/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kim@acme.example"]


def test_invalid_address_is_a_field_error(db: None) -> None:
    response = Client().post("/password-reset/", {"email": "not an address"})
    assert response.status_code == 200 and 'id="id_email_error"' in response.text
    assert not mail.outbox


def test_reset_works_end_to_end(world: World) -> None:
    ask("AGENT@doum.test")
    body = mail.outbox[0].body
    link = re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/)", body)
    assert link is not None
    client = Client()
    form = client.get(link.group(1), follow=True)
    assert 'id="password-reset-confirm-form"' in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand new secret 9000", "new_password2": "brand new secret 9000"},
        follow=True,
    )
    assert 'id="password-reset-complete"' in done.text
    world.agent.refresh_from_db()
    assert world.agent.check_password("brand new secret 9000")
    assert not world.agent.check_password(PASSWORD)
    # Set through the action, with its audit row.
    audit = AuditLog.objects.filter(action="user.password_set", target_id=str(world.agent.pk))
    assert audit.get().actor_id == world.agent.pk
    # The link works once.
    again = Client().get(link.group(1), follow=True)
    assert 'id="password-reset-invalid"' in again.text


def test_customers_without_a_password_may_set_one(world: World) -> None:
    accounts.do_find_or_create_customer(actor=world.agent, email="fresh@new.example", name="Fresh")
    ask("fresh@new.example")
    assert mail.outbox and mail.outbox[0].to == ["fresh@new.example"]


def test_mail_is_in_the_users_language(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.contrib.auth.forms import PasswordResetForm
    from django.utils import translation

    languages: list[str] = []
    original = PasswordResetForm.send_mail

    def spy(self: PasswordResetForm, *args: Any, **kwargs: Any) -> None:
        languages.append(translation.get_language())
        original(self, *args, **kwargs)

    monkeypatch.setattr(PasswordResetForm, "send_mail", spy)
    accounts.do_update_user(world.customer, actor=world.customer, changes={"language": "ko"})
    Client(HTTP_ACCEPT_LANGUAGE="en").post("/password-reset/", {"email": "kim@acme.example"})
    Client(HTTP_ACCEPT_LANGUAGE="ko").post("/password-reset/", {"email": "agent@doum.test"})
    # Kim chose Korean; the agent chose nothing, so the browser's language is used.
    assert languages == ["ko", "ko"]
    Client(HTTP_ACCEPT_LANGUAGE="en").post("/password-reset/", {"email": "agent@doum.test"})
    assert languages[-1] == "en"
    assert len(mail.outbox) == 3


def test_per_address_limit_sends_nothing_but_answers_the_same(world: World) -> None:
    answers = [ask("kim@acme.example", ip=f"10.0.1.{n}") for n in range(7)]
    assert len(set(answers)) == 1  # the same page every time
    assert len(mail.outbox) == 5


def test_per_ip_limit_says_too_many_requests(world: World) -> None:
    statuses = [ask(f"someone{n}@nowhere.example", ip="10.9.9.9")[0] for n in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    page = Client(REMOTE_ADDR="10.9.9.9").post("/password-reset/", {"email": "kim@acme.example"})
    assert page.status_code == 429 and 'id="password-reset-throttled"' in page.text
    assert not mail.outbox


@pytest.mark.parametrize(
    "path", ["/password-reset/", "/password-reset/sent/", "/password-reset/done/"]
)
def test_pages_render_for_anonymous_visitors(db: None, path: str) -> None:
    assert Client().get(path).status_code == 200
