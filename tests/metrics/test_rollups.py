"""A ticket's contribution to the rollups: where each figure counts, exact negation."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from doum.metrics import rollups, sketch
from doum.metrics.definitions import TicketMetricValues
from doum.metrics.rollups import Delta, RollupKey

SEOUL = "Asia/Seoul"
NEW_YORK = "America/New_York"
BASE = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # a US DST change falls in the window


def fabricate(
    ticket_id: int,
    rng: random.Random,
    *,
    teams: list[int | None],
    agents: list[int | None],
    created_at: datetime | None = None,
) -> TicketMetricValues:
    """Plausible metric values built by hand (what `compute` returns), for engine tests."""
    created = created_at or BASE + timedelta(seconds=rng.randrange(20 * 86400))
    t0 = int(created.timestamp())
    values = TicketMetricValues(
        ticket_id=ticket_id,
        ticket_version=rng.randrange(1, 50),
        brand_id=None,
        team_id=rng.choice(teams),
        assignee_id=rng.choice(agents),
        organization_id=None,
        requester_id=None,
        channel=rng.choice(["email", "web", "phone"]),
        priority=rng.choice(["low", "normal", "high"]),
        type=rng.choice(["question", "incident"]),
        status="open",
        excluded=rng.random() < 0.05,
        merged=False,
        agent_created=False,
        imported=False,
        created_at=created,
    )
    cursor = t0
    spans: list[list[int | None]] = []
    solved_at = None
    for _round in range(rng.choice([1, 1, 2, 3])):
        start = cursor
        if rng.random() < 0.3:  # still unsolved
            spans.append([start, None])
            solved_at = None
            break
        end = start + rng.randrange(60, 6 * 86400)
        spans.append([start, end])
        solved_at = end
        cursor = end + rng.randrange(0, 3 * 86400)
    values.unsolved_spans = spans
    if rng.random() < 0.8:
        reply = t0 + rng.randrange(0, 2 * 86400)
        values.first_reply_at = datetime.fromtimestamp(reply, UTC)
        values.first_reply_s = reply - t0
        values.first_reply_bs = (reply - t0) // 3
        values.next_replies = [
            [reply + k * 3600, 3600 * k, 1200 * k] for k in range(1, rng.randrange(1, 4))
        ]
        values.agent_replies = 1 + len(values.next_replies)
    if rng.random() < 0.05:
        values.merged = True
        values.status = "closed"
    elif solved_at is not None:
        values.status = "solved"
        values.solved_at = datetime.fromtimestamp(solved_at, UTC)
        values.first_solved_at = datetime.fromtimestamp(spans[0][1] or solved_at, UTC)
        values.reopens = len(spans) - 1
        values.full_resolution_s = solved_at - t0
        values.full_resolution_bs = (solved_at - t0) // 4
        values.first_resolution_s = (spans[0][1] or solved_at) - t0
        values.requester_wait_s = rng.randrange(0, solved_at - t0 + 1)
        values.agent_wait_s = rng.randrange(0, 5000)
        values.on_hold_s = 0
        values.status_seconds = {"new": 10, "open": rng.randrange(1000), "pending": 0}
        values.one_touch = values.agent_replies <= 1
        values.two_touch = values.agent_replies == 2
    values.sla = {"first_reply": rng.choice(["met", "breached"])} if rng.random() < 0.6 else {}
    values.sla_met = sum(1 for v in values.sla.values() if v == "met")
    values.sla_breached = len(values.sla) - values.sla_met
    return values


def _sum(contributions: list[tuple[dict[RollupKey, Delta], int]]) -> dict[RollupKey, Delta]:
    return dict(rollups.nonzero(rollups.accumulate({}, contributions)))


def test_created_solved_and_backlog_count_on_their_local_days() -> None:
    created = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 01:30 on 2 March in Seoul
    solved = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    values = TicketMetricValues(
        ticket_id=1, ticket_version=3, brand_id=None, team_id=7, assignee_id=9,
        organization_id=None, requester_id=None, channel="email", priority="high",
        type="question", status="solved", excluded=False, merged=False, agent_created=False,
        imported=False, created_at=created, solved_at=solved, full_resolution_s=120000,
        full_resolution_bs=5000, agent_replies=1, one_touch=True, two_touch=False, reopens=1,
        unsolved_spans=[[int(created.timestamp()), int(solved.timestamp())]],
        sla={"first_reply": "breached"}, sla_breached=1,
    )  # fmt: skip
    seoul = rollups.contribution(values, SEOUL)
    team_day = seoul[RollupKey("team", date(2026, 3, 2), 7, 0, "", "")]
    assert team_day.counts == {"created": 1, "unsolved_in": 1}
    assert team_day.hours[1] == 1
    solve_day = seoul[RollupKey("agent", date(2026, 3, 3), 7, 9, "", "")]
    assert solve_day.counts == {
        "solved": 1, "reopened": 1, "agent_replies": 1, "one_touch": 1,
        "unsolved_out": 1, "sla_breached": 1,
    }  # fmt: skip
    assert solve_day.sums["full_resolution_s"] == [1, 120000]
    assert solve_day.sketches["full_resolution_bs"] == {sketch.bucket(5000): 1}
    assert RollupKey("channel", date(2026, 3, 3), 7, 0, "email", "high") in seoul
    new_york = rollups.contribution(values, NEW_YORK)  # 11:30 on 1 March in New York
    assert new_york[RollupKey("team", date(2026, 3, 1), 7, 0, "", "")].hours[11] == 1
    # Spam or deleted: nothing at all. Merged: created and backlog, never solved.
    values.excluded = True
    assert rollups.contribution(values, SEOUL) == {}
    values.excluded, values.merged = False, True
    counted = {n for d in rollups.contribution(values, SEOUL).values() for n in d.counts}
    assert counted == {"created", "unsolved_in", "unsolved_out"}


def test_negating_old_and_adding_new_is_exact() -> None:
    rng = random.Random(7)
    tickets = [fabricate(i, rng, teams=[1, 2, None], agents=[5, 6, None]) for i in range(60)]
    changed = [fabricate(i, rng, teams=[1, 2, None], agents=[5, 6, None]) for i in range(60)]
    for zone in (SEOUL, NEW_YORK):
        direct = _sum([(rollups.contribution(v, zone), 1) for v in changed])
        stepwise = rollups.accumulate({}, [(rollups.contribution(v, zone), 1) for v in tickets])
        rollups.accumulate(
            stepwise,
            [(rollups.contribution(v, zone), -1) for v in tickets]
            + [(rollups.contribution(v, zone), 1) for v in changed],
        )
        assert dict(rollups.nonzero(stepwise)) == direct
        # Everything removed again leaves nothing, not zeros.
        rollups.accumulate(stepwise, [(rollups.contribution(v, zone), -1) for v in changed])
        assert all(d.is_zero() for d in stepwise.values())
        assert all(not d.counts and not d.sums and not d.sketches for d in stepwise.values())


def test_three_grains_carry_the_same_figures() -> None:
    rng = random.Random(3)
    values = [fabricate(i, rng, teams=[1, 2], agents=[5, 6]) for i in range(30)]
    total = _sum([(rollups.contribution(v, SEOUL), 1) for v in values])
    by_grain: dict[str, Delta] = {g: Delta() for g in rollups.GRAINS}
    for key, delta in total.items():
        by_grain[key.grain].add(delta)
    assert by_grain["team"] == by_grain["agent"] == by_grain["channel"]
