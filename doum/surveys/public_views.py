"""The customer's survey pages: no sign-in, a signed token in the address (doum.surveys.tokens).

* GET `/survey/<token>/?score=N` shows the question with N chosen, the reasons and a comment
  box. It records nothing by itself: link scanners that open every link in a mail must not
  vote. The page's script (`surveys/survey.js`, no inline script) posts the score at once
  when a real browser opens it, so one click in the mail records the rating; without
  scripts the customer presses the button.
* POST `/survey/<token>/` records the score, comment and reason (`do_record_response`); the
  script's quick post (field `quick=1`) answers JSON.
* GET/POST `/survey/<token>/opt-out/`: a confirmation page, then the opt-out.

Each client IP may open these pages `DOUM_SURVEY_RATE_PER_MIN` times a minute (both pages
together, good links and bad, counted with doum.core.throttle). Beyond that the answer is 429
with `Retry-After` and a short page (JSON for the script's quick post) in the page's language,
and nothing is recorded.

Pages speak the invitation's language unless the visitor chose one (the portal's language
switch or their own setting). A bad or expired link gets a page saying so (400 / 410), and
nothing is saved.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from doum.core import throttle
from doum.core.errors import DoumError, InvalidInput
from doum.portal.brands import logo_src, portal_title
from doum.portal.web import brand_context
from doum.surveys import delivery, tokens, wording
from doum.surveys.actions import do_opt_out, do_record_response
from doum.surveys.feedback import is_detractor
from doum.surveys.models import (
    InvitationStatus,
    ResponseSource,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
)
from doum.surveys.selectors import reason_label, settings_for


def _language(request: HttpRequest, invitation: SurveyInvitation | None) -> str:
    """The visitor's chosen language, else the invitation's, else the request's."""
    user = getattr(request, "user", None)
    chosen = bool(getattr(user, "language", "")) or (
        settings.LANGUAGE_COOKIE_NAME in request.COOKIES
    )
    current = translation.get_language() or "en"
    if chosen or invitation is None or not invitation.language:
        return current
    return invitation.language


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    invitation: SurveyInvitation | None,
    status: int = 200,
) -> HttpResponse:
    from django.shortcuts import render

    base = brand_context(request)
    if invitation is not None:
        brand = invitation.brand
        base.update(brand=brand, portal_title=portal_title(brand), portal_logo=logo_src(brand))
    response = render(request, template, {**base, **context}, status=status)
    response["Cache-Control"] = "no-store"
    # The address holds the token: never send it to another site.
    response["Referrer-Policy"] = "same-origin"
    return response


def _link_error(request: HttpRequest, error: tokens.TokenError) -> HttpResponse:
    invitation = error.invitation if isinstance(error, tokens.TokenExpired) else None
    with translation.override(_language(request, invitation)):
        # The message was made in the request's language; say it again in the page's.
        if isinstance(error, tokens.TokenExpired):
            message = (
                _("This survey is no longer open.")
                if error.reason == "cancelled"
                else _("This survey link has expired. Thank you all the same.")
            )
        else:
            message = _(
                "This survey link is not valid. Please use the link from your e-mail as it is."
            )
        return _page(
            request,
            "surveys/public/invalid.html",
            {"message": message, "status": error.status_code},
            invitation=invitation,
            status=error.status_code,
        )


RATE_WINDOW_S = 60


def _wait_when_over_limit(request: HttpRequest) -> int | None:
    """Count this request against its client IP; the seconds to wait when over the limit."""
    now = time.time()
    key = f"survey:ip:{throttle.client_ip(request)}"
    if throttle.hit(key, RATE_WINDOW_S, now=now) <= settings.DOUM_SURVEY_RATE_PER_MIN:
        return None
    window = throttle.window_of(RATE_WINDOW_S, now)
    return max(1, math.ceil((window + 1) * RATE_WINDOW_S - now))


def _too_many(request: HttpRequest, token: str, purpose: str, wait: int) -> HttpResponse:
    """429 in the page's language (the link is read only to find it); nothing is recorded."""
    try:
        invitation: SurveyInvitation | None = tokens.read_token(token, purpose, allow_expired=True)
    except tokens.TokenError:
        invitation = None
    with translation.override(_language(request, invitation)):
        message = ngettext(
            "This page was opened too many times from your network in a short time. "
            "Please try again in %(seconds)d second.",
            "This page was opened too many times from your network in a short time. "
            "Please try again in %(seconds)d seconds.",
            wait,
        ) % {"seconds": wait}
        response: HttpResponse
        if request.method == "POST" and request.POST.get("quick") == "1":
            response = JsonResponse({"ok": False, "message": message}, status=429)
        else:
            response = _page(
                request,
                "surveys/public/too_many.html",
                {"message": message, "posted": request.method == "POST"},
                invitation=invitation,
                status=429,
            )
    response["Retry-After"] = str(wait)
    return response


def _parse_score(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text or len(text) > 3 or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def _source(raw: str | None) -> str:
    return ResponseSource.PORTAL if raw == ResponseSource.PORTAL else ResponseSource.MAIL


def _existing(invitation: SurveyInvitation) -> SurveyResponse | None:
    return SurveyResponse.objects.filter(invitation_id=invitation.pk).first()


def _form_context(
    request: HttpRequest,
    invitation: SurveyInvitation,
    language: str,
    *,
    selected: int | None,
    comment: str,
    reason: str,
    source: str,
) -> dict[str, Any]:
    survey_settings = settings_for(invitation.brand_id)
    words = wording.filled(
        wording.wording_for(survey_settings, invitation.kind, language),
        delivery.placeholder_values(invitation),
    )
    choices = [
        {
            "score": score,
            "label": label,
            "detractor": is_detractor(invitation.kind, score, invitation.csat_scale),
        }
        for score, label in wording.choices(invitation.kind, invitation.csat_scale, language)
    ]
    reasons = [
        {
            "key": str(item["key"]),
            "label": reason_label(survey_settings, str(item["key"]), language),
        }
        for item in survey_settings.reasons
        if isinstance(item, dict) and item.get("key")
    ]
    low, high = wording.scale_ends(invitation.kind)
    return {
        "invitation": invitation,
        "ticket": invitation.ticket,
        "words": words,
        "choices": choices,
        "numeric": len(choices) > 2,
        "low_label": low,
        "high_label": high,
        "selected": selected,
        "comment": comment,
        "reason": reason,
        "reasons": reasons,
        "source": source,
        "comment_max": 5000,
        "opt_out_url": delivery.opt_out_url(invitation),
    }


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    wait = _wait_when_over_limit(request)
    if wait is not None:
        return _too_many(request, token, tokens.RATE, wait)
    try:
        invitation = tokens.read_token(token, tokens.RATE)
    except tokens.TokenError as error:
        if request.method == "POST" and request.POST.get("quick") == "1":
            return JsonResponse({"ok": False, "message": error.message}, status=error.status_code)
        return _link_error(request, error)
    language = _language(request, invitation)
    with translation.override(language):
        if request.method == "POST":
            return _post(request, invitation, language)
        return _get(request, invitation, language)


def _get(request: HttpRequest, invitation: SurveyInvitation, language: str) -> HttpResponse:
    existing = _existing(invitation)
    wanted = _parse_score(request.GET.get("score"))
    low, high = wording.score_range(invitation.kind, invitation.csat_scale)
    if wanted is not None and not low <= wanted <= high:
        wanted = None
    open_to_change = delivery.may_answer(invitation)
    selected = wanted if wanted is not None else (existing.score if existing else None)
    context = _form_context(
        request,
        invitation,
        language,
        selected=selected,
        comment=existing.comment if existing else "",
        reason=existing.reason if existing else "",
        source=_source(request.GET.get("via")),
    )
    # The script records the clicked score at once, unless it is what is already recorded.
    autorecord = (
        open_to_change and wanted is not None and (existing is None or existing.score != wanted)
    )
    context.update(
        autorecord=autorecord,
        recorded=existing is not None and (wanted is None or existing.score == wanted),
        final=existing is not None and not open_to_change,
        given=(
            wording.score_label(invitation.kind, invitation.csat_scale, existing.score)
            if existing
            else ""
        ),
    )
    return _page(request, "surveys/public/rate.html", context, invitation=invitation)


def _post(request: HttpRequest, invitation: SurveyInvitation, language: str) -> HttpResponse:
    quick = request.POST.get("quick") == "1"
    raw_score = request.POST.get("score", "")
    comment = None if quick else request.POST.get("comment", "")
    reason = None if quick else request.POST.get("reason", "")
    source = _source(request.POST.get("source"))
    try:
        response = do_record_response(
            invitation.pk, score=raw_score, comment=comment, reason=reason, source=source
        )
    except DoumError as error:
        if quick:
            return JsonResponse(
                {"ok": False, "message": error.message, "field": error.field or ""},
                status=error.status_code,
            )
        if not isinstance(error, InvalidInput):
            return _page(
                request,
                "surveys/public/invalid.html",
                {"message": error.message, "status": error.status_code},
                invitation=invitation,
                status=error.status_code,
            )
        context = _form_context(
            request,
            invitation,
            language,
            selected=_parse_score(raw_score),
            comment=comment or "",
            reason=reason or "",
            source=source,
        )
        context.update(autorecord=False, recorded=False, final=False, error=error)
        return _page(
            request, "surveys/public/rate.html", context, invitation=invitation, status=400
        )
    given = wording.score_label(invitation.kind, invitation.csat_scale, response.score)
    if quick:
        return JsonResponse(
            {
                "ok": True,
                "score": response.score,
                "message": _("Thank you, your rating “%(rating)s” was recorded.")
                % {"rating": given},
            }
        )
    words = wording.filled(
        wording.wording_for(settings_for(invitation.brand_id), invitation.kind, language),
        delivery.placeholder_values(invitation),
    )
    context = {
        "words": words,
        "given": given,
        "response": response,
        "ticket": invitation.ticket,
        "opt_out_url": delivery.opt_out_url(invitation),
    }
    return _page(request, "surveys/public/thanks.html", context, invitation=invitation)


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    wait = _wait_when_over_limit(request)
    if wait is not None:
        return _too_many(request, token, tokens.OPT_OUT, wait)
    try:
        invitation = tokens.read_token(token, tokens.OPT_OUT, allow_expired=True)
    except tokens.TokenError as error:
        return _link_error(request, error)
    with translation.override(_language(request, invitation)):
        done = SurveyOptOut.objects.filter(customer_id=invitation.customer_id).exists()
        if request.method == "POST" and not done:
            do_opt_out(invitation.customer_id, via="link")
            done = True
        context = {
            "done": done,
            "email": invitation.customer.email or "",
            "posted": request.method == "POST",
            "answered": invitation.status == InvitationStatus.ANSWERED,
        }
        return _page(request, "surveys/public/opt_out.html", context, invitation=invitation)
