"""Read-only helpers that turn ticket rows into what pages show: history lines from
TicketEvent rows, field labels and values in the reader's language, and custom field labels.

Nothing here writes. Names behind ids (people, teams, organizations) are loaded with one
query per kind for a whole list of events, so a long history costs the same few queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from doum.accounts.models import Organization, Team, User
from doum.tickets.custom_fields import active_definitions
from doum.tickets.models import (
    Channel,
    CustomField,
    EventKind,
    Priority,
    Status,
    TicketEvent,
    TicketType,
    Via,
)

FIELD_LABELS: dict[str, str | Promise] = {
    "subject": gettext_lazy("Subject"),
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Type"),
    "channel": gettext_lazy("Channel"),
    "assignee": gettext_lazy("Assignee"),
    "team": gettext_lazy("Team"),
    "requester": gettext_lazy("Requester"),
    "organization": gettext_lazy("Organization"),
    "due_at": gettext_lazy("Due date"),
    "problem": gettext_lazy("Problem"),
    "tags": gettext_lazy("Tags"),
    "followers": gettext_lazy("Followers"),
    "incidents": gettext_lazy("Incidents"),
}
_CHOICES: dict[str, type[Status | Priority | TicketType | Channel]] = {
    "status": Status,
    "priority": Priority,
    "type": TicketType,
    "channel": Channel,
}
_USER_FIELDS = {"assignee", "requester", "submitter", "followers"}


def custom_field_label(definition: CustomField) -> str:
    """The definition's label in the reader's language (Korean when it has one)."""
    language = (get_language() or "").lower()
    if language.startswith("ko") and definition.label_ko:
        return definition.label_ko
    return definition.label


def option_label(definition: CustomField, value: str) -> str:
    language = (get_language() or "").lower()
    for option in definition.options:
        if isinstance(option, dict) and str(option.get("value")) == value:
            if language.startswith("ko") and option.get("label_ko"):
                return str(option["label_ko"])
            return str(option.get("label") or value)
    return value


def via_label(via: str) -> str:
    try:
        return str(Via(via).label)
    except ValueError:
        return via


def format_instant(value: datetime) -> str:
    """An instant in the reader's time zone, as Django's date filter would show it."""
    return str(formats.date_format(timezone.localtime(value), "DATETIME_FORMAT"))


@dataclass(frozen=True)
class HistoryLine:
    """One readable change: "<actor> <text>", and for field changes "<old> → <new>"."""

    event_id: int
    at: datetime
    actor: str
    actor_id: int | None
    via: str
    kind: str
    text: str
    old: str | None = None
    new: str | None = None
    is_public: bool | None = None
    comment_id: int | None = None


@dataclass
class _Names:
    users: dict[int, str]
    teams: dict[int, str]
    organizations: dict[int, str]
    definitions: dict[str, CustomField]


def _ids(events: Sequence[TicketEvent], fields: set[str]) -> set[int]:
    found: set[int] = set()
    for e in events:
        if e.field not in fields:
            continue
        for raw in (e.old_value, e.new_value):
            if raw and raw.isdigit():
                found.add(int(raw))
    return found


def _load_names(events: Sequence[TicketEvent]) -> _Names:
    user_ids = _ids(events, _USER_FIELDS)
    team_ids = _ids(events, {"team"})
    org_ids = _ids(events, {"organization"})
    needs_definitions = any(e.field.startswith("custom_fields.") for e in events)
    return _Names(
        users=dict(User.objects.filter(pk__in=user_ids).values_list("id", "name"))
        if user_ids
        else {},
        teams=dict(Team.objects.filter(pk__in=team_ids).values_list("id", "name"))
        if team_ids
        else {},
        organizations=dict(Organization.objects.filter(pk__in=org_ids).values_list("id", "name"))
        if org_ids
        else {},
        definitions=active_definitions() if needs_definitions else {},
    )


def _field_label(field: str, names: _Names) -> str:
    if field.startswith("custom_fields."):
        key = field.removeprefix("custom_fields.")
        definition = names.definitions.get(key)
        return custom_field_label(definition) if definition else key
    label = FIELD_LABELS.get(field)
    return str(label) if label is not None else field


def _value(field: str, raw: str | None, names: _Names) -> str:
    if raw is None or raw == "":
        return _("(empty)")
    if field in _CHOICES:
        try:
            return str(_CHOICES[field](raw).label)
        except ValueError:
            return raw
    if field in _USER_FIELDS and raw.isdigit():
        return names.users.get(int(raw), _("(removed user)"))
    if field == "team" and raw.isdigit():
        return names.teams.get(int(raw), _("(removed team)"))
    if field == "organization" and raw.isdigit():
        return names.organizations.get(int(raw), _("(removed organization)"))
    if field in ("problem", "incidents") and raw.isdigit():
        return f"#{raw}"
    if field == "due_at":
        try:
            return format_instant(datetime.fromisoformat(raw))
        except ValueError:
            return raw
    if field.startswith("custom_fields."):
        definition = names.definitions.get(field.removeprefix("custom_fields."))
        return _custom_value(definition, raw)
    return raw


def _custom_value(definition: CustomField | None, raw: str) -> str:
    if definition is None:
        return raw
    kind = definition.field_type
    if kind == CustomField.FieldType.CHECKBOX:
        return _("Yes") if raw == "true" else _("No")
    if kind == CustomField.FieldType.DROPDOWN:
        return option_label(definition, raw)
    if kind == CustomField.FieldType.MULTISELECT:
        try:
            values = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(values, list):
            return ", ".join(option_label(definition, str(v)) for v in values)
    return raw


def _line(e: TicketEvent, names: _Names) -> HistoryLine:
    actor = e.actor.name if e.actor is not None else _("System")

    def make(text: str, old: str | None = None, new: str | None = None) -> HistoryLine:
        return HistoryLine(
            event_id=e.pk,
            at=e.at,
            actor=actor,
            actor_id=e.actor_id,
            via=via_label(e.via),
            kind=e.kind,
            text=text,
            old=old,
            new=new,
            is_public=e.is_public,
            comment_id=e.comment_id,
        )

    kind = e.kind
    number = e.new_value or e.old_value or ""
    if kind == EventKind.FIELD_CHANGED:
        label = _field_label(e.field, names)
        return make(
            _("changed %(field)s") % {"field": label},
            _value(e.field, e.old_value, names),
            _value(e.field, e.new_value, names),
        )
    texts: dict[str, str] = {
        EventKind.CREATED: _("created the ticket"),
        EventKind.COMMENT_ADDED: _("replied publicly")
        if e.is_public
        else _("added an internal note"),
        EventKind.TAG_ADDED: _("added the tag %(tag)s") % {"tag": e.new_value or ""},
        EventKind.TAG_REMOVED: _("removed the tag %(tag)s") % {"tag": e.old_value or ""},
        EventKind.FOLLOWER_ADDED: _("added %(user)s as a follower")
        % {"user": _value("followers", e.new_value, names)},
        EventKind.FOLLOWER_REMOVED: _("removed %(user)s from the followers")
        % {"user": _value("followers", e.old_value, names)},
        EventKind.ATTACHMENT_ADDED: _("attached %(name)s") % {"name": e.new_value or ""},
        EventKind.MERGED_INTO: _("merged this ticket into #%(number)s") % {"number": number},
        EventKind.MERGED_FROM: _("merged ticket #%(number)s into this one") % {"number": number},
        EventKind.LINKED: _("linked incident #%(number)s") % {"number": number},
        EventKind.UNLINKED: _("unlinked incident #%(number)s") % {"number": number},
        EventKind.SPAM: _("marked the ticket as spam"),
        EventKind.DELETED: _("deleted the ticket"),
        EventKind.RESTORED: _("restored the ticket"),
    }
    return make(texts.get(kind, kind))


def history_lines(events: Iterable[TicketEvent]) -> list[HistoryLine]:
    """Readable lines for events (load them with their actor: ``select_related("actor")``)."""
    rows = list(events)
    names = _load_names(rows)
    return [_line(e, names) for e in rows]


def summary(lines: Sequence[HistoryLine], limit: int = 8) -> list[str]:
    """Short sentences for a warning: "Ari Agent replied publicly", "… changed Status: A → B"."""
    out: list[str] = []
    for line in lines:
        if line.kind == EventKind.ATTACHMENT_ADDED:
            continue  # the reply that carried the file is already listed
        sentence = f"{line.actor} {line.text}"
        if line.old is not None or line.new is not None:
            sentence += f": {line.old} → {line.new}"
        if sentence not in out:
            out.append(sentence)
    if len(out) > limit:
        more = len(out) - limit
        out = [*out[:limit], _("and %(count)s more changes") % {"count": more}]
    return out
