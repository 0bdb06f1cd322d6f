"""Automation writers: triggers, automations and macros (create, edit, order, activate,
delete), and applying a macro to a ticket.

Triggers, automations and shared macros are managed by managers and admins; every agent
who may change tickets manages their own personal macros. Conditions and effects are
validated here (doum.automation.conditions and .effects) before anything is saved, so a
refused rule leaves nothing behind; each write leaves an audit-log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, require_role
from doum.accounts.models import User
from doum.automation import conditions as cond
from doum.automation.effects import (
    EFFECT_TYPES,
    MACRO_EFFECT_TYPES,
    apply_effects,
    validate_effects,
)
from doum.automation.models import Automation, Macro, Trigger
from doum.automation.placeholders import check_placeholders, render, values_for
from doum.core import clock
from doum.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from doum.core.text import is_blank, normalize, single_line
from doum.tickets.models import Comment, Ticket
from doum.tickets.rules import RuleRef, applied_by

NAME_MAX = 100
DESCRIPTION_MAX = 1_000
REPLY_MAX = 20_000
MAX_RULES = 500
MAX_PERSONAL_MACROS = 200

Rule = TypeVar("Rule", Trigger, Automation)


# --- shared cleaning ------------------------------------------------------------------------


def clean_name(raw: Any) -> str:
    name = single_line(raw) if isinstance(raw, str) else ""
    if is_blank(name):
        raise InvalidInput(_("Give it a name."), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(
            _("A name has at most %(max)d characters.") % {"max": NAME_MAX}, field="name"
        )
    return name


def clean_description(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidInput(_("The description must be text."), field="description")
    text = normalize(raw).strip()
    if len(text) > DESCRIPTION_MAX:
        raise InvalidInput(
            _("A description has at most %(max)d characters.") % {"max": DESCRIPTION_MAX},
            field="description",
        )
    return text


def _require_manager(actor: User | None) -> None:
    require_role(
        actor, roles.MANAGES_PEOPLE, _("Only managers and admins manage triggers and automations.")
    )


def _clean_rule(
    model: type[Rule], *, name: Any, description: Any, conditions: Any, effects: Any
) -> dict[str, Any]:
    kind = cond.TRIGGER if model is Trigger else cond.AUTOMATION
    cleaned_conditions = cond.clean_conditions(conditions, kind=kind)
    cleaned_effects = validate_effects(effects, allowed=EFFECT_TYPES)
    if not cleaned_effects:
        raise InvalidInput(_("Give at least one effect."), field="effects")
    if kind == cond.AUTOMATION and not cond.nullified(cleaned_conditions, cleaned_effects):
        raise InvalidInput(
            _(
                "One of the conditions in “all” must become false through the automation's "
                "own effects, or it would act on the same ticket again and again. For example, "
                "close tickets whose status is solved, or add a tag and require that the "
                "ticket does not have it."
            ),
            field="conditions",
        )
    return {
        "name": clean_name(name),
        "description": clean_description(description),
        "conditions": cleaned_conditions,
        "effects": cleaned_effects,
    }


def _audit_name(model: type[Trigger | Automation | Macro]) -> str:
    return model.__name__.lower()


def _create_rule(
    model: type[Rule],
    *,
    actor: User | None,
    name: Any,
    conditions: Any,
    effects: Any,
    description: Any = "",
    is_active: bool = True,
) -> Rule:
    _require_manager(actor)
    values = _clean_rule(
        model, name=name, description=description, conditions=conditions, effects=effects
    )
    if model.objects.count() >= MAX_RULES:
        raise InvalidInput(_("At most %(n)d of these rules.") % {"n": MAX_RULES}, field="name")
    now = clock.now()
    last = model.objects.aggregate(last=Max("position"))["last"]
    rule = model.objects.create(
        **values,
        is_active=bool(is_active),
        position=0 if last is None else last + 1,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    audit(actor, f"{_audit_name(model)}.created", rule, name=rule.name)
    return rule


def _update_rule(
    rule: Rule,
    *,
    actor: User | None,
    name: Any,
    conditions: Any,
    effects: Any,
    description: Any = "",
    is_active: bool = True,
) -> Rule:
    _require_manager(actor)
    values = _clean_rule(
        type(rule), name=name, description=description, conditions=conditions, effects=effects
    )
    locked = type(rule).objects.select_for_update().get(pk=rule.pk)
    for key, value in values.items():
        setattr(locked, key, value)
    locked.is_active = bool(is_active)
    locked.updated_at = clock.now()
    locked.save()
    audit(actor, f"{_audit_name(type(rule))}.updated", locked, name=locked.name)
    return locked


def _set_active(rule: Rule, *, actor: User | None, active: bool) -> Rule:
    _require_manager(actor)
    type(rule).objects.filter(pk=rule.pk).update(is_active=active, updated_at=clock.now())
    rule.is_active = active
    action = "activated" if active else "deactivated"
    audit(actor, f"{_audit_name(type(rule))}.{action}", rule, name=rule.name)
    return rule


def _delete_rule(rule: Rule, *, actor: User | None) -> None:
    _require_manager(actor)
    audit(actor, f"{_audit_name(type(rule))}.deleted", rule, name=rule.name)
    rule.delete()


def _move(rows: list[Any], target: Any, direction: str) -> None:
    """Renumber `rows` (in their order) with `target` moved one place up or down."""
    if direction not in ("up", "down"):
        raise InvalidInput(_("Move up or down."), field="direction")
    ids = [r.pk for r in rows]
    if target.pk not in ids:
        return
    i = ids.index(target.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    model = type(target)
    for position, pk in enumerate(ids):
        model.objects.filter(pk=pk).exclude(position=position).update(position=position)


# --- triggers -------------------------------------------------------------------------------


@transaction.atomic
def do_create_trigger(
    *,
    actor: User | None,
    name: Any,
    conditions: Any,
    effects: Any,
    description: Any = "",
    is_active: bool = True,
) -> Trigger:
    """A trigger, last in the order. Managers and admins only."""
    return _create_rule(
        Trigger, actor=actor, name=name, conditions=conditions, effects=effects,
        description=description, is_active=is_active,
    )  # fmt: skip


@transaction.atomic
def do_update_trigger(
    trigger: Trigger,
    *,
    actor: User | None,
    name: Any,
    conditions: Any,
    effects: Any,
    description: Any = "",
    is_active: bool = True,
) -> Trigger:
    return _update_rule(
        trigger, actor=actor, name=name, conditions=conditions, effects=effects,
        description=description, is_active=is_active,
    )  # fmt: skip


@transaction.atomic
def do_set_trigger_active(trigger: Trigger, *, actor: User | None, active: bool) -> Trigger:
    return _set_active(trigger, actor=actor, active=active)


@transaction.atomic
def do_delete_trigger(trigger: Trigger, *, actor: User | None) -> None:
    _delete_rule(trigger, actor=actor)


@transaction.atomic
def do_move_trigger(trigger: Trigger, *, actor: User | None, direction: str) -> None:
    _require_manager(actor)
    _move(list(Trigger.objects.select_for_update().order_by("position", "id")), trigger, direction)


# --- automations ----------------------------------------------------------------------------


@transaction.atomic
def do_create_automation(
    *,
    actor: User | None,
    name: Any,
    conditions: Any,
    effects: Any,
    description: Any = "",
    is_active: bool = True,
) -> Automation:
    """An hourly automation. It needs a time condition, and a condition in "all" that its
    own effects make false. Managers and admins only."""
    return _create_rule(
        Automation, actor=actor, name=name, conditions=conditions, effects=effects,
        description=description, is_active=is_active,
    )  # fmt: skip


@transaction.atomic
def do_update_automation(
    automation: Automation,
    *,
    actor: User | None,
    name: Any,
    conditions: Any,
    effects: Any,
    description: Any = "",
    is_active: bool = True,
) -> Automation:
    return _update_rule(
        automation, actor=actor, name=name, conditions=conditions, effects=effects,
        description=description, is_active=is_active,
    )  # fmt: skip


@transaction.atomic
def do_set_automation_active(
    automation: Automation, *, actor: User | None, active: bool
) -> Automation:
    return _set_active(automation, actor=actor, active=active)


@transaction.atomic
def do_delete_automation(automation: Automation, *, actor: User | None) -> None:
    _delete_rule(automation, actor=actor)


@transaction.atomic
def do_move_automation(automation: Automation, *, actor: User | None, direction: str) -> None:
    _require_manager(actor)
    rows = list(Automation.objects.select_for_update().order_by("position", "id"))
    _move(rows, automation, direction)


# --- macros ---------------------------------------------------------------------------------


def _check_macro_owner(actor: User | None, *, shared: bool, owner_id: int | None = None) -> None:
    if actor is None:
        return
    if shared:
        require_role(
            actor, roles.MANAGES_PEOPLE, _("Only managers and admins manage shared macros.")
        )
        return
    require_role(actor, roles.EDITS_TICKETS, _("Your role may not use macros."))
    if owner_id is not None and owner_id != actor.pk:
        raise NotFound(_("No such macro."), field="macro")


def _clean_macro(*, name: Any, description: Any, effects: Any, reply_body: Any) -> dict[str, Any]:
    cleaned_effects = validate_effects(
        [] if effects is None else effects, allowed=MACRO_EFFECT_TYPES
    )
    if reply_body is None:
        reply_body = ""
    if not isinstance(reply_body, str):
        raise InvalidInput(_("The reply must be text."), field="reply_body")
    body = normalize(reply_body).strip()
    if len(body) > REPLY_MAX:
        raise InvalidInput(
            _("The reply has at most %(max)d characters.") % {"max": REPLY_MAX},
            field="reply_body",
        )
    check_placeholders(body, "reply_body")
    if not body and not cleaned_effects:
        raise InvalidInput(
            _("A macro needs a reply text, at least one effect, or both."), field="reply_body"
        )
    return {
        "name": clean_name(name),
        "description": clean_description(description),
        "effects": cleaned_effects,
        "reply_body": body,
    }


@transaction.atomic
def do_create_macro(
    *,
    actor: User,
    name: Any,
    effects: Any = None,
    reply_body: Any = "",
    reply_public: bool = True,
    description: Any = "",
    shared: bool = False,
    is_active: bool = True,
) -> Macro:
    """A personal macro of `actor`, or (managers and admins) a shared one."""
    _check_macro_owner(actor, shared=shared)
    values = _clean_macro(
        name=name, description=description, effects=effects, reply_body=reply_body
    )
    scope = Macro.objects.filter(owner=None if shared else actor)
    if not shared and scope.count() >= MAX_PERSONAL_MACROS:
        raise InvalidInput(
            _("At most %(n)d personal macros.") % {"n": MAX_PERSONAL_MACROS}, field="name"
        )
    if shared and Macro.objects.filter(owner=None).count() >= MAX_RULES:
        raise InvalidInput(_("At most %(n)d shared macros.") % {"n": MAX_RULES}, field="name")
    last = scope.aggregate(last=Max("position"))["last"]
    now = clock.now()
    macro = Macro.objects.create(
        **values,
        owner=None if shared else actor,
        reply_public=bool(reply_public),
        is_active=bool(is_active),
        position=0 if last is None else last + 1,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    audit(actor, "macro.created", macro, name=macro.name, shared=shared)
    return macro


@transaction.atomic
def do_update_macro(
    macro: Macro,
    *,
    actor: User,
    name: Any,
    effects: Any,
    reply_body: Any,
    reply_public: bool,
    description: Any = "",
    is_active: bool = True,
) -> Macro:
    _check_macro_owner(actor, shared=macro.is_shared, owner_id=macro.owner_id)
    values = _clean_macro(
        name=name, description=description, effects=effects, reply_body=reply_body
    )
    locked = Macro.objects.select_for_update().get(pk=macro.pk)
    for key, value in values.items():
        setattr(locked, key, value)
    locked.reply_public = bool(reply_public)
    locked.is_active = bool(is_active)
    locked.updated_at = clock.now()
    locked.save()
    audit(actor, "macro.updated", locked, name=locked.name)
    return locked


@transaction.atomic
def do_set_macro_active(macro: Macro, *, actor: User, active: bool) -> Macro:
    _check_macro_owner(actor, shared=macro.is_shared, owner_id=macro.owner_id)
    Macro.objects.filter(pk=macro.pk).update(is_active=active, updated_at=clock.now())
    macro.is_active = active
    audit(actor, "macro.activated" if active else "macro.deactivated", macro, name=macro.name)
    return macro


@transaction.atomic
def do_delete_macro(macro: Macro, *, actor: User) -> None:
    _check_macro_owner(actor, shared=macro.is_shared, owner_id=macro.owner_id)
    audit(actor, "macro.deleted", macro, name=macro.name)
    macro.delete()


@transaction.atomic
def do_move_macro(macro: Macro, *, actor: User, direction: str) -> None:
    _check_macro_owner(actor, shared=macro.is_shared, owner_id=macro.owner_id)
    rows = list(
        Macro.objects.select_for_update().filter(owner_id=macro.owner_id).order_by("position", "id")
    )
    _move(rows, macro, direction)


@dataclass(frozen=True)
class MacroApplied:
    ticket: Ticket
    changed: list[str]
    comment: Comment | None


@transaction.atomic
def do_apply_macro(
    ticket: Ticket,
    macro: Macro,
    *,
    actor: User,
    via: str,
    expected_version: int | None = None,
) -> MacroApplied:
    """Apply a macro to a ticket the agent can see (callers use `access_ticket`): its effects
    in one version, then its reply text (placeholders filled in) as the agent's reply or
    internal note, all in one transaction; every event carries the macro as its rule.
    The macro's usage count goes up by one."""
    from doum.mail.templates_store import language_for
    from doum.tickets import actions as tickets

    if actor.role not in roles.EDITS_TICKETS or not actor.is_active:
        raise Forbidden(_("Your role may not apply macros."))
    if not macro.is_active or (macro.owner_id is not None and macro.owner_id != actor.pk):
        raise NotFound(_("No such macro."), field="macro")
    current = Ticket.objects.filter(pk=ticket.pk).values_list("version", flat=True).first()
    if current is None:
        raise NotFound(_("No such ticket."), field="ticket")
    if expected_version is not None and current != expected_version:
        raise Conflict(
            _("This ticket changed since you opened it. Review the changes and try again."),
            field="version",
            current_version=current,
            changes=tickets.changes_since(ticket, expected_version),
        )
    rule = RuleRef("macro", macro.pk, macro.name)
    changed: list[str] = []
    if macro.effects:
        changed = apply_effects(
            ticket.pk, list(macro.effects), rule=rule, via=via, actor=actor,
            expected_version=expected_version,
        )  # fmt: skip
    fresh = Ticket.objects.select_related(
        "brand", "requester", "assignee", "team", "organization"
    ).get(pk=ticket.pk)
    comment = None
    if macro.reply_body:
        language = language_for(fresh.requester) if macro.reply_public else None
        body = render(macro.reply_body, values_for(fresh, language=language, current_user=actor))
        unchanged = fresh.version == current
        with applied_by(rule):
            comment = tickets.do_add_comment(
                fresh,
                actor=actor,
                via=via,
                body=body,
                public=macro.reply_public,
                expected_version=expected_version if unchanged else None,
            )
        changed.append("reply" if macro.reply_public else "note")
        fresh.refresh_from_db()
    Macro.objects.filter(pk=macro.pk).update(
        usage_count=F("usage_count") + 1, last_used_at=clock.now()
    )
    return MacroApplied(fresh, changed, comment)
