"""The one clock every action reads.

`now()` is the wall clock in UTC unless a block runs under `at(instant)`, which makes the
past (or the future) writable through the very same actions: demo seeding and history import
write events with their real timestamps this way. Tests move the wall clock with time-machine
instead; both paths end in `now()`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_override: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "doum_clock_override", default=None
)


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    fixed = _override.get()
    if fixed is not None:
        return fixed
    return datetime.now(tz=UTC)


@contextmanager
def at(instant: datetime) -> Iterator[None]:
    """Run the enclosed block as if the time were `instant` (aware datetimes only)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("clock.at() needs a timezone-aware datetime")
    token = _override.set(instant.astimezone(UTC))
    try:
        yield
    finally:
        _override.reset(token)


def is_overridden() -> bool:
    return _override.get() is not None
