"""Reads of doum.surveys: a brand's survey settings (with defaults), the follow-ups a viewer
may see."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from doum.accounts.models import Brand, Team, User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import NotFound
from doum.surveys.models import FollowUp, SurveySettings

# The reasons a customer may pick with a bad rating until a manager edits the list.
DEFAULT_REASONS: list[dict[str, str]] = [
    {"key": "slow", "en": "It took too long", "ko": "너무 오래 걸렸어요"},
    {"key": "unresolved", "en": "My problem was not solved", "ko": "문제가 해결되지 않았어요"},
    {"key": "unclear", "en": "The answer was unclear", "ko": "답변이 이해하기 어려웠어요"},
    {"key": "rude", "en": "The agent was not helpful", "ko": "상담원이 친절하지 않았어요"},
    {"key": "policy", "en": "I do not like the policy", "ko": "정책이 마음에 들지 않아요"},
    {"key": "other", "en": "Something else", "ko": "기타"},
]


def settings_for(brand_id: int) -> SurveySettings:
    """The brand's survey settings, created with the defaults on first use."""
    found = SurveySettings.objects.filter(brand_id=brand_id).first()
    if found is not None:
        return found
    if not Brand.objects.filter(pk=brand_id).exists():
        raise SurveySettings.DoesNotExist(f"no brand {brand_id}")
    now = clock.now()
    try:
        with transaction.atomic():
            return SurveySettings.objects.create(
                brand_id=brand_id,
                reasons=[dict(r) for r in DEFAULT_REASONS],
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:  # created by someone else meanwhile
        return SurveySettings.objects.get(brand_id=brand_id)


def reason_label(settings: SurveySettings, key: str, language: str) -> str:
    """The reason's text in `language` (English when that is missing; the key if unknown)."""
    for item in settings.reasons:
        if isinstance(item, dict) and item.get("key") == key:
            return str(item.get(language) or item.get("en") or key)
    return key


SEES_ALL_FOLLOW_UPS = frozenset({Role.MANAGER, Role.ADMIN, Role.DIRECTOR})
CLOSES_FOLLOW_UPS = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
EDITS_SURVEY_SETTINGS = frozenset({Role.MANAGER, Role.ADMIN})
SEES_FOLLOW_UPS = SEES_ALL_FOLLOW_UPS | {Role.TEAM_LEAD}


def visible_follow_ups(viewer: User) -> QuerySet[FollowUp]:
    """Follow-ups the viewer may see: managers, admins and directors all; a team lead those
    of the teams they lead or belong to (and those they own)."""
    qs = FollowUp.objects.all()
    if viewer.is_active and viewer.role in SEES_ALL_FOLLOW_UPS:
        return qs
    if viewer.is_active and viewer.role == Role.TEAM_LEAD:
        teams = set(Team.objects.filter(lead=viewer).values_list("pk", flat=True))
        teams |= set(Team.objects.filter(members=viewer).values_list("pk", flat=True))
        return qs.filter(Q(team_id__in=teams) | Q(owner=viewer))
    return qs.none()


def access_follow_up(viewer: User, follow_up_id: int) -> FollowUp:
    found = (
        visible_follow_ups(viewer)
        .select_related("response", "response__customer", "ticket", "team", "owner", "done_by")
        .filter(pk=follow_up_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such follow-up."))
    return found
