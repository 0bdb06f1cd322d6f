"""The customer's survey pages: the rating link, the answer form, errors, opt-out, portal."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client, override_settings

from doum.core import clock
from doum.surveys import delivery, tokens
from doum.surveys.models import (
    InvitationStatus,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
)
from tests.personas import World
from tests.surveys.conftest import Capture, at, solve


@pytest.fixture
def invitation(world: World, capture: Capture) -> SurveyInvitation:
    with at(clock.now() + timedelta(minutes=1)):
        solve(capture, world.ticket, world.agent)
    return SurveyInvitation.objects.get(ticket=world.ticket)


def _path(invitation: SurveyInvitation) -> str:
    return delivery.rate_url(invitation)


def test_the_page_preselects_the_clicked_score_and_records_nothing_by_itself(
    invitation: SurveyInvitation,
) -> None:
    page = Client().get(_path(invitation) + "?score=0")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="0" checked' in html and 'data-autorecord="1"' in html
    assert "surveys/survey.js" in html and "<script>" not in html  # no inline script
    assert 'id="survey-reasons"' in html and "It took too long" in html
    assert page["Cache-Control"] == "no-store"
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("score", ["7", "-1", "abc", "１", "99999", ""])
def test_an_out_of_range_score_in_the_link_preselects_nothing(
    invitation: SurveyInvitation, score: str
) -> None:
    page = Client().get(_path(invitation) + f"?score={score}")
    assert page.status_code == 200
    assert " checked" not in page.content.decode()
    assert 'data-autorecord=""' in page.content.decode()


@pytest.mark.parametrize("score", ["7", "-1", "abc", "2", "", "1.0"])
def test_an_out_of_range_score_posted_is_refused_and_nothing_saved(
    invitation: SurveyInvitation, score: str
) -> None:
    response = Client().post(_path(invitation), {"score": score, "comment": "kept text"})
    assert response.status_code == 400
    assert "kept text" in response.content.decode()  # the typed text is kept
    quick = Client().post(_path(invitation), {"score": score, "quick": "1"})
    assert quick.status_code == 400 and quick.json()["field"] == "score"
    assert not SurveyResponse.objects.exists()


def test_the_form_records_score_reason_and_comment_and_escapes_html(
    invitation: SurveyInvitation, world: World
) -> None:
    client = Client()
    comment = '<script>alert("x")</script><b>느려요</b> & slow'
    page = client.post(
        _path(invitation), {"score": "0", "reason": "slow", "comment": comment, "source": "mail"}
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="survey-thanks"' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)" in html
    response = SurveyResponse.objects.get()
    assert (response.score, response.reason, response.comment) == (0, "slow", comment)
    assert response.ticket_id == world.ticket.pk and response.team_id == world.billing.pk
    # Shown again on the page: escaped there too.
    again = client.get(_path(invitation)).content.decode()
    assert "<script>alert" not in again and "&lt;b&gt;느려요&lt;/b&gt;" in again


def test_an_unknown_reason_is_refused(invitation: SurveyInvitation) -> None:
    page = Client().post(_path(invitation), {"score": "0", "reason": "bribe"})
    assert page.status_code == 400 and not SurveyResponse.objects.exists()


def test_changing_the_rating_within_the_window_and_not_after(
    invitation: SurveyInvitation,
) -> None:
    client = Client()
    t0 = clock.now()
    with at(t0):
        client.post(_path(invitation), {"score": "0", "comment": "bad", "reason": "slow"})
    with at(t0 + timedelta(days=2)):
        quick = client.post(_path(invitation), {"score": "1", "quick": "1"})
        assert quick.status_code == 200
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment, response.reason) == (1, "bad", "")
    assert response.first_answered_at == t0 and response.answered_at == t0 + timedelta(days=2)
    with at(t0 + timedelta(days=8)):
        late = client.post(_path(invitation), {"score": "0"})
        assert late.status_code == 409
        assert "can no longer be changed" in late.content.decode()
        page = client.get(_path(invitation) + "?score=0")
        assert 'data-testid="survey-final"' in page.content.decode()
        assert "survey-form" not in page.content.decode()
    assert SurveyResponse.objects.get().score == 1


def test_tampered_and_expired_links_get_a_clear_page(invitation: SurveyInvitation) -> None:
    token = tokens.make_token(invitation, tokens.RATE)
    bad = Client().get(f"/survey/{token[:-2]}xy/?score=1")
    assert bad.status_code == 400 and "not valid" in bad.content.decode()
    wrong = Client().get(f"/survey/{tokens.make_token(invitation, tokens.OPT_OUT)}/")
    assert wrong.status_code == 400
    posted = Client().post(f"/survey/{token[:-2]}xy/", {"score": "1"})
    assert posted.status_code == 400
    with at(invitation.expires_at + timedelta(minutes=1)):
        gone = Client().get(_path(invitation) + "?score=1")
        assert gone.status_code == 410 and "expired" in gone.content.decode()
        assert Client().post(_path(invitation), {"score": "1"}).status_code == 410
    assert not SurveyResponse.objects.exists()


def test_the_error_page_speaks_the_customers_language(
    invitation: SurveyInvitation,
) -> None:
    SurveyInvitation.objects.filter(pk=invitation.pk).update(language="ko")
    invitation.refresh_from_db()
    with at(invitation.expires_at + timedelta(minutes=1)):
        gone = Client().get(_path(invitation))
    assert gone.status_code == 410 and 'lang="ko"' in gone.content.decode()


def test_opt_out_page_confirms_before_acting(invitation: SurveyInvitation, world: World) -> None:
    path = delivery.opt_out_url(invitation)
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and "kim@acme.example" in page.content.decode()
    assert not world.customer.__class__.objects.filter(survey_opt_out__isnull=False).exists()
    done = client.post(path)
    assert 'data-testid="opt-out-done"' in done.content.decode()
    assert client.post(path).status_code == 200  # twice: still fine, one row
    # The rating link's token does not open the opt-out page.
    assert Client().get(_path(invitation) + "opt-out/").status_code == 400


def test_portal_request_page_shows_rating_links_then_the_rating(
    invitation: SurveyInvitation, world: World
) -> None:
    client = Client()
    client.force_login(world.customer)
    page = client.get(f"/portal/requests/{world.ticket.pk}")
    html = page.content.decode()
    assert 'data-testid="request-survey"' in html and "via=portal" in html
    link = html.split('data-testid="request-survey-0"')[0].rsplit('href="', 1)[1].split('"')[0]
    link = link.replace("&amp;", "&")
    survey = Client().get(link)
    assert survey.status_code == 200 and 'name="source" value="portal"' in survey.content.decode()
    Client().post(link.split("?")[0], {"score": "0", "quick": "1", "source": "portal"})
    assert SurveyResponse.objects.get().source == "portal"
    assert SurveyInvitation.objects.get().status == InvitationStatus.ANSWERED
    after = client.get(f"/portal/requests/{world.ticket.pk}").content.decode()
    assert 'data-testid="request-survey-given"' in after and "Bad, I am not satisfied" in after
    # Another customer sees no survey (and no ticket).
    other = Client()
    other.force_login(world.outsider)
    assert other.get(f"/portal/requests/{world.ticket.pk}").status_code == 404


# --- the rate limit per client IP (DOUM_SURVEY_RATE_PER_MIN) ----------------------------------


def _quarter_past() -> datetime:
    """A moment 15 seconds into a minute: the window ends 45 seconds later."""
    return clock.now().replace(second=15, microsecond=0) + timedelta(minutes=2)


@override_settings(DOUM_SURVEY_RATE_PER_MIN=3)
def test_beyond_the_limit_the_pages_answer_429_and_record_nothing(
    invitation: SurveyInvitation,
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    path, opt_out = _path(invitation), delivery.opt_out_url(invitation)
    t0 = _quarter_past()
    with at(t0):
        assert client.get(path + "?score=0").status_code == 200
        assert client.post(path, {"score": "0", "comment": "slow"}).status_code == 200
        assert client.get(opt_out).status_code == 200  # the two pages share one count
        page = client.post(path, {"score": "1", "comment": "changed my mind"})
        quick = client.post(path, {"score": "1", "quick": "1"})
        confirm = client.post(opt_out)
    assert page.status_code == 429 and page["Retry-After"] == "45"
    html = page.content.decode()
    assert 'data-testid="survey-too-many"' in html and "try again in 45 seconds" in html
    assert 'data-testid="survey-too-many-posted"' in html and "survey-form" not in html
    assert page["Cache-Control"] == "no-store"
    assert quick.status_code == 429 and quick["Retry-After"] == "45"
    assert quick.json()["ok"] is False and "45 seconds" in quick.json()["message"]
    assert confirm.status_code == 429 and confirm["Retry-After"] == "45"
    # The answer is still the one given under the limit, and nobody opted out.
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment, response.answered_at) == (0, "slow", t0)
    assert not SurveyOptOut.objects.exists()
    # In the next window the same client is counted afresh.
    with at(t0 + timedelta(minutes=1)):
        again = client.post(path, {"score": "1", "quick": "1"})
    assert again.status_code == 200 and "Retry-After" not in again
    assert SurveyResponse.objects.get().score == 1


@override_settings(DOUM_SURVEY_RATE_PER_MIN=2)
def test_the_limit_counts_each_client_ip_and_bad_links_too(invitation: SurveyInvitation) -> None:
    path = _path(invitation)
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    customer = Client(REMOTE_ADDR="198.51.100.20")
    with at(_quarter_past()):
        assert guesser.get("/survey/not-a-token/").status_code == 400
        assert guesser.get("/survey/not-a-token/opt-out/").status_code == 400
        assert guesser.get(path).status_code == 429  # a good link does not help now
        assert guesser.post(path, {"score": "0", "quick": "1"}).status_code == 429
        assert customer.get(path + "?score=1").status_code == 200
        assert customer.post(path, {"score": "1", "quick": "1"}).status_code == 200
    assert SurveyResponse.objects.get().score == 1


@override_settings(DOUM_SURVEY_RATE_PER_MIN=1)
def test_the_429_page_speaks_the_language_the_survey_page_would(
    invitation: SurveyInvitation,
) -> None:
    SurveyInvitation.objects.filter(pk=invitation.pk).update(language="ko")
    path = _path(invitation)
    # The invitation's Korean wins over an English browser, as on the survey page itself.
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="en-US")
    # A link that is not valid: the browser's language.
    stranger = Client(REMOTE_ADDR="198.51.100.20", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    with at(_quarter_past()):
        assert client.get(path).status_code == 200
        page = client.get(path + "?score=0")
        quick = client.post(path, {"score": "0", "quick": "1"})
        stranger.get("/survey/not-a-token/")
        guessed = stranger.get("/survey/not-a-token/")
    for answer in (page, guessed):
        html = answer.content.decode()
        assert answer.status_code == 429 and answer["Retry-After"] == "45"
        assert 'lang="ko"' in html and "잠시 기다려 주세요" in html
        assert "45초 후에 다시 시도해 주세요" in html and "try again" not in html
    assert "45초 후에" in quick.json()["message"]
    assert not SurveyResponse.objects.exists()
