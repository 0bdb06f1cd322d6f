"""Writers of doum.surveys for the customer's side: a rating given (or changed) through a
survey link or the portal, and an opt-out.

Both run in one transaction. `do_record_response` locks the invitation row first, so two
submissions racing for the same invitation (a double click, the page script and the button)
make one response: the later one updates what the earlier one wrote.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from doum.core import clock
from doum.core.errors import DoumError, InvalidInput, NotFound
from doum.core.text import normalize
from doum.surveys import wording
from doum.surveys.feedback import is_detractor, process_response
from doum.surveys.models import (
    InvitationStatus,
    ResponseSource,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
)
from doum.surveys.selectors import settings_for

COMMENT_MAX = 5_000
ANSWER_SOURCES = (ResponseSource.MAIL, ResponseSource.PORTAL)
OPT_OUT_VIA = ("link", "portal", "agent")


class SurveyClosed(DoumError):
    """The invitation may no longer be answered (expired, cancelled)."""

    status_code = 410
    code = "survey_closed"


class ChangeWindowClosed(DoumError):
    """The rating was given longer ago than the brand's change window."""

    status_code = 409
    code = "rating_final"


def clean_score(invitation: SurveyInvitation, score: object) -> int:
    """The score as an int within the invitation's scale, or InvalidInput."""
    low, high = wording.score_range(invitation.kind, invitation.csat_scale)
    text = (
        str(score).strip() if isinstance(score, int | str) and not isinstance(score, bool) else ""
    )
    if not (text.isascii() and (text.isdigit() or (text[:1] == "-" and text[1:].isdigit()))):
        raise InvalidInput(_("Choose one of the ratings."), field="score")
    if len(text) > 3 or not low <= int(text) <= high:
        raise InvalidInput(
            _("The rating must be between %(low)s and %(high)s.") % {"low": low, "high": high},
            field="score",
        )
    return int(text)


def clean_comment(comment: str) -> str:
    """Plain text: NFC, no control characters, trimmed; at most COMMENT_MAX characters. HTML
    is kept as the text it is and escaped wherever it is shown."""
    if not isinstance(comment, str):
        raise InvalidInput(_("The comment must be text."), field="comment")
    text = normalize(comment).replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > COMMENT_MAX:
        raise InvalidInput(
            _("The comment is too long: at most %(max)s characters.") % {"max": COMMENT_MAX},
            field="comment",
        )
    return text


def clean_reason(brand_id: int, reason: str) -> str:
    if not isinstance(reason, str):
        raise InvalidInput(_("Choose one of the reasons."), field="reason")
    key = reason.strip()
    if not key:
        return ""
    keys = {
        str(item.get("key"))
        for item in settings_for(brand_id).reasons
        if isinstance(item, dict) and item.get("key")
    }
    if key not in keys:
        raise InvalidInput(_("Choose one of the reasons."), field="reason")
    return key


@transaction.atomic
def do_record_response(
    invitation_id: int,
    *,
    score: int | str,
    comment: str | None = None,
    reason: str | None = None,
    source: str,
) -> SurveyResponse:
    """Record (or change) the customer's answer to an invitation.

    `comment`/`reason` None keep what an earlier answer gave; "" clears them. A reason is only
    kept with a bad score (a detractor): a good score clears it. Changing an answer is
    allowed for the brand's `change_window_days` after the first one (ChangeWindowClosed
    after that); an expired or cancelled invitation refuses (SurveyClosed). The response
    carries the invitation's snapshot (ticket, assignee, team, organization, channel, scale);
    the invitation becomes ANSWERED; `feedback.process_response` analyses the comment and
    opens a follow-up for a detractor.
    """
    if source not in ANSWER_SOURCES:
        raise InvalidInput(_("Unknown source of the answer."), field="source")
    invitation = SurveyInvitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("This survey does not exist."))
    now = clock.now()
    existing = SurveyResponse.objects.filter(invitation_id=invitation.pk).first()
    if existing is None:
        if invitation.status not in (InvitationStatus.SCHEDULED, InvitationStatus.SENT):
            raise SurveyClosed(_("This survey is no longer open."))
        if invitation.expires_at <= now:
            raise SurveyClosed(_("This survey link has expired. Thank you all the same."))
    else:
        window = settings_for(invitation.brand_id).change_window_days
        if now > existing.first_answered_at + timedelta(days=window):
            raise ChangeWindowClosed(
                _("Your rating was given more than %(days)s days ago and can no longer be changed.")
                % {"days": window}
            )
    value = clean_score(invitation, score)
    text = clean_comment(comment) if comment is not None else None
    key = clean_reason(invitation.brand_id, reason) if reason is not None else None
    detractor = is_detractor(invitation.kind, value, invitation.csat_scale)
    if existing is None:
        response = SurveyResponse(
            kind=invitation.kind,
            invitation=invitation,
            brand_id=invitation.brand_id,
            customer_id=invitation.customer_id,
            ticket_id=invitation.ticket_id,
            assignee_id=invitation.assignee_id,
            team_id=invitation.team_id,
            organization_id=invitation.organization_id,
            channel=invitation.channel,
            csat_scale=invitation.csat_scale,
            score=value,
            comment=text or "",
            reason=(key or "") if detractor else "",
            source=source,
            answered_at=now,
            first_answered_at=now,
            updated_at=now,
        )
        response.save()
    else:
        response = existing
        response.score = value
        if text is not None:
            response.comment = text
        if key is not None:
            response.reason = key
        if not detractor:
            response.reason = ""
        response.source = source
        response.answered_at = now
        response.updated_at = now
        response.save(
            update_fields=["score", "comment", "reason", "source", "answered_at", "updated_at"]
        )
    if invitation.status != InvitationStatus.ANSWERED:
        SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.ANSWERED)
    process_response(response)
    return response


@transaction.atomic
def do_opt_out(customer_id: int, *, via: str) -> SurveyOptOut:
    """The customer gets no more surveys: an opt-out row (kept if there is one) and every
    survey still waiting to be sent cancelled. Links already sent may still be answered."""
    if via not in OPT_OUT_VIA:
        raise InvalidInput(_("Unknown way of opting out."), field="via")
    from doum.accounts.models import User

    if not User.objects.filter(pk=customer_id).exists():
        raise NotFound(_("No such customer."))
    row, _created = SurveyOptOut.objects.get_or_create(
        customer_id=customer_id, defaults={"at": clock.now(), "via": via}
    )
    SurveyInvitation.objects.filter(
        customer_id=customer_id, status=InvitationStatus.SCHEDULED
    ).update(status=InvitationStatus.CANCELLED, cancel_reason="opted_out")
    return row
