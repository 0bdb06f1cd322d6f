"""Saved views: named ticket lists, personal (one agent's) or shared (every agent's).

A view's ``conditions`` are a list of ``{"field", "op", "value"}`` objects over ticket fields.
They are validated strictly when a view is written (an unknown field, operator or value is an
InvalidInput naming the field) and compiled to one ``Q`` that the list applies on top of
``filter_tickets``, so a view never shows a ticket its viewer may not see.

Fields and operators:

=====================================  ==========================================  =========
field                                  operators                                   value
=====================================  ==========================================  =========
status, priority, type, channel        is, is_not                                  choices
team, organization                     is, is_not, is_empty, is_set                ids
assignee                               is, is_not, is_empty, is_set                ids, "me"
requester, brand                       is, is_not                                  ids
tag                                    is (has any of), is_not (has none of)       names
created, updated                       within_days, older_than_days                days
custom_fields.<key>                    is, is_not, is_empty, is_set                a value
sla                                    is, is_not                                  at_risk,
                                                                                   breached
=====================================  ==========================================  =========

``sla`` reads doum.sla's per-ticket summary: "at_risk" is a target past its warning with
none breached, "breached" is any target breached.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.accounts import roles
from doum.accounts.actions.common import audit
from doum.accounts.models import Brand, Organization, Team, User
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.core.text import single_line
from doum.tickets.changes import clean_tags
from doum.tickets.custom_fields import active_definitions, clean_value
from doum.tickets.models import (
    Channel,
    CustomField,
    Priority,
    SavedView,
    Status,
    TicketTag,
    TicketType,
)
from doum.tickets.selectors import SLA_STATES, SORTS, TicketFilters, sla_state_condition

Condition = dict[str, Any]

NAME_MAX = 100
MAX_CONDITIONS = 20
MAX_VALUES = 50
MAX_DAYS = 3650
MAX_VIEWS_PER_OWNER = 100

CHOICE_FIELDS: dict[str, type[Status | Priority | TicketType | Channel]] = {
    "status": Status,
    "priority": Priority,
    "type": TicketType,
    "channel": Channel,
}
ID_FIELDS: dict[str, tuple[str, bool]] = {
    # field: (ticket column, may be empty)
    "team": ("team_id", True),
    "organization": ("organization_id", True),
    "assignee": ("assignee_id", True),
    "requester": ("requester_id", False),
    "brand": ("brand_id", False),
}
DATE_FIELDS = {"created": "created_at", "updated": "updated_at"}
CUSTOM_PREFIX = "custom_fields."

FIELD_LABELS: dict[str, str | Promise] = {
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Type"),
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "organization": gettext_lazy("Organization"),
    "assignee": gettext_lazy("Assignee"),
    "requester": gettext_lazy("Requester"),
    "brand": gettext_lazy("Brand"),
    "tag": gettext_lazy("Tag"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "sla": gettext_lazy("SLA"),
}
SLA_STATE_LABELS: dict[str, str | Promise] = {
    "at_risk": gettext_lazy("at risk"),
    "breached": gettext_lazy("breached"),
}
OP_LABELS: dict[str, str | Promise] = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "is_empty": gettext_lazy("is empty"),
    "is_set": gettext_lazy("is set"),
    "within_days": gettext_lazy("within the last … days"),
    "older_than_days": gettext_lazy("more than … days ago"),
}
VALUE_OPS = ("is", "is_not")
EMPTY_OPS = ("is_empty", "is_set")
DAY_OPS = ("within_days", "older_than_days")

# Columns a view may show besides the number and the subject (always shown), in table order.
COLUMNS: dict[str, str | Promise] = {
    "requester": gettext_lazy("Requester"),
    "organization": gettext_lazy("Organization"),
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "sla": gettext_lazy("Next SLA deadline"),
    "type": gettext_lazy("Type"),
    "channel": gettext_lazy("Channel"),
    "assignee": gettext_lazy("Assignee"),
    "team": gettext_lazy("Team"),
    "brand": gettext_lazy("Brand"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "tags": gettext_lazy("Tags"),
}
DEFAULT_COLUMNS: tuple[str, ...] = (
    "requester",
    "status",
    "priority",
    "sla",
    "assignee",
    "team",
    "updated",
    "tags",
)


def operators_for(field: str) -> tuple[str, ...]:
    if field in CHOICE_FIELDS or field in ("requester", "brand", "tag", "sla"):
        return VALUE_OPS
    if field in ID_FIELDS or field.startswith(CUSTOM_PREFIX):
        return VALUE_OPS + EMPTY_OPS
    if field in DATE_FIELDS:
        return DAY_OPS
    return ()


# --- validation -----------------------------------------------------------------------------


def _as_list(value: Any, field: str) -> list[Any]:
    values = list(value) if isinstance(value, list | tuple) else [value]
    values = [v for v in values if v not in (None, "")]
    if not values:
        raise InvalidInput(_("Give a value for “%(field)s”.") % {"field": field}, field=field)
    if len(values) > MAX_VALUES:
        raise InvalidInput(
            _("At most %(n)d values for “%(field)s”.") % {"n": MAX_VALUES, "field": field},
            field=field,
        )
    return values


def _ids(values: list[Any], field: str, *, allow_me: bool) -> list[int | str]:
    out: list[int | str] = []
    for raw in values:
        if allow_me and raw == "me":
            out.append("me")
            continue
        text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        if not (text.isascii() and text.isdigit() and len(text) < 18):
            raise InvalidInput(
                _("“%(value)s” is not an id for “%(field)s”.") % {"value": raw, "field": field},
                field=field,
            )
        out.append(int(text))
    return list(dict.fromkeys(out))


_REFERENCED: dict[str, Callable[[list[int]], set[int]]] = {
    "team": lambda ids: set(Team.objects.filter(pk__in=ids).values_list("pk", flat=True)),
    "organization": lambda ids: set(
        Organization.objects.filter(pk__in=ids).values_list("pk", flat=True)
    ),
    "assignee": lambda ids: set(
        User.objects.filter(pk__in=ids, role__in=roles.STAFF_ROLES).values_list("pk", flat=True)
    ),
    "requester": lambda ids: set(User.objects.filter(pk__in=ids).values_list("pk", flat=True)),
    "brand": lambda ids: set(Brand.objects.filter(pk__in=ids).values_list("pk", flat=True)),
}


def clean_condition(
    raw: Any, *, definitions: dict[str, CustomField] | None = None, check_references: bool = True
) -> Condition:
    """One condition, checked and normalised; InvalidInput names the field at fault."""
    if not isinstance(raw, dict) or set(raw) - {"field", "op", "value"}:
        raise InvalidInput(
            _("A condition is an object with a field, an operator and a value."),
            field="conditions",
        )
    field = raw.get("field")
    op = raw.get("op")
    value = raw.get("value")
    if not isinstance(field, str) or not operators_for(field):
        raise InvalidInput(
            _("Unknown field “%(field)s” in a condition.") % {"field": field},
            field="conditions",
        )
    definition: CustomField | None = None
    if field.startswith(CUSTOM_PREFIX):
        key = field.removeprefix(CUSTOM_PREFIX)
        definitions = active_definitions() if definitions is None else definitions
        definition = definitions.get(key)
        if definition is None or "__" in key:
            raise InvalidInput(
                _("Unknown field “%(field)s” in a condition.") % {"field": field},
                field="conditions",
            )
    allowed = operators_for(field)
    if op not in allowed:
        raise InvalidInput(
            _("“%(op)s” is not an operator for “%(field)s” (one of: %(allowed)s).")
            % {"op": op, "field": field, "allowed": ", ".join(allowed)},
            field=field,
        )
    if op in EMPTY_OPS:
        return {"field": field, "op": op, "value": None}
    if field in DATE_FIELDS:
        text = str(value).strip() if isinstance(value, str | int) and value is not True else ""
        if not (text.isascii() and text.isdigit() and len(text) < 6 and 0 < int(text) <= MAX_DAYS):
            raise InvalidInput(
                _("“%(field)s” needs a whole number of days from 1 to %(max)d.")
                % {"field": field, "max": MAX_DAYS},
                field=field,
            )
        return {"field": field, "op": op, "value": int(text)}
    if field in CHOICE_FIELDS:
        choices = CHOICE_FIELDS[field]
        values = _as_list(value, field)
        for v in values:
            if v not in choices.values:
                raise InvalidInput(
                    _("“%(value)s” is not a valid %(field)s (one of: %(allowed)s).")
                    % {"value": v, "field": field, "allowed": ", ".join(choices.values)},
                    field=field,
                )
        return {"field": field, "op": op, "value": list(dict.fromkeys(values))}
    if field == "sla":
        values = _as_list(value, field)
        for v in values:
            if v not in SLA_STATES:
                raise InvalidInput(
                    _("“%(value)s” is not a valid %(field)s (one of: %(allowed)s).")
                    % {"value": v, "field": field, "allowed": ", ".join(SLA_STATES)},
                    field=field,
                )
        return {"field": field, "op": op, "value": list(dict.fromkeys(values))}
    if field in ID_FIELDS:
        ids = _ids(_as_list(value, field), field, allow_me=field == "assignee")
        numbers = [i for i in ids if isinstance(i, int)]
        if check_references and numbers:
            missing = set(numbers) - _REFERENCED[field](numbers)
            if missing:
                raise InvalidInput(
                    _("No %(field)s with id %(id)s.") % {"field": field, "id": min(missing)},
                    field=field,
                )
        return {"field": field, "op": op, "value": ids}
    if field == "tag":
        values = _as_list(value, field)
        if not all(isinstance(v, str) for v in values):
            raise InvalidInput(_("Tags are text."), field=field)
        return {"field": field, "op": op, "value": clean_tags(values, field=field)}
    assert definition is not None
    if definition.field_type == CustomField.FieldType.MULTISELECT:
        raise InvalidInput(
            _("“%(field)s” is a multi-select field: views can only test “is empty” or “is set”.")
            % {"field": field},
            field=field,
        )
    if isinstance(value, list):
        raise InvalidInput(_("Give one value for “%(field)s”.") % {"field": field}, field=field)
    if definition.field_type == CustomField.FieldType.CHECKBOX and isinstance(value, str):
        value = {"true": True, "false": False}.get(value.strip().lower(), value)
    cleaned = clean_value(definition, value)
    if cleaned is None:
        raise InvalidInput(_("Give a value for “%(field)s”.") % {"field": field}, field=field)
    return {"field": field, "op": op, "value": cleaned}


def clean_conditions(raw: Any, *, check_references: bool = True) -> list[Condition]:
    if not isinstance(raw, list):
        raise InvalidInput(_("Conditions are a list."), field="conditions")
    if len(raw) > MAX_CONDITIONS:
        raise InvalidInput(
            _("At most %(n)d conditions.") % {"n": MAX_CONDITIONS}, field="conditions"
        )
    definitions = (
        active_definitions()
        if any(isinstance(c, dict) and str(c.get("field", "")).startswith(CUSTOM_PREFIX)
               for c in raw)
        else {}
    )  # fmt: skip
    return [
        clean_condition(c, definitions=definitions, check_references=check_references) for c in raw
    ]


def clean_columns(raw: Any) -> list[str]:
    if not isinstance(raw, list | tuple) or not all(isinstance(c, str) for c in raw):
        raise InvalidInput(_("Columns are a list of names."), field="columns")
    for column in raw:
        if column not in COLUMNS:
            raise InvalidInput(
                _("Unknown column “%(column)s”.") % {"column": column}, field="columns"
            )
    chosen = set(raw)
    return [c for c in COLUMNS if c in chosen]


def clean_sort(raw: Any) -> str:
    if raw not in SORTS:
        raise InvalidInput(_("Unknown sort “%(sort)s”.") % {"sort": raw}, field="sort")
    return str(raw)


def clean_name(raw: Any) -> str:
    name = single_line(raw) if isinstance(raw, str) else ""
    if not name:
        raise InvalidInput(_("Give the view a name."), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(_("At most %(n)d characters.") % {"n": NAME_MAX}, field="name")
    return name


# --- compiling ------------------------------------------------------------------------------


def compile_conditions(conditions: Sequence[Condition], viewer: User) -> Q:
    """One Q for all of a view's conditions (ANDed); ``"me"`` is the viewer."""
    where = Q()
    now = clock.now()
    for condition in conditions:
        where &= _compile_one(condition, viewer, now)
    return where


def _compile_one(condition: Condition, viewer: User, now: datetime) -> Q:
    field: str = condition["field"]
    op: str = condition["op"]
    value: Any = condition.get("value")
    if field in DATE_FIELDS:
        column = DATE_FIELDS[field]
        since = now - timedelta(days=int(value))
        return (
            Q(**{f"{column}__gte": since}) if op == "within_days" else Q(**{column + "__lt": since})
        )
    if field == "sla":
        states = Q(pk__in=[])
        for state in value:
            states |= sla_state_condition(state)
        return states if op == "is" else ~states
    if field == "tag":
        tagged = TicketTag.objects.filter(tag__name__in=value).values("ticket_id")
        return Q(pk__in=tagged) if op == "is" else ~Q(pk__in=tagged)
    if field.startswith(CUSTOM_PREFIX):
        lookup = "custom_fields__" + field.removeprefix(CUSTOM_PREFIX)
        missing = Q(**{f"{lookup}__isnull": True})
        if op == "is_empty":
            return missing
        if op == "is_set":
            return ~missing
        equal = Q(**{lookup: value})
        return equal if op == "is" else ~equal | missing
    column = ID_FIELDS[field][0] if field in ID_FIELDS else field
    if op == "is_empty":
        return Q(**{f"{column}__isnull": True})
    if op == "is_set":
        return Q(**{f"{column}__isnull": False})
    values = [viewer.pk if v == "me" else v for v in value]
    match = Q(**{f"{column}__in": values})
    return match if op == "is" else ~match


def conditions_from_filters(filters: TicketFilters, viewer: User) -> list[Condition]:
    """The conditions of a built-in view or of the list page's filters, for "Save as view".

    The search text, spam and deleted flags and the extra ``where`` are not conditions and
    are left out.
    """
    out: list[Condition] = []

    def add(field: str, op: str, value: Any = None) -> None:
        out.append({"field": field, "op": op, "value": value})

    if filters.status:
        add("status", "is", list(filters.status))
    if filters.priority:
        add("priority", "is", list(filters.priority))
    if filters.type:
        add("type", "is", [filters.type])
    if filters.channel:
        add("channel", "is", [filters.channel])
    if filters.team_id is not None:
        add("team", "is", [filters.team_id])
    if filters.team_ids is not None:
        add("team", "is", list(filters.team_ids))
    if filters.no_team:
        add("team", "is_empty")
    if filters.unassigned:
        add("assignee", "is_empty")
    elif filters.assignee_id is not None:
        add("assignee", "is", ["me" if filters.assignee_id == viewer.pk else filters.assignee_id])
    if filters.requester_id is not None:
        add("requester", "is", [filters.requester_id])
    if filters.organization_id is not None:
        add("organization", "is", [filters.organization_id])
    if filters.brand_id is not None:
        add("brand", "is", [filters.brand_id])
    if filters.tag:
        add("tag", "is", [filters.tag])
    now = clock.now()
    if filters.created_after is not None:
        add("created", "within_days", _days_since(filters.created_after, now))
    if filters.created_before is not None:
        add("created", "older_than_days", _days_since(filters.created_before, now))
    if filters.updated_after is not None:
        add("updated", "within_days", _days_since(filters.updated_after, now))
    if filters.sla is not None:
        add("sla", "is", [filters.sla])
    return out


def _days_since(instant: datetime, now: datetime) -> int:
    days = math.ceil((now - instant).total_seconds() / 86400)
    return min(max(days, 1), MAX_DAYS)


# --- reads ----------------------------------------------------------------------------------


def visible_saved_views(viewer: User) -> QuerySet[SavedView]:
    """The viewer's personal views and the shared ones; nothing for customers."""
    if not viewer.is_agent:
        return SavedView.objects.none()
    return SavedView.objects.filter(Q(owner_id=viewer.pk) | Q(owner__isnull=True)).order_by(
        "position", "id"
    )


def access_saved_view(viewer: User, view_id: int) -> SavedView:
    """The view if it is the viewer's own or shared; NotFound for anyone else's."""
    view = visible_saved_views(viewer).filter(pk=view_id).first()
    if view is None:
        raise NotFound(_("No such view."), field="view")
    return view


def can_manage_shared_views(user: User) -> bool:
    return user.role in roles.MANAGES_PEOPLE


def can_change(user: User, view: SavedView) -> bool:
    return view.owner_id == user.pk or (view.is_shared and can_manage_shared_views(user))


# --- writes ---------------------------------------------------------------------------------


def _audit(actor: User, action: str, view: SavedView, **data: Any) -> None:
    audit(actor, action, view, name=view.name, shared=view.is_shared, **data)


def _check_change(actor: User, view: SavedView) -> None:
    if view.owner_id is not None and view.owner_id != actor.pk:
        raise NotFound(_("No such view."), field="view")
    if view.is_shared and not can_manage_shared_views(actor):
        raise Forbidden(_("Only managers and admins may change shared views."))


@transaction.atomic
def do_create_saved_view(
    *,
    actor: User,
    name: str,
    conditions: Any,
    columns: Any = None,
    sort: str = "-updated_at",
    shared: bool = False,
) -> SavedView:
    if not actor.is_agent:
        raise Forbidden(_("Only staff have ticket views."))
    if shared and not can_manage_shared_views(actor):
        raise Forbidden(_("Only managers and admins may create shared views."))
    owner = None if shared else actor
    siblings = SavedView.objects.filter(owner=owner)
    if siblings.count() >= MAX_VIEWS_PER_OWNER:
        raise InvalidInput(
            _("At most %(n)d views; delete one first.") % {"n": MAX_VIEWS_PER_OWNER},
            field="name",
        )
    last = siblings.aggregate(last=Max("position"))["last"]
    now = clock.now()
    view = SavedView.objects.create(
        owner=owner,
        name=clean_name(name),
        conditions=clean_conditions(conditions),
        columns=clean_columns(DEFAULT_COLUMNS if columns is None else columns),
        sort=clean_sort(sort),
        position=0 if last is None else last + 1,
        created_at=now,
        updated_at=now,
    )
    _audit(actor, "saved_view.created", view, conditions=view.conditions)
    return view


@transaction.atomic
def do_update_saved_view(
    view: SavedView,
    *,
    actor: User,
    name: str | None = None,
    conditions: Any = None,
    columns: Any = None,
    sort: str | None = None,
) -> SavedView:
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    _check_change(actor, view)
    before = {"name": view.name, "conditions": view.conditions, "columns": view.columns,
              "sort": view.sort}  # fmt: skip
    if name is not None:
        view.name = clean_name(name)
    if conditions is not None:
        view.conditions = clean_conditions(conditions)
    if columns is not None:
        view.columns = clean_columns(columns)
    if sort is not None:
        view.sort = clean_sort(sort)
    view.updated_at = clock.now()
    view.save()
    changed = {k: v for k, v in before.items() if getattr(view, k) != v}
    _audit(actor, "saved_view.updated", view, before=changed)
    return view


@transaction.atomic
def do_delete_saved_view(view: SavedView, *, actor: User) -> None:
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    _check_change(actor, view)
    _audit(actor, "saved_view.deleted", view, conditions=view.conditions)
    view.delete()


@transaction.atomic
def do_move_saved_view(view: SavedView, *, actor: User, direction: str) -> SavedView:
    """Move a view one place up or down among its siblings (the owner's, or the shared)."""
    if direction not in ("up", "down"):
        raise InvalidInput(_("Move a view “up” or “down”."), field="direction")
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    _check_change(actor, view)
    siblings = list(
        SavedView.objects.select_for_update()
        .filter(owner_id=view.owner_id)
        .order_by("position", "id")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == view.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    _renumber(siblings)
    _audit(actor, "saved_view.moved", view, direction=direction)
    view.refresh_from_db()
    return view


def _renumber(views: Iterable[SavedView]) -> None:
    changed = []
    for position, sibling in enumerate(views):
        if sibling.position != position:
            sibling.position = position
            changed.append(sibling)
    SavedView.objects.bulk_update(changed, ["position"])


def describe_condition(condition: Condition) -> str:
    """One condition as a person reads it: "Status is new, open"."""
    field = str(condition.get("field", ""))
    label = FIELD_LABELS.get(field, field.removeprefix(CUSTOM_PREFIX))
    op = OP_LABELS.get(str(condition.get("op", "")), str(condition.get("op", "")))
    value = condition.get("value")
    if value is None:
        return f"{label} {op}"
    if str(condition.get("op")) in DAY_OPS:
        return f"{label}: {str(op).replace('…', str(value))}"
    if field == "sla" and isinstance(value, list):
        value = [SLA_STATE_LABELS.get(str(v), v) for v in value]
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return f"{label} {op} {text}"
