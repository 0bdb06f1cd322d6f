"""Sign-in, sign-out and password reset pages.

Password reset (for staff and customers alike) uses Django's views and token generator with
Doum's templates. The answer to "send me a reset link" is the same page, text and status
whether or not the address belongs to anyone, and it is throttled in Django's cache:

* at most ``DOUM_PASSWORD_RESET_PER_EMAIL_PER_HOUR`` (5) mails per address per hour — beyond
  that the same "check your mail" page is shown and nothing is sent, so the limit reveals
  nothing about the address;
* at most ``DOUM_PASSWORD_RESET_PER_IP_PER_HOUR`` (20) requests per client IP per hour —
  beyond that a "too many requests, try again later" page (429), which says nothing about
  any address either.

The response time still differs by the time it takes to hand one mail to the mail server
(nothing is sent for an unknown address); sending from a background task would close that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import (
    LoginView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse_lazy
from django.utils import translation
from django.views.decorators.http import require_POST

from doum.accounts import actions
from doum.accounts.models import User
from doum.core import throttle
from doum.core.throttle import client_ip

HOUR_S = 3600


class SignInView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


# --- password reset -------------------------------------------------------------------------


def _count(key: str) -> int:
    """Count one request in this hour's window of ``key``; the count so far."""
    return throttle.hit(f"pwreset:{key}", HOUR_S)


class ResetForm(PasswordResetForm):
    """Django's reset form: every active person with this sign-in address gets the link, in
    their own language — customers who never chose a password too (setting one is how they
    first sign in to the portal)."""

    def get_users(self, email: str) -> Iterator[User]:
        found = User.objects.filter(email__iexact=email.strip(), is_active=True)
        for user in found:
            if user.email and user.email.lower() == email.strip().lower():
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class ResetView(PasswordResetView):
    form_class = ResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _count(f"ip:{client_ip(request)}") > settings.DOUM_PASSWORD_RESET_PER_IP_PER_HOUR:
            return render(request, "accounts/password_reset_throttled.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        digest = hashlib.sha256(email.encode()).hexdigest()
        if _count(f"email:{digest}") > settings.DOUM_PASSWORD_RESET_PER_EMAIL_PER_HOUR:
            # The same answer as always, but no more mail to this address this hour.
            return redirect(self.get_success_url())
        response: HttpResponse = super().form_valid(form)
        return response


class ResetDoneView(PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class NewPasswordForm(SetPasswordForm):
    """Django's form checks the two fields; the password is set by the action (audit row)."""

    def save(self, commit: bool = True) -> User:
        user = self.user
        assert isinstance(user, User)
        actions.do_set_password(user, actor=user, password=self.cleaned_data["new_password1"])
        return user


class ResetConfirmView(PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class ResetCompleteView(PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


urlpatterns: list[URLPattern] = [
    path("password-reset/", ResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", ResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", ResetCompleteView.as_view(), name="password_reset_complete"),
]
