"""Reads of doum.alerts: the KPI series detection compares, episodes and notifications."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Value, When

from doum.accounts.models import Team, TeamMembership, User
from doum.accounts.roles import Role
from doum.alerts.models import AlertEpisode, Notification
from doum.metrics.models import TicketMetrics
from doum.surveys.analysis import CSAT_GOOD
from doum.surveys.models import SurveyKind, SurveyResponse

WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)
CSAT_WINDOW = timedelta(hours=24)  # CSAT is judged on the 24 hours ending with the hour
UNREAD_CACHE_SECONDS = 300  # the header polls every 30 s and refreshes it

# Who opens /alerts/: team leads (their teams' episodes) and everyone who sees the whole desk.
SEES_ALERTS = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
SEES_ALL_ALERTS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})


def _first_week(hour: datetime, weeks: int, first: datetime | None) -> int:
    """The oldest week offset whose window (ending with hour k weeks earlier) ended after
    `first`, the first data ever; -1 when there is none (weeks before it: no history)."""
    if first is None:
        return -1
    return max((k for k in range(weeks + 1) if hour - k * WEEK + HOUR > first), default=-1)


@dataclass
class _WeekSeries:
    weeks: int
    first_week: int  # the oldest week offset with any data at all (weeks before: no history)
    teams: set[int] = field(default_factory=set)

    def _known(self, k: int) -> bool:
        return k <= self.first_week


@dataclass
class HourFigures(_WeekSeries):
    """Per team key (0 = whole help desk) and week offset (0 = the judged hour, k = k weeks
    earlier): tickets created, and the first reply seconds of tickets first replied to."""

    created: dict[int, list[int]] = field(default_factory=dict)
    replies: dict[int, list[list[int]]] = field(default_factory=dict)

    def team_keys(self) -> set[int]:
        return {0} | (self.teams & (set(self.created) | set(self.replies)))

    def volume(self, key: int) -> tuple[int, list[int | None]]:
        counts = self.created.get(key) or [0] * (self.weeks + 1)
        history = [counts[k] if self._known(k) else None for k in range(1, self.weeks + 1)]
        return counts[0], history

    def first_replies(self, key: int) -> tuple[list[int], list[list[int] | None]]:
        per = self.replies.get(key) or [[] for _ in range(self.weeks + 1)]
        history = [per[k] if self._known(k) else None for k in range(1, self.weeks + 1)]
        return per[0], history


def _windows(hour: datetime, weeks: int, column: str) -> Q:
    q = Q()
    for k in range(weeks + 1):
        start = hour - k * WEEK
        q |= Q(**{f"{column}__gte": start, f"{column}__lt": start + HOUR})
    return q


def _offset(hour: datetime, instant: datetime) -> int | None:
    """Which week window `instant` falls in (0 = the judged hour), None when in none."""
    delta = hour + HOUR - instant
    k = int(delta // WEEK)
    start = hour - k * WEEK
    return k if start <= instant < start + HOUR else None


def hour_figures(hour: datetime, weeks: int) -> HourFigures:
    """The judged hour and the same hour of `weeks` past weeks, in four queries."""
    live = TicketMetrics.objects.filter(excluded=False)
    first = live.aggregate(first=Min("created_at"))["first"]
    # A week counts as history only when its hour ended after the first ticket was created.
    figures = HourFigures(weeks=weeks, first_week=_first_week(hour, weeks, first))
    figures.teams = set(Team.objects.values_list("pk", flat=True))
    size = weeks + 1
    created: dict[int, list[int]] = defaultdict(lambda: [0] * size)
    for team_id, at in live.filter(_windows(hour, weeks, "created_at")).values_list(
        "team_id", "created_at"
    ):
        k = _offset(hour, at)
        if k is None:
            continue
        created[0][k] += 1
        if team_id:
            created[team_id][k] += 1
    replies: dict[int, list[list[int]]] = defaultdict(lambda: [[] for _ in range(size)])
    rows = live.filter(_windows(hour, weeks, "first_reply_at"), first_reply_s__isnull=False)
    for team_id, replied, seconds in rows.values_list("team_id", "first_reply_at", "first_reply_s"):
        k = _offset(hour, replied) if replied is not None else None
        if k is None or seconds is None:
            continue
        replies[0][k].append(int(seconds))
        if team_id:
            replies[team_id][k].append(int(seconds))
    figures.created = dict(created)
    figures.replies = dict(replies)
    return figures


@dataclass
class CsatFigures(_WeekSeries):
    """Per team key (0 = whole help desk) and week offset k (0 = the 24 hours ending when the
    judged hour ends, k = the same 24 hours k weeks earlier): (satisfied, all) CSAT answers."""

    counts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def team_keys(self) -> set[int]:
        return {0} | (self.teams & set(self.counts))

    def csat(self, key: int) -> tuple[int, int, list[tuple[int, int] | None]]:
        """(good, total) of the judged window, and (good, total) per past week (None: before
        the first CSAT answer)."""
        per = self.counts.get(key) or [(0, 0)] * (self.weeks + 1)
        history = [per[k] if self._known(k) else None for k in range(1, self.weeks + 1)]
        good, total = per[0]
        return good, total, history


def csat_figures(hour: datetime, weeks: int) -> CsatFigures:
    """CSAT answers of the 24 hours ending when `hour` ends, [hour + 1 h - 24 h, hour + 1 h),
    and of the same 24 hours `weeks` past weeks, in three queries: the first answer ever, the
    teams, and one count per (team, week) over the union of the windows. A response belongs
    to the team copied onto it at solve time; satisfied is doum.surveys.analysis.CSAT_GOOD."""
    answers = SurveyResponse.objects.filter(kind=SurveyKind.CSAT)
    first = answers.aggregate(first=Min("answered_at"))["first"]
    figures = CsatFigures(weeks=weeks, first_week=_first_week(hour, weeks, first))
    figures.teams = set(Team.objects.values_list("pk", flat=True))
    end = hour + HOUR
    windows = [
        Q(answered_at__gte=end - k * WEEK - CSAT_WINDOW, answered_at__lt=end - k * WEEK)
        for k in range(weeks + 1)
    ]
    union = Q()
    for window in windows:
        union |= window
    week = Case(
        *(When(window, then=Value(k)) for k, window in enumerate(windows)),
        output_field=IntegerField(),
    )
    rows = (
        answers.filter(union)
        .annotate(week=week)
        .values_list("team_id", "week")
        .annotate(good=Count("pk", filter=CSAT_GOOD), total=Count("pk"))
        .order_by()
    )
    size = weeks + 1
    good: dict[int, list[int]] = defaultdict(lambda: [0] * size)
    total: dict[int, list[int]] = defaultdict(lambda: [0] * size)
    for team_id, k, n_good, n_total in rows:
        if k is None:
            continue
        for key in (0, team_id) if team_id else (0,):
            good[key][k] += n_good
            total[key][k] += n_total
    figures.counts = {key: list(zip(good[key], total[key], strict=True)) for key in total}
    return figures


def open_episode_keys() -> set[int]:
    return set(
        AlertEpisode.objects.filter(closed_at__isnull=True).values_list("team_key", flat=True)
    )


# --- people ----------------------------------------------------------------------------------


def recipients(episode: AlertEpisode) -> list[User]:
    """The team's lead (for a team episode) and every manager: active, with an address."""
    ids: set[int] = set(
        User.objects.filter(role=Role.MANAGER, is_active=True).values_list("pk", flat=True)
    )
    if episode.team_id is not None:
        lead = Team.objects.filter(pk=episode.team_id).values_list("lead_id", flat=True).first()
        if lead is not None:
            ids.add(lead)
    return list(
        User.objects.filter(pk__in=ids, is_active=True).exclude(role=Role.CUSTOMER).order_by("pk")
    )


# --- pages -----------------------------------------------------------------------------------


def visible_team_ids(viewer: User) -> set[int] | None:
    """None: every episode (the whole desk too); else only these teams' episodes."""
    if viewer.role in SEES_ALL_ALERTS:
        return None
    led = set(Team.objects.filter(lead=viewer).values_list("pk", flat=True))
    member = set(TeamMembership.objects.filter(user=viewer).values_list("team_id", flat=True))
    return led | member


def visible_episodes(viewer: User) -> QuerySet[AlertEpisode]:
    episodes = AlertEpisode.objects.select_related("team")
    teams = visible_team_ids(viewer)
    if teams is None:
        return episodes
    return episodes.filter(team_id__in=teams)


def my_notifications(viewer: User, limit: int = 100) -> list[Notification]:
    return list(Notification.objects.filter(user=viewer).order_by("-created_at", "-id")[:limit])


def _unread_key(user_id: int) -> str:
    return f"doum:alerts:unread:{user_id}"


def cached_unread(user: User) -> int | None:
    """The header's number, from the cache only: a page never pays a query for it (the
    header's poller and sign-in fill the cache; None: not known yet, shown without a number)."""
    found = cache.get(_unread_key(user.pk))
    return found if isinstance(found, int) else None


def unread_count(user: User) -> int:
    """One count on the partial unread index; kept in the cache for the header."""
    count = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
    cache.set(_unread_key(user.pk), count, UNREAD_CACHE_SECONDS)
    return count


def refresh_unread(user_ids: set[int] | list[int]) -> None:
    """Recount after a change (called after commit)."""
    for user_id in set(user_ids):
        count = Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
        cache.set(_unread_key(user_id), count, UNREAD_CACHE_SECONDS)
