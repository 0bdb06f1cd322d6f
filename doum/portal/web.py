"""What every portal page shares: the brand's look, who may open the page, errors as pages.

Portal pages are for customers and visitors. Staff are sent to the workspace (``/``), which
sends customers back here; a visitor who is not signed in is sent to the portal's sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from doum.accounts.models import User
from doum.core.errors import DoumError
from doum.portal.brands import (
    brand_css_version,
    brand_for_request,
    logo_src,
    portal_title,
)

View = TypeVar("View", bound=Callable[..., HttpResponse])
WORKSPACE_URL = "/"


def portal_user(request: HttpRequest) -> User | None:
    """The signed-in customer, or None for a visitor (staff never reach a portal view)."""
    user = request.user
    if user.is_authenticated and isinstance(user, User):
        return user
    return None


def signed_in_customer(request: HttpRequest) -> User:
    user = portal_user(request)
    assert user is not None, "customer_page guarantees a signed-in customer"
    return user


def brand_context(request: HttpRequest) -> dict[str, Any]:
    brand = brand_for_request(request)
    return {
        "brand": brand,
        "portal_title": portal_title(brand),
        "portal_logo": logo_src(brand),
        "brand_css_version": brand_css_version(brand),
        "portal_user": portal_user(request),
    }


def render_portal(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return render(request, template, {**brand_context(request), **context}, status=status)


def portal_error(request: HttpRequest, error: DoumError) -> HttpResponse:
    return render_portal(
        request,
        "portal/error.html",
        {"error": error, "status": error.status_code},
        status=error.status_code,
    )


def sign_in_url(request: HttpRequest) -> str:
    return reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()})


def _guard(*, customers: bool, visitors: bool, view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if not isinstance(user, User) or user.is_agent:
                return HttpResponseRedirect(WORKSPACE_URL)
            if not customers:
                return HttpResponseRedirect(reverse("portal:home"))
        elif not visitors:
            return HttpResponseRedirect(sign_in_url(request))
        try:
            return view(request, *args, **kwargs)
        except DoumError as error:
            return portal_error(request, error)

    return wrapper  # type: ignore[return-value]


def customer_page(view: View) -> View:
    """Signed-in customers only: visitors go to the portal sign-in, staff to the workspace."""
    return _guard(customers=True, visitors=False, view=view)


def open_page(view: View) -> View:
    """Customers and visitors (staff go to the workspace)."""
    return _guard(customers=True, visitors=True, view=view)


def visitor_page(view: View) -> View:
    """Visitors only (sign-in, sign-up): customers go to the portal home, staff to the
    workspace."""
    return _guard(customers=False, visitors=True, view=view)
