"""SLA policies: create, change, order, activate and delete them, with their targets.

Managers and admins only. Each writer validates every value and raises InvalidInput naming the
field at fault with a sentence that says exactly what is wrong; a policy and its targets are
written in one transaction, so nothing is half-saved. Each writes one audit row.

Input shapes:
    conditions   {"priority": [...], "channel": [...], "type": [...], "team_id": [ids],
                  "organization_id": [ids], "brand_id": [ids], "tags_any": [...],
                  "tags_all": [...], "custom_fields": {"key": [values]}}  (empty = every ticket)
    targets      [{"priority": "high", "metric": "first_reply", "minutes": 90 | "1h30m",
                   "business_hours": True}, ...]  (at least one)
    escalations  {"warning": [effects], "breach": [effects]}  (doum.automation.effects shape)
Error fields: "name", "description", "conditions.<key>", "targets",
"targets.<metric>.<priority>", "calendar_id", "warn_percent", "escalations.<warning|breach>",
"order".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.models import AuditLog, Brand, Organization, Team, User
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.core.text import normalize
from doum.sla.calendar_actions import recompute_open_tickets_after_commit
from doum.sla.engine import ProposedPolicy
from doum.sla.models import Calendar, Metric, SlaPolicy, SlaTarget
from doum.tickets.changes import clean_tags
from doum.tickets.custom_fields import active_definitions, clean_value
from doum.tickets.models import Channel, CustomField, Priority, TicketType

NAME_MAX = 100
DESCRIPTION_MAX = 2000
MAX_VALUES = 100
MAX_MINUTES = 365 * 24 * 60  # a target of at most 365 days
DEFAULT_WARN_PERCENT = 75
ESCALATION_KINDS = ("warning", "breach")

CHOICE_CONDITIONS: dict[str, type[Priority | Channel | TicketType]] = {
    "priority": Priority,
    "channel": Channel,
    "type": TicketType,
}
ID_CONDITIONS: dict[str, type[Team | Organization | Brand]] = {
    "team_id": Team,
    "organization_id": Organization,
    "brand_id": Brand,
}
TAG_CONDITIONS = ("tags_any", "tags_all")
CONDITION_KEYS = (*CHOICE_CONDITIONS, *ID_CONDITIONS, *TAG_CONDITIONS, "custom_fields")
CONDITION_LABELS: dict[str, str | Promise] = {
    "priority": gettext_lazy("priority"),
    "channel": gettext_lazy("channel"),
    "type": gettext_lazy("type"),
    "team_id": gettext_lazy("team"),
    "organization_id": gettext_lazy("organization"),
    "brand_id": gettext_lazy("brand"),
    "tags_any": gettext_lazy("tags (any of)"),
    "tags_all": gettext_lazy("tags (all of)"),
    "custom_fields": gettext_lazy("custom fields"),
}
ESCALATION_LABELS: dict[str, str | Promise] = {
    "warning": gettext_lazy("warning (at risk)"),
    "breach": gettext_lazy("breach"),
}


@dataclass(frozen=True)
class TargetValues:
    priority: str
    metric: str
    minutes: int
    business_hours: bool


@dataclass(frozen=True)
class PolicyRules:
    """What a policy does, validated: everything but its name, description and state."""

    conditions: dict[str, Any]
    targets: list[TargetValues]
    calendar_id: int | None
    warn_percent: int
    escalations: dict[str, list[dict[str, Any]]]

    def proposed(self) -> ProposedPolicy:
        """The same rules as a what-if proposal (doum.sla.engine.what_if)."""
        return ProposedPolicy(
            targets={(t.priority, t.metric): (t.minutes, t.business_hours) for t in self.targets},
            conditions=dict(self.conditions),
            warn_percent=self.warn_percent,
            calendar_id=self.calendar_id,
        )


def _require_manager(actor: User | None) -> None:
    require_role(
        actor, roles.MANAGES_PEOPLE, _("Only managers and admins may change SLA policies.")
    )


# --- durations --------------------------------------------------------------------------------

_UNITS: dict[str, int] = {
    "d": 1440, "day": 1440, "days": 1440, "일": 1440,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60, "시간": 60,
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "분": 1,
}  # fmt: skip
_UNIT_RE = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_DURATION = re.compile(rf"^(?:\s*\d{{1,7}}\s*(?:{_UNIT_RE})\s*)+$", re.IGNORECASE)
_DURATION_PART = re.compile(rf"(\d{{1,7}})\s*({_UNIT_RE})", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,4}):([0-5]\d)$")


def parse_duration(value: object) -> int:
    """Minutes from 90, "90", "1h30m", "1h 30m", "2d", "1d 4h", "1:30" or "2일 3시간".

    ValueError when the text is none of these (the caller says which target it was).
    """
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise ValueError("not a duration")
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= 7:
        return int(text)
    clock_match = _CLOCK.match(text)
    if clock_match:
        return int(clock_match.group(1)) * 60 + int(clock_match.group(2))
    if len(text) > 60 or not _DURATION.match(text):
        raise ValueError("not a duration")
    return sum(int(n) * _UNITS[unit.lower()] for n, unit in _DURATION_PART.findall(text))


def format_duration(minutes: int) -> str:
    """Minutes as "1d 4h 30m" in the user's language (a form parse_duration reads back)."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)dd") % {"n": days})
    if hours:
        parts.append(_("%(n)dh") % {"n": hours})
    if mins or not parts:
        parts.append(_("%(n)dm") % {"n": mins})
    return " ".join(parts)


# --- conditions -------------------------------------------------------------------------------


def _values(raw: object, key: str) -> list[object]:
    values = list(raw) if isinstance(raw, list | tuple) else [raw]
    values = [v for v in values if v not in (None, "")]
    if len(values) > MAX_VALUES:
        raise InvalidInput(
            _("At most %(n)d values for “%(field)s”.")
            % {"n": MAX_VALUES, "field": CONDITION_LABELS[key]},
            field=f"conditions.{key}",
        )
    return values


def _clean_ids(values: list[object], key: str) -> list[int]:
    label = CONDITION_LABELS[key]
    ids: list[int] = []
    for raw in values:
        text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        if not (text.isascii() and text.isdigit() and len(text) < 18):
            raise InvalidInput(
                _("“%(value)s” is not an id for “%(field)s”.")
                % {"value": str(raw)[:40], "field": label},
                field=f"conditions.{key}",
            )
        ids.append(int(text))
    unique = sorted(set(ids))
    found = set(ID_CONDITIONS[key].objects.filter(pk__in=unique).values_list("pk", flat=True))
    missing = [i for i in unique if i not in found]
    if missing:
        raise InvalidInput(
            _("No %(field)s with id %(id)s.") % {"field": label, "id": missing[0]},
            field=f"conditions.{key}",
        )
    return unique


def _clean_custom_field_values(raw: object) -> dict[str, list[Any]]:
    field = "conditions.custom_fields"
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            _("Custom field conditions map a field's key to the values that match."),
            field=field,
        )
    definitions = active_definitions() if raw else {}
    out: dict[str, list[Any]] = {}
    for key, value in raw.items():
        definition = definitions.get(str(key))
        if definition is None:
            raise InvalidInput(
                _("There is no active custom field “%(field)s”.") % {"field": str(key)[:60]},
                field=field,
            )
        cleaned: list[Any] = []
        for item in _values(value, "custom_fields"):
            if definition.field_type == CustomField.FieldType.CHECKBOX and isinstance(item, str):
                item = {"true": True, "false": False}.get(item.strip().lower(), item)
            if definition.field_type == CustomField.FieldType.MULTISELECT:
                item = [item]
            try:
                one = clean_value(definition, item)
            except InvalidInput as error:
                raise InvalidInput(
                    _("%(field)s: %(problem)s")
                    % {"field": definition.label, "problem": error.message},
                    field=field,
                ) from error
            if isinstance(one, list):
                cleaned.extend(one)
            elif one is not None:
                cleaned.append(one)
        unique = list(dict.fromkeys(cleaned))
        if unique:
            out[definition.key] = unique
    return out


def clean_conditions(raw: object) -> dict[str, Any]:
    """Conditions, validated and normalised; empty lists are dropped."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            _("Conditions map a ticket field to the values that match."), field="conditions"
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in CONDITION_KEYS:
            raise InvalidInput(
                _("“%(key)s” is not a condition of SLA policies (known: %(known)s).")
                % {"key": str(key)[:60], "known": ", ".join(CONDITION_KEYS)},
                field="conditions",
            )
        if key == "custom_fields":
            custom = _clean_custom_field_values(value or {})
            if custom:
                out[key] = custom
            continue
        values = _values(value, key)
        if not values:
            continue
        if key in CHOICE_CONDITIONS:
            choices = CHOICE_CONDITIONS[key]
            for v in values:
                if v not in choices.values:
                    raise InvalidInput(
                        _("“%(value)s” is not a valid %(field)s (one of: %(allowed)s).")
                        % {
                            "value": str(v)[:40],
                            "field": CONDITION_LABELS[key],
                            "allowed": ", ".join(choices.values),
                        },
                        field=f"conditions.{key}",
                    )
            out[key] = [str(v) for v in dict.fromkeys(values)]
        elif key in ID_CONDITIONS:
            out[key] = _clean_ids(values, key)
        else:
            if not all(isinstance(v, str) for v in values):
                raise InvalidInput(_("Tags are text."), field=f"conditions.{key}")
            tags = clean_tags([str(v) for v in values], field=f"conditions.{key}")
            if tags:
                out[key] = tags
    return out


# --- targets ----------------------------------------------------------------------------------


def _label(choices: type[Priority | Metric], value: str) -> str:
    return str(choices(value).label)


def clean_targets(raw: object) -> list[TargetValues]:
    if not isinstance(raw, list | tuple):
        raise InvalidInput(
            _("Targets are a list, each with a priority, a metric and minutes."), field="targets"
        )
    seen: dict[tuple[str, str], TargetValues] = {}
    for item in raw:
        if not isinstance(item, Mapping) or set(item) - {
            "priority", "metric", "minutes", "business_hours"
        }:  # fmt: skip
            raise InvalidInput(
                _("Targets are a list, each with a priority, a metric and minutes."),
                field="targets",
            )
        priority = item.get("priority")
        metric = item.get("metric")
        if priority not in Priority.values:
            raise InvalidInput(
                _("“%(value)s” is not a valid %(field)s (one of: %(allowed)s).")
                % {
                    "value": str(priority)[:40],
                    "field": _("priority"),
                    "allowed": ", ".join(Priority.values),
                },
                field="targets",
            )
        if metric not in Metric.values:
            raise InvalidInput(
                _("“%(value)s” is not a valid %(field)s (one of: %(allowed)s).")
                % {
                    "value": str(metric)[:40],
                    "field": _("metric"),
                    "allowed": ", ".join(Metric.values),
                },
                field="targets",
            )
        assert isinstance(priority, str) and isinstance(metric, str)
        field = f"targets.{metric}.{priority}"
        where = {"metric": _label(Metric, metric), "priority": _label(Priority, priority)}
        if (priority, metric) in seen:
            raise InvalidInput(
                _("%(metric)s, %(priority)s: the target is given twice.") % where, field=field
            )
        raw_minutes = item.get("minutes")
        try:
            minutes = parse_duration(raw_minutes)
        except ValueError:
            raise InvalidInput(
                _(
                    "%(metric)s, %(priority)s: “%(value)s” is not a duration. Write minutes "
                    "(90) or days, hours and minutes (1d 4h 30m)."
                )
                % {**where, "value": str(raw_minutes)[:40]},
                field=field,
            ) from None
        if minutes <= 0:
            raise InvalidInput(
                _("%(metric)s, %(priority)s: a target must be at least 1 minute.") % where,
                field=field,
            )
        if minutes > MAX_MINUTES:
            raise InvalidInput(
                _("%(metric)s, %(priority)s: a target may be at most 365 days (%(max)d minutes).")
                % {**where, "max": MAX_MINUTES},
                field=field,
            )
        business = item.get("business_hours", True)
        if not isinstance(business, bool):
            raise InvalidInput(
                _("%(metric)s, %(priority)s: say whether the target counts business hours.")
                % where,
                field=field,
            )
        seen[(priority, metric)] = TargetValues(priority, metric, minutes, business)
    if not seen:
        raise InvalidInput(
            _("Give the policy at least one target (a time for one metric and priority)."),
            field="targets",
        )
    metric_order = {m: i for i, m in enumerate(Metric.values)}
    priority_order = {p: i for i, p in enumerate(Priority.values)}
    return sorted(seen.values(), key=lambda t: (metric_order[t.metric], priority_order[t.priority]))


# --- the rest ---------------------------------------------------------------------------------


def clean_warn_percent(raw: object) -> int:
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 2 and 1 <= int(text) <= 99):
        raise InvalidInput(
            _(
                "The warning must be a whole percentage from 1 to 99: a target is “at risk” "
                "once this share of its time has passed."
            ),
            field="warn_percent",
        )
    return int(text)


def clean_calendar_id(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) < 18):
        raise InvalidInput(_("No such calendar."), field="calendar_id")
    if not Calendar.objects.filter(pk=int(text)).exists():
        raise InvalidInput(_("No such calendar."), field="calendar_id")
    return int(text)


def clean_escalations(raw: object) -> dict[str, list[dict[str, Any]]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            _("Escalations map “warning” and “breach” to the effects to run."),
            field="escalations",
        )
    out: dict[str, list[dict[str, Any]]] = {}
    for key, effects in raw.items():
        if key not in ESCALATION_KINDS:
            raise InvalidInput(
                _("“%(key)s” is not an escalation: use “warning” or “breach”.")
                % {"key": str(key)[:40]},
                field="escalations",
            )
        if effects in (None, []):
            continue
        from doum.automation.effects import EFFECT_TYPES, validate_effects

        allowed = tuple(t for t in EFFECT_TYPES if t != "sla_policy")
        try:
            out[key] = validate_effects(effects, allowed=allowed)
        except InvalidInput as error:
            raise InvalidInput(
                _("Escalation on %(when)s: %(problem)s")
                % {"when": ESCALATION_LABELS[key], "problem": error.message},
                field=f"escalations.{key}",
            ) from error
    return out


def clean_rules(
    *,
    conditions: object,
    targets: object,
    calendar_id: object,
    warn_percent: object,
    escalations: object,
) -> PolicyRules:
    """A policy's rules, validated (shared by the writers and the what-if of a draft)."""
    return PolicyRules(
        conditions=clean_conditions(conditions),
        targets=clean_targets(targets),
        calendar_id=clean_calendar_id(calendar_id),
        warn_percent=clean_warn_percent(warn_percent),
        escalations=clean_escalations(escalations),
    )


def _clean_policy_name(value: object, *, exclude_pk: int | None) -> str:
    name = clean_name(value if isinstance(value, str) else "", field="name", max_length=NAME_MAX)
    taken = SlaPolicy.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidInput(
            _("Another SLA policy is named “%(name)s”.") % {"name": name}, field="name"
        )
    return name


def _clean_description(value: object) -> str:
    text = normalize(value).strip() if isinstance(value, str) else ""
    if len(text) > DESCRIPTION_MAX:
        raise InvalidInput(
            _("At most %(max_length)s characters.") % {"max_length": DESCRIPTION_MAX},
            field="description",
        )
    return text


def _targets_data(targets: Sequence[TargetValues | SlaTarget]) -> list[dict[str, Any]]:
    return [
        {"priority": t.priority, "metric": t.metric, "minutes": t.minutes,
         "business_hours": t.business_hours}
        for t in targets
    ]  # fmt: skip


def policy_targets(policy: SlaPolicy) -> list[TargetValues]:
    return [
        TargetValues(t.priority, t.metric, t.minutes, t.business_hours)
        for t in policy.targets.order_by("id")
    ]


def policy_rules(policy: SlaPolicy) -> PolicyRules:
    """A saved policy's rules (for its what-if)."""
    return PolicyRules(
        conditions=dict(policy.conditions or {}),
        targets=policy_targets(policy),
        calendar_id=policy.calendar_id,
        warn_percent=policy.warn_percent,
        escalations=dict(policy.escalations or {}),
    )


def _audit_data(policy: SlaPolicy, targets: Sequence[TargetValues]) -> dict[str, Any]:
    return {
        "name": policy.name,
        "description": policy.description,
        "is_active": policy.is_active,
        "conditions": policy.conditions,
        "calendar": policy.calendar_id,
        "warn_percent": policy.warn_percent,
        "escalations": policy.escalations,
        "targets": _targets_data(targets),
    }


def _write_targets(policy: SlaPolicy, targets: Sequence[TargetValues]) -> None:
    SlaTarget.objects.filter(policy=policy).delete()
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy,
            priority=t.priority,
            metric=t.metric,
            minutes=t.minutes,
            business_hours=t.business_hours,
        )
        for t in targets
    )


def _save(policy: SlaPolicy, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            policy.save(**kwargs)
    except IntegrityError as exc:  # a concurrent write with the same name
        raise InvalidInput(
            _("Another SLA policy is named “%(name)s”.") % {"name": policy.name}, field="name"
        ) from exc


@transaction.atomic
def do_create_policy(
    *,
    actor: User | None,
    name: str,
    targets: object,
    description: str = "",
    conditions: object = None,
    calendar_id: object = None,
    warn_percent: object = DEFAULT_WARN_PERCENT,
    escalations: object = None,
    is_active: bool = True,
) -> SlaPolicy:
    """A new policy, placed last in the order."""
    _require_manager(actor)
    clean = _clean_policy_name(name, exclude_pk=None)
    text = _clean_description(description)
    rules = clean_rules(
        conditions=conditions,
        targets=targets,
        calendar_id=calendar_id,
        warn_percent=warn_percent,
        escalations=escalations,
    )
    last = SlaPolicy.objects.aggregate(last=Max("position"))["last"]
    at = clock.now()
    policy = SlaPolicy(
        name=clean,
        description=text,
        position=0 if last is None else last + 1,
        is_active=bool(is_active),
        conditions=rules.conditions,
        calendar_id=rules.calendar_id,
        warn_percent=rules.warn_percent,
        escalations=rules.escalations,
        created_at=at,
        updated_at=at,
    )
    _save(policy, force_insert=True)
    _write_targets(policy, rules.targets)
    audit(actor, "sla_policy.created", policy, **_audit_data(policy, rules.targets))
    recompute_open_tickets_after_commit()
    return policy


_UNSET: Any = object()


@transaction.atomic
def do_update_policy(
    policy: SlaPolicy,
    *,
    actor: User | None,
    name: object = _UNSET,
    description: object = _UNSET,
    conditions: object = _UNSET,
    targets: object = _UNSET,
    calendar_id: object = _UNSET,
    warn_percent: object = _UNSET,
    escalations: object = _UNSET,
    is_active: object = _UNSET,
) -> SlaPolicy:
    """Change the given values (the others stay); ``targets`` replaces all the targets."""
    _require_manager(actor)
    current = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    stored_targets = policy_targets(current)
    before = _audit_data(current, stored_targets)

    def pick(value: object, stored: object) -> object:
        return stored if value is _UNSET else value

    if name is not _UNSET:
        current.name = _clean_policy_name(name, exclude_pk=current.pk)
    if description is not _UNSET:
        current.description = _clean_description(description)
    rules = clean_rules(
        conditions=pick(conditions, current.conditions),
        targets=pick(targets, _targets_data(stored_targets)),
        calendar_id=pick(calendar_id, current.calendar_id),
        warn_percent=pick(warn_percent, current.warn_percent),
        escalations=pick(escalations, current.escalations),
    )
    if is_active is not _UNSET:
        current.is_active = bool(is_active)
    current.conditions = rules.conditions
    current.calendar_id = rules.calendar_id
    current.warn_percent = rules.warn_percent
    current.escalations = rules.escalations
    after = _audit_data(current, rules.targets)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return current
    current.updated_at = clock.now()
    _save(current)
    if "targets" in changed:
        _write_targets(current, rules.targets)
    action = "sla_policy.updated"
    if changed == ["is_active"]:
        action = "sla_policy.activated" if current.is_active else "sla_policy.deactivated"
    audit(
        actor,
        action,
        current,
        name=current.name,
        changed=changed,
        before={k: before[k] for k in changed},
    )
    if set(changed) - {"name", "description"}:
        recompute_open_tickets_after_commit()
    return current


def do_activate_policy(policy: SlaPolicy, *, actor: User | None) -> SlaPolicy:
    return do_update_policy(policy, actor=actor, is_active=True)


def do_deactivate_policy(policy: SlaPolicy, *, actor: User | None) -> SlaPolicy:
    """Stop matching new tickets to this policy; it stays in the list, in its place."""
    return do_update_policy(policy, actor=actor, is_active=False)


@transaction.atomic
def do_reorder_policies(*, actor: User | None, policy_ids: object) -> list[SlaPolicy]:
    """Put every policy in the given order (the first that matches a ticket applies)."""
    _require_manager(actor)
    policies = list(SlaPolicy.objects.select_for_update().order_by("position", "id"))
    ids: list[int] = []
    if isinstance(policy_ids, list | tuple):
        for raw in policy_ids:
            text = (
                str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
            )
            if not (text.isascii() and text.isdigit() and len(text) < 18):
                ids = []
                break
            ids.append(int(text))
    if not ids or len(ids) != len(set(ids)) or set(ids) != {p.pk for p in policies}:
        raise InvalidInput(
            _(
                "The new order must name every SLA policy exactly once; the list may have "
                "changed meanwhile, so reload the page."
            ),
            field="order",
        )
    by_id = {p.pk: p for p in policies}
    before = [p.pk for p in policies]
    ordered = [by_id[i] for i in ids]
    changed = []
    for position, policy in enumerate(ordered):
        if policy.position != position:
            policy.position = position
            changed.append(policy)
    if changed:
        SlaPolicy.objects.bulk_update(changed, ["position"])
    if before != ids:
        AuditLog.objects.create(
            actor=actor,
            action="sla_policy.reordered",
            target_type="slapolicy",
            target_id="",
            data={"order": ids, "before": before},
            at=clock.now(),
        )
        recompute_open_tickets_after_commit()
    return ordered


@transaction.atomic
def do_delete_policy(policy: SlaPolicy, *, actor: User | None) -> None:
    """Delete a policy and its targets. Tickets it applied to keep their timers; they match
    the remaining policies when their SLA is next computed."""
    _require_manager(actor)
    current = SlaPolicy.objects.select_for_update().filter(pk=policy.pk).first()
    if current is None:
        return
    from doum.automation.selectors import rules_using_sla_policy

    users = rules_using_sla_policy(current.pk)
    if users:
        raise InvalidInput(
            _("Rules still apply this policy: %(rules)s. Change them first.")
            % {"rules": ", ".join(users[:5])},
            field="policy",
        )
    audit(actor, "sla_policy.deleted", current, **_audit_data(current, policy_targets(current)))
    current.delete()
    recompute_open_tickets_after_commit()
