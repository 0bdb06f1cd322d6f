"""Survey link tokens: signed per purpose, bound to one invitation and its nonce."""

from __future__ import annotations

from datetime import timedelta

import pytest

from doum.core import clock
from doum.surveys import delivery, tokens
from doum.surveys.models import SurveyInvitation
from tests.personas import World
from tests.surveys.conftest import Capture, at, solve


@pytest.fixture
def invitation(world: World, capture: Capture) -> SurveyInvitation:
    with at(clock.now() + timedelta(minutes=1)):
        solve(capture, world.ticket, world.agent)
    return SurveyInvitation.objects.get(ticket=world.ticket)


def test_a_token_reads_back_as_its_invitation(invitation: SurveyInvitation) -> None:
    for purpose in tokens.PURPOSES:
        token = tokens.make_token(invitation, purpose)
        assert tokens.read_token(token, purpose).pk == invitation.pk
        assert invitation.nonce not in token  # the nonce travels signed and encoded


def test_tampered_tokens_are_refused(invitation: SurveyInvitation) -> None:
    token = tokens.make_token(invitation, tokens.RATE)
    payload, signature = token.rsplit(":", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (flipped, payload + ":", "x" * 40, "", "a:b:c", token + "x", "💥" * 10, "x" * 400):
        with pytest.raises(tokens.TokenError) as caught:
            tokens.read_token(bad, tokens.RATE)
        assert caught.value.status_code == 400
        assert caught.value.reason in ("tampered", "malformed")


def test_a_rating_token_does_not_opt_out_and_the_reverse(invitation: SurveyInvitation) -> None:
    rate = tokens.make_token(invitation, tokens.RATE)
    opt_out = tokens.make_token(invitation, tokens.OPT_OUT)
    with pytest.raises(tokens.TokenError) as caught:
        tokens.read_token(rate, tokens.OPT_OUT)
    assert caught.value.reason == "wrong_purpose"
    with pytest.raises(tokens.TokenError):
        tokens.read_token(opt_out, tokens.RATE)
    with pytest.raises(ValueError):
        tokens.make_token(invitation, "admin")


def test_a_token_never_acts_on_another_invitation(
    world: World, invitation: SurveyInvitation
) -> None:
    other = delivery.schedule_after_solve(world.ticket.pk, kinds=["csat"])[0]
    assert other.pk == invitation.pk  # one per solve
    # A forged payload naming another id cannot be signed without the key; a revoked nonce
    # (the invitation's secret replaced) kills every link to it.
    token = tokens.make_token(invitation, tokens.RATE)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(nonce=delivery.new_nonce())
    with pytest.raises(tokens.TokenError) as caught:
        tokens.read_token(token, tokens.RATE)
    assert caught.value.reason == "nonce"
    SurveyInvitation.objects.filter(pk=invitation.pk).delete()
    with pytest.raises(tokens.TokenError) as unknown:
        tokens.read_token(token, tokens.RATE)
    assert unknown.value.reason == "unknown"


def test_an_expired_invitation_answers_410(invitation: SurveyInvitation) -> None:
    token = tokens.make_token(invitation, tokens.RATE)
    with at(invitation.expires_at + timedelta(seconds=1)):
        with pytest.raises(tokens.TokenExpired) as caught:
            tokens.read_token(token, tokens.RATE)
        assert caught.value.status_code == 410 and caught.value.reason == "expired"
        assert caught.value.invitation.pk == invitation.pk
        # Opting out still works with an old mail.
        opt_out = tokens.make_token(invitation, tokens.OPT_OUT)
        assert tokens.read_token(opt_out, tokens.OPT_OUT, allow_expired=True).pk == invitation.pk


def test_a_cancelled_invitation_answers_410(invitation: SurveyInvitation) -> None:
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status="cancelled")
    with pytest.raises(tokens.TokenExpired) as caught:
        tokens.read_token(tokens.make_token(invitation, tokens.RATE), tokens.RATE)
    assert caught.value.reason == "cancelled"
