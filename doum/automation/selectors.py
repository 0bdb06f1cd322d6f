"""Automation reads: rules in order, and macros as each person may see or use them."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import User
from doum.automation.models import Automation, Macro, Trigger
from doum.core.errors import Forbidden, NotFound


def _check_manager(viewer: User) -> None:
    if not viewer.is_agent:
        raise NotFound(_("Not found."))
    if viewer.role not in roles.MANAGES_PEOPLE:
        raise Forbidden(_("Only managers and admins manage triggers and automations."))


def triggers_in_order() -> QuerySet[Trigger]:
    return Trigger.objects.order_by("position", "id")


def active_triggers() -> list[Trigger]:
    return list(Trigger.objects.filter(is_active=True).order_by("position", "id"))


def automations_in_order() -> QuerySet[Automation]:
    return Automation.objects.order_by("position", "id")


def access_trigger(viewer: User, trigger_id: int) -> Trigger:
    _check_manager(viewer)
    found = Trigger.objects.filter(pk=trigger_id).first()
    if found is None:
        raise NotFound(_("No such trigger."), field="trigger")
    return found


def access_automation(viewer: User, automation_id: int) -> Automation:
    _check_manager(viewer)
    found = Automation.objects.filter(pk=automation_id).first()
    if found is None:
        raise NotFound(_("No such automation."), field="automation")
    return found


def shared_macros() -> QuerySet[Macro]:
    return Macro.objects.filter(owner__isnull=True).order_by("position", "id")


def personal_macros(owner: User) -> QuerySet[Macro]:
    return Macro.objects.filter(owner=owner).order_by("position", "id")


def usable_macros(user: User) -> list[Macro]:
    """The active macros `user` may apply: their own first, then the shared ones."""
    if not user.is_agent or user.role not in roles.EDITS_TICKETS:
        return []
    rows = Macro.objects.filter(Q(owner=user) | Q(owner__isnull=True), is_active=True).order_by(
        "position", "id"
    )
    found = list(rows)
    return [m for m in found if m.owner_id is not None] + [m for m in found if m.owner_id is None]


def access_macro_to_apply(user: User, macro_id: int) -> Macro:
    """A macro `user` may apply (active; shared or their own); NotFound otherwise."""
    found = Macro.objects.filter(pk=macro_id, is_active=True).first()
    if found is None or (found.owner_id is not None and found.owner_id != user.pk):
        raise NotFound(_("No such macro."), field="macro")
    return found


def access_shared_macro(viewer: User, macro_id: int) -> Macro:
    _check_manager(viewer)
    found = Macro.objects.filter(pk=macro_id, owner__isnull=True).first()
    if found is None:
        raise NotFound(_("No such macro."), field="macro")
    return found


def access_personal_macro(viewer: User, macro_id: int) -> Macro:
    """One of the viewer's own macros (someone else's does not exist for them)."""
    found = Macro.objects.filter(pk=macro_id, owner=viewer).first()
    if found is None:
        raise NotFound(_("No such macro."), field="macro")
    return found


def rules_using_sla_policy(policy_id: int) -> list[str]:
    """Names of the triggers, automations and macros whose effects apply this SLA policy (rule
    tables are small: read in full)."""
    names: list[str] = []
    for model in (Trigger, Automation, Macro):
        for name, effects in model.objects.order_by("id").values_list("name", "effects"):
            if any(
                isinstance(e, dict)
                and e.get("type") == "sla_policy"
                and e.get("policy_id") == policy_id
                for e in effects or ()
            ):
                names.append(name)
    return names
