"""Anomaly episodes end to end: tickets written through the real actions over eight past
weeks at a steady rate, a burst in the last hour, the scheduler's detection run, in-app
notifications and mail at the real SMTP sink; at most one notice per episode."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from doum.alerts import actions, selectors
from doum.alerts.detection import detect
from doum.alerts.models import AlertEpisode, AlertKind, Notification
from doum.core import clock, scheduler
from doum.metrics.models import TicketMetrics
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.mail.conftest import SmtpSink
from tests.mail.test_outbound import run_mail_tasks
from tests.personas import World

H = datetime(2026, 3, 9, 10, tzinfo=UTC)  # a Monday, 10:00-11:00 UTC: the judged hour
WEEK = timedelta(days=7)


@pytest.fixture(autouse=True)
def _alert_settings(settings: Any) -> None:
    settings.DOUM_ALERT_WEEKS = 8
    settings.DOUM_ALERT_MIN_WEEKS = 4
    settings.DOUM_ALERT_VOLUME_MIN = 10
    settings.DOUM_ALERT_VOLUME_MARGIN = 5
    settings.DOUM_ALERT_FIRST_REPLY_MIN = 3
    settings.DOUM_ALERT_FIRST_REPLY_MARGIN_S = 900
    settings.DOUM_ALERT_MAD_FACTOR = 3


def _refresh_available() -> bool:
    from doum.metrics import loading

    return hasattr(loading, "compute_many")


def write_metrics(found: Iterable[Ticket]) -> None:
    """TicketMetrics for these tickets: the real refresh once it exists, else the few columns
    detection reads, written by hand (creation instant, team, no reply yet)."""
    if _refresh_available():
        from doum.metrics import refresh

        # The marks are written after commit, which a test transaction never reaches.
        refresh.mark([t.pk for t in found])
        refresh.run()
        return
    for t in found:
        TicketMetrics.objects.update_or_create(
            ticket=t,
            defaults={
                "definitions_version": 1, "ticket_version": t.version, "computed_at": clock.now(),
                "team_id": t.team_id, "channel": t.channel, "priority": t.priority,
                "type": t.type, "status": t.status, "created_at": t.created_at,
            },
        )  # fmt: skip


def create_at(w: World, instant: datetime, n: int) -> list[Ticket]:
    """n Billing tickets opened by an agent on the customer's behalf, one minute apart."""
    made = []
    for i in range(n):
        with clock.at(instant + timedelta(minutes=i)):
            made.append(
                tickets.do_create_ticket(
                    actor=w.agent,
                    via=Via.PHONE,
                    subject=f"Call {instant:%m%d%H} {i}",
                    body="x",
                    requester_id=w.customer.pk,
                    team_id=w.billing.pk,
                )
            )
    return made


def run_detection(at: datetime, capture: Callable[..., Any]) -> None:
    with time_machine.travel(at, tick=False):
        with capture(execute=True):
            detect()
        run_mail_tasks()


def test_a_spike_opens_one_episode_notifies_once_and_recovery_closes_it(
    world: World, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    made: list[Ticket] = []
    for k, n in zip(range(1, 9), [3, 4, 3, 2, 3, 4, 3, 3], strict=True):  # steady: median 3
        made += create_at(world, H - k * WEEK + timedelta(minutes=5), n)
    made += create_at(world, H + timedelta(minutes=2), 20)  # the burst
    write_metrics(made)

    run_detection(H + timedelta(hours=1, minutes=5), django_capture_on_commit_callbacks)
    episodes = list(AlertEpisode.objects.filter(kind=AlertKind.VOLUME_SPIKE).order_by("team_key"))
    assert [(e.team_key, e.value, e.baseline, e.hour_start) for e in episodes] == [
        (0, 20, 3, H),
        (world.billing.pk, 20, 3, H),
    ]
    assert all(e.is_open and e.notified_at is not None for e in episodes)
    assert not AlertEpisode.objects.exclude(kind=AlertKind.VOLUME_SPIKE).exists()
    # The whole desk's episode goes to the managers; Billing's to its lead and the managers.
    notices = sorted((n.user.email, n.episode_id) for n in Notification.objects.all())
    assert notices == sorted([
        ("manager@doum.test", episodes[0].pk),
        ("manager@doum.test", episodes[1].pk),
        ("lead@doum.test", episodes[1].pk),
    ])  # fmt: skip
    received = sorted((m.rcpt_tos[0], m.message["Subject"]) for m in smtp_sink.received)
    assert received == sorted([
        ("manager@doum.test", "[Doum] Ticket volume spike: the whole help desk"),
        ("manager@doum.test", "[Doum] Ticket volume spike: Billing"),
        ("lead@doum.test", "[Doum] Ticket volume spike: Billing"),
    ])  # fmt: skip
    body = smtp_sink.received[0].message.get_body(("plain",))
    assert body is not None and "/alerts/" in body.get_content()
    assert smtp_sink.received[0].message["Auto-Submitted"] == "auto-generated"

    # The scheduler runs again within the hour: nothing opens, nobody hears twice.
    run_detection(H + timedelta(hours=1, minutes=10), django_capture_on_commit_callbacks)
    run_detection(H + timedelta(hours=1, minutes=15), django_capture_on_commit_callbacks)
    assert AlertEpisode.objects.count() == 2
    assert Notification.objects.count() == 3 and len(smtp_sink.received) == 3
    # The claim itself refuses a second notice.
    assert actions.notify_pending() == []

    # A normal hour (3 tickets) closes both episodes.
    made = create_at(world, H + timedelta(hours=1, minutes=1), 3)
    write_metrics(made)
    run_detection(H + timedelta(hours=2, minutes=5), django_capture_on_commit_callbacks)
    assert AlertEpisode.objects.filter(closed_at__isnull=True).count() == 0
    assert len(smtp_sink.received) == 3  # closing does not mail
    # Judging that normal hour again changes nothing.
    run_detection(H + timedelta(hours=2, minutes=30), django_capture_on_commit_callbacks)
    assert AlertEpisode.objects.count() == 2

    # A new spike two hours later is a new episode, notified again.
    made = create_at(world, H + timedelta(hours=3), 18)
    write_metrics(made)
    run_detection(H + timedelta(hours=4, minutes=5), django_capture_on_commit_callbacks)
    new = AlertEpisode.objects.filter(closed_at__isnull=True).order_by("team_key")
    assert [(e.team_key, e.hour_start, e.value) for e in new] == [
        (0, H + timedelta(hours=3), 18),
        (world.billing.pk, H + timedelta(hours=3), 18),
    ]
    assert AlertEpisode.objects.count() == 4
    assert len(smtp_sink.received) == 6 and Notification.objects.count() == 6


def _reply_rows(w: World, hour: datetime, seconds: list[int]) -> None:
    """Tickets first replied to in `hour` after `seconds` (metrics rows written by hand)."""
    for i, s in enumerate(seconds):
        replied = hour + timedelta(minutes=i)
        with clock.at(replied - timedelta(seconds=s)):
            t = tickets.do_create_ticket(
                actor=w.agent, via=Via.PHONE, subject=f"FRT {i}", body="x",
                requester_id=w.customer.pk, team_id=w.technical.pk,
            )  # fmt: skip
        TicketMetrics.objects.create(
            ticket=t, definitions_version=1, ticket_version=t.version, computed_at=replied,
            team_id=w.technical.pk, channel=t.channel, priority=t.priority, type=t.type,
            status="open", created_at=t.created_at, first_reply_at=replied, first_reply_s=s,
        )  # fmt: skip


def test_first_reply_degradation_for_a_team(world: World) -> None:
    for k in range(1, 7):
        _reply_rows(world, H - k * WEEK, [300, 600, 900])  # median 10 minutes
    _reply_rows(world, H, [3000, 3600, 5000])  # median an hour
    with time_machine.travel(H + timedelta(hours=1, minutes=1), tick=False):
        detect()
    found = AlertEpisode.objects.get(
        kind=AlertKind.FIRST_REPLY_DEGRADATION, team_key=world.technical.pk
    )
    assert (found.value, found.baseline, found.threshold) == (3600, 600, 1500)
    # Technical has no lead: the managers hear of it.
    assert [n.user_id for n in Notification.objects.filter(episode=found)] == [world.manager.pk]
    # Nobody replied the next hour: too little data, the episode stays open.
    with time_machine.travel(H + timedelta(hours=2, minutes=1), tick=False):
        detect()
    found.refresh_from_db()
    assert found.is_open


def test_pages_show_a_lead_only_their_teams_and_notifications_are_read_by_post(
    world: World, client: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    now = clock.now()
    billing = AlertEpisode.objects.create(
        kind=AlertKind.VOLUME_SPIKE, team=world.billing, team_key=world.billing.pk,
        opened_at=now, hour_start=H, last_anomalous_hour=H, value=20, baseline=3,
        threshold=8, peak=20,
    )  # fmt: skip
    technical = AlertEpisode.objects.create(
        kind=AlertKind.VOLUME_SPIKE, team=world.technical, team_key=world.technical.pk,
        opened_at=now, hour_start=H, last_anomalous_hour=H, value=20, baseline=3,
        threshold=8, peak=20,
    )  # fmt: skip
    client.force_login(world.lead)
    page = client.get("/alerts/").content.decode()
    assert f'data-episode-id="{billing.pk}"' in page
    assert f'data-episode-id="{technical.pk}"' not in page
    client.force_login(world.manager)
    page = client.get("/alerts/").content.decode()
    assert f'data-episode-id="{technical.pk}"' in page

    assert selectors.unread_count(world.lead) == 0  # cached by the page's header too
    with time_machine.travel(H, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert actions.notify_pending() == [billing.pk, technical.pk]
    client.force_login(world.lead)
    assert selectors.unread_count(world.lead) == 1
    page = client.get("/alerts/notifications/").content.decode()
    assert 'data-testid="unread-count">1<' in page
    fragment = client.get("/alerts/notifications/unread/", headers={"X-Doum-Partial": "1"})
    assert 'data-testid="unread-count">1<' in fragment.content.decode()
    mine = Notification.objects.get(user=world.lead)
    other = Notification.objects.filter(user=world.manager).first()
    assert other is not None
    # Someone else's notification is "not found", and a GET changes nothing.
    assert client.post("/alerts/notifications/read/", {"notification": other.pk}).status_code == 404
    assert client.post("/alerts/notifications/read/", {"notification": "x"}).status_code == 400
    assert client.get("/alerts/notifications/read/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/alerts/notifications/read/", {"notification": mine.pk, "open": "1"}
        )
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert selectors.unread_count(world.lead) == 0
    client.force_login(world.manager)
    client.post("/alerts/notifications/read/", {"notification": "all"})
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_scheduler_runs_detection_every_five_minutes() -> None:
    job = next(j for j in scheduler.jobs() if j.name == "alerts.detect")
    assert (job.seconds, job.task) == (300, "doum.alerts.tasks.detect_task")
