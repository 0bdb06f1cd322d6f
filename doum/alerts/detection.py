"""KPI anomaly detection: the last complete hour against the same hour and weekday of past weeks.

For every team and for the whole help desk (team key 0), each run judges the last complete
UTC hour H:

* volume — tickets created in H (TicketMetrics.created_at; spam and deleted tickets left out);
* first reply — the median first reply time (seconds) of the tickets first replied to in H
  (TicketMetrics.first_reply_at);
* CSAT — the CSAT % (satisfied ÷ all CSAT answers, the rule of doum.surveys.analysis) of the
  answers given in the 24 hours ending when H ends, [H + 1 h − 24 h, H + 1 h), by their
  `answered_at` and the team copied onto the response at solve time. Answers per hour are far
  too few to judge, so the window trails a day; it stays aligned with the same weekday and hour.

The baseline is the same hour (for CSAT: the same 24 hours) one, two, ... DOUM_ALERT_WEEKS weeks
earlier (same weekday and hour of day), summarised robustly: the median, and the median absolute
deviation (MAD) scaled by 1.4826 so it estimates a standard deviation for normal data. Volume
and first reply are anomalous when they are too HIGH,

    value > median + max(DOUM_ALERT_MAD_FACTOR x 1.4826 x MAD, minimum margin),

CSAT when it is too LOW (the band flipped):

    value < median - max(DOUM_ALERT_MAD_FACTOR x 1.4826 x MAD, DOUM_ALERT_CSAT_MARGIN),

and the hour has enough data (a minimum volume; a minimum number of first replies; at least
DOUM_ALERT_CSAT_MIN CSAT answers in the window), with at least DOUM_ALERT_MIN_WEEKS past weeks
to compare with (weeks before the first ticket, or the first CSAT answer, do not count; nor, for
CSAT, a past window with fewer than DOUM_ALERT_CSAT_MIN answers). The minimum margin keeps a
perfectly steady history (MAD 0) from alerting on one extra ticket or one unhappy customer. An
hour without enough data is "unknown": it neither opens nor closes anything (nobody replying
at all must not close a first-reply alert; three answers must not close a CSAT alert).

Defaults: 8 weeks, at least 4 of them, factor 3; volume at least 10 tickets, margin 5; first
reply at least 5 replies, margin 900 s; CSAT at least 10 answers, margin 10 percentage points.

Episodes (doum.alerts.actions): the first anomalous hour opens one; a later normal hour closes
it; its people are notified once. Running twice for the same hour changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings

from doum.alerts.models import AlertKind
from doum.core import clock

ROBUST_SCALE = 1.4826  # MAD x 1.4826 estimates the standard deviation of normal data

State = Literal["anomalous", "normal", "unknown"]
# "above": too high is the anomaly (volume, first reply); "below": too low is (CSAT).
Direction = Literal["above", "below"]


def setting(name: str, default: float) -> float:
    return float(getattr(settings, f"DOUM_ALERT_{name}", default))


# --- pure statistics -------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("the median of nothing")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median."""
    center = median(values)
    return median([abs(v - center) for v in values])


@dataclass(frozen=True)
class Verdict:
    state: State
    value: float | None
    baseline: float | None = None
    threshold: float | None = None
    spread: float | None = None  # 1.4826 x MAD
    history: tuple[float | None, ...] = ()
    reason: str = ""
    direction: Direction = "above"


def judge(
    value: float | None,
    history: Sequence[float | None],
    *,
    min_margin: float,
    min_history: int,
    factor: float = 3.0,
    enough_data: bool = True,
    direction: Direction = "above",
) -> Verdict:
    """Is `value` outside the robust band of `history` (None entries: weeks without data)?

    direction "above": anomalous above median + max(factor x spread, min_margin);
    "below": anomalous below median - max(factor x spread, min_margin).
    """
    known = [float(h) for h in history if h is not None and math.isfinite(h)]
    kept = tuple(history)
    if value is None or not enough_data:
        return Verdict(
            "unknown", value, history=kept, reason="too little data", direction=direction
        )
    if len(known) < min_history:
        return Verdict(
            "unknown", value, history=kept, reason="too few past weeks", direction=direction
        )
    center = median(known)
    spread = ROBUST_SCALE * mad(known)
    sign = 1 if direction == "above" else -1
    threshold = center + sign * max(factor * spread, min_margin)
    state: State = "anomalous" if sign * (value - threshold) > 0 else "normal"
    return Verdict(state, value, center, threshold, spread, kept, direction=direction)


def judge_volume(count: int, history: Sequence[int | None]) -> Verdict:
    """A spike needs at least DOUM_ALERT_VOLUME_MIN tickets in the hour; fewer is normal."""
    verdict = judge(
        float(count),
        [None if h is None else float(h) for h in history],
        min_margin=setting("VOLUME_MARGIN", 5),
        min_history=int(setting("MIN_WEEKS", 4)),
        factor=setting("MAD_FACTOR", 3),
    )
    if verdict.state == "anomalous" and count < setting("VOLUME_MIN", 10):
        return Verdict(
            "normal", verdict.value, verdict.baseline, verdict.threshold, verdict.spread,
            verdict.history, "below the minimum volume",
        )  # fmt: skip
    return verdict


def judge_first_reply(replies: Sequence[int], history: Sequence[Sequence[int] | None]) -> Verdict:
    """Median first reply of the hour vs the medians of past weeks' same hour."""
    enough = len(replies) >= setting("FIRST_REPLY_MIN", 5)
    value = median([float(r) for r in replies]) if replies else None
    past = [median([float(r) for r in week]) if week else None for week in history]
    return judge(
        value,
        past,
        min_margin=setting("FIRST_REPLY_MARGIN_S", 900),
        min_history=int(setting("MIN_WEEKS", 4)),
        factor=setting("MAD_FACTOR", 3),
        enough_data=enough,
    )


def csat_percent(good: int, total: int) -> float | None:
    """Satisfied answers as a percentage of all CSAT answers (None: no answers)."""
    return 100 * good / total if total else None


def judge_csat(good: int, total: int, history: Sequence[tuple[int, int] | None]) -> Verdict:
    """CSAT % of the 24-hour window vs the same window of past weeks; too LOW is the anomaly.

    `history` holds (good, total) per past week (None: before the first CSAT answer). A window
    with fewer than DOUM_ALERT_CSAT_MIN answers is too small to say anything: this window is
    then "unknown", a past one is left out of the baseline.
    """
    least = setting("CSAT_MIN", 10)
    past = [None if week is None or week[1] < least else csat_percent(*week) for week in history]
    return judge(
        csat_percent(good, total),
        past,
        min_margin=setting("CSAT_MARGIN", 10),
        min_history=int(setting("MIN_WEEKS", 4)),
        factor=setting("MAD_FACTOR", 3),
        enough_data=total >= least,
        direction="below",
    )


# --- one run ---------------------------------------------------------------------------------


def last_complete_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


@dataclass
class RunResult:
    hour: datetime
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hour": self.hour.isoformat(),
            "opened": len(self.opened),
            "closed": len(self.closed),
            "notified": len(self.notified),
        }


def detect(now: datetime | None = None) -> RunResult:
    """Judge the last complete hour for every team and overall; open/close; notify."""
    from doum.alerts import actions, selectors

    now = now or clock.now()
    hour = last_complete_hour(now)
    weeks = int(setting("WEEKS", 8))
    figures = selectors.hour_figures(hour, weeks)
    csat = selectors.csat_figures(hour, weeks)
    result = RunResult(hour)
    keys = sorted(figures.team_keys() | csat.team_keys() | selectors.open_episode_keys())
    for key in keys:
        for kind, verdict in (
            (AlertKind.VOLUME_SPIKE, judge_volume(*figures.volume(key))),
            (AlertKind.FIRST_REPLY_DEGRADATION, judge_first_reply(*figures.first_replies(key))),
            (AlertKind.CSAT_DEGRADATION, judge_csat(*csat.csat(key))),
        ):
            outcome = actions.apply_verdict(kind, key, hour, verdict, now=now)
            if outcome is None:
                continue
            what, episode_id = outcome
            (result.opened if what == "opened" else result.closed).append(episode_id)
    result.notified = actions.notify_pending(now=now)
    return result
