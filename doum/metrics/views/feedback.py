"""What customers say, in the analytics: the Feedback dashboard (CSAT, NPS, CES, response
rate, their trends, scores per team / agent / channel / organization / tag, comment
sentiment and what detractors talk about) and the survey figures the other dashboards show.

The numbers come from doum.surveys.analysis (definitions in docs/metrics.md, "Surveys");
every figure links to the responses behind it (/surveys/ with the same filters).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from doum.accounts.models import Organization, Team, User
from doum.core import clock
from doum.core.web import current_user, render_page, staff_page_for
from doum.metrics import charts
from doum.metrics.charts import Chart, Datum, Line
from doum.metrics.queries import Filters, Point
from doum.metrics.views.building import bucket_params
from doum.metrics.views.common import (
    ROLES,
    Figure,
    FilterState,
    clean_params,
    fmt_change,
    fmt_count,
    fmt_day,
    fmt_number,
    fmt_rate,
    load_filters,
    page_context,
    period_for,
    period_text,
    previous_period,
)
from doum.surveys import analysis
from doum.surveys.analysis import Scores
from doum.tickets.models import Channel

BY_CHOICES = ("team", "agent", "channel", "organization", "tag")


def responses_link(state: FilterState, **overrides: str) -> str:
    """The responses behind a survey figure: /surveys/ with the same filters."""
    return reverse("surveys:responses") + "?" + state.query(**overrides)


def fmt_nps(value: float | None) -> str:
    if value is None:
        return "—"
    rounded = round(value)
    return f"+{rounded}" if rounded > 0 else str(rounded)


def fmt_ces(value: float | None) -> str:
    return fmt_number(value, 2) if value is not None else "—"


def survey_figures(
    state: FilterState,
    now: Scores,
    *,
    compare: Scores | None = None,
    compare_label: str = "",
    change: bool = False,
    kinds: tuple[str, ...] = ("csat", "nps"),
) -> list[Figure]:
    """Figures for CSAT (and NPS, CES, response rate when asked), each linking to the
    responses behind it; with `compare`, the comparison (and the change when `change`)."""
    spec: dict[str, tuple[str, Any, Any]] = {
        "csat": (_("CSAT"), lambda s: s.csat_rate, fmt_rate),
        "nps": (_("NPS"), lambda s: s.nps, fmt_nps),
        "ces": (_("CES (mean, 1–7)"), lambda s: s.ces_mean, fmt_ces),
        "response_rate": (_("Survey response rate"), lambda s: s.response_rate, fmt_rate),
    }
    out = []
    for kind in kinds:
        label, value_of, fmt = spec[kind]
        overrides = {"kind": kind} if kind in ("csat", "nps", "ces") else {}
        fig = Figure(
            key=kind,
            label=label,
            text=fmt(value_of(now)),
            href=responses_link(state, **overrides),
        )
        if compare is not None:
            fig.compare_label = compare_label
            fig.compare_text = fmt(value_of(compare))
            if change:
                fig.change_text, fig.change_dir = fmt_change(value_of(now), value_of(compare))
        out.append(fig)
    return out


def csat_by_agent(filters: Filters) -> dict[str, dict[str, str]]:
    """The per-agent table's CSAT cell: agent id (as text) -> text and answer count."""
    return {
        str(key or ""): {
            "text": fmt_rate(found.csat_rate),
            "n": fmt_count(found.csat_total),
        }
        for key, found in analysis.scores_by(filters, "agent").items()
    }


def trend_charts(state: FilterState, filters: Filters) -> list[Chart]:
    """CSAT % and NPS promoters / detractors % per day, week or month of the period."""
    period = period_for(filters)
    rows = analysis.series(filters, period)
    points = [Point(start=day, value=None, n=0) for day, _s in rows]
    csat, promoters, detractors, answered = [], [], [], []
    for index, (day, found) in enumerate(rows):
        params = bucket_params(points, index, filters)
        label = fmt_day(day)
        csat.append(
            Datum(
                label,
                None if found.csat_rate is None else found.csat_rate * 100,
                fmt_rate(found.csat_rate),
                responses_link(state, kind="csat", **params),
            )
        )
        share_p = found.nps_promoters / found.nps_total if found.nps_total else None
        share_d = found.nps_detractors / found.nps_total if found.nps_total else None
        promoters.append(
            Datum(
                label,
                None if share_p is None else share_p * 100,
                fmt_rate(share_p),
                responses_link(state, kind="nps", score="promoter", **params),
            )
        )
        detractors.append(
            Datum(
                label,
                None if share_d is None else share_d * 100,
                fmt_rate(share_d),
                responses_link(state, kind="nps", score="detractor", **params),
            )
        )
        answered.append(
            Datum(
                label,
                float(found.responses),
                fmt_count(found.responses),
                responses_link(state, **params),
            )
        )
    return [
        charts.line_chart(
            "feedback-csat",
            _("CSAT and NPS"),
            [
                Line("csat", _("CSAT"), csat),
                Line("promoters", _("NPS promoters"), promoters),
                Line("detractors", _("NPS detractors"), detractors),
            ],
            unit_label="%",
        ),
        charts.line_chart(
            "feedback-responses",
            _("Survey responses"),
            [Line("responses", _("Responses"), answered)],
            integer=True,
        ),
    ]


def _labels(by: str, keys: list[object]) -> dict[object, str]:
    ids = [k for k in keys if isinstance(k, int)]
    if by == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "agent":
        return dict(User.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "organization":
        return dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "channel":
        return {value: str(label) for value, label in Channel.choices}
    return {}


def breakdown_rows(state: FilterState, filters: Filters, by: str) -> list[dict[str, Any]]:
    if by == "tag":
        items: list[tuple[object, Scores]] = list(analysis.scores_by_tag(filters))
        labels: dict[object, str] = {key: str(key) for key, _s in items}
    else:
        found = analysis.scores_by(filters, by)  # type: ignore[arg-type]
        items = sorted(found.items(), key=lambda kv: -kv[1].responses)
        labels = _labels(by, [k for k, _s in items])
    param = {"team": "team", "agent": "agent", "channel": "channel"}.get(by, by)
    rows = []
    for key, found_scores in items:
        over = {param: str(key)} if key not in (None, "") else {}
        rows.append(
            {
                "label": labels.get(key, "") or (_("None") if key in (None, "") else str(key)),
                "responses": fmt_count(found_scores.responses),
                "href": responses_link(state, **over) if over else "",
                "csat": fmt_rate(found_scores.csat_rate),
                "nps": fmt_nps(found_scores.nps),
                "ces": fmt_ces(found_scores.ces_mean),
                "rate": fmt_rate(found_scores.response_rate),
            }
        )
    return rows


@require_GET
@staff_page_for(ROLES["feedback"])
def feedback_dashboard(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    params = clean_params(request, {"period": "last_30_days"})
    by = request.GET.get("by", "team")
    if by not in BY_CHOICES:
        by = "team"
    state = load_filters(viewer, params, clock.now())
    context = page_context(viewer, state, "feedback", _("Customer feedback"))
    context["by"] = by
    context["by_choices"] = [
        ("team", _("Team")),
        ("agent", _("Agent")),
        ("channel", _("Channel")),
        ("organization", _("Organization")),
        ("tag", _("Tag")),
    ]
    if state.filters is None:
        return render_page(request, "metrics/feedback.html", context, status=400)
    filters = state.filters
    before = previous_period(filters)
    now_scores = analysis.scores(filters)
    before_scores = analysis.scores(before)
    analysed, topics = analysis.detractor_topics(filters)
    sentiments = analysis.sentiment_counts(filters)
    total_comments = sum(sentiments.values())
    context.update(
        figures=survey_figures(
            state,
            now_scores,
            compare=before_scores,
            compare_label=_("Previous period"),
            change=True,
            kinds=("csat", "nps", "ces", "response_rate"),
        ),
        counts={
            "responses": fmt_count(now_scores.responses),
            "csat": fmt_count(now_scores.csat_total),
            "nps": fmt_count(now_scores.nps_total),
            "ces": fmt_count(now_scores.ces_total),
            "promoters": fmt_count(now_scores.nps_promoters),
            "passives": fmt_count(now_scores.nps_passives),
            "detractors": fmt_count(now_scores.nps_detractors),
            "sent": fmt_count(now_scores.sent),
        },
        previous_text=period_text(before),
        charts=trend_charts(state, filters),
        rows=breakdown_rows(state, filters, by),
        topics=topics,
        analysed=fmt_count(analysed),
        detractors_href=responses_link(state, score="detractor"),
        sentiments=[
            {
                "key": key,
                "label": label,
                "count": fmt_count(sentiments.get(key, 0)),
                "share": fmt_rate(sentiments.get(key, 0) / total_comments)
                if total_comments
                else "—",
                "href": responses_link(state, sentiment=key),
            }
            for key, label in (
                ("positive", _("Positive")),
                ("neutral", _("Neutral")),
                ("negative", _("Negative")),
            )
        ],
    )
    return render_page(request, "metrics/feedback.html", context)


urlpatterns: list[URLPattern] = [
    path("feedback/", feedback_dashboard, name="feedback"),
]
