"""Signal receivers of doum.alerts (connected in AlertsConfig.ready)."""

from __future__ import annotations

from typing import Any

from doum.accounts.models import User


def warm_unread_count(sender: Any, user: Any = None, **kwargs: Any) -> None:
    """Count a staff member's unread notifications at sign-in, for the header."""
    if isinstance(user, User) and user.is_agent:
        from doum.alerts import selectors

        selectors.unread_count(user)
