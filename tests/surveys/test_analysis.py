"""Survey scores exactly as docs/metrics.md ("Surveys") defines them, through real answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from doum.core import clock
from doum.metrics.queries import Filters
from doum.surveys import actions as survey_actions
from doum.surveys import analysis, delivery
from doum.surveys.models import InvitationStatus, SurveyInvitation
from doum.tickets import actions as tickets
from doum.tickets.models import Via
from tests.personas import World, make_user
from tests.surveys.helpers import rate, solved_ticket, survey_settings

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 12:00 in Seoul


def _filters(**kw: object) -> Filters:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    return Filters(start=start, end=start + timedelta(days=31), zone="UTC", **kw)  # type: ignore[arg-type]


@pytest.fixture
def at_now() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.usefixtures("at_now")
def test_csat_good_bad_rate_is_good_over_all(world: World) -> None:
    survey_settings(world)
    for index, score in enumerate((1, 1, 1, 0)):
        rate(solved_ticket(world, f"csat {index}"), score)
    found = analysis.scores(_filters())
    assert (found.csat_total, found.csat_good, found.csat_bad) == (4, 3, 1)
    assert found.csat_rate == pytest.approx(0.75)
    assert found.nps is None and found.ces_mean is None


@pytest.mark.usefixtures("at_now")
def test_csat_five_point_scale_counts_four_and_five_as_satisfied(world: World) -> None:
    survey_settings(world, csat_scale="five")
    for index, score in enumerate((5, 4, 3, 2, 1)):
        rate(solved_ticket(world, f"five {index}"), score)
    found = analysis.scores(_filters())
    assert (found.csat_total, found.csat_good) == (5, 2)
    assert found.csat_rate == pytest.approx(0.4)


@pytest.mark.usefixtures("at_now")
def test_ces_is_the_mean_of_the_answers(world: World) -> None:
    survey_settings(world, ces_enabled=True)
    for index, score in enumerate((7, 5, 3)):
        rate(solved_ticket(world, f"ces {index}"), score, kind="ces")
    found = analysis.scores(_filters())
    assert found.ces_total == 3
    assert found.ces_mean == pytest.approx(5.0)


@pytest.mark.usefixtures("at_now")
def test_nps_is_promoters_minus_detractors(world: World) -> None:
    survey_settings(world, nps_enabled=True, nps_sample_percent=100)
    customers = []
    for index in range(6):
        customer = make_user(world.agent, "customer", f"NPS {index}", f"nps{index}@example.com")
        customers.append(customer)
        solved_ticket(world, f"nps ticket {index}", requester=customer)
    invitations = delivery.start_nps_rounds(seed=7)
    by_customer = {i.customer_id: i for i in invitations}
    for customer, score in zip(customers, (10, 9, 8, 7, 6, 0), strict=True):
        survey_actions.do_record_response(by_customer[customer.pk].pk, score=score, source="mail")
    found = analysis.scores(_filters())
    assert (found.nps_total, found.nps_promoters, found.nps_detractors) == (6, 2, 2)
    assert found.nps == pytest.approx(0.0)
    assert found.nps_passives == 2


@pytest.mark.usefixtures("at_now")
def test_a_changed_rating_counts_once_with_its_latest_score(world: World) -> None:
    survey_settings(world)
    ticket = solved_ticket(world, "changed mind")
    rate(ticket, 0, comment="slow")
    rate(ticket, 1)
    found = analysis.scores(_filters())
    assert (found.csat_total, found.csat_good) == (1, 1)


@pytest.mark.usefixtures("at_now")
def test_a_rating_stays_with_the_team_and_agent_at_solve_time(world: World) -> None:
    survey_settings(world)
    ticket = solved_ticket(world, "moved later")
    rate(ticket, 0)
    # The ticket moves to Technical and another agent afterwards (reopened by the customer).
    tickets.do_add_comment(ticket, actor=world.customer, via=Via.PORTAL, body="again", public=True)
    ticket.refresh_from_db()
    tickets.do_assign(
        ticket, actor=world.admin, via=Via.WEB, assignee_id=world.tech_agent.pk,
        team_id=world.technical.pk,
    )  # fmt: skip
    by_team = analysis.scores_by(_filters(), "team")
    assert by_team[world.billing.pk].csat_total == 1
    assert world.technical.pk not in by_team
    by_agent = analysis.scores_by(_filters(), "agent")
    assert by_agent[world.agent.pk].csat_bad == 1
    assert analysis.scores(_filters(team_ids=(world.technical.pk,))).csat_total == 0
    assert analysis.scores(_filters(agent_ids=(world.agent.pk,))).csat_total == 1


@pytest.mark.usefixtures("at_now")
def test_filters_by_tag_channel_and_organization(world: World) -> None:
    survey_settings(world)
    tagged = solved_ticket(world, "tagged")
    tickets.do_update_ticket(
        tagged, actor=world.agent, via=Via.WEB, changes={"add_tags": ["refund"]}
    )
    rate(tagged, 1)
    rate(solved_ticket(world, "plain"), 0)
    assert analysis.scores(_filters(tags=("refund",))).csat_total == 1
    assert analysis.scores(_filters(channels=("portal",))).csat_total == 2
    assert analysis.scores(_filters(channels=("email",))).csat_total == 0
    assert analysis.scores(_filters(organization_ids=(world.acme.pk,))).csat_total == 2
    tags = dict(analysis.scores_by_tag(_filters()))
    assert tags["refund"].csat_good == 1


def test_response_rate_counts_sent_invitations_that_were_answered(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        survey_settings(world)
        first = solved_ticket(world, "answered")
        second = solved_ticket(world, "ignored")
        for ticket in (first, second):
            delivery.schedule_after_solve(ticket.pk, kinds=("csat",), delay_minutes=0)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert delivery.send_due() == 2
        assert SurveyInvitation.objects.filter(status=InvitationStatus.SENT).count() == 2
        rate(first, 1)
    found = analysis.scores(_filters())
    assert (found.sent, found.answered) == (2, 1)
    assert found.response_rate == pytest.approx(0.5)


def test_series_buckets_by_local_day(world: World) -> None:
    survey_settings(world)
    # 23:30 UTC on 2 March is 08:30 on 3 March in Seoul.
    with time_machine.travel(datetime(2026, 3, 2, 23, 30, tzinfo=UTC), tick=False):
        rate(solved_ticket(world, "late"), 1)
    start = datetime(2026, 3, 1, 15, tzinfo=UTC)  # 1 March 00:00 in Seoul
    seoul = Filters(start=start, end=start + timedelta(days=7), zone="Asia/Seoul")
    rows = dict(analysis.series(seoul, "day"))
    assert rows[datetime(2026, 3, 3).date()].csat_total == 1
    assert sum(s.csat_total for s in rows.values()) == 1
    utc = dict(analysis.series(_filters(), "day"))
    assert utc[datetime(2026, 3, 2).date()].csat_total == 1
    assert len(analysis.series(_filters(), "week")) == 6  # 23 Feb .. 30 Mar Mondays
    assert clock.now() >= NOW  # the clock is real again


@pytest.mark.usefixtures("at_now")
def test_detractor_topics_come_with_their_comments(world: World) -> None:
    survey_settings(world)
    comments = [
        "The refund took too long and nobody answered",
        "Refund still missing after two weeks",
        "환불이 너무 늦어요",
        "Great help, thanks",
    ]
    for index, comment in enumerate(comments):
        rate(solved_ticket(world, f"topic {index}"), 1 if index == 3 else 0, comment=comment)
    analysed, topics = analysis.detractor_topics(_filters())
    assert analysed == 3  # only the detractors' comments
    for topic in topics:
        assert topic.examples, topic
        assert all(e.comment in comments[:3] for e in topic.examples)
