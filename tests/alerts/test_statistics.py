"""The pure statistics of anomaly detection, on hand-made series."""

from __future__ import annotations

import pytest

from doum.alerts.detection import (
    ROBUST_SCALE,
    judge,
    judge_first_reply,
    judge_volume,
    last_complete_hour,
    mad,
    median,
)


def test_median_and_mad_by_hand() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    # |x - 3| for [1, 2, 3, 4, 100] is [2, 1, 0, 1, 97]: the median of those is 1.
    assert mad([1, 2, 3, 4, 100]) == 1
    with pytest.raises(ValueError):
        median([])


def test_threshold_is_median_plus_three_robust_sigmas() -> None:
    # Sorted 9 10 10 10 11 11 12 13: median 10.5; deviations .5 (x5) 1.5 1.5 2.5: MAD .5.
    history = [10, 12, 11, 9, 10, 13, 10, 11]
    assert mad(history) == 0.5
    verdict = judge(20, history, min_margin=2, min_history=4)
    assert verdict.baseline == 10.5
    assert verdict.spread == pytest.approx(ROBUST_SCALE * 0.5)
    assert verdict.threshold == pytest.approx(10.5 + 3 * 1.4826 * 0.5)  # 12.72 (> margin 2)
    assert verdict.state == "anomalous"
    assert judge(12, history, min_margin=2, min_history=4).state == "normal"
    assert judge(13, history, min_margin=2, min_history=4).state == "anomalous"
    # A wider minimum margin wins over a narrow spread: 10.5 + 4.
    assert judge(13, history, min_margin=4, min_history=4).threshold == 14.5


def test_one_outlier_week_does_not_move_the_baseline() -> None:
    history = [10, 10, 11, 10, 250, 10, 9, 10]  # a past incident week
    verdict = judge(40, history, min_margin=5, min_history=4)
    assert verdict.baseline == 10
    assert verdict.state == "anomalous"


def test_the_minimum_margin_guards_a_perfectly_steady_history() -> None:
    steady = [3] * 8  # MAD 0
    assert judge(4, steady, min_margin=5, min_history=4).state == "normal"
    assert judge(8, steady, min_margin=5, min_history=4).state == "normal"  # not above 3 + 5
    assert judge(9, steady, min_margin=5, min_history=4).state == "anomalous"


def test_too_few_weeks_or_no_value_is_unknown() -> None:
    assert judge(50, [None, None, None, 3, 3, 3], min_margin=1, min_history=4).state == "unknown"
    assert judge(None, [3] * 8, min_margin=1, min_history=4).state == "unknown"
    assert judge(50, [3] * 8, min_margin=1, min_history=4, enough_data=False).state == "unknown"


def test_volume_needs_a_minimum_count(settings: object) -> None:
    settings.DOUM_ALERT_VOLUME_MIN = 10  # type: ignore[attr-defined]
    settings.DOUM_ALERT_VOLUME_MARGIN = 3  # type: ignore[attr-defined]
    history: list[int | None] = [0, 1, 0, 0, 1, 0, 0, 0]
    assert judge_volume(9, history).state == "normal"  # far above, but only 9 tickets
    assert judge_volume(10, history).state == "anomalous"
    assert judge_volume(0, history).state == "normal"


def test_first_reply_median_against_past_medians(settings: object) -> None:
    settings.DOUM_ALERT_FIRST_REPLY_MIN = 3  # type: ignore[attr-defined]
    settings.DOUM_ALERT_FIRST_REPLY_MARGIN_S = 600  # type: ignore[attr-defined]
    past: list[list[int] | None] = [[300, 600, 900]] * 6 + [None, []]  # median 600 each week
    slow = judge_first_reply([3000, 3600, 4000], past)
    assert (slow.state, slow.value, slow.baseline, slow.threshold) == (
        "anomalous", 3600, 600, 1200,
    )  # fmt: skip
    assert judge_first_reply([600, 700, 1100], past).state == "normal"
    # Two replies are too few to judge: neither an alert nor a recovery.
    assert judge_first_reply([9000, 9000], past).state == "unknown"


def test_last_complete_hour() -> None:
    from datetime import UTC, datetime

    assert last_complete_hour(datetime(2026, 3, 9, 11, 4, 59, tzinfo=UTC)) == datetime(
        2026, 3, 9, 10, tzinfo=UTC
    )
