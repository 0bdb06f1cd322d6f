"""CSAT degradation alerts: the CSAT % of the 24 hours ending with the judged hour against the
same 24 hours of past weeks, too LOW being the anomaly.

Survey answers come in the way the product takes answers with their own dates: the feedback
import (doum.surveys.importing), one CSV per batch, each row naming the ticket whose team the
answer belongs to. Answering through invitations would stamp every answer with the clock at
the time of answering, which for eight weeks of history means hundreds of clock jumps for the
same rows."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import translation

from doum.accounts import actions as accounts
from doum.accounts.models import User
from doum.alerts import actions, selectors
from doum.alerts.detection import ROBUST_SCALE, detect, judge_csat
from doum.alerts.models import AlertEpisode, AlertKind, Notification
from doum.surveys import importing
from doum.surveys.importing import ResponseOptions
from doum.surveys.models import SurveyResponse
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from tests.mail.conftest import SmtpSink
from tests.mail.test_outbound import run_mail_tasks
from tests.personas import World

H = datetime(2026, 3, 9, 10, tzinfo=UTC)  # a Monday, 10:00-11:00 UTC: the judged hour
WEEK = timedelta(days=7)
# Billing's past weeks: 20 answers each, 16-18 good: 80 85 85 80 85 85 90 85 %, median 85,
# MAD 0 (five of the eight are exactly 85), so the band is the 10-point margin: below 75.
BILLING_GOOD = [16, 17, 17, 16, 17, 17, 18, 17]
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _alert_settings(settings: Any) -> None:
    settings.DOUM_ALERT_WEEKS = 8
    settings.DOUM_ALERT_MIN_WEEKS = 4
    settings.DOUM_ALERT_MAD_FACTOR = 3
    settings.DOUM_ALERT_CSAT_MIN = 10
    settings.DOUM_ALERT_CSAT_MARGIN = 10


def technical_ticket(w: World) -> Ticket:
    return tickets.do_create_ticket(
        actor=w.tech_agent, via=Via.PHONE, subject="Router keeps rebooting", body="x",
        requester_id=w.customer.pk, team_id=w.technical.pk,
    )  # fmt: skip


def import_answers(
    w: World,
    ticket: Ticket,
    start: datetime,
    scores: Iterable[int],
    *,
    scale: str = "good_bad",
    kind: str = "csat",
) -> None:
    """Answers about `ticket` (so of its team), one minute apart from `start`, imported as a
    manager imports another tool's export; the clock stands just after the newest answer."""
    rows = ["response_id,ticket,score,date"]
    newest = start
    for i, score in enumerate(scores):
        at = start + timedelta(minutes=i)
        newest = at
        rows.append(f"a{next(_ids)},{ticket.pk},{score},{at.isoformat()}")
    options = ResponseOptions(kind=kind, csat_scale=scale, time_zone="UTC", filename="x.csv")
    with time_machine.travel(newest + timedelta(seconds=1), tick=False):
        report = importing.do_import_responses("\n".join(rows).encode(), options, actor=w.manager)
    assert (report.imported, report.rejected_rows) == (len(rows) - 1, 0), report.rejections


def good_bad(good: int, total: int) -> list[int]:
    return [1] * good + [0] * (total - good)


def steady_history(w: World, tech: Ticket) -> None:
    """Eight past weeks, the answers six hours before the hour (inside the 24-hour windows
    of the judged hour and of the next thirteen hours): Billing as BILLING_GOOD of 20,
    Technical 9 of 10 every week."""
    for k, good in enumerate(BILLING_GOOD, start=1):
        at = H - timedelta(hours=6) - k * WEEK
        import_answers(w, w.ticket, at, good_bad(good, 20))
        import_answers(w, tech, at + timedelta(minutes=30), good_bad(9, 10))


def bad_day(w: World, tech: Ticket) -> None:
    """Billing: 12 of 20 good (60 %) twelve hours before the hour; Technical as usual."""
    import_answers(w, w.ticket, H - timedelta(hours=12), good_bad(12, 20))
    import_answers(w, tech, H - timedelta(hours=6), good_bad(9, 10))


def run_detection(at: datetime, capture: Callable[..., Any]) -> None:
    with time_machine.travel(at, tick=False):
        with capture(execute=True):
            detect()
        run_mail_tasks()


def csat_episodes() -> list[AlertEpisode]:
    return list(AlertEpisode.objects.filter(kind=AlertKind.CSAT_DEGRADATION).order_by("team_key"))


def test_a_bad_day_opens_one_episode_for_the_team_and_one_for_the_desk(
    world: World,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Callable[..., Any],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    tech = technical_ticket(world)
    steady_history(world, tech)
    bad_day(world, tech)
    # Just outside the window [H + 1 h - 24 h, H + 1 h): neither counts.
    import_answers(
        world, world.ticket, H + timedelta(hours=1) - timedelta(hours=24, minutes=1), [0]
    )
    import_answers(world, world.ticket, H + timedelta(hours=1), [0])
    # An NPS answer inside it is not a CSAT answer.
    import_answers(world, world.ticket, H, [0], kind="nps")
    accounts.do_update_user(
        world.lead, actor=world.lead, changes={"language": "ko", "time_zone": "UTC"}
    )

    # Three queries whatever the history: the first answer, the teams, one count per
    # (team, week) over the union of the nine windows.
    with django_assert_num_queries(3):
        figures = selectors.csat_figures(H, 8)
    assert figures.csat(world.billing.pk) == (12, 20, [(g, 20) for g in BILLING_GOOD])
    assert figures.csat(world.technical.pk) == (9, 10, [(9, 10)] * 8)
    assert figures.csat(0) == (21, 30, [(g + 9, 30) for g in BILLING_GOOD])

    run_detection(H + timedelta(hours=1, minutes=5), django_capture_on_commit_callbacks)
    desk, billing = csat_episodes()
    # Billing: 60 % against a median of 85 % with MAD 0: the margin, 85 - 10 = 75.
    assert (billing.team_key, billing.hour_start) == (world.billing.pk, H)
    assert (billing.value, billing.baseline, billing.threshold, billing.peak) == (60, 85, 75, 60)
    # The desk: 21 of 30 = 70 %; past weeks 25-27 of 30 (83.3 86.7 86.7 83.3 86.7 86.7 90
    # 86.7 %): median 26/30 = 86.7 %, MAD 0, so below 86.7 - 10 = 76.7.
    assert (desk.team_key, desk.team, desk.hour_start) == (0, None, H)
    assert desk.value == pytest.approx(70)
    assert desk.baseline == pytest.approx(100 * 26 / 30)
    assert desk.threshold == pytest.approx(100 * 26 / 30 - 10)
    # Technical (9 of 10, as every week) is normal; no other kind of alert opened.
    assert AlertEpisode.objects.count() == 2
    assert billing.notified_at is not None and desk.notified_at is not None

    # The lead reads Korean in UTC; the manager English in the default zone (Asia/Seoul).
    lead_notice = Notification.objects.get(user=world.lead)
    assert (lead_notice.episode_id, lead_notice.title) == (billing.pk, "고객 만족도 하락: Billing")
    assert lead_notice.body == (
        "2026-03-09 11:00 (UTC)까지 24시간 동안 Billing의 고객 만족도 (CSAT)는 60.0%였습니다. "
        "지난 몇 주의 같은 24시간에는 보통 85.0%이며, 75.0% 아래로 떨어지면 경보가 발생합니다."
    )
    manager_notices = {n.episode_id: n for n in Notification.objects.filter(user=world.manager)}
    assert manager_notices[desk.pk].title == "Satisfaction is down: the whole help desk"
    assert manager_notices[desk.pk].body == (
        "CSAT in the whole help desk was 70.0% in the 24 hours ending 2026-03-09 20:00 (KST). "
        "The same 24 hours in past weeks usually have 86.7%; the alert starts below 76.7%."
    )
    assert manager_notices[billing.pk].body.startswith("CSAT in Billing was 60.0% in the 24 ")
    received = sorted((m.rcpt_tos[0], m.message["Subject"]) for m in smtp_sink.received)
    assert received == sorted([
        ("manager@doum.test", "[Doum] Satisfaction is down: the whole help desk"),
        ("manager@doum.test", "[Doum] Satisfaction is down: Billing"),
        ("lead@doum.test", "[Doum] 고객 만족도 하락: Billing"),
    ])  # fmt: skip

    # The scheduler judges the same hour again: nothing changes, nobody hears twice.
    before = [(e.pk, e.last_anomalous_hour, e.notified_at, e.closed_at) for e in csat_episodes()]
    run_detection(H + timedelta(hours=1, minutes=10), django_capture_on_commit_callbacks)
    assert [
        (e.pk, e.last_anomalous_hour, e.notified_at, e.closed_at) for e in csat_episodes()
    ] == before
    assert Notification.objects.count() == 3 and len(smtp_sink.received) == 3
    assert actions.notify_pending() == []


def test_too_few_answers_neither_open_nor_close_and_recovery_closes(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    tech = technical_ticket(world)
    steady_history(world, tech)
    bad_day(world, tech)
    # Two good answers in the first hour of the window: in hour H's window, not in the next.
    import_answers(world, world.ticket, H - timedelta(hours=22, minutes=30), [1, 1])
    run_detection(H + timedelta(hours=1, minutes=5), django_capture_on_commit_callbacks)
    desk, billing = csat_episodes()
    assert desk.is_open and billing.is_open
    assert billing.value == billing.peak == pytest.approx(100 * 14 / 22)  # 63.6 %

    # The next hour's window still holds the bad day, without the two: 12 of 20 = 60 %. Both
    # stay open, the hour is recorded, and the peak is the worst (lowest) CSAT seen.
    run_detection(H + timedelta(hours=2, minutes=5), django_capture_on_commit_callbacks)
    desk.refresh_from_db()
    billing.refresh_from_db()
    assert desk.is_open and billing.is_open
    assert billing.last_anomalous_hour == H + timedelta(hours=1)
    assert billing.peak == 60 and billing.value == pytest.approx(100 * 14 / 22)

    # Hour H + 12 h: its window [H - 11 h, H + 13 h) has lost the bad day. Billing has only 5
    # (good) answers in it: too few to say it recovered, its episode stays open. The desk has
    # Technical's 10 too: 14 of 15 = 93.3 %, above 76.7: closed.
    import_answers(world, world.ticket, H + timedelta(hours=12), good_bad(5, 5))
    run_detection(H + timedelta(hours=13, minutes=5), django_capture_on_commit_callbacks)
    desk.refresh_from_db()
    billing.refresh_from_db()
    assert billing.is_open and billing.last_anomalous_hour == H + timedelta(hours=1)
    assert not desk.is_open
    assert desk.details["closed_by_hour"] == (H + timedelta(hours=12)).isoformat()
    assert desk.details["closing_value"] == pytest.approx(100 * 14 / 15)

    # Ten more good answers the hour after: 15 of 15 for Billing, normal again: closed.
    import_answers(world, world.ticket, H + timedelta(hours=13), good_bad(10, 10))
    run_detection(H + timedelta(hours=14, minutes=5), django_capture_on_commit_callbacks)
    billing.refresh_from_db()
    assert not billing.is_open
    assert billing.details["closed_by_hour"] == (H + timedelta(hours=13)).isoformat()
    assert billing.details["closing_value"] == 100
    assert AlertEpisode.objects.count() == 2  # a recovery opens nothing


def test_too_few_answers_do_not_open_an_episode(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    for k, good in enumerate(BILLING_GOOD, start=1):
        import_answers(world, world.ticket, H - timedelta(hours=6) - k * WEEK, good_bad(good, 20))
    # Nine answers, all bad: 0 %, far below 75 %, but fewer than DOUM_ALERT_CSAT_MIN.
    import_answers(world, world.ticket, H - timedelta(hours=3), [0] * 9)
    run_detection(H + timedelta(hours=1, minutes=5), django_capture_on_commit_callbacks)
    assert csat_episodes() == []
    # The tenth answer makes the window big enough to judge: it opens (Billing and the desk).
    import_answers(world, world.ticket, H + timedelta(minutes=30), [0])
    run_detection(H + timedelta(hours=1, minutes=35), django_capture_on_commit_callbacks)
    found = [(e.team_key, e.value, e.baseline, e.threshold) for e in csat_episodes()]
    assert found == [(0, 0, 85, 75), (world.billing.pk, 0, 85, 75)]


def test_five_point_answers_count_four_and_five_as_satisfied(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    for k in range(1, 9):  # 9 of 10 satisfied (4 or 5) every week: 90 %
        import_answers(
            world, world.ticket, H - timedelta(hours=6) - k * WEEK,
            [5, 5, 4, 4, 4, 5, 4, 5, 4, 3], scale="five",
        )  # fmt: skip
    # Today: two 5s and a 4 are satisfied; 3, 2 and 1 are not: 3 of 10 = 30 %.
    today = [5, 4, 5, 3, 3, 3, 3, 2, 1, 1]
    import_answers(world, world.ticket, H - timedelta(hours=2), today, scale="five")
    # Good/bad answers in the same window follow their own scale: 1 is good, 0 is bad.
    import_answers(world, world.ticket, H - timedelta(hours=1), [1, 0])
    stored = SurveyResponse.objects.filter(
        csat_scale="five", answered_at__gte=H - timedelta(days=1)
    )
    assert sorted(stored.values_list("score", flat=True)) == sorted(today)

    good, total, history = selectors.csat_figures(H, 8).csat(world.billing.pk)
    assert (good, total) == (4, 12)
    assert history == [(9, 10)] * 8

    run_detection(H + timedelta(hours=1, minutes=5), django_capture_on_commit_callbacks)
    billing = AlertEpisode.objects.get(kind=AlertKind.CSAT_DEGRADATION, team_key=world.billing.pk)
    assert billing.value == pytest.approx(100 * 4 / 12)
    assert (billing.baseline, billing.threshold) == (90, 80)


# --- the rule itself, on hand-made counts ----------------------------------------------------


def test_judge_csat_flips_the_band_below_the_median(settings: Any) -> None:
    settings.DOUM_ALERT_CSAT_MIN = 10
    settings.DOUM_ALERT_CSAT_MARGIN = 10
    settings.DOUM_ALERT_MIN_WEEKS = 4
    settings.DOUM_ALERT_MAD_FACTOR = 3
    # 80 85 90 75 85 95 85 80 %: sorted 75 80 80 85 85 85 90 95, median 85; distances
    # 10 5 5 0 0 0 5 10, sorted 0 0 0 5 5 5 10 10: MAD 5. 3 x 1.4826 x 5 = 22.239 > 10:
    # the alert starts below 85 - 22.239 = 62.761.
    history: list[tuple[int, int] | None] = [
        (16, 20), (17, 20), (18, 20), (15, 20), (17, 20), (19, 20), (17, 20), (16, 20),
    ]  # fmt: skip
    low = judge_csat(12, 20, history)  # 60 %
    assert (low.state, low.value, low.baseline) == ("anomalous", 60, 85)
    assert low.spread == pytest.approx(ROBUST_SCALE * 5)
    assert low.threshold == pytest.approx(85 - 3 * 1.4826 * 5)
    assert low.threshold == pytest.approx(62.761)
    assert low.direction == "below"
    assert judge_csat(13, 20, history).state == "normal"  # 65 %: inside the band
    # Higher than usual is never a degradation.
    assert judge_csat(20, 20, history).state == "normal"

    # A steady history (MAD 0): the 10-point margin, 85 - 10 = 75; 75 itself is not below.
    steady: list[tuple[int, int] | None] = [(17, 20)] * 8
    assert judge_csat(15, 20, steady).threshold == 75
    assert judge_csat(15, 20, steady).state == "normal"
    assert judge_csat(29, 40, steady).state == "anomalous"  # 72.5 %
    # A wider factor x spread wins over the margin only when it is wider: factor 1 -> 7.413.
    settings.DOUM_ALERT_MAD_FACTOR = 1
    assert judge_csat(12, 20, history).threshold == 75

    settings.DOUM_ALERT_MAD_FACTOR = 3
    # Nine answers are too few: unknown, however bad.
    assert judge_csat(0, 9, steady).state == "unknown"
    assert judge_csat(0, 0, steady).state == "unknown"
    # Past windows with fewer than ten answers, or before the first answer, are no history:
    # three usable weeks are fewer than DOUM_ALERT_MIN_WEEKS.
    thin: list[tuple[int, int] | None] = [(17, 20), (17, 20), (17, 20), (5, 9), (4, 5), None]
    assert judge_csat(0, 20, thin).state == "unknown"
    assert judge_csat(0, 20, [*thin, (17, 20)]).state == "anomalous"


def test_the_message_gives_percentages_the_window_and_the_threshold() -> None:
    episode = AlertEpisode(
        kind=AlertKind.CSAT_DEGRADATION, team=None, team_key=0, hour_start=H,
        last_anomalous_hour=H, value=100 * 29 / 40, baseline=85, threshold=62.761, peak=72.5,
    )  # fmt: skip
    reader = User(time_zone="America/New_York")
    title, body = actions.message_for(episode, reader)
    assert title == "Satisfaction is down: the whole help desk"
    assert body == (
        "CSAT in the whole help desk was 72.5% in the 24 hours ending 2026-03-09 07:00 (EDT). "
        "The same 24 hours in past weeks usually have 85.0%; the alert starts below 62.8%."
    )
    with translation.override("ko"):
        title, body = actions.message_for(episode, reader)
    assert title == "고객 만족도 하락: 헬프데스크 전체"
    assert body == (
        "2026-03-09 07:00 (EDT)까지 24시간 동안 헬프데스크 전체의 고객 만족도 (CSAT)는 72.5%"
        "였습니다. 지난 몇 주의 같은 24시간에는 보통 85.0%이며, 62.8% 아래로 떨어지면 경보가 "
        "발생합니다."
    )
