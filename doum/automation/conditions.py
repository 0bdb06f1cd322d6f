"""Conditions of triggers and automations: their JSON shape, validation and evaluation.

Shape: ``{"all": [...], "any": [...]}``; each item is ``{"field", "op", "value"}``. A rule
matches when every "all" condition holds and, if "any" is not empty, at least one "any"
condition holds. A plain list is read as "all".

=============================  ==================================================  ===========
field                          operators (value)                                   rules
=============================  ==================================================  ===========
status, type                   is, is_not (one or a list of values)                both
priority                       is, is_not; less_than, greater_than (one value)     both
channel                        is, is_not                                          both
via (where the change came     is, is_not (web, portal, email, api, phone, chat,   triggers
from)                          social, automation, system, import)
update_type                    is ("created" or "updated")                         triggers
brand_id, requester_id         is, is_not (ids)                                    both
team_id, assignee_id,          is, is_not (ids); is_empty, is_set (no value)       both
organization_id
requester_email                is, is_not (addresses); contains, ends_with (text)  both
tags                           includes (has any of), excludes (has none of)       both
subject                        contains, not_contains (text or a list: any of)     both
comment (added by the change)  contains, not_contains                              triggers
comment_visibility             is, is_not ("public", "private" or "none")          triggers
comment_author                 is, is_not ("agent" or "customer")                  triggers
within_business_hours          is (true/false): the ticket team's calendar, now    both
custom_fields.<key>            is, is_not, is_empty, is_set; contains (text)       both
hours_since_<x>,               greater_than, less_than (whole hours), where <x>    automations
business_hours_since_<x>       is created, updated, pending, solved or assigned
=============================  ==================================================  ===========

Change conditions (triggers only): on status, priority, type, team_id and assignee_id the
operators ``changed``, ``not_changed`` (no value), ``changed_to`` and ``changed_from`` (one
value; for team and assignee an id or null) are evaluated against the events of the change
being processed (its ticket version), plus those the trigger cycle itself wrote since. A new
ticket's initial values count as changes from nothing ("assignee changed" holds for a ticket
created assigned). "Changed from X to Y" is the two conditions ``changed_from X`` and
``changed_to Y``.

Text comparisons are case-insensitive on NFC-normalised text (Korean included).
"Business hours" use the calendar of the ticket's team (doum.sla.selectors.team_calendar;
24/7 for a team without one); "hours since pending/solved/assigned" count from the last time
the ticket was set to pending, solved or assigned.

Example: the default trigger "Send a satisfaction survey when a ticket is solved"
(doum/surveys/migrations/0002_default_survey_trigger.py) is ``status changed_to solved`` and
``via is_not [automation, system, import]``, with the effect ``{"type": "survey", "kinds":
["csat"]}`` (doum.automation.effects), so tickets solved by automations are not surveyed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.accounts import roles
from doum.accounts.models import Brand, Organization, Team, User
from doum.core.errors import InvalidInput
from doum.core.text import normalize, single_line
from doum.sla.calendar import BusinessCalendar
from doum.tickets.changes import clean_tags
from doum.tickets.custom_fields import active_definitions, clean_value
from doum.tickets.models import (
    PRIORITY_RANK,
    Channel,
    CustomField,
    Priority,
    Status,
    Ticket,
    TicketTag,
    TicketType,
    Via,
)

Condition = dict[str, Any]
Conditions = dict[str, list[Condition]]

TRIGGER = "trigger"
AUTOMATION = "automation"

MAX_CONDITIONS = 30  # per block
MAX_VALUES = 50
TEXT_MAX = 500
MAX_HOURS = 87_600  # ten years
CUSTOM_PREFIX = "custom_fields."
_RANK: dict[str, int] = {str(k): v for k, v in PRIORITY_RANK.items()}

VALUE_OPS = ("is", "is_not")
EMPTY_OPS = ("is_empty", "is_set")
CHANGE_OPS = ("changed", "not_changed", "changed_to", "changed_from")
TEXT_OPS = ("contains", "not_contains")
HOUR_OPS = ("greater_than", "less_than")
ANCHORS = ("created", "updated", "pending", "solved", "assigned")

OP_LABELS: dict[str, str | Promise] = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "is_empty": gettext_lazy("is empty"),
    "is_set": gettext_lazy("is set"),
    "less_than": gettext_lazy("is less than"),
    "greater_than": gettext_lazy("is greater than"),
    "changed": gettext_lazy("changed"),
    "not_changed": gettext_lazy("did not change"),
    "changed_to": gettext_lazy("changed to"),
    "changed_from": gettext_lazy("changed from"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "ends_with": gettext_lazy("ends with"),
    "includes": gettext_lazy("includes any of"),
    "excludes": gettext_lazy("includes none of"),
}


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # choice, id, email, tags, text, bool, hours, custom
    ops: tuple[str, ...]
    label: str | Promise
    only: str | None = None  # TRIGGER or AUTOMATION
    choices: tuple[str, ...] = ()
    column: str = ""


def _hour_fields() -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    labels: dict[str, tuple[str | Promise, str | Promise]] = {
        "created": (
            gettext_lazy("Hours since created"),
            gettext_lazy("Business hours since created"),
        ),
        "updated": (
            gettext_lazy("Hours since the last update"),
            gettext_lazy("Business hours since the last update"),
        ),
        "pending": (
            gettext_lazy("Hours since set to pending"),
            gettext_lazy("Business hours since set to pending"),
        ),
        "solved": (
            gettext_lazy("Hours since solved"),
            gettext_lazy("Business hours since solved"),
        ),
        "assigned": (
            gettext_lazy("Hours since assigned"),
            gettext_lazy("Business hours since assigned"),
        ),
    }
    for anchor in ANCHORS:
        calendar_label, business_label = labels[anchor]
        out[f"hours_since_{anchor}"] = FieldSpec("hours", HOUR_OPS, calendar_label, AUTOMATION)
        out[f"business_hours_since_{anchor}"] = FieldSpec(
            "hours", HOUR_OPS, business_label, AUTOMATION
        )
    return out


FIELDS: dict[str, FieldSpec] = {
    "status": FieldSpec(
        "choice", VALUE_OPS + CHANGE_OPS, gettext_lazy("Status"), choices=tuple(Status.values)
    ),
    "priority": FieldSpec(
        "choice",
        (*VALUE_OPS, "less_than", "greater_than", *CHANGE_OPS),
        gettext_lazy("Priority"),
        choices=tuple(Priority.values),
    ),
    "type": FieldSpec(
        "choice", VALUE_OPS + CHANGE_OPS, gettext_lazy("Type"), choices=tuple(TicketType.values)
    ),
    "channel": FieldSpec(
        "choice", VALUE_OPS, gettext_lazy("Channel"), choices=tuple(Channel.values)
    ),
    "via": FieldSpec(
        "choice",
        VALUE_OPS,
        gettext_lazy("Where the change came from"),
        TRIGGER,
        choices=tuple(v for v in Via.values if v != Via.TRIGGER),
    ),
    "update_type": FieldSpec(
        "choice", ("is",), gettext_lazy("Update type"), TRIGGER, choices=("created", "updated")
    ),
    "brand_id": FieldSpec("id", VALUE_OPS, gettext_lazy("Brand"), column="brand_id"),
    "requester_id": FieldSpec("id", VALUE_OPS, gettext_lazy("Requester"), column="requester_id"),
    "team_id": FieldSpec(
        "id", VALUE_OPS + EMPTY_OPS + CHANGE_OPS, gettext_lazy("Team"), column="team_id"
    ),
    "assignee_id": FieldSpec(
        "id", VALUE_OPS + EMPTY_OPS + CHANGE_OPS, gettext_lazy("Assignee"), column="assignee_id"
    ),
    "organization_id": FieldSpec(
        "id", VALUE_OPS + EMPTY_OPS, gettext_lazy("Organization"), column="organization_id"
    ),
    "requester_email": FieldSpec(
        "email", (*VALUE_OPS, "contains", "ends_with"), gettext_lazy("Requester's e-mail")
    ),
    "tags": FieldSpec("tags", ("includes", "excludes"), gettext_lazy("Tags")),
    "subject": FieldSpec("text", TEXT_OPS, gettext_lazy("Subject")),
    "comment": FieldSpec("text", TEXT_OPS, gettext_lazy("Comment text"), TRIGGER),
    "comment_visibility": FieldSpec(
        "choice",
        VALUE_OPS,
        gettext_lazy("Comment is"),
        TRIGGER,
        choices=("public", "private", "none"),
    ),
    "comment_author": FieldSpec(
        "choice", VALUE_OPS, gettext_lazy("Comment author"), TRIGGER, choices=("agent", "customer")
    ),
    "within_business_hours": FieldSpec("bool", ("is",), gettext_lazy("Within business hours")),
    **_hour_fields(),
}
CHANGE_FIELDS = ("status", "priority", "type", "team_id", "assignee_id")
# The event field names of the change conditions' fields.
EVENT_FIELDS = {
    "status": "status",
    "priority": "priority",
    "type": "type",
    "team_id": "team",
    "assignee_id": "assignee",
}
ID_MODELS: dict[str, Callable[[list[int]], set[int]]] = {
    "brand_id": lambda ids: set(Brand.objects.filter(pk__in=ids).values_list("pk", flat=True)),
    "requester_id": lambda ids: set(User.objects.filter(pk__in=ids).values_list("pk", flat=True)),
    "team_id": lambda ids: set(Team.objects.filter(pk__in=ids).values_list("pk", flat=True)),
    "assignee_id": lambda ids: set(
        User.objects.filter(pk__in=ids, role__in=roles.STAFF_ROLES).values_list("pk", flat=True)
    ),
    "organization_id": lambda ids: set(
        Organization.objects.filter(pk__in=ids).values_list("pk", flat=True)
    ),
}


def is_time_field(name: str) -> bool:
    return FIELDS.get(name, FieldSpec("", (), "")).kind == "hours"


def fold(text: str) -> str:
    """Text for case-insensitive comparison: NFC, case-folded, NFC again."""
    return unicodedata.normalize("NFC", normalize(text).casefold())


# --- validation -----------------------------------------------------------------------------


class _Where:
    """Names a condition in error messages: "Condition 2 of “all” (status)"."""

    def __init__(self, block: str, index: int) -> None:
        self.block = block
        self.number = index + 1

    def fail(self, problem: str, field_name: str | None = None) -> InvalidInput:
        if field_name:
            where = _("Condition %(n)d of “%(block)s” (%(field)s)") % {
                "n": self.number,
                "block": self.block,
                "field": single_line(field_name)[:80],
            }
        else:
            where = _("Condition %(n)d of “%(block)s”") % {"n": self.number, "block": self.block}
        return InvalidInput(
            _("%(where)s: %(problem)s") % {"where": where, "problem": problem},
            field="conditions",
        )


def _shown(value: Any) -> str:
    return single_line(str(value))[:60]


def _as_list(value: Any, where: _Where, name: str) -> list[Any]:
    values = list(value) if isinstance(value, list | tuple) else [value]
    values = [v for v in values if v is not None and v != ""]
    if not values:
        raise where.fail(_("give a value."), name)
    if len(values) > MAX_VALUES:
        raise where.fail(_("at most %(n)d values.") % {"n": MAX_VALUES}, name)
    return values


def _choice(value: Any, spec: FieldSpec, where: _Where, name: str) -> str:
    if not isinstance(value, str) or value not in spec.choices:
        raise where.fail(
            _("“%(value)s” is not a valid value (one of: %(allowed)s).")
            % {"value": _shown(value), "allowed": ", ".join(spec.choices)},
            name,
        )
    return value


def _id(value: Any, where: _Where, name: str) -> int:
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not (text.isascii() and text.isdigit() and 0 < len(text) < 18):
        raise where.fail(_("“%(value)s” is not an id.") % {"value": _shown(value)}, name)
    return int(text)


def _check_ids(ids: list[int], where: _Where, name: str, check_references: bool) -> None:
    if not check_references or not ids:
        return
    missing = set(ids) - ID_MODELS[name](ids)
    if missing:
        raise where.fail(_("nothing has the id %(id)s.") % {"id": min(missing)}, name)


def _text(value: Any, where: _Where, name: str) -> str:
    if not isinstance(value, str):
        raise where.fail(_("the value must be text."), name)
    text = normalize(value).strip()
    if not text:
        raise where.fail(_("give a value."), name)
    if len(text) > TEXT_MAX:
        raise where.fail(_("a text value has at most %(n)d characters.") % {"n": TEXT_MAX}, name)
    return text


def _hours(value: Any, where: _Where, name: str) -> int:
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not (text.isascii() and text.isdigit() and len(text) < 7):
        raise where.fail(
            _("give a whole number of hours from 0 to %(max)d.") % {"max": MAX_HOURS}, name
        )
    hours = int(text)
    if hours > MAX_HOURS:
        raise where.fail(
            _("give a whole number of hours from 0 to %(max)d.") % {"max": MAX_HOURS}, name
        )
    return hours


def clean_condition(
    raw: Any,
    *,
    kind: str,
    where: _Where,
    definitions: dict[str, CustomField],
    check_references: bool = True,
) -> Condition:
    """One condition, checked and normalised."""
    if not isinstance(raw, dict) or set(raw) - {"field", "op", "value"} or "field" not in raw:
        raise where.fail(_("a condition is an object with a field, an operator and a value."))
    name = raw.get("field")
    op = raw.get("op")
    value = raw.get("value")
    if not isinstance(name, str):
        raise where.fail(_("the field must be a name."))
    definition: CustomField | None = None
    if name.startswith(CUSTOM_PREFIX):
        key = name.removeprefix(CUSTOM_PREFIX)
        definition = definitions.get(key)
        if definition is None:
            raise where.fail(
                _("there is no active custom field “%(key)s”.") % {"key": _shown(key)}, name
            )
        ops: tuple[str, ...] = VALUE_OPS + EMPTY_OPS
        if definition.field_type == CustomField.FieldType.TEXT:
            ops += ("contains",)
        spec = FieldSpec("custom", ops, definition.label)
    else:
        found = FIELDS.get(name)
        if found is None:
            raise where.fail(
                _("unknown field “%(field)s” (known: %(known)s, custom_fields.<key>).")
                % {"field": _shown(name), "known": ", ".join(FIELDS)}
            )
        spec = found
    if spec.only == TRIGGER and kind != TRIGGER:
        raise where.fail(_("this field describes a change, and only triggers see changes."), name)
    if spec.only == AUTOMATION and kind != AUTOMATION:
        raise where.fail(
            _("time since an event is checked by automations (hourly), not by triggers."), name
        )
    if op not in spec.ops:
        raise where.fail(
            _("“%(op)s” is not an operator for this field (one of: %(allowed)s).")
            % {"op": _shown(op), "allowed": ", ".join(spec.ops)},
            name,
        )
    if op in CHANGE_OPS and kind != TRIGGER:
        raise where.fail(_("changes are seen by triggers only, not by automations."), name)
    if op in EMPTY_OPS or op in ("changed", "not_changed"):
        return {"field": name, "op": op, "value": None}
    if spec.kind == "choice":
        if op in ("less_than", "greater_than", "changed_to", "changed_from"):
            return {"field": name, "op": op, "value": _choice(value, spec, where, name)}
        values = [_choice(v, spec, where, name) for v in _as_list(value, where, name)]
        if (
            kind == AUTOMATION
            and name == "status"
            and op == "is"
            and Status.CLOSED in values
            and len(values) == 1
        ):
            raise where.fail(_("automations never see closed tickets."), name)
        return {"field": name, "op": op, "value": list(dict.fromkeys(values))}
    if spec.kind == "id":
        if op in ("changed_to", "changed_from"):
            if value is None:
                return {"field": name, "op": op, "value": None}
            one = _id(value, where, name)
            _check_ids([one], where, name, check_references)
            return {"field": name, "op": op, "value": one}
        ids = list(dict.fromkeys(_id(v, where, name) for v in _as_list(value, where, name)))
        _check_ids(ids, where, name, check_references)
        return {"field": name, "op": op, "value": ids}
    if spec.kind == "email":
        if op in VALUE_OPS:
            values = [_text(v, where, name).lower() for v in _as_list(value, where, name)]
            return {"field": name, "op": op, "value": list(dict.fromkeys(values))}
        return {"field": name, "op": op, "value": _text(value, where, name).lower()}
    if spec.kind == "tags":
        values = _as_list(value, where, name)
        try:
            tags = clean_tags(values, field="conditions")
        except InvalidInput as error:
            raise where.fail(error.message, name) from error
        if not tags:
            raise where.fail(_("give a value."), name)
        return {"field": name, "op": op, "value": tags}
    if spec.kind == "text":
        texts = [_text(v, where, name) for v in _as_list(value, where, name)]
        return {"field": name, "op": op, "value": list(dict.fromkeys(texts))}
    if spec.kind == "bool":
        if isinstance(value, str):
            value = {"true": True, "false": False}.get(value.strip().lower(), value)
        if not isinstance(value, bool):
            raise where.fail(_("the value is true or false."), name)
        return {"field": name, "op": op, "value": value}
    if spec.kind == "hours":
        return {"field": name, "op": op, "value": _hours(value, where, name)}
    assert definition is not None
    if op == "contains":
        return {"field": name, "op": op, "value": _text(value, where, name)}
    if isinstance(value, list) and definition.field_type != CustomField.FieldType.MULTISELECT:
        raise where.fail(_("give one value."), name)
    if definition.field_type == CustomField.FieldType.CHECKBOX and isinstance(value, str):
        value = {"true": True, "false": False}.get(value.strip().lower(), value)
    if definition.field_type == CustomField.FieldType.MULTISELECT and isinstance(value, str):
        value = [value]
    try:
        cleaned = clean_value(definition, value)
    except InvalidInput as error:
        raise where.fail(error.message, name) from error
    if cleaned is None:
        raise where.fail(_("give a value."), name)
    return {"field": name, "op": op, "value": cleaned}


def clean_conditions(raw: Any, *, kind: str, check_references: bool = True) -> Conditions:
    """The conditions, checked and normalised; InvalidInput names the condition at fault."""
    if isinstance(raw, list):
        raw = {"all": raw, "any": []}
    if not isinstance(raw, dict):
        raise InvalidInput(
            _("Conditions are an object with the lists “all” and “any”."), field="conditions"
        )
    unknown = set(raw) - {"all", "any"}
    if unknown:
        raise InvalidInput(
            _("Conditions have only the lists “all” and “any”, not “%(key)s”.")
            % {"key": _shown(sorted(map(str, unknown))[0])},
            field="conditions",
        )
    blocks: dict[str, list[Any]] = {}
    for block in ("all", "any"):
        items = raw.get(block) or []
        if not isinstance(items, list):
            raise InvalidInput(
                _("“%(block)s” must be a list of conditions.") % {"block": block},
                field="conditions",
            )
        if len(items) > MAX_CONDITIONS:
            raise InvalidInput(
                _("At most %(n)d conditions in “%(block)s”.")
                % {"n": MAX_CONDITIONS, "block": block},
                field="conditions",
            )
        blocks[block] = items
    wants_custom = any(
        isinstance(c, dict) and str(c.get("field", "")).startswith(CUSTOM_PREFIX)
        for items in blocks.values()
        for c in items
    )
    definitions = active_definitions() if wants_custom else {}
    cleaned: Conditions = {
        block: [
            clean_condition(
                c,
                kind=kind,
                where=_Where(block, i),
                definitions=definitions,
                check_references=check_references,
            )
            for i, c in enumerate(items)
        ]
        for block, items in blocks.items()
    }
    if not cleaned["all"] and not cleaned["any"]:
        raise InvalidInput(
            _("Give at least one condition: a rule without conditions would run on every ticket."),
            field="conditions",
        )
    if kind == AUTOMATION and not any(is_time_field(c["field"]) for c in cleaned["all"]):
        raise InvalidInput(
            _(
                "An automation needs a time condition in “all” (for example "
                "hours_since_solved greater_than 96)."
            ),
            field="conditions",
        )
    return cleaned


def conditions_of(stored: Any) -> Conditions:
    """A rule's stored conditions in the normal shape (stored values are already clean)."""
    if isinstance(stored, list):
        return {"all": stored, "any": []}
    if not isinstance(stored, dict):
        return {"all": [], "any": []}
    return {"all": list(stored.get("all") or []), "any": list(stored.get("any") or [])}


# --- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """A field's change within the change being processed: its first old and last new value
    (event text: ids as decimal strings, empty as None)."""

    old: str | None
    new: str | None


@dataclass(frozen=True)
class CommentFacts:
    is_public: bool
    author: str  # "agent" or "customer"
    text: str  # folded


@dataclass
class Facts:
    """What conditions are evaluated against: one ticket now, and (for triggers) the change."""

    ticket: Ticket
    tags: frozenset[str]
    now: datetime
    update_type: str = ""
    via: str = ""
    changes: dict[str, FieldChange] = field(default_factory=dict)
    comment: CommentFacts | None = None
    anchors: dict[str, datetime | None] = field(default_factory=dict)
    _open: bool | None = None
    _subject: str | None = None

    def subject(self) -> str:
        if self._subject is None:
            self._subject = fold(self.ticket.subject)
        return self._subject

    def within_business_hours(self) -> bool:
        if self._open is None:
            self._open = team_calendar(self.ticket.team_id).is_open(self.now)
        return self._open

    def hours_since(self, anchor: str, *, business: bool) -> float | None:
        start = (
            self.anchors.get(anchor)
            if anchor in self.anchors
            else default_anchor(self.ticket, anchor)
        )
        if start is None:
            return None
        if business:
            elapsed = team_calendar(self.ticket.team_id).duration(start, self.now)
        else:
            elapsed = self.now - start
        return elapsed / timedelta(hours=1)


def team_calendar(team_id: int | None) -> BusinessCalendar:
    """The team's business calendar (doum.sla); imported late so this module loads first."""
    from doum.sla.selectors import team_calendar as calendar_of

    return calendar_of(team_id)


def default_anchor(ticket: Ticket, anchor: str) -> datetime | None:
    """The anchors a ticket row holds itself (pending and assigned need its events)."""
    if anchor == "created":
        return ticket.created_at
    if anchor == "updated":
        return ticket.updated_at
    if anchor == "solved":
        return ticket.solved_at
    return None


def matches(conditions: Conditions, facts: Facts) -> bool:
    if not all(holds(c, facts) for c in conditions["all"]):
        return False
    anys = conditions["any"]
    return not anys or any(holds(c, facts) for c in anys)


def _ticket_value(ticket: Ticket, name: str) -> Any:
    if name.startswith(CUSTOM_PREFIX):
        return ticket.custom_fields.get(name.removeprefix(CUSTOM_PREFIX))
    return getattr(ticket, name)


def _text_of(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether one (cleaned) condition holds."""
    name: str = condition["field"]
    op: str = condition["op"]
    value: Any = condition.get("value")
    ticket = facts.ticket
    if op in CHANGE_OPS:
        change = facts.changes.get(EVENT_FIELDS[name])
        if op == "changed":
            return change is not None
        if op == "not_changed":
            return change is None
        if change is None:
            return False
        side = change.new if op == "changed_to" else change.old
        return side == _text_of(value)
    if name == "via":
        return (facts.via in value) == (op == "is")
    if name == "update_type":
        return facts.update_type in value
    if name == "tags":
        has = bool(facts.tags & set(value))
        return has if op == "includes" else not has
    if name == "subject":
        found = any(fold(v) in facts.subject() for v in value)
        return found if op == "contains" else not found
    if name == "comment":
        text = facts.comment.text if facts.comment else ""
        found = bool(facts.comment) and any(fold(v) in text for v in value)
        return found if op == "contains" else not found
    if name == "comment_visibility":
        shown = "none"
        if facts.comment is not None:
            shown = "public" if facts.comment.is_public else "private"
        return (shown in value) == (op == "is")
    if name == "comment_author":
        if facts.comment is None:
            return op == "is_not"
        return (facts.comment.author in value) == (op == "is")
    if name == "within_business_hours":
        return facts.within_business_hours() == value
    if name == "requester_email":
        email = (ticket.requester.email or "").lower()
        if op == "contains":
            return value in email
        if op == "ends_with":
            return email.endswith(value)
        return (email in value) == (op == "is")
    if is_time_field(name):
        business = name.startswith("business_")
        anchor = name.removeprefix("business_").removeprefix("hours_since_")
        hours = facts.hours_since(anchor, business=business)
        if hours is None:
            return False
        return hours > value if op == "greater_than" else hours < value
    current = _ticket_value(ticket, name)
    if op == "is_empty":
        return current is None or current == "" or current == []
    if op == "is_set":
        return not (current is None or current == "" or current == [])
    if op in ("less_than", "greater_than"):
        rank = _RANK.get(str(current), 0)
        other = _RANK.get(str(value), 0)
        return rank < other if op == "less_than" else rank > other
    if op == "contains":
        return isinstance(current, str) and fold(value) in fold(current)
    if name.startswith(CUSTOM_PREFIX):
        if isinstance(current, list):
            wanted = value if isinstance(value, list) else [value]
            found = bool(set(map(str, current)) & set(map(str, wanted)))
        else:
            found = current == value
        return found if op == "is" else not found
    found = current in value
    return found if op == "is" else not found


# --- automations: a query that narrows the candidates ---------------------------------------


def prefilter(conditions: Conditions, now: datetime) -> Q:
    """A Q that every ticket matching the "all" conditions satisfies (a necessary condition;
    `matches` still decides). Business-hour conditions narrow by calendar time, which is at
    least the business time."""
    where = Q()
    for condition in conditions["all"]:
        where &= _prefilter_one(condition, now)
    return where


def _prefilter_one(condition: Condition, now: datetime) -> Q:
    name: str = condition["field"]
    op: str = condition["op"]
    value: Any = condition.get("value")
    if name in ("status", "type", "channel", "priority") and op in VALUE_OPS:
        match = Q(**{f"{name}__in": value})
        return match if op == "is" else ~match
    spec = FIELDS.get(name)
    if spec is not None and spec.kind == "id":
        column = spec.column
        if op == "is_empty":
            return Q(**{f"{column}__isnull": True})
        if op == "is_set":
            return Q(**{f"{column}__isnull": False})
        if op in VALUE_OPS:
            match = Q(**{f"{column}__in": value})
            return match if op == "is" else ~match
    if name == "tags":
        tagged = TicketTag.objects.filter(tag__name__in=value).values("ticket_id")
        return Q(pk__in=tagged) if op == "includes" else ~Q(pk__in=tagged)
    if is_time_field(name) and op == "greater_than":
        anchor = name.removeprefix("business_").removeprefix("hours_since_")
        since = {"created": "created_at", "updated": "updated_at", "solved": "solved_at"}.get(
            anchor
        )
        if since:
            return Q(**{f"{since}__lt": now - timedelta(hours=value)})
    return Q()


def anchors_needed(conditions: Conditions) -> set[str]:
    """The anchors ("pending", "assigned", …) the time conditions count from."""
    out: set[str] = set()
    for condition in [*conditions["all"], *conditions["any"]]:
        name = condition["field"]
        if is_time_field(name):
            out.add(name.removeprefix("business_").removeprefix("hours_since_"))
    return out


# --- what effects make false ----------------------------------------------------------------


RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


def made_false_by(condition: Condition, effects: Sequence[dict[str, Any]]) -> bool:
    """Whether applying `effects` surely makes `condition` false (so an automation does not
    match the same ticket again right after it fired)."""
    name: str = condition["field"]
    op: str = condition["op"]
    value: Any = condition.get("value")
    sets = {e["field"]: e.get("value") for e in effects if e.get("type") == "set"}
    added = {t for e in effects if e.get("type") == "add_tags" for t in e.get("tags", [])}
    removed = {t for e in effects if e.get("type") == "remove_tags" for t in e.get("tags", [])}
    writes = any(e.get("type") in ("set", "add_tags", "remove_tags", "note") for e in effects)
    if name == "tags":
        if op == "excludes":
            return bool(added & set(value))
        return set(value) <= removed
    if name == "hours_since_updated" or name == "business_hours_since_updated":
        return writes and op == "greater_than"
    if (
        name == "priority"
        and op == "is"
        and any(e.get("type") == "raise_priority" for e in effects)
    ) and all(RAISED[Priority(p)] not in value for p in value):
        return True
    if name in sets:
        new = sets[name]
        if op == "is":
            return new not in value
        if op == "is_not":
            return new in value
        if op == "is_empty":
            return new is not None
        if op == "is_set":
            return new is None
        if op in ("less_than", "greater_than") and name == "priority":
            rank, other = _RANK.get(str(new), 0), _RANK.get(str(value), 0)
            return not (rank < other if op == "less_than" else rank > other)
    return False


def nullified(conditions: Conditions, effects: Sequence[dict[str, Any]]) -> bool:
    return any(made_false_by(c, effects) for c in conditions["all"])


# Choice values shown with their label (in the reader's language) on the list pages.
VALUE_LABELS: dict[str, type[models.TextChoices]] = {
    "status": Status, "priority": Priority, "type": TicketType, "channel": Channel, "via": Via,
}  # fmt: skip


def value_label(field: str, value: object) -> str:
    """A stored value as people read it: "solved" -> "Solved" / "해결됨"."""
    choices = VALUE_LABELS.get(field)
    if choices is not None and isinstance(value, str) and value in choices.values:
        return str(choices(value).label)
    return "—" if value is None else str(value)


def describe(conditions: Conditions) -> list[str]:
    """Readable lines for the list pages ("Status is Solved")."""
    lines: list[str] = []
    for block in ("all", "any"):
        for c in conditions[block]:
            spec = FIELDS.get(c["field"])
            label = str(spec.label) if spec else c["field"]
            op = str(OP_LABELS.get(c["op"], c["op"]))
            value = c.get("value")
            field = c["field"]
            shown = (
                ", ".join(value_label(field, v) for v in value)
                if isinstance(value, list)
                else None
                if value is None
                else value_label(field, value)
            )
            text = f"{label} {op}" if shown is None else f"{label} {op} {shown}"
            lines.append(text if block == "all" else _("or: %(condition)s") % {"condition": text})
    return lines


def field_reference() -> Iterable[tuple[str, str, str, str]]:
    """(field, label, operators, which rules) for the help on the settings pages."""
    for name, spec in FIELDS.items():
        where = {
            TRIGGER: _("triggers"),
            AUTOMATION: _("automations"),
            None: _("triggers and automations"),
        }[spec.only]
        values = f" ({', '.join(spec.choices)})" if spec.choices else ""
        yield name, str(spec.label) + values, ", ".join(spec.ops), where
