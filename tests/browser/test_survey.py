"""A customer rates the support from the survey mail in a real browser: the click records
the rating at once (the page's script), then a comment in Korean and a reason are added."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import time_machine

from doum.core import clock
from doum.surveys import delivery
from doum.surveys.models import SurveyInvitation, SurveyResponse
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.browser.conftest import shot
from tests.mail.conftest import SmtpSink, smtp_sink  # noqa: F401 - a fixture, used by name
from tests.personas import World
from tests.surveys.conftest import install_default_survey_trigger, survey_links
from tests.tasks import run_queue


def test_rating_from_the_mail_with_a_korean_comment(
    page: Any,
    live_server: Any,
    world: World,
    smtp_sink: SmtpSink,  # noqa: F811 - the fixture imported above
) -> None:
    # The agent solves the ticket; the default trigger schedules the survey (real commits).
    install_default_survey_trigger()
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status="solved")
    invitation = SurveyInvitation.objects.get(ticket=world.ticket)
    with time_machine.travel(invitation.send_at + timedelta(minutes=1), tick=False):
        assert delivery.send_due() == 1
        run_queue("mail")
    survey_mail = next(
        r.message for r in smtp_sink.received if "How did we do?" in str(r.message["Subject"])
    )
    bad = next(link for link in survey_links(survey_mail) if link.endswith("score=0"))
    assert urlsplit(bad).path.startswith("/survey/")

    page.goto(live_server.url + bad)
    status = page.locator("#survey-status")
    status.wait_for(state="visible")
    assert "was recorded" in status.inner_text()
    response = SurveyResponse.objects.get(invitation=invitation)
    assert response.score == 0 and response.comment == ""
    assert page.locator("#survey-reasons").is_visible()  # asked with a bad rating
    shot(page, "survey-rate")

    page.select_option("#survey-reason", "slow")
    page.fill("#survey-comment", "답변이 너무 늦었어요. 그래도 해결은 됐습니다 <b>감사</b>")
    page.click("#survey-submit")
    page.locator("[data-testid=survey-thanks]").wait_for()
    assert "Thank you for your feedback" in page.inner_text("body")
    assert "<b>감사</b>" in page.inner_text("[data-testid=survey-comment-shown]")  # as text
    shot(page, "survey-thanks")

    response.refresh_from_db()
    assert response.reason == "slow" and response.comment.startswith("답변이 너무 늦었어요")
    assert response.assignee_id == world.agent.pk and response.team_id == world.billing.pk
    assert SurveyResponse.objects.count() == 1
    assert clock.now() < invitation.expires_at
