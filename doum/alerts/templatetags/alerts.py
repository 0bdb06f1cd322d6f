"""{% unread_notifications user as n %}: the header's unread count, from the cache only."""

from __future__ import annotations

from django import template

from doum.accounts.models import User
from doum.alerts import selectors

register = template.Library()


@register.simple_tag
def unread_notifications(user: object) -> int | None:
    if not isinstance(user, User) or not user.is_agent:
        return None
    return selectors.cached_unread(user)
