"""The staff's writers in surveys: closing a follow-up, and a brand's survey settings.

(The customer's writers — recording a rating, opting out — are in actions.py.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts.actions.common import audit
from doum.accounts.models import User
from doum.core import clock
from doum.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from doum.core.text import normalize, single_line
from doum.surveys.models import CsatScale, FollowUp, FollowUpStatus, SurveySettings
from doum.surveys.selectors import (
    CLOSES_FOLLOW_UPS,
    EDITS_SURVEY_SETTINGS,
    access_follow_up,
    settings_for,
)

NOTE_MAX = 5_000


@transaction.atomic
def do_complete_follow_up(follow_up_id: int, *, actor: User, note: str) -> FollowUp:
    """Mark a follow-up done with what was done to close the loop (a note is required)."""
    item = access_follow_up(actor, follow_up_id)
    if actor.role not in CLOSES_FOLLOW_UPS:
        raise Forbidden(_("You may not close follow-ups."))
    item = FollowUp.objects.select_for_update().get(pk=item.pk)
    if item.status == FollowUpStatus.DONE:
        raise Conflict(_("This follow-up is already done."))
    text = normalize(note or "").strip()
    if not text:
        raise InvalidInput(_("Write what you did to close the loop."), field="note")
    if len(text) > NOTE_MAX:
        raise InvalidInput(
            _("The note is too long (at most %(max)s characters).") % {"max": NOTE_MAX},
            field="note",
        )
    now = clock.now()
    item.status = FollowUpStatus.DONE
    item.note = text
    item.done_at = now
    item.done_by = actor
    if item.owner_id is None:
        item.owner = actor
    item.save(update_fields=["status", "note", "done_at", "done_by", "owner"])
    audit(actor, "survey.follow_up_done", item)
    return item


# --- settings ------------------------------------------------------------------------------

INT_FIELDS: dict[str, tuple[int, int]] = {
    "csat_delay_minutes": (0, 60 * 24 * 14),
    "nps_interval_days": (7, 366),
    "nps_sample_percent": (1, 100),
    "quiet_days": (0, 365),
    "link_valid_days": (1, 90),
    "change_window_days": (0, 90),
    "reminder_after_hours": (0, 24 * 30),
}
BOOL_FIELDS = ("csat_enabled", "ces_enabled", "nps_enabled")
REASON_KEY = re.compile(r"[a-z0-9_]{1,64}")
MAX_REASONS = 20
REASON_MAX = 120
WORDING_MAX = 2_000


def parse_reasons(text: str) -> list[dict[str, str]]:
    """Reasons from lines of "key | English | 한국어" (the Korean part optional)."""
    reasons: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, raw in enumerate(normalize(text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or len(parts) > 3:
            raise InvalidInput(
                _("Line %(line)s: write a reason as key | English | Korean.") % {"line": number},
                field="reasons",
            )
        key = parts[0].lower()
        if not REASON_KEY.fullmatch(key):
            raise InvalidInput(
                _("Line %(line)s: a key is lower-case letters, digits and _.") % {"line": number},
                field="reasons",
            )
        if key in seen:
            raise InvalidInput(
                _("Line %(line)s: the key %(key)s is used twice.") % {"line": number, "key": key},
                field="reasons",
            )
        english = single_line(parts[1])
        korean = single_line(parts[2]) if len(parts) == 3 else ""
        if not english or len(english) > REASON_MAX or len(korean) > REASON_MAX:
            raise InvalidInput(
                _("Line %(line)s: each text is 1 to %(max)s characters.")
                % {"line": number, "max": REASON_MAX},
                field="reasons",
            )
        seen.add(key)
        reasons.append({"key": key, "en": english, "ko": korean or english})
    if len(reasons) > MAX_REASONS:
        raise InvalidInput(_("At most %(max)s reasons.") % {"max": MAX_REASONS}, field="reasons")
    return reasons


def _int(values: Mapping[str, Any], name: str, low: int, high: int) -> int:
    raw = str(values.get(name, "")).strip()
    try:
        number = int(raw)
    except ValueError:
        raise InvalidInput(_("Enter a whole number."), field=name) from None
    if not low <= number <= high:
        raise InvalidInput(
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=name,
        )
    return number


def _wording(values: Mapping[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """Per-brand wording overrides: fields named wording.<kind>.<language>.<field>; an empty
    or unchanged-from-default text means "use the built-in wording"."""
    from doum.surveys import wording

    out: dict[str, dict[str, dict[str, str]]] = {}
    for kind in ("csat", "nps", "ces"):
        for language in ("en", "ko"):
            defaults = wording.default_wording(kind, language)
            for name in wording.WORDING_FIELDS:
                raw = normalize(str(values.get(f"wording.{kind}.{language}.{name}", ""))).strip()
                if not raw or raw == defaults.get(name, "").strip():
                    continue
                if len(raw) > WORDING_MAX:
                    raise InvalidInput(
                        _("At most %(max)s characters.") % {"max": WORDING_MAX},
                        field=f"wording.{kind}.{language}.{name}",
                    )
                if name == "subject":
                    raw = single_line(raw)
                out.setdefault(kind, {}).setdefault(language, {})[name] = raw
    return out


@transaction.atomic
def do_update_survey_settings(
    brand_id: int, *, actor: User, values: Mapping[str, Any]
) -> SurveySettings:
    """Save a brand's survey settings from form values (every field validated first)."""
    if actor.role not in EDITS_SURVEY_SETTINGS:
        raise Forbidden(_("Only managers and admins may change survey settings."))
    try:
        current = settings_for(brand_id)
    except SurveySettings.DoesNotExist:
        raise NotFound(_("No such brand.")) from None
    item = SurveySettings.objects.select_for_update().get(pk=current.pk)
    changes: dict[str, Any] = {}
    for name in BOOL_FIELDS:
        changes[name] = str(values.get(name, "")).lower() in ("1", "on", "true", "yes")
    scale = str(values.get("csat_scale", item.csat_scale))
    if scale not in CsatScale.values:
        raise InvalidInput(_("Choose a CSAT scale."), field="csat_scale")
    changes["csat_scale"] = scale
    for name, (low, high) in INT_FIELDS.items():
        changes[name] = _int(values, name, low, high)
    if "reasons" in values:
        changes["reasons"] = parse_reasons(str(values["reasons"]))
    changes["wording"] = _wording(values)
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = clock.now()
    item.save()
    audit(actor, "survey.settings_changed", item, brand=brand_id)
    return item


def reasons_text(settings: SurveySettings) -> str:
    return "\n".join(
        f"{r.get('key', '')} | {r.get('en', '')} | {r.get('ko', '')}"
        for r in settings.reasons
        if isinstance(r, dict)
    )
