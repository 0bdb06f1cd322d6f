"""Business calendars for the routing tests, built through the SLA app's actions."""

from __future__ import annotations

import datetime as dt

from doum.accounts.models import Team
from doum.sla.calendar_actions import do_create_calendar, do_set_team_calendar
from tests.personas import World

# Office hours in Seoul: Monday to Friday, 09:00-18:00 (KST = UTC+9, no daylight saving).
SATURDAY_NOON = dt.datetime(2026, 3, 7, 3, 0, tzinfo=dt.UTC)  # Sat 12:00 KST
MONDAY_0901 = dt.datetime(2026, 3, 9, 0, 1, tzinfo=dt.UTC)  # Mon 09:01 KST


def office_hours(world: World, team: Team) -> None:
    calendar = do_create_calendar(
        actor=world.admin, name=f"{team.name} office hours", time_zone="Asia/Seoul",
        weekly={str(day): ["09:00-18:00"] for day in range(5)},
    )  # fmt: skip
    do_set_team_calendar(actor=world.admin, team_id=team.pk, calendar_id=calendar.pk)
