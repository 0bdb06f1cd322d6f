"""Staff pages of surveys: the responses behind every survey figure (/surveys/, with the
analytics filters), follow-ups of unhappy customers, and each brand's survey settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts.models import Brand
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import DoumError, InvalidInput
from doum.core.web import current_user, redirect_to, render_page, staff_page_for
from doum.metrics import queries
from doum.surveys import analysis, staff_actions
from doum.surveys.feedback import is_detractor, is_promoter
from doum.surveys.importing import IMPORTS_FEEDBACK
from doum.surveys.mentions import SEES_MENTIONS
from doum.surveys.models import (
    CsatScale,
    FollowUpStatus,
    Sentiment,
    SurveyKind,
    SurveyResponse,
    SurveySettings,
)
from doum.surveys.selectors import (
    CLOSES_FOLLOW_UPS,
    EDITS_SURVEY_SETTINGS,
    SEES_FOLLOW_UPS,
    access_follow_up,
    reason_label,
    settings_for,
    visible_follow_ups,
)

# Who may read survey responses: every analytics role (agents see their own only).
READS_RESPONSES = frozenset(
    {Role.AGENT, Role.TEAM_LEAD, Role.QA_REVIEWER, Role.MANAGER, Role.DIRECTOR, Role.ADMIN}
)
FILTER_KEYS = (
    "period", "from", "to", "team", "agent", "channel", "priority", "type", "tag",
    "organization", "custom",
)  # fmt: skip
EXTRA_KEYS = ("kind", "score", "sentiment")
PAGE_SIZE = 50
SCORE_GROUPS = ("detractor", "promoter", "passive")


def _params(request: HttpRequest) -> dict[str, str]:
    params: dict[str, str] = {}
    for key in (*FILTER_KEYS, *EXTRA_KEYS):
        values = [v.strip() for v in request.GET.getlist(key) if v.strip()]
        if values:
            params[key] = ",".join(values)[:200]
    if ("from" in params or "to" in params) and "period" not in params:
        params["period"] = "custom"
    params.setdefault("period", "last_30_days")
    return params


def _score_label(response: SurveyResponse) -> str:
    if response.kind == SurveyKind.CSAT and response.csat_scale != CsatScale.FIVE:
        return _("Good") if response.score == 1 else _("Bad")
    if response.kind == SurveyKind.CSAT:
        return f"{response.score} / 5"
    if response.kind == SurveyKind.NPS:
        return f"{response.score} / 10"
    return f"{response.score} / 7"


def _narrow(qs: Any, params: dict[str, str]) -> Any:
    kind = params.get("kind", "")
    if kind:
        if kind not in SurveyKind.values:
            raise InvalidInput(_("Unknown survey kind."), field="kind")
        qs = qs.filter(kind=kind)
    score = params.get("score", "")
    if score:
        if score == "detractor":
            qs = qs.filter(analysis.DETRACTOR)
        elif score == "promoter":
            qs = qs.filter(analysis.CSAT_GOOD | analysis.NPS_PROMOTER | analysis.CES_HIGH)
        elif score == "passive":
            qs = qs.exclude(analysis.DETRACTOR).exclude(
                analysis.CSAT_GOOD | analysis.NPS_PROMOTER | analysis.CES_HIGH
            )
        elif score.isdigit() and len(score) <= 2:
            qs = qs.filter(score=int(score))
        else:
            raise InvalidInput(_("Unknown score filter."), field="score")
    sentiment = params.get("sentiment", "")
    if sentiment:
        if sentiment not in Sentiment.values:
            raise InvalidInput(_("Unknown sentiment."), field="sentiment")
        qs = qs.filter(sentiment=sentiment)
    return qs


@require_GET
@staff_page_for(READS_RESPONSES)
def responses(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    params = _params(request)
    if viewer.role == Role.AGENT:
        params["agent"] = str(viewer.pk)  # an agent reads the answers about their own work
    context: dict[str, Any] = {
        "params": params,
        "kinds": SurveyKind.choices,
        "sentiments": Sentiment.choices,
        "score_groups": [
            ("detractor", _("Detractors / unhappy")),
            ("passive", _("Passives")),
            ("promoter", _("Promoters / happy")),
        ],
        "error": "",
        "rows": [],
        "links": {
            "dashboard": viewer.role != Role.AGENT,
            "follow_ups": viewer.role in SEES_FOLLOW_UPS,
            "mentions": viewer.role in SEES_MENTIONS,
            "imports": viewer.role in IMPORTS_FEEDBACK,
            "settings": viewer.role in EDITS_SURVEY_SETTINGS,
        },
    }
    try:
        filters = queries.scope_filters(
            viewer, queries.parse_filters(params, viewer=viewer, now=clock.now())
        )
        qs = _narrow(analysis.responses(filters), params)
    except queries.FilterError as error:
        context["error"] = str(error)
        return render_page(request, "surveys/responses.html", context, status=400)
    except InvalidInput as error:
        context["error"] = error.message
        return render_page(request, "surveys/responses.html", context, status=400)
    qs = qs.select_related("ticket", "assignee", "team", "customer").order_by("-answered_at", "-pk")
    paginator = Paginator(qs, PAGE_SIZE)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    page = paginator.get_page(number)
    reasons: dict[int, SurveySettings] = {}
    rows = []
    for item in page.object_list:
        if item.brand_id and item.brand_id not in reasons:
            reasons[item.brand_id] = settings_for(item.brand_id)
        found = reasons.get(item.brand_id) if item.brand_id else None
        language = request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "en"
        rows.append(
            {
                "response": item,
                "score": _score_label(item),
                "tone": "bad"
                if is_detractor(item.kind, item.score, item.csat_scale)
                else "good"
                if is_promoter(item.kind, item.score, item.csat_scale)
                else "neutral",
                "reason": reason_label(found, item.reason, language)
                if (found and item.reason)
                else item.reason,
            }
        )
    query = {k: v for k, v in params.items()}
    context.update(
        rows=rows,
        page=page,
        total=paginator.count,
        prev_query=urlencode({**query, "page": page.number - 1}) if page.has_previous() else "",
        next_query=urlencode({**query, "page": page.number + 1}) if page.has_next() else "",
        analytics_query=urlencode({k: v for k, v in params.items() if k in FILTER_KEYS}),
    )
    return render_page(request, "surveys/responses.html", context)


@require_GET
@staff_page_for(SEES_FOLLOW_UPS)
def follow_ups(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    status = request.GET.get("status", FollowUpStatus.OPEN)
    if status not in FollowUpStatus.values:
        status = FollowUpStatus.OPEN
    qs = (
        visible_follow_ups(viewer)
        .filter(status=status)
        .select_related("response", "response__customer", "ticket", "team", "owner")
        .order_by("due_at" if status == FollowUpStatus.OPEN else "-done_at", "pk")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page", "1"))
    now = clock.now()
    return render_page(
        request,
        "surveys/follow_ups.html",
        {
            "status": status,
            "page": page,
            "rows": [
                {"item": item, "overdue": status == "open" and item.due_at < now}
                for item in page.object_list
            ],
            "open_count": visible_follow_ups(viewer).filter(status=FollowUpStatus.OPEN).count(),
        },
    )


def _follow_up_context(viewer: Any, follow_up_id: int) -> dict[str, Any]:
    item = access_follow_up(viewer, follow_up_id)
    response = item.response
    found = settings_for(response.brand_id) if response.brand_id else None
    return {
        "item": item,
        "response": response,
        "score": _score_label(response),
        "reason": reason_label(found, response.reason, "en")
        if (found and response.reason)
        else response.reason,
        "can_close": viewer.role in CLOSES_FOLLOW_UPS and item.status == FollowUpStatus.OPEN,
        "note": "",
        "error": "",
    }


@require_GET
@staff_page_for(SEES_FOLLOW_UPS)
def follow_up(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    context = _follow_up_context(current_user(request), follow_up_id)
    return render_page(request, "surveys/follow_up.html", context)


@staff_page_for(SEES_FOLLOW_UPS)
@require_POST
def follow_up_done(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    viewer = current_user(request)
    note = request.POST.get("note", "")
    try:
        staff_actions.do_complete_follow_up(follow_up_id, actor=viewer, note=note)
    except InvalidInput as error:
        context = _follow_up_context(viewer, follow_up_id)
        context.update(note=note[: staff_actions.NOTE_MAX], error=error.message)
        return render_page(request, "surveys/follow_up.html", context, status=400)
    return redirect_to(request, reverse("surveys:follow_up", args=[follow_up_id]))


@require_GET
@staff_page_for(EDITS_SURVEY_SETTINGS)
def settings_index(request: HttpRequest) -> HttpResponse:
    brands = list(Brand.objects.order_by("name"))
    found = {s.brand_id: s for s in SurveySettings.objects.filter(brand__in=brands)}
    return render_page(
        request,
        "surveys/settings_index.html",
        {"rows": [{"brand": b, "settings": found.get(b.pk)} for b in brands]},
    )


def _wording_rows(item: SurveySettings, values: dict[str, str] | None) -> list[dict[str, Any]]:
    from doum.surveys import wording

    rows = []
    for kind, kind_label in SurveyKind.choices:
        for language, language_label in (("en", "English"), ("ko", "한국어")):
            current = wording.wording_for(item, kind, language)
            fields = []
            for name in wording.WORDING_FIELDS:
                key = f"wording.{kind}.{language}.{name}"
                fields.append(
                    {
                        "key": key,
                        "name": name,
                        "value": values.get(key, "") if values is not None else current[name],
                        "multiline": name != "subject",
                    }
                )
            rows.append(
                {
                    "kind": kind,
                    "kind_label": kind_label,
                    "language": language_label,
                    "fields": fields,
                }
            )
    return rows


@require_http_methods(["GET", "POST"])
@staff_page_for(EDITS_SURVEY_SETTINGS)
def settings_brand(request: HttpRequest, brand_id: int) -> HttpResponse:
    viewer = current_user(request)
    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        from doum.core.errors import NotFound

        raise NotFound(_("No such brand."))
    item = settings_for(brand.pk)
    error: DoumError | None = None
    values: dict[str, str] | None = None
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in request.POST}
        try:
            staff_actions.do_update_survey_settings(brand.pk, actor=viewer, values=values)
        except InvalidInput as failure:
            error = failure
        else:
            saved = reverse("surveys:settings_brand", args=[brand.pk]) + "?saved=1"
            return redirect_to(request, saved)
        item = settings_for(brand.pk)
    context = {
        "brand": brand,
        "item": item,
        "scales": CsatScale.choices,
        "reasons_text": values.get("reasons", "")
        if values is not None
        else staff_actions.reasons_text(item),
        "wording_rows": _wording_rows(item, values),
        "values": values or {},
        "error": error.message if error else "",
        "error_field": getattr(error, "field", "") if error else "",
        "saved": request.GET.get("saved") == "1",
        "ints": staff_actions.INT_FIELDS,
    }
    return render_page(
        request, "surveys/settings_brand.html", context, status=400 if error else 200
    )
