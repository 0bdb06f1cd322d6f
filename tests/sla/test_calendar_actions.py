"""Business calendar writers: every value validated with a message that says what is wrong,
nothing saved on error, an audit row per change, deletion refused while in use."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from doum.accounts.models import AuditLog
from doum.core.errors import Forbidden, InvalidInput
from doum.sla import calendar_actions as actions
from doum.sla.models import Calendar, SlaPolicy, TeamCalendar
from doum.sla.selectors import calendar_spec, team_calendar
from tests.personas import World

WEEKDAYS_9_TO_6 = {str(d): ["09:00-12:00", "13:00-18:00"] for d in range(5)}


def make(world: World, name: str = "Seoul office", **kw: Any) -> Calendar:
    kw.setdefault("weekly", WEEKDAYS_9_TO_6)
    kw.setdefault("country_holidays", [{"country": "KR"}])
    return actions.do_create_calendar(actor=world.manager, name=name, **kw)


def error_of(world: World, **kw: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        make(world, **kw)
    return caught.value


def test_a_manager_creates_a_calendar_with_lunch_breaks_holidays_and_partial_days(
    world: World,
) -> None:
    calendar = make(
        world,
        name="서울 상담센터",
        time_zone="Asia/Seoul",
        weekly={0: "09:00-12:00, 13:00-18:00", "5": ["10:00 - 14:00"], 6: []},
        country_holidays=["kr", "US-ca", {"country": "JP"}],
        custom_holidays=["2026-12-24", "2026-12-24", "2026-05-04"],
        partial_days=[{"day": "2026-12-31", "periods": "09:00-13:00"},
                      {"day": "2026-12-30", "periods": []}],
    )  # fmt: skip
    calendar.refresh_from_db()
    assert calendar.name == "서울 상담센터"
    assert calendar.weekly == {
        "0": ["09:00-12:00", "13:00-18:00"], "1": [], "2": [], "3": [], "4": [],
        "5": ["10:00-14:00"], "6": [],
    }  # fmt: skip
    assert calendar.country_holidays == [
        {"country": "KR", "subdivision": None, "categories": []},
        {"country": "US", "subdivision": "CA", "categories": []},
        {"country": "JP", "subdivision": None, "categories": []},
    ]
    assert calendar.custom_holidays == ["2026-05-04", "2026-12-24"]
    assert calendar.partial_days == [
        {"day": "2026-12-30", "periods": []},
        {"day": "2026-12-31", "periods": ["09:00-13:00"]},
    ]
    spec = calendar_spec(calendar)  # the stored row builds
    assert spec.time_zone == "Asia/Seoul"
    row = AuditLog.objects.get(action="calendar.created")
    assert row.actor == world.manager and row.target_id == str(calendar.pk)


def test_night_shifts_and_whole_days_are_periods(world: World) -> None:
    calendar = make(world, weekly={"0": "22:00-06:00", "1": "00:00-24:00", "2": "09:00-24:00"})
    assert calendar.weekly["0"] == ["22:00-06:00"]
    assert calendar.weekly["1"] == ["00:00-00:00"]
    assert calendar.weekly["2"] == ["09:00-24:00"]


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"weekly": {"2": "9-18"}}, "weekly.2", ["Wednesday", "“9-18” is not a period"]),
        (
            {"weekly": {"0": "09:00-12:00, 25:00-26:00"}},
            "weekly.0",
            ["Monday", "25:00-26:00", "does not exist"],
        ),
        ({"weekly": {"4": "09:00-13:00, 12:00-18:00"}}, "weekly.4", ["Friday", "overlaps"]),
        ({"weekly": {"7": "09:00-18:00"}}, "weekly", ["“7” is not a weekday"]),
        ({"weekly": {"0": [9, 18]}}, "weekly.0", ["Monday"]),
        ({"weekly": {}}, "weekly", ["no business hours"]),
        ({"weekly": "09:00-18:00"}, "weekly", ["per weekday"]),
        ({"time_zone": "Mars/Olympus"}, "time_zone", ["“Mars/Olympus” is not a time zone"]),
        ({"time_zone": "../../etc/passwd"}, "time_zone", ["is not a time zone"]),
        ({"time_zone": ""}, "time_zone", ["Choose the calendar's time zone"]),
        ({"country_holidays": ["XX"]}, "country_holidays", ["“XX” is not a country"]),
        ({"country_holidays": ["US-ZZ"]}, "country_holidays", ["“ZZ” is not a region of US", "CA"]),
        ({"country_holidays": ["KR-11"]}, "country_holidays", ["KR has no regional holiday sets"]),
        ({"country_holidays": [{"country": "KR", "evil": 1}]}, "country_holidays", ["two-letter"]),
        ({"country_holidays": ["KR"] * 11}, "country_holidays", ["At most 10"]),
        ({"custom_holidays": ["2026-02-30"]}, "custom_holidays", ["“2026-02-30” is not a date"]),
        ({"custom_holidays": ["12/24/2026"]}, "custom_holidays", ["YYYY-MM-DD"]),
        ({"custom_holidays": ["1066-10-14"]}, "custom_holidays", ["out of range"]),
        (
            {"partial_days": [{"day": "2026-12-31", "periods": "9 to 1"}]},
            "partial_days",
            ["Partial day 2026-12-31", "“9 to 1”"],
        ),
        (
            {"partial_days": [{"day": "2026-12-31"}, {"day": "2026-12-31"}]},
            "partial_days",
            ["given twice"],
        ),
        ({"partial_days": [{"day": "tomorrow"}]}, "partial_days", ["“tomorrow” is not a date"]),
        (
            {"custom_holidays": ["2026-12-31"], "partial_days": [{"day": "2026-12-31"}]},
            "partial_days",
            ["both a custom holiday and a partial day"],
        ),
        ({"name": "   "}, "name", ["may not be blank"]),
        ({"name": "x" * 101}, "name", ["At most 100"]),
    ],
)
def test_invalid_values_are_refused_with_a_precise_message(
    world: World, kw: dict[str, Any], field: str, words: list[str]
) -> None:
    error = error_of(world, **kw)
    assert error.field == field, error.message
    for word in words:
        assert word in error.message, (word, error.message)
    assert not Calendar.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="calendar.").exists()


def test_messages_are_in_the_users_language(world: World) -> None:
    with translation.override("ko"):
        error = error_of(world, weekly={"0": "nine to six"})
    assert "nine to six" in error.message and error.field == "weekly.0"
    # Django's own catalog names the weekday in Korean.
    assert "월요일" in error.message


def test_names_are_unique_whatever_their_case(world: World) -> None:
    make(world, name="Seoul office")
    error = error_of(world, name="SEOUL OFFICE")
    assert error.field == "name" and "Another calendar" in error.message


def test_only_managers_and_admins_write_calendars(world: World) -> None:
    for user in (world.agent, world.lead, world.director, world.qa):
        with pytest.raises(Forbidden):
            actions.do_create_calendar(actor=user, name="Nope", weekly=WEEKDAYS_9_TO_6)
    assert actions.do_create_calendar(actor=world.admin, name="Yes", weekly=WEEKDAYS_9_TO_6)


def test_an_update_changes_what_is_given_and_checks_the_whole_calendar(world: World) -> None:
    calendar = make(world, custom_holidays=["2026-12-24"])
    updated = actions.do_update_calendar(
        calendar, actor=world.manager, time_zone="America/New_York", weekly={"6": "10:00-14:00"}
    )
    assert updated.time_zone == "America/New_York" and updated.weekly["6"] == ["10:00-14:00"]
    assert updated.weekly["0"] == [] and updated.custom_holidays == ["2026-12-24"]
    row = AuditLog.objects.get(action="calendar.updated")
    assert row.data["changed"] == ["time_zone", "weekly"]
    assert row.data["before"]["time_zone"] == "Asia/Seoul"
    # A partial day on a stored custom holiday is refused, and nothing changes.
    with pytest.raises(InvalidInput, match="both a custom holiday"):
        actions.do_update_calendar(
            calendar, actor=world.manager, name="Renamed", partial_days=[{"day": "2026-12-24"}]
        )
    calendar.refresh_from_db()
    assert calendar.name == "Seoul office" and calendar.partial_days == []
    # No change: no audit row.
    actions.do_update_calendar(calendar, actor=world.manager, name="Seoul office")
    assert AuditLog.objects.filter(action="calendar.updated").count() == 1


def test_a_team_works_by_its_calendar(world: World) -> None:
    calendar = make(world)
    actions.do_set_team_calendar(
        actor=world.manager, team_id=world.billing.pk, calendar_id=calendar.pk
    )
    assert TeamCalendar.objects.get(team=world.billing).calendar == calendar
    assert team_calendar(world.billing.pk).spec.time_zone == "Asia/Seoul"
    actions.do_set_team_calendar(actor=world.manager, team_id=world.billing.pk, calendar_id=None)
    assert not TeamCalendar.objects.exists()
    assert [r.action for r in AuditLog.objects.filter(action="team.calendar_changed")] == [
        "team.calendar_changed"
    ] * 2
    with pytest.raises(InvalidInput, match="No such calendar"):
        actions.do_set_team_calendar(actor=world.manager, team_id=world.billing.pk, calendar_id=999)
    with pytest.raises(InvalidInput, match="No such team"):
        actions.do_set_team_calendar(actor=world.manager, team_id="1", calendar_id=calendar.pk)
    with pytest.raises(Forbidden):
        actions.do_set_team_calendar(
            actor=world.lead, team_id=world.billing.pk, calendar_id=calendar.pk
        )


def test_a_calendar_in_use_cannot_be_deleted(world: World) -> None:
    calendar = make(world)
    actions.do_set_team_calendar(
        actor=world.manager, team_id=world.billing.pk, calendar_id=calendar.pk
    )
    from doum.sla.policy_actions import do_create_policy

    do_create_policy(
        actor=world.manager, name="VIP", calendar_id=calendar.pk,
        targets=[{"priority": "high", "metric": "first_reply", "minutes": 60}],
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        actions.do_delete_calendar(calendar, actor=world.manager)
    assert "Billing" in caught.value.message and "VIP" in caught.value.message
    assert Calendar.objects.filter(pk=calendar.pk).exists()
    SlaPolicy.objects.all().delete()
    actions.do_set_team_calendar(actor=world.manager, team_id=world.billing.pk, calendar_id=None)
    actions.do_delete_calendar(calendar, actor=world.manager)
    assert not Calendar.objects.exists()
    assert AuditLog.objects.get(action="calendar.deleted").data["name"] == "Seoul office"
