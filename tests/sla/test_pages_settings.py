"""The SLA settings pages (/settings/calendars/…, /settings/sla/policies/…): who may open them,
what they write through the actions, how invalid input is answered, the calendar preview and
the what-if page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from doum.accounts import actions as accounts
from doum.accounts.models import AuditLog
from doum.sla.calendar_actions import do_create_calendar, do_set_team_calendar
from doum.sla.models import Calendar, SlaPolicy, SlaTarget, TeamCalendar
from doum.sla.policy_actions import do_create_policy
from doum.tickets.models import Priority
from tests.pages import signed_in as client_for
from tests.pages import text
from tests.personas import World

XSS = '<script>alert("x")</script>'
PAGES = ["/settings/calendars/", "/settings/calendars/new/", "/settings/sla/policies/",
         "/settings/sla/policies/new/"]  # fmt: skip


def calendar_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "서울 상담센터", "time_zone": "Asia/Seoul", "country_holidays": "KR",
        "custom_holidays": "", "partial_days": "",
        **{f"weekly_{d}": "09:00-12:00, 13:00-18:00" for d in range(5)},
        "weekly_5": "", "weekly_6": "",
    }  # fmt: skip
    form.update(changes)
    return form


def policy_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Standard", "description": "", "is_active": "on", "calendar": "",
        "warn_percent": "75", "tags_any": "", "tags_all": "",
        "escalations_warning": "", "escalations_breach": "",
        "t_first_reply_high": "1h30m", "bh_first_reply_high": "on",
        "t_resolution_urgent": "2d",
    }  # fmt: skip
    form.update(changes)
    return form


def make_calendar(world: World, name: str = "Seoul office") -> Calendar:
    return do_create_calendar(
        actor=world.manager, name=name, weekly={str(d): "09:00-18:00" for d in range(5)},
        country_holidays=["KR"],
    )  # fmt: skip


def make_policy(world: World, name: str = "Standard", **kw: Any) -> SlaPolicy:
    kw.setdefault("targets", [{"priority": "high", "metric": "first_reply", "minutes": 90}])
    return do_create_policy(actor=world.manager, name=name, **kw)


# --- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_managers_and_admins_open_the_pages_and_other_staff_get_403(world: World, url: str) -> None:
    for user in (world.manager, world.admin):
        assert client_for(user).get(url).status_code == 200
    for role in ("agent", "lead", "qa", "director"):
        assert client_for(world.by_role()[role]).get(url).status_code == 403, role
    response = client_for(world.customer).get(url)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert Client().get(url).status_code == 302


def test_the_settings_index_links_the_sla_sections(world: World) -> None:
    page = text(client_for(world.manager).get("/settings/"))
    assert "/settings/calendars/" in page and "/settings/sla/policies/" in page


def test_agents_cannot_write_through_the_pages(world: World) -> None:
    calendar = make_calendar(world)
    client = client_for(world.agent)
    assert client.post("/settings/calendars/new/", calendar_form(name="x")).status_code == 403
    assert client.post(f"/settings/calendars/{calendar.pk}/delete/").status_code == 403
    assert client.post("/settings/sla/policies/new/", policy_form()).status_code == 403
    assert Calendar.objects.count() == 1 and not SlaPolicy.objects.exists()


# --- calendars ------------------------------------------------------------------------------


def test_a_manager_creates_a_calendar_and_sees_its_korean_holidays(world: World) -> None:
    accounts.do_update_user(world.manager, actor=world.manager, changes={"language": "ko"})
    client = client_for(world.manager)
    with time_machine.travel(datetime(2026, 2, 12, 3, tzinfo=UTC), tick=False):
        response = client.post(
            "/settings/calendars/new/",
            calendar_form(partial_days="2026-02-13 09:00-13:00\n2026-02-20",
                          custom_holidays="2026-02-19"),
        )  # fmt: skip
        calendar = Calendar.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/settings/calendars/{calendar.pk}/"
        page = text(client.get(response["Location"]))
    assert calendar.name == "서울 상담센터"
    assert calendar.weekly["0"] == ["09:00-12:00", "13:00-18:00"]
    assert calendar.partial_days == [
        {"day": "2026-02-13", "periods": ["09:00-13:00"]},
        {"day": "2026-02-20", "periods": []},
    ]
    # The next 14 days: Seollal (Feb 16-18, 2026) closed, named in Korean; the partial day.
    assert 'data-day="2026-02-16"' in page and "설날" in page and "추석" in page
    seollal = page.split('data-day="2026-02-17"')[1].split("</tr>")[0]
    assert "09:00" not in seollal
    half_day = page.split('data-day="2026-02-13"')[1].split("</tr>")[0]
    assert "09:00-13:00" in half_day and "4:00" in half_day
    assert AuditLog.objects.filter(action="calendar.created").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"weekly_2": "9 to 6"}, "weekly_2", "“9 to 6” is not a period"),
        ({"weekly_0": "09:00-13:00, 12:00-18:00"}, "weekly_0", "overlaps"),
        ({"time_zone": "Mars/Base"}, "time_zone", "“Mars/Base” is not a time zone"),
        ({"country_holidays": "ZZ"}, "country_holidays", "“ZZ” is not a country"),
        ({"country_holidays": "US-XX"}, "country_holidays", "“XX” is not a region of US"),
        ({"custom_holidays": "2026-13-01"}, "custom_holidays", "“2026-13-01” is not a date"),
        ({"partial_days": "new year's eve 09:00-13:00"}, "partial_days", "is not a date"),
        ({"partial_days": "2026-12-31 morning"}, "partial_days", "“morning” is not a period"),
        ({"name": ""}, "name", ""),
    ],
)
def test_invalid_calendars_are_refused_next_to_the_field(
    world: World, changes: dict[str, str], field: str, message: str
) -> None:
    response = client_for(world.manager).post("/settings/calendars/new/", calendar_form(**changes))
    page = text(response)
    assert response.status_code == 400
    row = page.split(f'data-field="{field}"')[1].split("</div>")[0]
    assert 'class="errorlist' in row and html.escape(message) in row
    assert not Calendar.objects.exists()


def test_a_calendar_without_hours_is_refused_on_the_form(world: World) -> None:
    form = calendar_form(**{f"weekly_{d}": "" for d in range(7)})
    response = client_for(world.manager).post("/settings/calendars/new/", form)
    assert response.status_code == 400
    assert 'data-testid="form-error"' in text(response) and "no business hours" in text(response)


def test_names_with_html_are_shown_escaped(world: World) -> None:
    client = client_for(world.manager)
    response = client.post("/settings/calendars/new/", calendar_form(name=XSS))
    assert response.status_code == 302
    for page in (text(client.get(response["Location"])), text(client.get("/settings/calendars/"))):
        assert XSS not in page and html.escape(XSS) in page
    response = client.post("/settings/sla/policies/new/", policy_form(name=XSS + " 정책"))
    assert response.status_code == 302
    for page in (
        text(client.get(response["Location"])),
        text(client.get("/settings/sla/policies/")),
    ):
        assert XSS not in page and "&lt;script&gt;" in page


def test_the_preview_shows_unsaved_hours_and_saves_nothing(world: World) -> None:
    with time_machine.travel(datetime(2026, 12, 28, 3, tzinfo=UTC), tick=False):
        response = client_for(world.manager).post(
            "/settings/calendars/preview/",
            calendar_form(partial_days="2026-12-31 09:00-13:00", country_holidays="US-CA"),
        )
    page = text(response)
    assert response.status_code == 200 and 'data-testid="preview-notice"' in page
    assert "09:00-13:00" in page.split('data-day="2026-12-31"')[1].split("</tr>")[0]
    assert "New Year" in page  # January 1st, in the next 14 days
    assert not Calendar.objects.exists()
    bad = client_for(world.manager).post(
        "/settings/calendars/preview/", calendar_form(weekly_0="nine")
    )
    assert bad.status_code == 400 and "“nine” is not a period" in text(bad)


def test_a_calendar_is_edited_and_deleted_unless_in_use(world: World) -> None:
    calendar = make_calendar(world)
    client = client_for(world.admin)
    url = f"/settings/calendars/{calendar.pk}/"
    assert "09:00-18:00" in text(client.get(url))
    response = client.post(url, calendar_form(name="Renamed", weekly_5="10:00-14:00"))
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.name == "Renamed" and calendar.weekly["5"] == ["10:00-14:00"]
    # A team uses it: deleting is refused with who uses it, and the page says so too.
    response = client.post("/settings/calendars/teams/", {"team": world.billing.pk,
                                                          "calendar": calendar.pk})  # fmt: skip
    assert response.status_code == 302
    assert TeamCalendar.objects.get(team=world.billing).calendar == calendar
    assert 'data-testid="calendar-in-use"' in text(client.get(url))
    response = client.post(f"/settings/calendars/{calendar.pk}/delete/", follow=True)
    assert "is in use" in text(response) and "Billing" in text(response)
    assert Calendar.objects.filter(pk=calendar.pk).exists()
    # No calendar for the team, then the calendar goes.
    client.post("/settings/calendars/teams/", {"team": world.billing.pk, "calendar": ""})
    assert not TeamCalendar.objects.exists()
    response = client.post(f"/settings/calendars/{calendar.pk}/delete/")
    assert response.status_code == 302 and not Calendar.objects.exists()


def test_team_calendar_posts_with_bad_ids_change_nothing(world: World) -> None:
    client = client_for(world.manager)
    for data in ({"team": "x", "calendar": ""}, {"team": world.billing.pk, "calendar": 999},
                 {"team": 999, "calendar": ""}):  # fmt: skip
        response = client.post("/settings/calendars/teams/", data, follow=True)
        assert response.status_code == 200 and 'class="messages' in text(response)
    assert not TeamCalendar.objects.exists()
    assert client.get("/settings/calendars/999/").status_code == 404


# --- policies -------------------------------------------------------------------------------


def test_a_manager_creates_a_policy_from_the_editor(world: World) -> None:
    calendar = make_calendar(world)
    client = client_for(world.manager)
    response = client.post(
        "/settings/sla/policies/new/",
        policy_form(
            name="VIP 고객", calendar=str(calendar.pk), warn_percent="80",
            priority=["high", "urgent"], channel=["email"], team_id=[str(world.billing.pk)],
            organization_id=[str(world.acme.pk)], tags_any="vip, gold",
            escalations_breach='[{"type": "raise_priority"}, {"type": "notify", "to": "lead"}]',
            t_next_reply_normal="90",
        ),
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    policy = SlaPolicy.objects.get()
    assert response["Location"] == f"/settings/sla/policies/{policy.pk}/"
    assert policy.conditions == {
        "priority": ["high", "urgent"], "channel": ["email"], "team_id": [world.billing.pk],
        "organization_id": [world.acme.pk], "tags_any": ["vip", "gold"],
    }  # fmt: skip
    assert policy.calendar == calendar and policy.warn_percent == 80
    targets = {(t.metric, t.priority): (t.minutes, t.business_hours) for t in policy.targets.all()}
    assert targets == {
        ("first_reply", "high"): (90, True),
        ("resolution", "urgent"): (2880, False),
        ("next_reply", "normal"): (90, False),
    }
    page = text(client.get(response["Location"]))
    # Durations come back normalised, the conditions checked.
    assert 'value="1h 30m"' in page and 'value="2d"' in page
    assert re.search(r'name="priority" value="high"[^>]*checked', page)
    assert not re.search(r'name="priority" value="low"[^>]*checked', page)
    assert "Billing" in text(client.get("/settings/sla/policies/"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"t_first_reply_high": "soon"}, "t_first_reply_high", "“soon” is not a duration"),
        ({"t_first_reply_high": "0"}, "t_first_reply_high", "at least 1 minute"),
        ({"t_resolution_urgent": "400d"}, "t_resolution_urgent", "at most 365 days"),
        ({"warn_percent": "150"}, "warn_percent", "from 1 to 99"),
        ({"escalations_breach": "[{oops}]"}, "escalations_breach", "not valid JSON"),
        ({"escalations_breach": '{"type": "notify"}'}, "escalations_breach", "must be a JSON list"),
        ({"escalations_warning": '[{"type": "teleport"}]'}, "escalations_warning", "Escalation on warning"),
        ({"tags_all": "a<b"}, "tags_all", "cannot hold"),
        ({"team_id": ["424242"]}, "team_id", "424242"),
        ({"calendar": "424242"}, "calendar", "424242"),
    ],
)  # fmt: skip
def test_invalid_policies_are_refused_next_to_the_field(
    world: World, changes: dict[str, Any], field: str, message: str
) -> None:
    response = client_for(world.manager).post("/settings/sla/policies/new/", policy_form(**changes))
    page = text(response)
    assert response.status_code == 400
    cell = page.split(f'data-field="{field}"')[1].split("</div>")[0].split("</td>")[0]
    assert "errorlist" in cell and html.escape(message) in cell, cell
    assert not SlaPolicy.objects.exists() and not SlaTarget.objects.exists()


def test_a_policy_without_targets_is_refused(world: World) -> None:
    form = policy_form(t_first_reply_high="", t_resolution_urgent="")
    response = client_for(world.manager).post("/settings/sla/policies/new/", form)
    assert response.status_code == 400 and "at least one target" in text(response)


def test_policies_are_edited_reordered_deactivated_and_deleted(world: World) -> None:
    a, b, c = (make_policy(world, name) for name in ("A", "B", "C"))
    client = client_for(world.admin)
    url = f"/settings/sla/policies/{b.pk}/"
    response = client.post(url, policy_form(name="B2", t_first_reply_high="", t_resolution_urgent="",
                                            t_first_reply_low="4h"))  # fmt: skip
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.name == "B2" and [(t.priority, t.minutes) for t in b.targets.all()] == [("low", 240)]
    # The list offers each row's order moved up and down; posting one moves it.
    page = text(client.get("/settings/sla/policies/"))
    assert page.index(f"/settings/sla/policies/{a.pk}/") < page.index(url)
    response = client.post("/settings/sla/policies/reorder/", {"order": [c.pk, a.pk, b.pk]})
    assert response.status_code == 302
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["C", "A", "B2"]
    response = client.post("/settings/sla/policies/reorder/", {"order": [a.pk]}, follow=True)
    assert "exactly once" in text(response)
    assert client.post(f"/settings/sla/policies/{a.pk}/deactivate/").status_code == 302
    a.refresh_from_db()
    assert not a.is_active
    assert client.post(f"/settings/sla/policies/{a.pk}/activate/").status_code == 302
    a.refresh_from_db()
    assert a.is_active
    assert client.post(f"/settings/sla/policies/{c.pk}/delete/").status_code == 302
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["A", "B2"]
    # A trigger applies B2: deleting it is refused and the page says which rule.
    from doum.automation.actions import do_create_trigger

    do_create_trigger(
        actor=world.admin, name="Gold customers",
        conditions={"all": [{"field": "update_type", "op": "is", "value": "created"}]},
        effects=[{"type": "sla_policy", "policy_id": b.pk}],
    )  # fmt: skip
    response = client.post(f"/settings/sla/policies/{b.pk}/delete/", follow=True)
    assert "Gold customers" in text(response) and "Change them first" in text(response)
    assert SlaPolicy.objects.filter(pk=b.pk).exists()
    assert client.get("/settings/sla/policies/999/").status_code == 404


def test_an_edit_with_an_error_keeps_what_was_typed(world: World) -> None:
    policy = make_policy(world)
    response = client_for(world.manager).post(
        f"/settings/sla/policies/{policy.pk}/", policy_form(name="Typed", t_first_reply_high="x")
    )
    assert response.status_code == 400 and 'value="Typed"' in text(response)
    policy.refresh_from_db()
    assert policy.name == "Standard" and policy.targets.get().minutes == 90


def test_the_policy_editor_is_in_korean_for_korean_managers(world: World) -> None:
    accounts.do_update_user(world.manager, actor=world.manager, changes={"language": "ko"})
    response = client_for(world.manager).post(
        "/settings/sla/policies/new/", policy_form(t_first_reply_high="곧")
    )
    page = text(response)
    assert response.status_code == 400
    assert "높음" in page  # the priority column and the message name it in Korean


# --- what-if --------------------------------------------------------------------------------


def test_the_what_if_page_of_a_saved_policy(world: World) -> None:
    policy = make_policy(world, targets=[{"priority": p, "metric": "first_reply", "minutes": 60}
                                         for p in Priority.values])  # fmt: skip
    client = client_for(world.manager)
    response = client.get(f"/settings/sla/policies/{policy.pk}/what-if/")
    page = text(response)
    assert response.status_code == 200 and 'data-testid="what-if-table"' in page
    assert 'data-metric="overall"' in page and "match" in page
    response = client.get(
        f"/settings/sla/policies/{policy.pk}/what-if/", {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert response.status_code == 400 and "before it starts" in text(response)
    response = client.get(f"/settings/sla/policies/{policy.pk}/what-if/", {"start": "yesterday"})
    assert response.status_code == 400 and "“yesterday” is not a date" in text(response)
    response = client.get(
        f"/settings/sla/policies/{policy.pk}/what-if/", {"start": "2020-01-01", "end": "2026-01-01"}
    )
    assert response.status_code == 400 and "at most 366 days" in text(response)


def test_the_what_if_of_a_draft_saves_nothing(world: World) -> None:
    client = client_for(world.manager)
    form = policy_form(name="Draft", what_if_start="2020-01-01", what_if_end="2020-01-31")
    response = client.post("/settings/sla/policies/what-if/", form)
    page = text(response)
    assert response.status_code == 200 and 'data-testid="what-if-table"' in page
    assert "Draft" in page and not SlaPolicy.objects.exists()
    response = client.post("/settings/sla/policies/what-if/", policy_form(t_first_reply_high="x"))
    assert response.status_code == 400 and "“x” is not a duration" in text(response)
    assert not SlaPolicy.objects.exists()


def test_a_team_calendar_can_be_set_from_an_action_too(world: World) -> None:
    calendar = make_calendar(world)
    do_set_team_calendar(actor=world.admin, team_id=world.technical.pk, calendar_id=calendar.pk)
    page = text(client_for(world.manager).get("/settings/calendars/"))
    row = page.split(f'data-team-id="{world.technical.pk}"')[1].split("</tr>")[0]
    assert f'value="{calendar.pk}" selected' in row
