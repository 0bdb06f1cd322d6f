"""What happens to every response once it is written, whoever wrote it (a customer's click,
the portal, an import): its comment is analysed (language, sentiment, key phrases) and a bad
rating or an NPS detractor opens a follow-up for the team lead.

`process_response` runs inside the writer's transaction, so a response and its follow-up are
saved together or not at all. Writers call it after every create or update of a response.

Who is a detractor (docs/metrics.md, "Surveys"):
* CSAT good/bad: "bad"; CSAT 1–5: 1 or 2;
* NPS: 0–6;
* CES (1–7, 7 = very easy): 1–3.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from doum.accounts.models import Team, User
from doum.core import clock
from doum.core.text import single_line
from doum.surveys.models import (
    CsatScale,
    FollowUp,
    FollowUpStatus,
    SurveyKind,
    SurveyResponse,
)

# A follow-up is due this long after the response.
FOLLOW_UP_DUE = timedelta(days=2)
# Imported answers older than this open no follow-up: the moment to close that loop passed.
FOLLOW_UP_MAX_AGE = timedelta(days=14)


def is_detractor(kind: str, score: int, csat_scale: str = "") -> bool:
    if kind == SurveyKind.CSAT:
        return score == 0 if csat_scale != CsatScale.FIVE else score <= 2
    if kind == SurveyKind.NPS:
        return score <= 6
    if kind == SurveyKind.CES:
        return score <= 3
    return False


def is_promoter(kind: str, score: int, csat_scale: str = "") -> bool:
    """Positive answers: CSAT good (or 4–5), NPS 9–10, CES 5–7."""
    if kind == SurveyKind.CSAT:
        return score == 1 if csat_scale != CsatScale.FIVE else score >= 4
    if kind == SurveyKind.NPS:
        return score >= 9
    if kind == SurveyKind.CES:
        return score >= 5
    return False


def analyse_comment(response: SurveyResponse) -> None:
    """Fill the comment's language, sentiment and key phrases (cleared when no comment)."""
    from doum.assist.text import analyse

    text = response.comment.strip()
    if not text:
        response.language, response.sentiment, response.sentiment_score = "", "", None
        response.key_phrases = []
        return
    result = analyse(text)
    response.language = result.language
    response.sentiment = result.sentiment
    response.sentiment_score = round(result.score, 4)
    response.key_phrases = list(result.key_phrases)


def _owner(team: Team | None) -> User | None:
    lead = team.lead if team is not None else None
    return lead if lead is not None and lead.is_active else None


def process_response(response: SurveyResponse, *, follow_up: bool = True) -> FollowUp | None:
    """Analyse the response's comment and open its follow-up when it is a detractor.

    Call inside the transaction that wrote `response`; saves the analysis fields. Returns the
    follow-up opened by this call (None when none was opened: not a detractor, one exists
    already, `follow_up` is False, or an imported answer is older than FOLLOW_UP_MAX_AGE).
    """
    analyse_comment(response)
    SurveyResponse.objects.filter(pk=response.pk).update(
        language=response.language,
        sentiment=response.sentiment,
        sentiment_score=response.sentiment_score,
        key_phrases=response.key_phrases,
    )
    if not follow_up or not is_detractor(response.kind, response.score, response.csat_scale):
        return None
    now = clock.now()
    if response.answered_at < now - FOLLOW_UP_MAX_AGE:
        return None
    if FollowUp.objects.filter(response_id=response.pk).exists():
        return None
    team = (
        Team.objects.select_related("lead").filter(pk=response.team_id).first()
        if response.team_id is not None
        else None
    )
    owner = _owner(team)
    item = FollowUp.objects.create(
        response=response,
        ticket_id=response.ticket_id,
        team=team,
        owner=owner,
        status=FollowUpStatus.OPEN,
        due_at=now + FOLLOW_UP_DUE,
        created_at=now,
    )
    if owner is not None:
        follow_up_id = item.pk
        transaction.on_commit(lambda: _notify_owner(follow_up_id))
    return item


def _notify_owner(follow_up_id: int) -> None:
    """An in-app notification to the follow-up's owner, in their language."""
    from doum.alerts.models import Notification
    from doum.alerts.selectors import refresh_unread
    from doum.mail.templates_store import language_for

    item = (
        FollowUp.objects.select_related("owner", "response", "ticket")
        .filter(pk=follow_up_id)
        .first()
    )
    if item is None or item.owner is None:
        return
    with translation.override(language_for(item.owner)):
        kind = SurveyKind(item.response.kind).label
        if item.ticket_id:
            title = _("%(kind)s detractor on #%(ticket)s: follow up with the customer") % {
                "kind": kind,
                "ticket": item.ticket_id,
            }
        else:
            title = _("%(kind)s detractor: follow up with the customer") % {"kind": kind}
        Notification.objects.create(
            user=item.owner,
            title=single_line(title)[:200],
            body=item.response.comment[:500],
            link=reverse("surveys:follow_up", args=[item.pk]),
            created_at=clock.now(),
        )
    refresh_unread([item.owner.pk])
