"""Reads of doum.alerts: the KPI series detection compares, episodes and notifications."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Min, Q, QuerySet

from doum.accounts.models import Team, TeamMembership, User
from doum.accounts.roles import Role
from doum.alerts.models import AlertEpisode, Notification
from doum.metrics.models import TicketMetrics

WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)
UNREAD_CACHE_SECONDS = 300  # the header polls every 30 s and refreshes it

# Who opens /alerts/: team leads (their teams' episodes) and everyone who sees the whole desk.
SEES_ALERTS = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
SEES_ALL_ALERTS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})


@dataclass
class HourFigures:
    """Per team key (0 = whole help desk) and week offset (0 = the judged hour, k = k weeks
    earlier): tickets created, and the first reply seconds of tickets first replied to."""

    weeks: int
    first_week: int  # the oldest week offset with any data at all (weeks before: no history)
    created: dict[int, list[int]] = field(default_factory=dict)
    replies: dict[int, list[list[int]]] = field(default_factory=dict)
    teams: set[int] = field(default_factory=set)

    def team_keys(self) -> set[int]:
        return {0} | (self.teams & (set(self.created) | set(self.replies)))

    def _known(self, k: int) -> bool:
        return k <= self.first_week

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
    first_week = -1
    if first is not None:
        first_week = max(
            (k for k in range(weeks + 1) if hour - k * WEEK + HOUR > first), default=-1
        )
    figures = HourFigures(weeks=weeks, first_week=first_week)
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
