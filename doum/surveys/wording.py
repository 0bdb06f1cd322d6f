"""What a survey says: the built-in wording per kind (CSAT, CES, NPS) in English and Korean,
each brand's overrides (`SurveySettings.wording`), and the labels of the rating scales.

Wording fields (`WORDING_FIELDS`): `subject` (the mail's subject), `intro` (the mail's first
paragraph), `question` (in the mail and on the survey page), `thanks` (shown after answering).
A brand overrides any of them per kind and language in `SurveySettings.wording`
(`{"csat": {"ko": {"question": "..."}}}`); what it leaves out or blank falls back to the
built-in text. Placeholders (`PLACEHOLDERS`) are filled by plain replacement, never by a
template engine: `{{ brand.name }}`, `{{ ticket.number }}`, `{{ ticket.subject }}`,
`{{ requester.name }}`, `{{ requester.first_name }}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils import translation
from django.utils.translation import gettext as _

from doum.core.text import normalize, single_line
from doum.surveys.models import (
    CES_RANGE,
    CSAT_FIVE,
    CSAT_GOOD_BAD,
    NPS_RANGE,
    CsatScale,
    SurveyKind,
    SurveySettings,
)

LANGUAGES = ("en", "ko")
WORDING_FIELDS = ("subject", "intro", "question", "thanks")
PLACEHOLDERS = (
    "brand.name",
    "ticket.number",
    "ticket.subject",
    "requester.name",
    "requester.first_name",
)
FIELD_MAX = 2_000

_BUILT_IN: dict[str, dict[str, dict[str, str]]] = {
    SurveyKind.CSAT: {
        "en": {
            "subject": "How did we do? {{ ticket.subject }}",
            "intro": (
                "Hello {{ requester.first_name }},\n\n"
                "Your request #{{ ticket.number }} “{{ ticket.subject }}” was solved. "
                "We would like to know how we did: it takes one click."
            ),
            "question": "How would you rate the support you received?",
            "thanks": "Thank you for your feedback! It helps us serve you better.",
        },
        "ko": {
            "subject": "상담은 만족스러우셨나요? {{ ticket.subject }}",
            "intro": (
                "{{ requester.name }}님, 안녕하세요.\n\n"
                "문의하신 #{{ ticket.number }} “{{ ticket.subject }}” 건이 해결되었습니다. "
                "상담이 어떠셨는지 한 번의 클릭으로 알려 주세요."
            ),
            "question": "받으신 상담에 얼마나 만족하셨나요?",
            "thanks": "소중한 의견 감사합니다. 더 나은 서비스로 보답하겠습니다.",
        },
    },
    SurveyKind.CES: {
        "en": {
            "subject": "Was it easy? {{ ticket.subject }}",
            "intro": (
                "Hello {{ requester.first_name }},\n\n"
                "Your request #{{ ticket.number }} “{{ ticket.subject }}” was solved. "
                "One question about how easy it was."
            ),
            "question": "How easy was it to get your issue solved?",
            "thanks": "Thank you for your feedback!",
        },
        "ko": {
            "subject": "문제 해결이 쉬우셨나요? {{ ticket.subject }}",
            "intro": (
                "{{ requester.name }}님, 안녕하세요.\n\n"
                "문의하신 #{{ ticket.number }} “{{ ticket.subject }}” 건이 해결되었습니다. "
                "해결 과정이 얼마나 쉬웠는지 한 가지만 여쭙겠습니다."
            ),
            "question": "문제를 해결하기가 얼마나 쉬웠나요?",
            "thanks": "소중한 의견 감사합니다.",
        },
    },
    SurveyKind.NPS: {
        "en": {
            "subject": "Would you recommend {{ brand.name }}?",
            "intro": (
                "Hello {{ requester.first_name }},\n\n"
                "You have been in touch with {{ brand.name }} recently. One short question."
            ),
            "question": (
                "How likely are you to recommend {{ brand.name }} to a friend or colleague?"
            ),
            "thanks": "Thank you for your feedback!",
        },
        "ko": {
            "subject": "{{ brand.name }}을(를) 추천하시겠어요?",
            "intro": (
                "{{ requester.name }}님, 안녕하세요.\n\n"
                "최근 {{ brand.name }}에 문의해 주셔서 감사합니다. 짧은 질문 하나만 드리겠습니다."
            ),
            "question": "{{ brand.name }}을(를) 친구나 동료에게 추천할 가능성은 얼마나 되나요?",
            "thanks": "소중한 의견 감사합니다.",
        },
    },
}

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")


def _language(language: str) -> str:
    code = (language or "").lower().split("-")[0]
    return code if code in LANGUAGES else "en"


def default_wording(kind: str, language: str) -> dict[str, str]:
    """The built-in wording of `kind` in `language` (English for a language Doum lacks)."""
    if kind not in _BUILT_IN:
        raise ValueError(f"unknown survey kind {kind!r}")
    return dict(_BUILT_IN[kind][_language(language)])


def wording_for(settings: SurveySettings, kind: str, language: str) -> dict[str, str]:
    """The brand's wording of `kind` in `language`: its overrides, else the built-in text."""
    found = default_wording(kind, language)
    overrides = settings.wording if isinstance(settings.wording, dict) else {}
    per_kind = overrides.get(kind)
    per_language = per_kind.get(_language(language)) if isinstance(per_kind, dict) else None
    if isinstance(per_language, dict):
        for name in WORDING_FIELDS:
            value = per_language.get(name)
            if isinstance(value, str) and value.strip():
                found[name] = normalize(value).strip()[:FIELD_MAX]
    return found


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace the known placeholders; unknown ones are left as written."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return _PLACEHOLDER.sub(one, text)


def filled(wording: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """Every field filled; the subject on one line."""
    out = {name: fill(text, values) for name, text in wording.items()}
    if "subject" in out:
        out["subject"] = single_line(out["subject"])
    return out


# --- scales ---------------------------------------------------------------------------------


def score_range(kind: str, csat_scale: str = "") -> tuple[int, int]:
    """The inclusive range of scores of a kind (CSAT: per scale)."""
    if kind == SurveyKind.CSAT:
        return CSAT_FIVE if csat_scale == CsatScale.FIVE else CSAT_GOOD_BAD
    if kind == SurveyKind.CES:
        return CES_RANGE
    if kind == SurveyKind.NPS:
        return NPS_RANGE
    raise ValueError(f"unknown survey kind {kind!r}")


def score_label(kind: str, csat_scale: str, score: int) -> str:
    """How a score reads (in the active language): "Good", "4", "7 – very easy"."""
    if kind == SurveyKind.CSAT and csat_scale != CsatScale.FIVE:
        return _("Good, I am satisfied") if score == 1 else _("Bad, I am not satisfied")
    low, high = score_range(kind, csat_scale)
    ends = scale_ends(kind)
    if score == low and ends[0]:
        return _("%(score)s – %(meaning)s") % {"score": score, "meaning": ends[0]}
    if score == high and ends[1]:
        return _("%(score)s – %(meaning)s") % {"score": score, "meaning": ends[1]}
    return str(score)


def scale_ends(kind: str) -> tuple[str, str]:
    """What the lowest and highest scores mean (in the active language)."""
    if kind == SurveyKind.CES:
        return _("very difficult"), _("very easy")
    if kind == SurveyKind.NPS:
        return _("not at all likely"), _("extremely likely")
    return _("very unsatisfied"), _("very satisfied")


def choices(kind: str, csat_scale: str, language: str) -> list[tuple[int, str]]:
    """Every score of the scale with its label, in `language`; best first for CSAT good/bad."""
    low, high = score_range(kind, csat_scale)
    with translation.override(_language(language)):
        scores = [1, 0] if kind == SurveyKind.CSAT and csat_scale != CsatScale.FIVE else None
        return [
            (s, score_label(kind, csat_scale, s)) for s in (scores or list(range(low, high + 1)))
        ]
