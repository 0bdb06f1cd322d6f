"""Counting attempts in fixed time windows, in Django's cache, and who is asking.

One mechanism for every limit: API and page rate limits (per minute), password-reset mails
(per hour), portal sign-in links, sign-ups and submissions. Counts live in the cache, so
several processes share them only with a shared cache (DOUM_CACHE_URL).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def window_of(window_s: int, now: float | None = None) -> int:
    """The number of the window ``now`` falls in."""
    return int((time.time() if now is None else now) // window_s)


def _key(key: str, window_s: int, now: float | None) -> str:
    return f"doum:throttle:{key}:{window_s}:{window_of(window_s, now)}"


def hit(key: str, window_s: int, *, now: float | None = None) -> int:
    """Count one attempt under ``key`` in the current window; the count including it."""
    full_key = _key(key, window_s, now)
    cache.add(full_key, 0, window_s * 2)
    try:
        return int(cache.incr(full_key))
    except ValueError:  # evicted between add and incr
        cache.set(full_key, 1, window_s * 2)
        return 1


def used(key: str, window_s: int, *, now: float | None = None) -> int:
    """Attempts counted under ``key`` in the current window (without counting one)."""
    value = cache.get(_key(key, window_s, now))
    return value if isinstance(value, int) else 0


def forget(key: str, window_s: int, *, now: float | None = None) -> None:
    cache.delete(_key(key, window_s, now))
