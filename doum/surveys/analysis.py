"""Survey scores for the dashboards: CSAT, NPS, CES and response rate, exactly as defined in
docs/metrics.md ("Surveys"), over the analytics filters (doum.metrics.queries.Filters).

* CSAT % = good ÷ all CSAT answers; on the good/bad scale "good", on the 1–5 scale 4 or 5.
  Brands on different scales combine by the same rule (a satisfied answer over all answers).
* NPS = % promoters (9–10) − % detractors (0–6) of the NPS answers, from −100 to 100.
* CES = the mean of the answers (1–7, 7 = very easy).
* Response rate = invitations sent in the period that have an answer ÷ invitations sent in
  the period.

A response counts in the period that holds its `answered_at` (the latest rating), in the
viewer's time zone, and belongs to the team, agent, channel and organization of its ticket
*at solve time* (copied onto the response), so a later reassignment does not move a rating
to another agent. Priority, type, tags and custom fields are the ticket's current ones.
Everything is a database aggregate over indexed columns: responses are a fraction of the
tickets, and each figure is one query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth, TruncQuarter, TruncWeek

from doum.metrics.queries import Filters
from doum.surveys.models import (
    CsatScale,
    InvitationStatus,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)

Period = Literal["day", "week", "month", "quarter"]
Dimension = Literal["team", "agent", "channel", "organization", "brand"]
DIMENSION_COLUMNS: dict[str, str] = {
    "team": "team_id",
    "agent": "assignee_id",
    "channel": "channel",
    "organization": "organization_id",
    "brand": "brand_id",
}

# Satisfied / dissatisfied answers per kind (see doum.surveys.feedback for the same rule).
CSAT_GOOD = Q(kind=SurveyKind.CSAT) & (
    Q(csat_scale=CsatScale.FIVE, score__gte=4) | (~Q(csat_scale=CsatScale.FIVE) & Q(score=1))
)
NPS_PROMOTER = Q(kind=SurveyKind.NPS, score__gte=9)
NPS_DETRACTOR = Q(kind=SurveyKind.NPS, score__lte=6)
CSAT_BAD = Q(kind=SurveyKind.CSAT) & (
    Q(csat_scale=CsatScale.FIVE, score__lte=2) | (~Q(csat_scale=CsatScale.FIVE) & Q(score=0))
)
CES_LOW = Q(kind=SurveyKind.CES, score__lte=3)
CES_HIGH = Q(kind=SurveyKind.CES, score__gte=5)
DETRACTOR = CSAT_BAD | NPS_DETRACTOR | CES_LOW


@dataclass(frozen=True)
class Scores:
    csat_total: int = 0
    csat_good: int = 0
    nps_total: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    ces_total: int = 0
    ces_mean: float | None = None
    sent: int = 0  # invitations sent in the period
    answered: int = 0  # of those, answered

    @property
    def csat_rate(self) -> float | None:
        return self.csat_good / self.csat_total if self.csat_total else None

    @property
    def csat_bad(self) -> int:
        return self.csat_total - self.csat_good

    @property
    def nps(self) -> float | None:
        if not self.nps_total:
            return None
        return 100 * (self.nps_promoters - self.nps_detractors) / self.nps_total

    @property
    def nps_passives(self) -> int:
        return self.nps_total - self.nps_promoters - self.nps_detractors

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    @property
    def responses(self) -> int:
        return self.csat_total + self.nps_total + self.ces_total


_M = TypeVar("_M", SurveyResponse, SurveyInvitation)


def _apply(qs: QuerySet[_M], filters: Filters) -> QuerySet[_M]:
    """The filters other than the period (responses and invitations have the same columns)."""
    if filters.team_ids:
        qs = qs.filter(team_id__in=filters.team_ids)
    if filters.agent_ids:
        qs = qs.filter(assignee_id__in=filters.agent_ids)
    if filters.channels:
        qs = qs.filter(channel__in=filters.channels)
    if filters.organization_ids:
        qs = qs.filter(organization_id__in=filters.organization_ids)
    if filters.priorities:
        qs = qs.filter(ticket__priority__in=filters.priorities)
    if filters.types:
        qs = qs.filter(ticket__type__in=filters.types)
    for tag in filters.tags:
        qs = qs.filter(ticket__tags__name=tag)
    for key, value in filters.custom:
        qs = qs.filter(**{f"ticket__custom_fields__{key}": value})
    return qs


def responses(filters: Filters) -> QuerySet[SurveyResponse]:
    """The responses the filters select (answered in the period)."""
    qs = SurveyResponse.objects.filter(answered_at__gte=filters.start, answered_at__lt=filters.end)
    return _apply(qs, filters)


def invitations(filters: Filters) -> QuerySet[SurveyInvitation]:
    """Invitations sent in the period, with the same dimension filters."""
    qs = SurveyInvitation.objects.filter(
        sent_at__gte=filters.start, sent_at__lt=filters.end, sent_at__isnull=False
    )
    return _apply(qs, filters)


_AGGREGATES = {
    "csat_total": Count("pk", filter=Q(kind=SurveyKind.CSAT)),
    "csat_good": Count("pk", filter=CSAT_GOOD),
    "nps_total": Count("pk", filter=Q(kind=SurveyKind.NPS)),
    "nps_promoters": Count("pk", filter=NPS_PROMOTER),
    "nps_detractors": Count("pk", filter=NPS_DETRACTOR),
    "ces_total": Count("pk", filter=Q(kind=SurveyKind.CES)),
    "ces_mean": Avg("score", filter=Q(kind=SurveyKind.CES)),
}


def _scores(row: Mapping[str, Any], sent: int = 0, answered: int = 0) -> Scores:
    def count(name: str) -> int:
        value = row.get(name)
        return int(value) if isinstance(value, int) else 0

    mean = row.get("ces_mean")
    return Scores(
        csat_total=count("csat_total"),
        csat_good=count("csat_good"),
        nps_total=count("nps_total"),
        nps_promoters=count("nps_promoters"),
        nps_detractors=count("nps_detractors"),
        ces_total=count("ces_total"),
        ces_mean=float(mean) if isinstance(mean, int | float) else None,
        sent=sent,
        answered=answered,
    )


def scores(filters: Filters) -> Scores:
    """The period's scores and response rate (two queries)."""
    row = responses(filters).aggregate(**_AGGREGATES)
    sent = invitations(filters).aggregate(
        sent=Count("pk"), answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED))
    )
    return _scores(row, sent["sent"] or 0, sent["answered"] or 0)


def scores_by(filters: Filters, by: Dimension) -> dict[object, Scores]:
    """Scores per team / agent / channel / organization / brand (key None: none)."""
    column = DIMENSION_COLUMNS[by]
    found: dict[object, Scores] = {}
    sent_rows = {
        row[column]: row
        for row in invitations(filters)
        .values(column)
        .annotate(
            sent=Count("pk"), answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED))
        )
        .order_by()
    }
    for row in responses(filters).values(column).annotate(**_AGGREGATES).order_by():
        sent = sent_rows.get(row[column], {})
        found[row[column]] = _scores(row, int(sent.get("sent", 0)), int(sent.get("answered", 0)))
    for key, sent in sent_rows.items():
        if key not in found:
            found[key] = Scores(sent=int(sent["sent"]), answered=int(sent["answered"]))
    return found


def scores_by_tag(filters: Filters, limit: int = 20) -> list[tuple[str, Scores]]:
    """Scores per ticket tag (a response counts under each tag of its ticket)."""
    rows = (
        responses(filters)
        .filter(ticket__isnull=False)
        .values("ticket__tags__name")
        .annotate(**_AGGREGATES)
        .order_by()
    )
    out = [
        (str(row["ticket__tags__name"]), _scores(row)) for row in rows if row["ticket__tags__name"]
    ]
    out.sort(key=lambda item: (-item[1].responses, item[0]))
    return out[:limit]


def series(filters: Filters, period: Period) -> list[tuple[date, Scores]]:
    """Scores per local day, week (Monday), month or quarter of the period (empty buckets
    included)."""
    zone = ZoneInfo(filters.zone)
    trunc = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}[
        period
    ]
    rows = (
        responses(filters)
        .annotate(bucket=trunc("answered_at", tzinfo=zone))
        .values("bucket")
        .annotate(**_AGGREGATES)
        .order_by("bucket")
    )
    by_bucket: dict[date, Scores] = {}
    for row in rows:
        bucket = row["bucket"]
        day = bucket.date() if isinstance(bucket, datetime) else bucket
        by_bucket[day] = _scores(row)
    return [(day, by_bucket.get(day, Scores())) for day in buckets(filters, period)]


def buckets(filters: Filters, period: Period) -> list[date]:
    """The first local day of every bucket that overlaps the period."""
    zone = ZoneInfo(filters.zone)
    first = filters.start.astimezone(zone).date()
    last = (filters.end - timedelta(microseconds=1)).astimezone(zone).date()
    if period == "week":
        first -= timedelta(days=first.weekday())
    elif period == "month":
        first = first.replace(day=1)
    elif period == "quarter":
        first = first.replace(month=(first.month - 1) // 3 * 3 + 1, day=1)
    out = []
    day = first
    while day <= last:
        out.append(day)
        if period == "day":
            day += timedelta(days=1)
        elif period == "week":
            day += timedelta(days=7)
        else:
            for _step in range(3 if period == "quarter" else 1):
                day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def detractor_comments(filters: Filters, limit: int = 2000) -> list[SurveyResponse]:
    """The newest detractor answers with a comment in the period (for topics)."""
    return list(
        responses(filters)
        .filter(DETRACTOR)
        .exclude(comment="")
        .select_related("ticket")
        .order_by("-answered_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class TopicRow:
    phrase: str
    count: int
    share: float  # of the comments analysed
    examples: list[SurveyResponse]


def detractor_topics(filters: Filters, limit: int = 8) -> tuple[int, list[TopicRow]]:
    """What detractors talk about in the period: recurring phrases with example comments.
    Returns (comments analysed, topics)."""
    from doum.assist.text import topics

    found = detractor_comments(filters)
    texts: Sequence[str] = [r.comment for r in found]
    if not texts:
        return 0, []
    rows = [
        TopicRow(
            phrase=topic.phrase,
            count=topic.count,
            share=topic.count / len(texts),
            examples=[found[i] for i in topic.examples if 0 <= i < len(found)],
        )
        for topic in topics(list(texts), limit=limit, examples=3)
    ]
    return len(texts), rows


def sentiment_counts(filters: Filters) -> dict[str, int]:
    """Comments per sentiment in the period (answers without a comment are not counted)."""
    rows = (
        responses(filters)
        .exclude(sentiment="")
        .values("sentiment")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {str(row["sentiment"]): int(row["n"]) for row in rows}
