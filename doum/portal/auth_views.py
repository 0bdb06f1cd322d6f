"""Portal sign-up, sign-in (password or e-mailed link), sign-out and the language switch.

Answers never tell a visitor whether an address is known: sign-up with a taken address and a
link request for an unknown one give the same "check your mail" page as the real thing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from doum.accounts.actions import (
    do_sign_up_customer,
    do_update_user,
    do_verify_email,
    find_user_by_identity,
)
from doum.accounts.models import Identity
from doum.core.errors import InvalidInput
from doum.core.throttle import client_ip
from doum.core.web import safe_next
from doum.portal import signin
from doum.portal.brands import brand_for_request
from doum.portal.forms import LinkRequestForm, SignInForm, SignUpForm, apply_error
from doum.portal.web import WORKSPACE_URL, open_page, portal_user, render_portal, visitor_page

TOO_MANY = gettext_lazy("Too many attempts. Wait a few minutes and try again.")


def _after_sign_in(request: HttpRequest) -> str:
    user = portal_user(request)
    if user is not None and user.is_agent:
        return WORKSPACE_URL
    return safe_next(request, reverse("portal:requests"))


def _check_mail(request: HttpRequest, email: str) -> HttpResponse:
    return render_portal(request, "portal/check_mail.html", {"email": email})


def _language() -> str:
    language = translation.get_language() or ""
    return language if language in ("en", "ko") else ""


@require_http_methods(["GET", "POST"])
@visitor_page
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not signin.hit(signin.SIGNUP_PER_IP, client_ip(request)):
            form.add_error(None, TOO_MANY)
            return render_portal(request, "portal/signup.html", {"form": form}, status=429)
        email = form.cleaned_data["email"]
        try:
            result = do_sign_up_customer(
                name=form.cleaned_data["name"],
                email=email,
                password=form.cleaned_data["password"],
                language=_language(),
            )
        except InvalidInput as error:
            apply_error(form, error, {"name": "name", "email": "email", "password": "password"})
        else:
            if result.user is not None:
                # New or not, the person at that address gets a link to sign in with: the
                # page says the same either way and a new account proves its address too.
                reason = "signup" if result.created else "signup_existing"
                signin.send_sign_in_link(
                    request, result.user, brand_for_request(request), reason=reason
                )
            return _check_mail(request, email)
    status = 400 if form.errors else 200
    return render_portal(request, "portal/signup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@visitor_page
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    context = {"form": form, "next": safe_next(request, "")}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        ip = client_ip(request)
        if signin.exhausted(signin.LOGIN_FAILURES_PER_ADDRESS, email) or signin.exhausted(
            signin.LOGIN_FAILURES_PER_IP, ip
        ):
            form.add_error(None, TOO_MANY)
            return render_portal(request, "portal/login.html", context, status=429)
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is None:
            signin.hit(signin.LOGIN_FAILURES_PER_ADDRESS, email)
            signin.hit(signin.LOGIN_FAILURES_PER_IP, ip)
            form.add_error(None, _("That e-mail address and password do not match."))
            return render_portal(request, "portal/login.html", context, status=400)
        signin.reset(signin.LOGIN_FAILURES_PER_ADDRESS, email)
        login(request, user)
        return HttpResponseRedirect(_after_sign_in(request))
    status = 400 if form.errors else 200
    return render_portal(request, "portal/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
@visitor_page
def login_link(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        allowed_ip = signin.hit(signin.LINK_PER_IP, client_ip(request))
        allowed_address = signin.hit(signin.LINK_PER_ADDRESS, email)
        if not (allowed_ip and allowed_address):
            form.add_error(None, TOO_MANY)
            return render_portal(request, "portal/login_link.html", {"form": form}, status=429)
        user = find_user_by_identity(Identity.Kind.EMAIL, email)
        if user is not None:
            signin.send_sign_in_link(request, user, brand_for_request(request), reason="link")
        return _check_mail(request, email)
    status = 400 if form.errors else 200
    return render_portal(request, "portal/login_link.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@open_page
def login_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST signs in: mail scanners that open links do not use them up."""
    user = signin.user_for_link_token(token)
    if user is None:
        return render_portal(request, "portal/link_invalid.html", {}, status=400)
    if request.method == "GET":
        return render_portal(request, "portal/link_confirm.html", {"link_user": user})
    if user.email:
        do_verify_email(user, actor=user, email=user.email)
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    if user.is_agent:
        return HttpResponseRedirect(WORKSPACE_URL)
    return HttpResponseRedirect(reverse("portal:requests"))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("portal:home"))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Remember the visitor's language: on the signed-in person, and in the cookie that
    Django's LocaleMiddleware reads for visitors."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request, reverse("portal:home")))
    if language not in ("en", "ko"):
        return response
    user = portal_user(request)
    if user is not None:
        do_update_user(user, actor=user, changes={"language": language})
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
