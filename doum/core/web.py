"""Helpers every web page uses: who may open it, partial responses, and errors as pages.

Pages follow the same rule as API endpoints: parse input, call one action or selector,
render. A request sent by app.js carries ``X-Doum-Partial: 1`` and gets only the fragment
it will swap in; the same URL opened directly renders the whole page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import User
from doum.core.errors import DoumError

# Any response: pages, redirects, and downloads streamed with FileResponse.
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def is_partial(request: HttpRequest) -> bool:
    return request.headers.get("X-Doum-Partial") == "1"


def current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "page decorators guarantee a signed-in user"
    return user


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only ``fragment`` when app.js asked for a partial update."""
    name = fragment if fragment and is_partial(request) else template
    return render(request, name, context, status=status)


def redirect_to(request: HttpRequest, url: str) -> HttpResponse:
    """Go to ``url``: a 302 for a plain form post, a header app.js follows for a partial one."""
    if is_partial(request):
        response = HttpResponse(status=204)
        response["X-Doum-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` parameter when it points inside this site, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def error_page(request: HttpRequest, error: DoumError) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"error": error, "status": error.status_code},
        status=error.status_code,
    )


def _guard(allowed: frozenset[str] | None, view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return redirect_to_login(request.get_full_path())
        if not user.is_agent:
            # Customers belong in the portal; the staff pages do not exist for them.
            return HttpResponseRedirect("/portal/")
        if allowed is not None and user.role not in allowed:
            from doum.core.errors import Forbidden

            return error_page(request, Forbidden(_("Your role may not open this page.")))
        try:
            return view(request, *args, **kwargs)
        except DoumError as error:
            return error_page(request, error)

    return wrapper  # type: ignore[return-value]


def staff_page(view: View) -> View:
    """Signed-in staff only (customers are sent to the portal); DoumErrors become pages."""
    return _guard(None, view)


def staff_page_for(allowed: frozenset[str]) -> Callable[[View], View]:
    """Like ``staff_page`` but only for the given roles (e.g. ``roles.ADMINISTERS``)."""

    def decorator(view: View) -> View:
        return _guard(allowed, view)

    return decorator


admin_page = staff_page_for(roles.ADMINISTERS)
people_manager_page = staff_page_for(roles.MANAGES_PEOPLE)


def query_string(params: dict[str, Any]) -> str:
    """``?a=1&b=2`` without empty values, for links that keep the current filters."""
    clean = {k: v for k, v in params.items() if v not in (None, "", [])}
    return "?" + urlencode(clean, doseq=True) if clean else ""
