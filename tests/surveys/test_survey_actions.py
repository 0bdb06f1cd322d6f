"""The writers behind the survey pages, and the trigger effect that schedules surveys."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from doum.automation.conditions import clean_conditions
from doum.automation.effects import (
    EFFECT_TYPES,
    MACRO_EFFECT_TYPES,
    describe_effects,
    validate_effects,
)
from doum.automation.models import Trigger
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.surveys import actions, delivery
from doum.surveys.feedback import is_detractor
from doum.surveys.models import (
    FollowUp,
    InvitationStatus,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
)
from tests.personas import World, build_world
from tests.surveys.conftest import Capture, at, solve


@pytest.fixture
def invitation(world: World, capture: Capture) -> SurveyInvitation:
    with at(clock.now() + timedelta(minutes=1)):
        solve(capture, world.ticket, world.agent)
    return SurveyInvitation.objects.get(ticket=world.ticket)


def test_a_response_copies_the_solve_snapshot_and_opens_a_follow_up_when_bad(
    invitation: SurveyInvitation, world: World
) -> None:
    response = actions.do_record_response(
        invitation.pk, score=0, comment="  너무 느렸어요  ", reason="slow", source="mail"
    )
    assert response.comment == "너무 느렸어요" and response.reason == "slow"
    assert (response.ticket_id, response.assignee_id, response.team_id) == (
        world.ticket.pk, world.agent.pk, world.billing.pk,
    )  # fmt: skip
    assert response.organization_id == world.acme.pk and response.channel == "portal"
    assert FollowUp.objects.get(response=response).owner_id == world.lead.pk
    assert SurveyInvitation.objects.get(pk=invitation.pk).status == InvitationStatus.ANSWERED


def test_sequential_double_submission_makes_one_response_the_later_wins(
    invitation: SurveyInvitation,
) -> None:
    first = actions.do_record_response(invitation.pk, score=0, comment="bad", source="mail")
    second = actions.do_record_response(invitation.pk, score=1, source="mail")
    assert first.pk == second.pk and SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().score == 1
    assert SurveyResponse.objects.get().comment == "bad"  # None keeps the comment


@pytest.mark.django_db(transaction=True)
def test_racing_submissions_make_one_response() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs a server database: the SQLite test database is one shared in-memory file"
        )
    world = build_world()
    SurveyInvitation.objects.all().delete()
    found = delivery.schedule_after_solve(world.ticket.pk)
    if not found:
        from doum.tickets import actions as tickets

        tickets.do_change_status(world.ticket, actor=world.agent, via="web", status="solved")
        found = delivery.schedule_after_solve(world.ticket.pk, delay_minutes=0)
    invitation_id = found[0].pk
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def answer(score: int) -> None:
        try:
            barrier.wait(timeout=10)
            actions.do_record_response(invitation_id, score=score, source="mail")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(s,)) for s in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert SurveyResponse.objects.filter(invitation_id=invitation_id).count() == 1


@pytest.mark.parametrize("score", [-1, 2, 10, "x", "", "1e0", True])
def test_scores_outside_the_scale_are_refused(invitation: SurveyInvitation, score: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        actions.do_record_response(invitation.pk, score=score, source="mail")  # type: ignore[arg-type]
    assert caught.value.field == "score"
    assert not SurveyResponse.objects.exists()


def test_comment_limits_and_control_characters(invitation: SurveyInvitation) -> None:
    with pytest.raises(InvalidInput) as caught:
        actions.do_record_response(invitation.pk, score=1, comment="가" * 5001, source="mail")
    assert caught.value.field == "comment"
    response = actions.do_record_response(
        invitation.pk, score=1, comment="ok\x00\x1b[31m\r\nline", source="mail"
    )
    assert response.comment == "ok[31m\nline"


def test_unknown_source_and_reason_are_refused(invitation: SurveyInvitation) -> None:
    with pytest.raises(InvalidInput):
        actions.do_record_response(invitation.pk, score=1, source="import")
    with pytest.raises(InvalidInput):
        actions.do_record_response(invitation.pk, score=0, reason="<b>x</b>", source="mail")


def test_a_cancelled_invitation_refuses_answers(invitation: SurveyInvitation) -> None:
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.CANCELLED)
    with pytest.raises(actions.SurveyClosed):
        actions.do_record_response(invitation.pk, score=1, source="mail")


def test_opting_out_cancels_what_is_waiting(invitation: SurveyInvitation, world: World) -> None:
    row = actions.do_opt_out(world.customer.pk, via="portal")
    assert SurveyOptOut.objects.get().pk == row.pk and row.via == "portal"
    assert actions.do_opt_out(world.customer.pk, via="link").pk == row.pk
    invitation.refresh_from_db()
    assert (invitation.status, invitation.cancel_reason) == ("cancelled", "opted_out")
    with pytest.raises(InvalidInput):
        actions.do_opt_out(world.customer.pk, via="hacker")


def test_detractors_per_kind() -> None:
    assert is_detractor("nps", 6) and not is_detractor("nps", 7)
    assert is_detractor("ces", 3) and not is_detractor("ces", 5)


# --- the trigger effect ---------------------------------------------------------------------


def test_survey_effect_validation_and_description(world: World) -> None:
    assert "survey" in EFFECT_TYPES and "survey" not in MACRO_EFFECT_TYPES
    cleaned = validate_effects([{"type": "survey", "kinds": ["csat", "ces"], "delay_minutes": 5}])
    assert cleaned == [{"type": "survey", "kinds": ["csat", "ces"], "delay_minutes": 5}]
    assert validate_effects([{"type": "survey"}]) == [{"type": "survey", "kinds": ["csat"]}]
    for bad in (
        {"type": "survey", "kinds": ["nps"]},
        {"type": "survey", "kinds": []},
        {"type": "survey", "kinds": "csat<script>"},
        {"type": "survey", "delay_minutes": -1},
        {"type": "survey", "delay_minutes": True},
        {"type": "survey", "delay_minutes": 10**9},
        {"type": "survey", "to": "everyone"},
    ):
        with pytest.raises(InvalidInput):
            validate_effects([bad])
    with pytest.raises(InvalidInput):
        validate_effects([{"type": "survey"}], allowed=MACRO_EFFECT_TYPES)
    assert describe_effects(cleaned) == ["Send a CSAT, CES survey 5 minutes after the solve"]
    assert describe_effects([{"type": "survey", "kinds": ["csat"]}]) == [
        "Send a CSAT survey after the brand's delay"
    ]


def test_the_default_trigger_is_active_and_valid(db: None) -> None:
    trigger = Trigger.objects.get(name="Send a satisfaction survey when a ticket is solved")
    assert trigger.is_active
    assert validate_effects(trigger.effects) == [{"type": "survey", "kinds": ["csat"]}]
    conditions = clean_conditions(trigger.conditions, kind="trigger")
    assert {c["field"] for c in conditions["all"]} == {"status", "via"}


def test_the_effect_does_nothing_on_a_ticket_never_solved(world: World) -> None:
    assert delivery.schedule_after_solve(world.ticket.pk) == []
    assert delivery.schedule_after_solve(999_999) == []
