"""The signed-in staff member's profile: name, language, time zone, availability, password.

One endpoint per change: the profile form, the password form, and the availability switch
in the top bar (a small form that app.js submits when the select changes).
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.accounts import actions
from doum.accounts.models import Availability, User
from doum.core.errors import DoumError, InvalidInput
from doum.core.web import current_user, redirect_to, render_page, safe_next, staff_page

NAME_MAX = 200
PASSWORD_MAX = 4096


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (no legacy aliases like "EST")."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def _context(user: User, **extra: Any) -> dict[str, Any]:
    return {
        "profile_user": user,
        "languages": [("", _("Browser default")), ("en", "English"), ("ko", "한국어")],
        "time_zones": time_zones(),
        "availabilities": Availability.choices,
        "errors": {},
        "password_errors": {},
        **extra,
    }


@require_GET
@staff_page
def profile(request: HttpRequest) -> HttpResponse:
    return render_page(request, "accounts/profile.html", _context(current_user(request)))


@require_POST
@staff_page
def profile_update(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    name = request.POST.get("name", "")
    language = request.POST.get("language", "")
    time_zone = request.POST.get("time_zone", "")
    errors: dict[str, str] = {}
    if len(name) > NAME_MAX:
        errors["name"] = _("At most %(max)d characters.") % {"max": NAME_MAX}
    if language not in ("", "en", "ko"):
        errors["language"] = _("Choose English, Korean or the browser default.")
    if time_zone and time_zone not in time_zones():
        errors["time_zone"] = _("Choose a time zone from the list.")
    if not errors:
        try:
            actions.do_update_user(
                user,
                actor=user,
                changes={"name": name, "language": language, "time_zone": time_zone},
            )
        except DoumError as error:
            errors[
                error.field if error.field in ("name", "language", "time_zone") else "general"
            ] = error.message
    if errors:
        user.refresh_from_db()
        posted = {"name": name, "language": language, "time_zone": time_zone}
        context = _context(user, errors=errors, posted=posted)
        return render_page(request, "accounts/profile.html", context, status=400)
    # The next page is in the new language; the confirmation already is.
    with translation.override(language or translation.get_language()):
        messages.success(request, _("Your profile is saved."))
    return redirect_to(request, reverse("accounts:profile"))


@require_POST
@staff_page
def password_change(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    current = request.POST.get("current_password", "")[:PASSWORD_MAX]
    new = request.POST.get("new_password", "")[:PASSWORD_MAX]
    repeat = request.POST.get("new_password_again", "")[:PASSWORD_MAX]
    errors: dict[str, str] = {}
    if not user.check_password(current):
        errors["current_password"] = _("This is not your current password.")
    if not new:
        errors["new_password"] = _("Enter a new password.")
    elif new != repeat:
        errors["new_password_again"] = _("The two new passwords differ.")
    if not errors:
        try:
            actions.do_set_password(user, actor=user, password=new)
        except InvalidInput as error:
            errors["new_password"] = error.message
    if errors:
        context = _context(user, password_errors=errors)
        return render_page(request, "accounts/profile.html", context, status=400)
    update_session_auth_hash(request, user)  # stay signed in on this device
    messages.success(request, _("Your password is changed."))
    return redirect_to(request, reverse("accounts:profile"))


@require_POST
@staff_page
def availability(request: HttpRequest) -> HttpResponse:
    """The top bar's switch: online, away or offline. A partial request gets the switch back."""
    user = current_user(request)
    value = request.POST.get("availability", "")
    error = ""
    try:
        actions.do_set_availability(user, actor=user, availability=value)
    except InvalidInput:
        error = _("Choose online, away or offline.")
    context = {"user": user, "availability_error": error}
    if error:
        return render_page(
            request,
            "accounts/profile.html",
            _context(user, availability_error=error),
            fragment="accounts/_availability.html",
            status=400,
        )
    if request.headers.get("X-Doum-Partial") == "1":
        return render_page(
            request, "accounts/_availability.html", context, fragment="accounts/_availability.html"
        )
    return redirect_to(request, safe_next(request, reverse("accounts:profile")))


urlpatterns: list[URLPattern] = [
    path("profile/", profile, name="profile"),
    path("profile/edit", profile_update, name="profile_update"),
    path("profile/password", password_change, name="password_change"),
    path("profile/availability", availability, name="availability"),
]
