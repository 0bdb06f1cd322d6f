"""The side panel of the ticket list: every view the agent has, with live counts."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils.functional import Promise

from doum.accounts.models import User
from doum.tickets.queues import Queue, builtin_queues, saved_view_queue
from doum.tickets.saved_views import visible_saved_views
from doum.tickets.selectors import filter_tickets

# Counts stop at this many: a capped COUNT reads at most this many index entries, so the side
# panel stays cheap at a million tickets ("9999+").
COUNT_CAP = 9999
COUNTS_TTL = 20  # seconds a user's counts are reused


@dataclass(frozen=True)
class ViewLink:
    key: str
    label: str | Promise
    count: int
    group: str  # "builtin", "personal" or "shared"

    @property
    def count_text(self) -> str:
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)


def counts_cache_key(user: User) -> str:
    return f"doum:view-counts:{user.pk}"


def forget_counts(user: User) -> None:
    cache.delete(counts_cache_key(user))


def all_queues(user: User) -> list[tuple[str, Queue]]:
    """Every view in the side panel, with its group: built-in, personal, then shared."""
    queues = [("builtin", q) for q in builtin_queues(user)]
    views = list(visible_saved_views(user))
    queues += [("personal", saved_view_queue(user, v)) for v in views if v.owner_id]
    queues += [("shared", saved_view_queue(user, v)) for v in views if v.owner_id is None]
    return queues


def view_links(user: User) -> list[ViewLink]:
    """The side panel's views with their counts: one capped COUNT per view, cached ~20 s."""
    queues = all_queues(user)
    key = counts_cache_key(user)
    counts: dict[str, int] = cache.get(key) or {}
    missing = [q for _group, q in queues if q.key not in counts]
    for queue in missing:
        qs = filter_tickets(user, queue.filters).order_by()
        counts[queue.key] = qs[: COUNT_CAP + 1].count()
    if missing:
        cache.set(key, counts, COUNTS_TTL)
    return [ViewLink(q.key, q.label, counts[q.key], group) for group, q in queues]
