"""Survey answers built through the real actions: a ticket solved by an agent, its survey
scheduled the way the trigger does it, and the customer's answer recorded as from the mail."""

from __future__ import annotations

from doum.accounts.models import Team, User
from doum.surveys import actions as survey_actions
from doum.surveys import delivery
from doum.surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from doum.surveys.selectors import settings_for
from doum.surveys.staff_actions import do_update_survey_settings, reasons_text
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.personas import World


def survey_settings(world: World, **changes: object) -> None:
    """Change the brand's survey settings through the settings writer (quiet period off by
    default, so one customer can rate several tickets in a test)."""
    current = settings_for(world.brand.pk)
    values: dict[str, object] = {
        "csat_enabled": "1" if current.csat_enabled else "",
        "ces_enabled": "1" if current.ces_enabled else "",
        "nps_enabled": "1" if current.nps_enabled else "",
        "csat_scale": current.csat_scale,
        "csat_delay_minutes": current.csat_delay_minutes,
        "nps_interval_days": current.nps_interval_days,
        "nps_sample_percent": current.nps_sample_percent,
        "quiet_days": 0,
        "link_valid_days": current.link_valid_days,
        "change_window_days": current.change_window_days,
        "reminder_after_hours": current.reminder_after_hours,
        "reasons": reasons_text(current),
    }
    for key, value in changes.items():
        values[key] = ("1" if value else "") if isinstance(value, bool) else value
    do_update_survey_settings(world.brand.pk, actor=world.admin, values=values)


def solved_ticket(
    world: World,
    subject: str,
    *,
    agent: User | None = None,
    team: Team | None = None,
    requester: User | None = None,
) -> Ticket:
    agent = agent or world.agent
    team = team or world.billing
    ticket = tickets.do_create_ticket(
        actor=requester or world.customer, via=Via.PORTAL, subject=subject, body="Help, please."
    )
    tickets.do_assign(ticket, actor=world.admin, via=Via.WEB, assignee_id=agent.pk, team_id=team.pk)
    tickets.do_add_comment(ticket, actor=agent, via=Via.WEB, body="Done for you.", public=True)
    ticket.refresh_from_db()
    return tickets.do_change_status(ticket, actor=agent, via=Via.WEB, status="solved")


def invitation(ticket: Ticket, kind: str = "csat") -> SurveyInvitation:
    found = delivery.schedule_after_solve(ticket.pk, kinds=(kind,), delay_minutes=0)
    assert found, f"no {kind} invitation for #{ticket.pk}"
    assert found[0].status not in (InvitationStatus.CANCELLED, InvitationStatus.EXPIRED), found[
        0
    ].cancel_reason
    return found[0]


def rate(
    ticket: Ticket, score: int, *, kind: str = "csat", comment: str = "", reason: str = ""
) -> SurveyResponse:
    """The requester answers the ticket's survey (as from the link in the mail)."""
    return survey_actions.do_record_response(
        invitation(ticket, kind).pk, score=score, comment=comment, reason=reason, source="mail"
    )
