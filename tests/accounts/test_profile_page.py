"""The profile page: name, language, time zone, password and the availability switch."""

from __future__ import annotations

from django.test import Client

from doum.accounts.models import AuditLog, User
from tests.personas import PASSWORD, World


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_profile_shows_the_users_settings_and_the_top_bar_switch(world: World) -> None:
    page = client_of(world.agent).get("/profile/").text
    assert 'value="Ari Agent"' in page
    assert 'id="availability-select"' in page and "data-autosubmit" in page
    assert 'id="profile-link"' in page
    assert client_of(world.customer).get("/profile/")["Location"] == "/portal/"


def test_language_applies_on_the_next_page(world: World) -> None:
    client = client_of(world.agent)
    response = client.post(
        "/profile/edit", {"name": "Ari A.", "language": "ko", "time_zone": "Asia/Seoul"}
    )
    assert response.status_code == 302
    world.agent.refresh_from_db()
    assert (world.agent.name, world.agent.language, world.agent.time_zone) == (
        "Ari A.", "ko", "Asia/Seoul",
    )  # fmt: skip
    # The user's setting wins over the browser's from the next page on.
    assert '<html lang="ko"' in client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").text


def test_bad_profile_input_gives_field_errors(world: World) -> None:
    client = client_of(world.agent)
    cases = {
        "profile-time-zone-error": {"name": "A", "time_zone": "Mars/Olympus"},
        "profile-language-error": {"name": "A", "language": "fr"},
        "profile-name-error": {"name": "x" * 201},
    }
    for error_id, data in cases.items():
        response = client.post("/profile/edit", data)
        assert response.status_code == 400 and f'id="{error_id}"' in response.text
    blank = client.post("/profile/edit", {"name": "  "})
    assert blank.status_code == 400 and "may not be blank" in blank.text
    world.agent.refresh_from_db()
    assert world.agent.name == "Ari Agent"


def test_hostile_name_is_escaped(world: World) -> None:
    client = client_of(world.agent)
    client.post("/profile/edit", {"name": "<script>alert(1)</script>"})
    page = client.get("/profile/").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_password_change(world: World) -> None:
    client = client_of(world.agent)
    wrong = client.post(
        "/profile/password",
        {"current_password": "nope", "new_password": "a fresh long one 77",
         "new_password_again": "a fresh long one 77"},
    )  # fmt: skip
    assert wrong.status_code == 400 and 'id="current-password-error"' in wrong.text
    differ = client.post(
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "a fresh long one 77",
         "new_password_again": "another"},
    )  # fmt: skip
    assert differ.status_code == 400 and 'id="new-password-again-error"' in differ.text
    weak = client.post(
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "123", "new_password_again": "123"},
    )
    assert weak.status_code == 400 and 'id="new-password-error"' in weak.text
    ok = client.post(
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "a fresh long one 77",
         "new_password_again": "a fresh long one 77"},
    )  # fmt: skip
    assert ok.status_code == 302
    world.agent.refresh_from_db()
    assert world.agent.check_password("a fresh long one 77")
    assert client.get("/profile/").status_code == 200  # still signed in


def test_availability_switch_writes_the_audit_row(world: World) -> None:
    client = client_of(world.agent)
    response = client.post("/profile/availability", {"availability": "online", "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    world.agent.refresh_from_db()
    assert world.agent.availability == "online" and world.agent.availability_changed_at
    row = AuditLog.objects.get(action="user.availability_changed", target_id=str(world.agent.pk))
    assert row.actor == world.agent and row.data == {"old": "offline", "new": "online"}


def test_availability_partial_returns_the_switch(world: World) -> None:
    client = client_of(world.agent)
    response = client.post(
        "/profile/availability", {"availability": "away"}, HTTP_X_DOUM_PARTIAL="1"
    )
    assert response.status_code == 200
    assert response.text.startswith('<form method="post" action="/profile/availability"')
    assert '<option value="away" selected>' in response.text
    bad = client.post("/profile/availability", {"availability": "asleep"}, HTTP_X_DOUM_PARTIAL="1")
    assert bad.status_code == 400 and "Choose online, away or offline." in bad.text
    offsite = client.post(
        "/profile/availability", {"availability": "online", "next": "https://evil.example/"}
    )
    assert offsite["Location"] == "/profile/"
