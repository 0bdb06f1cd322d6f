"""Survey delivery end to end: a ticket solved through the actions fires the default trigger,
the send job mails the survey to a real SMTP server, and the link in the received mail
records the answer."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from doum.accounts.roles import Role
from doum.core import clock
from doum.mail.models import OutboundKind, OutboundMessage
from doum.surveys import delivery
from doum.surveys.models import (
    InvitationStatus,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
)
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.mail.conftest import SmtpSink
from tests.personas import World, make_user
from tests.surveys.conftest import (
    Capture,
    at,
    html_of,
    reopen,
    send_due,
    solve,
    survey_links,
    text_of,
)
from tests.surveys.helpers import survey_settings


def _start() -> object:
    return clock.now().replace(microsecond=0) + timedelta(minutes=1)


def _new_ticket(world: World, subject: str, requester: object = None) -> Ticket:
    who = requester or world.customer
    ticket = tickets.do_create_ticket(actor=who, via=Via.PORTAL, subject=subject, body="Help.")  # type: ignore[arg-type]
    return tickets.do_assign(
        ticket, actor=world.lead, via=Via.WEB, assignee_id=world.agent.pk, team_id=world.billing.pk
    )


def test_solve_mail_link_and_answer_round_trip(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solved = solve(capture, world.ticket, world.agent)
    invitation = SurveyInvitation.objects.get(ticket=world.ticket, kind="csat")
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.send_at == t0 + timedelta(minutes=60)  # the brand's default delay
    assert invitation.solve_version == solved.version
    assert (invitation.assignee_id, invitation.team_id) == (world.agent.pk, world.billing.pk)
    assert invitation.organization_id == world.acme.pk and invitation.channel == "portal"

    send_due(capture, t0 + timedelta(minutes=30))
    assert smtp_sink.received == []  # not due yet

    send_due(capture, t0 + timedelta(minutes=61))
    assert len(smtp_sink.received) == 1
    received = smtp_sink.received[0]
    assert received.rcpt_tos == ["kim@acme.example"]
    mail = received.message
    assert "How did we do?" in str(mail["Subject"]) and f"[#{world.ticket.pk}]" in str(
        mail["Subject"]
    )
    assert mail["Auto-Submitted"] == "auto-generated"
    assert OutboundMessage.objects.filter(kind=OutboundKind.SURVEY).count() == 1
    links = survey_links(mail)
    rating_links = [link for link in links if "?score=" in link]
    assert [link.rsplit("=", 1)[1] for link in rating_links] == ["1", "0"]  # good, bad
    assert any(link.endswith("/opt-out/") for link in links)
    assert "Good, I am satisfied" in text_of(mail) and "score=0" in html_of(mail)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT and invitation.sent_at is not None

    # A second run sends nothing more.
    send_due(capture, t0 + timedelta(minutes=62))
    assert len(smtp_sink.received) == 1

    client = Client()
    with at(t0 + timedelta(hours=2)):
        page = client.get(rating_links[0])
        assert page.status_code == 200
        assert 'data-autorecord="1"' in page.content.decode()
        # Opening the link records nothing by itself (mail scanners open every link).
        assert not SurveyResponse.objects.exists()
        # What the page's script does at once in a real browser:
        path = rating_links[0].split("?")[0]
        quick = client.post(path, {"score": "1", "quick": "1", "source": "mail"})
    assert quick.status_code == 200 and quick.json()["ok"] is True
    response = SurveyResponse.objects.get(invitation=invitation)
    assert response.score == 1 and response.kind == "csat" and response.source == "mail"
    assert response.ticket_id == world.ticket.pk
    assert (response.assignee_id, response.team_id) == (world.agent.pk, world.billing.pk)
    assert response.csat_scale == "good_bad" and response.customer_id == world.customer.pk
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED

    # The answered survey is not reminded.
    send_due(capture, t0 + timedelta(hours=80))
    assert len(smtp_sink.received) == 1


def test_a_korean_customer_gets_korean_mail_and_page(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    korean = make_user(world.agent, Role.CUSTOMER, "이민지", "minji@example.kr", language="ko")
    ticket = _new_ticket(world, "배송 문의", korean)
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, ticket, world.agent, reply=True)
    send_due(capture, t0 + timedelta(minutes=61))
    surveys = [r for r in smtp_sink.received if r.rcpt_tos == ["minji@example.kr"]]
    assert len(surveys) == 2  # the agent's reply and the survey
    mail = next(
        r.message for r in surveys if "상담은 만족스러우셨나요" in str(r.message["Subject"])
    )
    body = text_of(mail)
    assert "이민지님, 안녕하세요" in body and "만족" in body
    assert SurveyInvitation.objects.get(ticket=ticket).language == "ko"
    link = next(link for link in survey_links(mail) if "score=0" in link)
    with at(t0 + timedelta(hours=1, minutes=5)):
        page = Client().get(link)
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="ko"' in html
    assert "받으신 상담에 얼마나 만족하셨나요?" in html


def test_one_reminder_when_unanswered(world: World, smtp_sink: SmtpSink, capture: Capture) -> None:
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
    send_due(capture, t0 + timedelta(minutes=61))
    invitation = SurveyInvitation.objects.get(ticket=world.ticket)
    assert invitation.reminder_due_at == t0 + timedelta(minutes=61, hours=72)
    send_due(capture, t0 + timedelta(hours=50))
    assert len(smtp_sink.received) == 1
    send_due(capture, t0 + timedelta(hours=74))
    assert len(smtp_sink.received) == 2
    reminder = smtp_sink.received[1].message
    assert str(reminder["Subject"]).startswith(f"[#{world.ticket.pk}] Reminder:")
    assert "gentle reminder" in text_of(reminder)
    # The reminder's links are the same invitation's.
    assert (
        survey_links(reminder)[0].split("?")[0]
        == survey_links(smtp_sink.received[0].message)[0].split("?")[0]
    )
    send_due(capture, t0 + timedelta(hours=100))
    assert len(smtp_sink.received) == 2  # once only
    invitation.refresh_from_db()
    assert invitation.reminded_at == t0 + timedelta(hours=74)
    # Past the link's life the invitation expires.
    send_due(capture, t0 + timedelta(days=16))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED


def test_no_reminder_when_the_brand_has_none(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    survey_settings(world, reminder_after_hours=0, quiet_days=7)
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
    send_due(capture, t0 + timedelta(minutes=61))
    send_due(capture, t0 + timedelta(days=5))
    assert len(smtp_sink.received) == 1
    assert SurveyInvitation.objects.get(ticket=world.ticket).reminder_due_at is None


def test_no_survey_for_spam(world: World, smtp_sink: SmtpSink, capture: Capture) -> None:
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
        tickets.do_mark_spam(Ticket.objects.get(pk=world.ticket.pk), actor=world.agent, via="web")
    send_due(capture, t0 + timedelta(minutes=61))
    invitation = SurveyInvitation.objects.get(ticket=world.ticket)
    assert (invitation.status, invitation.cancel_reason) == (InvitationStatus.CANCELLED, "spam")
    assert smtp_sink.received == []


def test_no_survey_for_a_ticket_solved_by_an_automation(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, None, via=Via.AUTOMATION)
    assert Ticket.objects.get(pk=world.ticket.pk).status == "solved"
    assert not SurveyInvitation.objects.exists()  # the trigger's "via is not automation"
    # A rule without that condition still gets no survey out of it.
    found = delivery.schedule_after_solve(world.ticket.pk, kinds=["csat"])
    assert [(i.status, i.cancel_reason) for i in found] == [
        (InvitationStatus.CANCELLED, "automatic_solve")
    ]
    send_due(capture, t0 + timedelta(hours=2))
    assert smtp_sink.received == []


def test_no_survey_for_historical_changes(world: World, capture: Capture) -> None:
    with clock.at(clock.now() - timedelta(days=30)), capture(execute=True):
        fresh = Ticket.objects.get(pk=world.ticket.pk)
        tickets.do_change_status(fresh, actor=world.agent, via=Via.WEB, status="solved")
    assert Ticket.objects.get(pk=world.ticket.pk).status == "solved"
    assert not SurveyInvitation.objects.exists()


def test_no_survey_for_a_staff_requester(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject="Laptop broken", body="Help.",
        requester_id=world.lead.pk,
    )  # fmt: skip
    ticket = tickets.do_assign(ticket, actor=world.agent, via=Via.WEB, assignee_id=world.agent.pk)
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, ticket, world.agent)
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert invitation.cancel_reason == "staff_requester"
    send_due(capture, t0 + timedelta(hours=2))
    assert smtp_sink.received == []


def test_no_survey_to_a_bounced_address(world: World, capture: Capture) -> None:
    from doum.accounts.models import Identity

    Identity.objects.filter(value="kim@acme.example").update(bounced_at=clock.now())
    with at(clock.now() + timedelta(minutes=1)):
        solve(capture, world.ticket, world.agent)
    assert SurveyInvitation.objects.get(ticket=world.ticket).cancel_reason == "no_address"


def test_quiet_period_spares_the_customer_but_not_the_same_ticket(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    survey_settings(world, quiet_days=7, ces_enabled=True, reminder_after_hours=0)
    second = _new_ticket(world, "Another question")
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
        # CSAT and CES about one solve: both go out (same ticket).
        delivery.schedule_after_solve(world.ticket.pk, kinds=["csat", "ces"])
    send_due(capture, t0 + timedelta(minutes=61))
    kinds = sorted(
        SurveyInvitation.objects.filter(ticket=world.ticket, status="sent").values_list(
            "kind", flat=True
        )
    )
    assert kinds == ["ces", "csat"] and len(smtp_sink.received) == 2

    # Another ticket solved two days later: inside the quiet period.
    with at(t0 + timedelta(days=2)):
        solve(capture, second, world.agent)
    send_due(capture, t0 + timedelta(days=2, minutes=61))
    quiet = SurveyInvitation.objects.get(ticket=second)
    assert (quiet.status, quiet.cancel_reason) == (InvitationStatus.CANCELLED, "quiet_period")
    assert len(smtp_sink.received) == 2

    # The first ticket reopened and solved again: rated again despite the quiet period.
    with at(t0 + timedelta(days=3)):
        reopen(capture, world.ticket, world)
        solve(capture, world.ticket, world.agent)
    send_due(capture, t0 + timedelta(days=3, minutes=61))
    again = SurveyInvitation.objects.filter(ticket=world.ticket, kind="csat").order_by("id")
    assert [i.status for i in again] == [InvitationStatus.EXPIRED, InvitationStatus.SENT]
    assert again[0].cancel_reason == "superseded"
    to_customer = [r for r in smtp_sink.received if r.rcpt_tos == ["kim@acme.example"]]
    assert len(to_customer) == 3  # the agent was told of the customer's reply too


def test_quiet_period_is_checked_again_when_sending(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    survey_settings(world, quiet_days=7)
    second = _new_ticket(world, "Second")
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
        solve(capture, second, world.agent)
    assert SurveyInvitation.objects.filter(status="scheduled").count() == 2
    send_due(capture, t0 + timedelta(minutes=61))
    statuses = dict(SurveyInvitation.objects.values_list("ticket_id", "status"))
    assert sorted(statuses.values()) == ["cancelled", "sent"]
    assert len(smtp_sink.received) == 1


def test_opt_out_link_stops_further_surveys(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    second = _new_ticket(world, "Later question")
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
    send_due(capture, t0 + timedelta(minutes=61))
    opt_out = next(
        link for link in survey_links(smtp_sink.received[0].message) if "opt-out" in link
    )
    client = Client()
    with at(t0 + timedelta(hours=2)):
        confirm = client.get(opt_out)
        assert confirm.status_code == 200 and "opt-out-form" in confirm.content.decode()
        assert not SurveyOptOut.objects.exists()  # opening the link is not opting out
        done = client.post(opt_out)
    assert done.status_code == 200 and 'data-testid="opt-out-done"' in done.content.decode()
    assert SurveyOptOut.objects.get(customer=world.customer).via == "link"
    with at(t0 + timedelta(days=10)):
        solve(capture, second, world.agent)
    assert SurveyInvitation.objects.get(ticket=second).cancel_reason == "opted_out"
    send_due(capture, t0 + timedelta(days=11))
    assert len(smtp_sink.received) == 1  # neither a new survey nor a reminder


def test_reopened_before_sending_cancels_and_a_new_solve_asks_again(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
    with at(t0 + timedelta(minutes=20)):
        reopen(capture, world.ticket, world)
    send_due(capture, t0 + timedelta(minutes=61))
    first = SurveyInvitation.objects.get(ticket=world.ticket)
    assert (first.status, first.cancel_reason) == (InvitationStatus.CANCELLED, "not_solved")
    assert [r.rcpt_tos for r in smtp_sink.received] == [["agent@doum.test"]]  # the reply
    with at(t0 + timedelta(hours=2)):
        resolved = solve(capture, world.ticket, world.agent)
    send_due(capture, t0 + timedelta(hours=3, minutes=1))
    second = SurveyInvitation.objects.exclude(pk=first.pk).get(ticket=world.ticket)
    assert second.solve_version == resolved.version != first.solve_version
    assert second.status == InvitationStatus.SENT
    assert [r.rcpt_tos for r in smtp_sink.received][1:] == [["kim@acme.example"]]


def test_scheduling_twice_for_one_solve_makes_one_invitation(
    world: World, capture: Capture
) -> None:
    with at(clock.now() + timedelta(minutes=1)):
        solve(capture, world.ticket, world.agent)
        again = delivery.schedule_after_solve(world.ticket.pk, kinds=["csat", "csat"])
    assert SurveyInvitation.objects.count() == 1
    assert [i.pk for i in again] == [SurveyInvitation.objects.get().pk]


def test_two_workers_never_send_the_same_invitation(world: World, capture: Capture) -> None:
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
    invitation = SurveyInvitation.objects.get()
    with at(t0 + timedelta(minutes=61)):
        assert delivery.send_invitation(invitation.pk) is True
        assert delivery.send_invitation(invitation.pk) is False
        assert delivery.send_reminder(invitation.pk) is False  # not due
    assert OutboundMessage.objects.filter(kind=OutboundKind.SURVEY).count() == 1


def test_a_brand_that_turned_csat_off_sends_none(world: World, capture: Capture) -> None:
    survey_settings(world, csat_enabled=False, quiet_days=7)
    with at(clock.now() + timedelta(minutes=1)):
        solve(capture, world.ticket, world.agent)
    assert not SurveyInvitation.objects.exists()


def test_five_point_scale_mail_has_five_links(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    survey_settings(world, csat_scale="five", quiet_days=7)
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    with at(t0):
        solve(capture, world.ticket, world.agent)
    send_due(capture, t0 + timedelta(minutes=61))
    links = [link for link in survey_links(smtp_sink.received[0].message) if "score=" in link]
    assert [link.rsplit("=", 1)[1] for link in links] == ["1", "2", "3", "4", "5"]
    assert SurveyInvitation.objects.get().csat_scale == "five"


# --- NPS ------------------------------------------------------------------------------------


def test_nps_round_respects_opt_out_and_quiet_period(
    world: World, smtp_sink: SmtpSink, capture: Capture
) -> None:
    from doum.surveys.actions import do_opt_out

    survey_settings(world, nps_enabled=True, nps_sample_percent=100, quiet_days=7)
    _new_ticket(world, "Colleague's question", world.colleague)
    _new_ticket(world, "Outsider's question", world.outsider)
    do_opt_out(world.colleague.pk, via="link")
    t0 = clock.now().replace(microsecond=0) + timedelta(minutes=1)
    # The outsider was surveyed yesterday: in the quiet period.
    outsider_ticket = Ticket.objects.get(requester=world.outsider)
    with at(t0 - timedelta(days=1, hours=2)):
        solve(capture, outsider_ticket, world.agent)
    send_due(capture, t0 - timedelta(days=1))
    assert [r.rcpt_tos for r in smtp_sink.received] == [["olly@elsewhere.example"]]

    with at(t0):
        made = delivery.start_nps_rounds(seed=7)
        assert delivery.start_nps_rounds(seed=7) == []  # claimed: one round per interval
    assert [i.customer_id for i in made] == [world.customer.pk]
    assert made[0].ticket_id is None and made[0].kind == "nps"
    send_due(capture, t0 + timedelta(minutes=1))
    nps = smtp_sink.received[-1].message
    assert "Would you recommend Acme Support?" in str(nps["Subject"])
    scores = [link.rsplit("=", 1)[1] for link in survey_links(nps) if "score=" in link]
    assert scores == [str(n) for n in range(11)]
    # The next round waits for the interval.
    with at(t0 + timedelta(days=30)):
        assert delivery.start_nps_rounds(seed=7) == []


def test_nps_sample_is_a_deterministic_share() -> None:
    ids = list(range(1, 101))
    first = delivery.sample(ids, 10, seed=42)
    assert len(first) == 10 and first == delivery.sample(ids, 10, seed=42)
    assert set(first) <= set(ids)
    assert delivery.sample(ids, 0, seed=1) == [] and delivery.sample([], 50, seed=1) == []
    assert len(delivery.sample([5, 6, 7], 10, seed=1)) == 1  # rounded up
    assert delivery.sample([5, 6], 250, seed=1) == [5, 6]
