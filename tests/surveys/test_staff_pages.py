"""The staff's survey pages: responses behind every figure, follow-ups of unhappy customers,
survey settings per brand, and the Customer feedback dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from doum.alerts.models import Notification
from doum.core.errors import Conflict, Forbidden, InvalidInput
from doum.metrics import refresh
from doum.surveys.models import FollowUp, FollowUpStatus, SurveySettings
from doum.surveys.staff_actions import do_complete_follow_up, parse_reasons
from tests.pages import signed_in, text
from tests.personas import World
from tests.surveys.helpers import rate, solved_ticket, survey_settings

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def at_now() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.usefixtures("at_now")
def test_a_bad_rating_opens_one_follow_up_for_the_team_lead(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    survey_settings(world)
    ticket = solved_ticket(world, "slow refund")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = rate(ticket, 0, comment="Too slow", reason="slow")
    item = FollowUp.objects.get(response=response)
    assert (item.owner, item.team, item.ticket_id) == (world.lead, world.billing, ticket.pk)
    assert item.status == FollowUpStatus.OPEN
    note = Notification.objects.get(user=world.lead)
    assert str(ticket.pk) in note.title and note.link.endswith(f"/follow-ups/{item.pk}/")
    # Changing the rating (still bad) opens no second follow-up; a good one opens none.
    rate(ticket, 0, comment="Still too slow")
    rate(solved_ticket(world, "fine"), 1)
    assert FollowUp.objects.count() == 1


@pytest.mark.usefixtures("at_now")
def test_closing_a_follow_up_needs_a_note_and_happens_once(world: World) -> None:
    survey_settings(world)
    item = FollowUp.objects.get(response=rate(solved_ticket(world, "bad"), 0))
    with pytest.raises(InvalidInput):
        do_complete_follow_up(item.pk, actor=world.lead, note="   ")
    with pytest.raises(Forbidden):
        do_complete_follow_up(item.pk, actor=world.director, note="called")
    done = do_complete_follow_up(item.pk, actor=world.lead, note="Called her, refunded.")
    assert (done.status, done.done_by, done.note) == ("done", world.lead, "Called her, refunded.")
    with pytest.raises(Conflict):
        do_complete_follow_up(item.pk, actor=world.manager, note="again")


@pytest.mark.usefixtures("at_now")
def test_follow_up_pages(world: World) -> None:
    survey_settings(world)
    response = rate(solved_ticket(world, "bad"), 0, comment="<script>alert(1)</script> slow")
    item = FollowUp.objects.get(response=response)
    lead = signed_in(world.lead)
    listing = lead.get("/surveys/follow-ups/")
    assert listing.status_code == 200 and f'data-follow-up="{item.pk}"' in text(listing)
    page = lead.get(f"/surveys/follow-ups/{item.pk}/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(page)
    assert "<script>alert(1)" not in text(page)
    assert signed_in(world.agent).get(f"/surveys/follow-ups/{item.pk}/").status_code == 403
    empty = lead.post(f"/surveys/follow-ups/{item.pk}/done/", {"note": ""})
    assert empty.status_code == 400 and "close the loop" in text(empty)
    done = lead.post(f"/surveys/follow-ups/{item.pk}/done/", {"note": "Phoned, fixed."})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.note == "Phoned, fixed."
    assert "no-follow-ups" in text(lead.get("/surveys/follow-ups/"))
    assert f'data-follow-up="{item.pk}"' in text(lead.get("/surveys/follow-ups/?status=done"))
    assert lead.get("/surveys/follow-ups/999999/").status_code == 404


@pytest.mark.usefixtures("at_now")
def test_responses_page_lists_what_the_figure_counts_and_escapes_comments(world: World) -> None:
    survey_settings(world)
    rate(solved_ticket(world, "a"), 1, comment="<b>great</b>")
    rate(solved_ticket(world, "b"), 0, comment="slow")
    rate(solved_ticket(world, "c", agent=world.tech_agent, team=world.technical), 0)
    manager = signed_in(world.manager)
    page = manager.get("/surveys/?period=this_month")
    assert page.status_code == 200
    assert text(page).count("data-response=") == 3
    assert "&lt;b&gt;great&lt;/b&gt;" in text(page)
    bad = manager.get("/surveys/?period=this_month&score=detractor")
    assert text(bad).count("data-response=") == 2
    billing = manager.get(f"/surveys/?period=this_month&team={world.billing.pk}&kind=csat")
    assert text(billing).count("data-response=") == 2
    # An agent reads only the answers about their own work, whatever the filter says.
    agent = signed_in(world.tech_agent).get(f"/surveys/?period=this_month&agent={world.agent.pk}")
    assert text(agent).count("data-response=") == 1
    for hostile in ("kind=bogus", "score=%3Cx%3E", "sentiment=1", "period=never", "team=abc"):
        assert manager.get(f"/surveys/?{hostile}").status_code == 400, hostile


@pytest.mark.usefixtures("at_now")
def test_feedback_dashboard_and_csat_on_the_other_dashboards(world: World) -> None:
    survey_settings(world)
    rate(solved_ticket(world, "a"), 1)
    rate(solved_ticket(world, "b"), 1)
    rate(solved_ticket(world, "c"), 1)
    rate(solved_ticket(world, "d"), 0, comment="Refund was slow")
    refresh.rebuild()  # the per-agent table's rows come from the ticket metrics
    manager = signed_in(world.manager)
    page = manager.get("/analytics/feedback/?period=this_month")
    assert page.status_code == 200
    body = text(page)
    assert 'data-figure="csat">75.0%' in body
    assert "/surveys/?period=this_month&amp;kind=csat" in body
    assert "feedback-breakdown" in body and "Billing" in body
    by_agent = text(manager.get("/analytics/feedback/?period=this_month&by=agent"))
    assert world.agent.name in by_agent
    ops = text(manager.get("/analytics/operations/?period=this_month"))
    assert 'data-figure="csat">75.0%' in ops
    assert 'data-csat-answers="4"' in ops  # the per-agent table's CSAT cell
    executive = text(manager.get("/analytics/executive/?period=this_month"))
    assert 'data-figure="csat">75.0%' in executive and "feedback-csat" in executive
    team = text(signed_in(world.lead).get("/analytics/team/?period=this_month"))
    assert 'data-csat-answers="4"' in team
    mine = text(signed_in(world.agent).get("/analytics/agent/?period=this_month"))
    assert 'data-figure="csat">75.0%' in mine
    assert signed_in(world.agent).get("/analytics/feedback/").status_code == 403
    assert manager.get("/analytics/feedback/?by=<script>").status_code == 200
    assert manager.get("/analytics/feedback/?period=bogus").status_code == 400


def test_settings_page_saves_validated_values(world: World) -> None:
    admin = signed_in(world.admin)
    page = admin.get(f"/surveys/settings/{world.brand.pk}/")
    assert page.status_code == 200 and "너무 오래 걸렸어요" in text(page)
    form = {
        "csat_enabled": "1", "csat_scale": "five", "csat_delay_minutes": "30",
        "nps_enabled": "1", "nps_interval_days": "30", "nps_sample_percent": "20",
        "quiet_days": "14", "link_valid_days": "10", "change_window_days": "3",
        "reminder_after_hours": "48",
        "reasons": "slow | Too slow | 느려요\nrude|Rude",
        "wording.csat.ko.question": "<b>만족하셨나요?</b>",
    }  # fmt: skip
    saved = admin.post(f"/surveys/settings/{world.brand.pk}/", form)
    assert saved.status_code == 302
    found = SurveySettings.objects.get(brand=world.brand)
    assert (found.csat_scale, found.csat_delay_minutes, found.quiet_days) == ("five", 30, 14)
    assert found.ces_enabled is False and found.nps_enabled is True
    assert found.reasons == [
        {"key": "slow", "en": "Too slow", "ko": "느려요"},
        {"key": "rude", "en": "Rude", "ko": "Rude"},
    ]
    assert found.wording["csat"]["ko"]["question"] == "<b>만족하셨나요?</b>"
    shown = text(admin.get(f"/surveys/settings/{world.brand.pk}/"))
    assert "&lt;b&gt;만족하셨나요?&lt;/b&gt;" in shown
    for field, bad in (
        ("quiet_days", "-1"), ("nps_sample_percent", "101"), ("link_valid_days", "x"),
        ("csat_scale", "ten"), ("reasons", "no separator"), ("reasons", "Bad Key | x"),
        ("reasons", "a | A\na | again"), ("csat_delay_minutes", "9" * 30),
    ):  # fmt: skip
        refused = admin.post(f"/surveys/settings/{world.brand.pk}/", {**form, field: bad})
        assert refused.status_code == 400, (field, bad)
        assert 'id="settings-error"' in text(refused)
    found.refresh_from_db()
    assert found.quiet_days == 14  # nothing partial was saved
    assert signed_in(world.lead).get(f"/surveys/settings/{world.brand.pk}/").status_code == 403
    assert admin.get("/surveys/settings/999999/").status_code == 404
    assert Client().get("/surveys/settings/").status_code == 302


def test_reasons_parser_limits() -> None:
    many = "\n".join(f"r{i} | Reason {i}" for i in range(21))
    with pytest.raises(InvalidInput):
        parse_reasons(many)
    with pytest.raises(InvalidInput):
        parse_reasons("k | " + "x" * 121)
    assert parse_reasons("\n\n ok | Fine | 좋아요 \n") == [
        {"key": "ok", "en": "Fine", "ko": "좋아요"}
    ]
