"""What every page's layout needs: the top navigation the signed-in user may use."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from doum.accounts import roles
from doum.accounts.models import User


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    key: str
    shortcut: str = ""


# (url name, label, roles allowed or None for every staff role, shortcut key)
_LINKS: tuple[tuple[str, str | Promise, frozenset[str] | None, str], ...] = (
    ("home", _("Home"), None, ""),
    ("tickets:list", _("Tickets"), None, "t"),
    ("tickets:new", _("New ticket"), roles.EDITS_TICKETS, "c"),
    ("accounts:people", _("Customers"), None, ""),
    ("metrics:index", _("Analytics"), None, ""),
    ("surveys:responses", _("Feedback"), None, ""),
    ("settings:index", _("Settings"), roles.MANAGES_PEOPLE, ""),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_agent:
        return {"nav_links": [], "search_url": ""}
    links = []
    for name, label, allowed, shortcut in _LINKS:
        if allowed is not None and user.role not in allowed:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # a page that is not installed
        links.append(NavLink(label, url, name, shortcut))
    search_url = next((link.url for link in links if link.key == "tickets:list"), "")
    return {"nav_links": links, "search_url": search_url}
