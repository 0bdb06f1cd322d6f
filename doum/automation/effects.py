"""Effects: the things a rule does to a ticket, shared by triggers, automations, macros and
SLA escalations. One JSON shape, one validator, one executor.

An effect list is a JSON list of objects, each with a "type":

* {"type": "set", "field": F, "value": V}: F is "status", "priority", "type", "team_id",
  "assignee_id" or "custom_fields.<key>"; V as the ticket actions take it (ids as ints,
  None clears).
* {"type": "raise_priority"}: one step up (low → normal → high → urgent; urgent stays).
* {"type": "add_tags", "tags": [...]}, {"type": "remove_tags", "tags": [...]}
* {"type": "note", "body": "..."}: an internal note (placeholders allowed).
* {"type": "mail", "to": "requester" | "assignee" | "team" | "lead" | "address",
   "address": "x@y" (for "address" only), "subject": "...", "body": "..."}: placeholders
  such as {{ticket.id}}, {{ticket.subject}}, {{requester.first_name}} are filled in; sent
  through doum.mail's outbound queue as automatic mail.
* {"type": "notify", "to": "assignee" | "lead" | "team", "message": "..." (optional)}: a
  short notification mail to staff naming the rule, the ticket and its link.
* {"type": "webhook", "webhook_id": N}: doum.webhooks.actions.queue_webhook with the event
  "trigger" (the webhook must subscribe to it) and the rule and the ticket's fields as data.
* {"type": "sla_policy", "policy_id": N}: doum.sla.actions.do_apply_policy.
* {"type": "require_skills", "skills": ["billing", ...]}:
  doum.routing.actions.do_set_required_skills.
* {"type": "survey", "kinds": ["csat"] | ["ces"] | ["csat", "ces"], "delay_minutes": N
  (optional; default: the brand's CSAT delay)}: schedules the satisfaction survey of the
  ticket's latest solve (doum.surveys.delivery.schedule_after_solve; one per solve and kind,
  so firing twice schedules nothing more). Nothing happens on a ticket that was never solved.

`apply_effects` runs inside `doum.tickets.rules.applied_by(rule)`, writes every field
change through the ticket actions (one version for all "set"/tag effects), so each event
carries the rule; side effects (mail, webhooks) run after commit. The whole application is
one transaction: an effect that fails (a closed ticket, an assignee who left) leaves nothing
half-applied. Field changes are made with no actor (``actor=None``) unless one is given
(a macro is applied by an agent); internal notes need an author and are written by the
system account "Doum" (doum.automation.system) when there is no actor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.accounts import roles
from doum.accounts.models import Team, TeamMembership, User
from doum.automation.conditions import FIELDS, value_label
from doum.core.errors import InvalidInput
from doum.core.text import normalize, single_line
from doum.tickets.changes import clean_tags
from doum.tickets.custom_fields import active_definitions, clean_value
from doum.tickets.models import Priority, Status, Ticket, TicketType
from doum.tickets.rules import RuleRef, applied_by

log = logging.getLogger(__name__)

EFFECT_TYPES = (
    "set", "raise_priority", "add_tags", "remove_tags", "note", "mail", "notify", "webhook",
    "sla_policy", "require_skills", "survey",
)  # fmt: skip
# What an agent's macro may do: change the ticket and write a note (no mail or webhooks).
MACRO_EFFECT_TYPES = ("set", "raise_priority", "add_tags", "remove_tags", "note")

MAX_EFFECTS = 20
BODY_MAX = 20_000
SUBJECT_MAX = 300
MESSAGE_MAX = 2_000
MAX_TEAM_RECIPIENTS = 50
SETTABLE = ("status", "priority", "type", "team_id", "assignee_id")
CUSTOM_PREFIX = "custom_fields."
MAIL_TO = ("requester", "assignee", "team", "lead", "address")
RECIPIENT_LABELS = {
    "requester": gettext_lazy("the requester"),
    "assignee": gettext_lazy("the assignee"),
    "team": gettext_lazy("the team"),
    "lead": gettext_lazy("the team lead"),
}
NOTIFY_TO = ("assignee", "lead", "team")
# The webhook event rules send (doum.webhooks.models.WebhookEvent.TRIGGER).
WEBHOOK_EVENT = "trigger"

RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}

_KEYS: dict[str, set[str]] = {
    "set": {"field", "value"},
    "raise_priority": set(),
    "add_tags": {"tags"},
    "remove_tags": {"tags"},
    "note": {"body"},
    "mail": {"to", "address", "subject", "body"},
    "notify": {"to", "message"},
    "webhook": {"webhook_id"},
    "sla_policy": {"policy_id"},
    "require_skills": {"skills"},
    "survey": {"kinds", "delay_minutes"},
}
SURVEY_KINDS = ("csat", "ces")
SURVEY_MAX_DELAY_MINUTES = 30 * 24 * 60


# --- validation -----------------------------------------------------------------------------


class _Effect:
    """Names an effect in error messages: "Effect 2 (mail)"."""

    def __init__(self, index: int, kind: str) -> None:
        self.number = index + 1
        self.kind = kind

    def fail(self, problem: str) -> InvalidInput:
        where = _("Effect %(n)d (%(type)s)") % {"n": self.number, "type": self.kind}
        return InvalidInput(
            _("%(where)s: %(problem)s") % {"where": where, "problem": problem}, field="effects"
        )


def _shown(value: Any) -> str:
    return single_line(str(value))[:60]


def _text(raw: Any, where: _Effect, *, max_length: int, one_line: bool, required: bool) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str):
        raise where.fail(_("the text must be a string."))
    text = single_line(raw) if one_line else normalize(raw).strip()
    if required and not text:
        raise where.fail(_("the text is empty."))
    if len(text) > max_length:
        raise where.fail(_("the text has more than %(max)d characters.") % {"max": max_length})
    from doum.automation.placeholders import check_placeholders

    try:
        check_placeholders(text, "effects")
    except InvalidInput as error:
        raise where.fail(error.message) from error
    return text


def _id(raw: Any, where: _Effect) -> int:
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit() and 0 < len(text) < 18):
        raise where.fail(_("“%(value)s” is not an id.") % {"value": _shown(raw)})
    return int(text)


def _exists(app_label: str, model: str, pk: int) -> bool | None:
    """Whether the row exists; None when the app has no such model (nothing to check)."""
    try:
        found = apps.get_model(app_label, model)
    except LookupError:
        return None
    return bool(found._default_manager.filter(pk=pk).exists())


def _subscribes_to_rules(webhook_id: int) -> bool | None:
    """Whether the webhook takes the "trigger" event rules send (None: cannot tell)."""
    try:
        model = apps.get_model("webhooks", "Webhook")
    except LookupError:
        return None
    events = model._default_manager.filter(pk=webhook_id).values_list("events", flat=True).first()
    return None if not isinstance(events, list) else WEBHOOK_EVENT in events


def _clean_set(raw: dict[str, Any], where: _Effect) -> dict[str, Any]:
    name = raw.get("field")
    value = raw.get("value")
    if not isinstance(name, str) or not (name in SETTABLE or name.startswith(CUSTOM_PREFIX)):
        raise where.fail(
            _("“%(field)s” cannot be set (one of: %(allowed)s, custom_fields.<key>).")
            % {"field": _shown(name), "allowed": ", ".join(SETTABLE)}
        )
    if name == "status":
        allowed = [s for s in Status.values if s != Status.NEW]
        if value not in allowed:
            raise where.fail(
                _("“%(value)s” is not a status a rule can set (one of: %(allowed)s).")
                % {"value": _shown(value), "allowed": ", ".join(allowed)}
            )
    elif name == "priority":
        if value not in Priority.values:
            raise where.fail(
                _("“%(value)s” is not a priority (one of: %(allowed)s).")
                % {"value": _shown(value), "allowed": ", ".join(Priority.values)}
            )
    elif name == "type":
        allowed = [t for t in TicketType.values if t != TicketType.TASK]
        if value not in allowed:
            raise where.fail(
                _("“%(value)s” is not a type a rule can set (one of: %(allowed)s).")
                % {"value": _shown(value), "allowed": ", ".join(allowed)}
            )
    elif name == "team_id":
        if value is not None:
            value = _id(value, where)
            if not Team.objects.filter(pk=value).exists():
                raise where.fail(_("there is no team with the id %(id)s.") % {"id": value})
    elif name == "assignee_id":
        if value is not None:
            value = _id(value, where)
            ok = User.objects.filter(
                pk=value, is_active=True, role__in=roles.EDITS_TICKETS
            ).exists()
            if not ok:
                raise where.fail(
                    _("user %(id)s is not an active agent who may be assigned tickets.")
                    % {"id": value}
                )
    else:
        key = name.removeprefix(CUSTOM_PREFIX)
        definition = active_definitions().get(key)
        if definition is None:
            raise where.fail(_("there is no active custom field “%(key)s”.") % {"key": _shown(key)})
        try:
            value = clean_value(definition, value)
        except InvalidInput as error:
            raise where.fail(error.message) from error
    return {"type": "set", "field": name, "value": value}


def _clean_one(raw: Any, index: int, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _Effect(index, "?").fail(_("an effect is an object with a “type”."))
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in allowed:
        raise _Effect(index, _shown(kind)).fail(
            _("unknown effect type (one of: %(allowed)s).") % {"allowed": ", ".join(allowed)}
        )
    where = _Effect(index, kind)
    extra = set(raw) - {"type"} - _KEYS[kind]
    if extra:
        raise where.fail(
            _("“%(key)s” is not a setting of this effect.") % {"key": _shown(sorted(extra)[0])}
        )
    if kind == "set":
        return _clean_set(raw, where)
    if kind == "raise_priority":
        return {"type": kind}
    if kind in ("add_tags", "remove_tags"):
        tags = raw.get("tags")
        if isinstance(tags, str):
            tags = [tags]
        if not isinstance(tags, list):
            raise where.fail(_("“tags” is a list of tags."))
        try:
            cleaned = clean_tags(tags, field="effects")
        except InvalidInput as error:
            raise where.fail(error.message) from error
        if not cleaned:
            raise where.fail(_("name at least one tag."))
        return {"type": kind, "tags": cleaned}
    if kind == "note":
        body = _text(raw.get("body"), where, max_length=BODY_MAX, one_line=False, required=True)
        return {"type": kind, "body": body}
    if kind == "mail":
        to = raw.get("to")
        if to not in MAIL_TO:
            raise where.fail(_("“to” is one of: %(allowed)s.") % {"allowed": ", ".join(MAIL_TO)})
        effect: dict[str, Any] = {"type": kind, "to": to}
        if to == "address":
            address = raw.get("address")
            text = single_line(address).lower() if isinstance(address, str) else ""
            try:
                validate_email(text)
            except ValidationError:
                raise where.fail(
                    _("“%(address)s” is not a valid e-mail address.") % {"address": _shown(address)}
                ) from None
            effect["address"] = text
        elif raw.get("address"):
            raise where.fail(_("an address is only given when “to” is “address”."))
        effect["subject"] = _text(
            raw.get("subject"), where, max_length=SUBJECT_MAX, one_line=True, required=True
        )
        effect["body"] = _text(
            raw.get("body"), where, max_length=BODY_MAX, one_line=False, required=True
        )
        return effect
    if kind == "notify":
        to = raw.get("to")
        if to not in NOTIFY_TO:
            raise where.fail(_("“to” is one of: %(allowed)s.") % {"allowed": ", ".join(NOTIFY_TO)})
        message = _text(
            raw.get("message"), where, max_length=MESSAGE_MAX, one_line=False, required=False
        )
        return {"type": kind, "to": to, "message": message}
    if kind == "webhook":
        webhook_id = _id(raw.get("webhook_id"), where)
        if _exists("webhooks", "Webhook", webhook_id) is False:
            raise where.fail(_("there is no webhook with the id %(id)s.") % {"id": webhook_id})
        if _subscribes_to_rules(webhook_id) is False:
            raise where.fail(
                _(
                    "webhook %(id)s does not receive rule events: choose “Sent by a trigger” "
                    "among its events first."
                )
                % {"id": webhook_id}
            )
        return {"type": kind, "webhook_id": webhook_id}
    if kind == "sla_policy":
        policy_id = _id(raw.get("policy_id"), where)
        if _exists("sla", "SlaPolicy", policy_id) is False:
            raise where.fail(_("there is no SLA policy with the id %(id)s.") % {"id": policy_id})
        return {"type": kind, "policy_id": policy_id}
    if kind == "survey":
        return _clean_survey(raw, where)
    skills = raw.get("skills")
    if isinstance(skills, str):
        skills = [skills]
    if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
        raise where.fail(_("“skills” is a list of skill names."))
    from doum.routing.actions import parse_required_skills

    try:
        parse_required_skills([single_line(s) for s in skills])
    except InvalidInput as error:
        raise where.fail(error.message) from error
    return {"type": kind, "skills": [single_line(s) for s in skills]}


def _clean_survey(raw: dict[str, Any], where: _Effect) -> dict[str, Any]:
    kinds = raw.get("kinds", ["csat"])
    if isinstance(kinds, str):
        kinds = [kinds]
    if (
        not isinstance(kinds, list)
        or not kinds
        or not all(isinstance(k, str) and k in SURVEY_KINDS for k in kinds)
    ):
        raise where.fail(
            _("“kinds” is a list of: %(allowed)s.") % {"allowed": ", ".join(SURVEY_KINDS)}
        )
    effect: dict[str, Any] = {"type": "survey", "kinds": list(dict.fromkeys(kinds))}
    delay = raw.get("delay_minutes")
    if delay is not None:
        if (
            not isinstance(delay, int)
            or isinstance(delay, bool)
            or not 0 <= delay <= SURVEY_MAX_DELAY_MINUTES
        ):
            raise where.fail(
                _("“delay_minutes” is a whole number of minutes from 0 to %(max)d.")
                % {"max": SURVEY_MAX_DELAY_MINUTES}
            )
        effect["delay_minutes"] = delay
    return effect


def validate_effects(
    effects: object, *, allowed: tuple[str, ...] = EFFECT_TYPES
) -> list[dict[str, Any]]:
    """The cleaned effect list, or InvalidInput naming the effect and what is wrong."""
    if not isinstance(effects, list):
        raise InvalidInput(_("Effects are a list of objects."), field="effects")
    if len(effects) > MAX_EFFECTS:
        raise InvalidInput(_("At most %(n)d effects.") % {"n": MAX_EFFECTS}, field="effects")
    cleaned = [_clean_one(raw, i, allowed) for i, raw in enumerate(effects)]
    seen: set[str] = set()
    for i, effect in enumerate(cleaned):
        if effect["type"] != "set":
            continue
        if effect["field"] in seen:
            raise _Effect(i, "set").fail(
                _("“%(field)s” is already set by an earlier effect.") % {"field": effect["field"]}
            )
        seen.add(effect["field"])
    return cleaned


# --- applying -------------------------------------------------------------------------------


def _ticket(ticket_id: int) -> Ticket:
    found = (
        Ticket.objects.select_related("brand", "requester", "assignee", "team", "organization")
        .filter(pk=ticket_id)
        .first()
    )
    if found is None:
        raise InvalidInput(_("No such ticket."), field="ticket")
    return found


def field_changes(ticket: Ticket, effects: list[dict[str, Any]]) -> dict[str, Any]:
    """The set/priority/tag effects as one `do_update_ticket` change set."""
    changes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for effect in effects:
        kind = effect["type"]
        if kind == "set":
            name = effect["field"]
            if name.startswith(CUSTOM_PREFIX):
                custom[name.removeprefix(CUSTOM_PREFIX)] = effect["value"]
            else:
                changes[name] = effect["value"]
        elif kind == "raise_priority":
            current = changes.get("priority", ticket.priority)
            changes["priority"] = str(RAISED.get(current, current))
        elif kind in ("add_tags", "remove_tags"):
            other = "remove_tags" if kind == "add_tags" else "add_tags"
            for tag in effect["tags"]:
                if tag in changes.get(other, []):
                    changes[other].remove(tag)
                changes.setdefault(kind, [])
                if tag not in changes[kind]:
                    changes[kind].append(tag)
    if custom:
        changes["custom_fields"] = custom
    return {k: v for k, v in changes.items() if v != [] or k not in ("add_tags", "remove_tags")}


def apply_effects(
    ticket_id: int,
    effects: list[dict[str, Any]],
    *,
    rule: RuleRef,
    via: str,
    actor: User | None = None,
    expected_version: int | None = None,
) -> list[str]:
    """Apply validated effects to a ticket; returns the names of what changed.

    One transaction: the field and tag effects in one `do_update_ticket` (one version), then
    each note, SLA policy and required skills through their own actions; mail and
    notifications are queued after commit, webhooks by doum.webhooks (after commit too).
    `actor` is the agent applying a macro (None for triggers, automations and SLA
    escalations); `expected_version` makes the first write fail with Conflict when the
    ticket changed since the agent saw it.
    """
    from doum.tickets import actions as tickets

    changed: list[str] = []
    with applied_by(rule), transaction.atomic():
        ticket = _ticket(ticket_id)
        changes = field_changes(ticket, effects)
        if changes:
            before = ticket.version
            ticket = tickets.do_update_ticket(
                ticket, actor=actor, via=via, changes=changes, expected_version=expected_version
            )
            expected_version = None
            if ticket.version != before:
                names = [
                    name.removesuffix("_id").replace("add_", "").replace("remove_", "")
                    for name in changes
                ]
                changed += list(dict.fromkeys(names))
        for effect in effects:
            kind = effect["type"]
            if kind == "note":
                from doum.automation.placeholders import render, values_for

                ticket = _ticket(ticket_id)
                author = actor or _system_user()
                tickets.do_add_comment(
                    ticket,
                    actor=author,
                    via=via,
                    body=render(effect["body"], values_for(ticket, current_user=actor)),
                    public=False,
                    expected_version=expected_version,
                )
                expected_version = None
                changed.append("note")
            elif kind == "sla_policy":
                from doum.sla.actions import do_apply_policy

                do_apply_policy(ticket_id, effect["policy_id"], actor=actor, via=via)
                changed.append("sla_policy")
            elif kind == "require_skills":
                from doum.routing.actions import do_set_required_skills

                do_set_required_skills(ticket_id, list(effect["skills"]), actor=actor, via=via)
                changed.append("required_skills")
            elif kind == "webhook":
                from doum.webhooks.actions import queue_webhook

                queue_webhook(
                    effect["webhook_id"],
                    ticket_id=ticket_id,
                    event=WEBHOOK_EVENT,
                    payload=_webhook_payload(_ticket(ticket_id), rule),
                )
                changed.append("webhook")
            elif kind in ("mail", "notify"):
                transaction.on_commit(_mail_job(ticket_id, effect, rule))
                changed.append(kind)
            elif kind == "survey":
                from doum.surveys.delivery import schedule_after_solve

                if schedule_after_solve(
                    ticket_id,
                    kinds=list(effect.get("kinds") or ["csat"]),
                    delay_minutes=effect.get("delay_minutes"),
                ):
                    changed.append("survey")
    return changed


def _system_user() -> User:
    from doum.automation.system import system_user

    return system_user()


def _webhook_payload(ticket: Ticket, rule: RuleRef) -> dict[str, Any]:
    return {
        "rule": rule.as_data(),
        "ticket": {
            "id": ticket.pk,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "type": ticket.type,
            "channel": ticket.channel,
            "brand_id": ticket.brand_id,
            "team_id": ticket.team_id,
            "assignee_id": ticket.assignee_id,
            "requester_id": ticket.requester_id,
            "version": ticket.version,
        },
    }


# --- mail -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleMail:
    """A rule's mail, rendered when the rule fires (so it describes the ticket as the rule
    left it) and queued after commit."""

    ticket_id: int
    to: list[str]
    subject: str
    body: str


def _mail_job(ticket_id: int, effect: dict[str, Any], rule: RuleRef) -> Any:
    """Render now; queue after commit (a failure is logged, never raised into the change)."""
    try:
        mail = prepare_rule_mail(ticket_id, effect, rule)
    except Exception:
        log.exception("rule %s %s: mail for #%s failed", rule.kind, rule.id, ticket_id)
        mail = None

    def run() -> None:
        if mail is None:
            return
        try:
            queue_rule_mail(mail)
        except Exception:
            log.exception("rule %s %s: mail for #%s failed", rule.kind, rule.id, ticket_id)

    return run


def _mailable(user: User | None) -> bool:
    return bool(user is not None and user.is_active and user.email)


def _team_members(team_id: int | None) -> list[User]:
    if team_id is None:
        return []
    rows = (
        TeamMembership.objects.filter(
            team_id=team_id, user__is_active=True, user__role__in=roles.STAFF_ROLES
        )
        .exclude(user__email__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__name", "user_id")[:MAX_TEAM_RECIPIENTS]
    )
    return [r.user for r in rows]


def recipients(ticket: Ticket, to: str) -> list[User]:
    """The people a rule's mail or notification goes to (active, with an address)."""
    if to == "requester":
        people = [ticket.requester]
    elif to == "assignee":
        people = [ticket.assignee] if ticket.assignee else []
    elif to == "lead":
        people = [ticket.team.lead] if ticket.team and ticket.team.lead else []
    elif to == "team":
        people = _team_members(ticket.team_id)
    else:
        people = []
    if to != "requester":
        people = [p for p in people if p.role in roles.STAFF_ROLES]
    return [p for p in people if _mailable(p)]


def prepare_rule_mail(ticket_id: int, effect: dict[str, Any], rule: RuleRef) -> RuleMail | None:
    """A rule's mail or notification for the ticket as it is now; None when there is nobody
    to send it to."""
    from doum.automation.placeholders import render, values_for
    from doum.mail import templates_store

    ticket = _ticket(ticket_id)
    if ticket.deleted_at is not None or ticket.is_spam:
        return None
    people = recipients(ticket, effect["to"])
    addresses = [p.email or "" for p in people]
    if effect["to"] == "address":
        addresses = [effect["address"]]
    if not addresses:
        log.info("rule %s %s: nobody to mail on #%s", rule.kind, rule.id, ticket_id)
        return None
    language = templates_store.language_for(people[0] if people else None)
    values = values_for(ticket, language=language)
    if effect["type"] == "mail":
        subject = single_line(render(effect["subject"], values))
        body = render(effect["body"], values)
    else:
        with translation.override(language):
            subject = _("%(rule)s: %(subject)s") % {
                "rule": single_line(rule.name),
                "subject": values["ticket.subject"],
            }
            message = render(effect.get("message") or "", values)
            intro = _("The rule “%(rule)s” asks you to look at ticket #%(number)s.") % {
                "rule": single_line(rule.name),
                "number": ticket.pk,
            }
            body = "\n\n".join(p for p in (intro, message, values["ticket.url"]) if p)
    return RuleMail(ticket.pk, addresses, subject[:SUBJECT_MAX], body)


def queue_rule_mail(mail: RuleMail) -> None:
    """Queue a rendered rule mail as automatic mail of kind "rule" (doum.mail's loop caps,
    bounce and own-address checks apply)."""
    from doum.mail import outbound
    from doum.mail.models import OutboundKind

    ticket = _ticket(mail.ticket_id)
    outbound.queue_message(
        kind=OutboundKind.RULE,
        ticket=ticket,
        to=mail.to,
        subject=mail.subject,
        body_text=mail.body,
        is_automatic=True,
        auto_value=outbound.auto_submitted_for(OutboundKind.RULE),
    )


@dataclass(frozen=True)
class TargetNames:
    """Names of the webhooks and SLA policies that effects point to, loaded once per page."""

    webhooks: dict[int, str]
    policies: dict[int, str]


def target_names(effect_lists: Iterable[list[dict[str, Any]]]) -> TargetNames:
    """One query per kind of target for all the rules a page lists (none when unused)."""
    from doum.sla.models import SlaPolicy
    from doum.webhooks.models import Webhook

    webhook_ids: set[int] = set()
    policy_ids: set[int] = set()
    for effects in effect_lists:
        for effect in effects:
            if effect.get("type") == "webhook" and isinstance(effect.get("webhook_id"), int):
                webhook_ids.add(effect["webhook_id"])
            if effect.get("type") == "sla_policy" and isinstance(effect.get("policy_id"), int):
                policy_ids.add(effect["policy_id"])
    webhooks = (
        dict(Webhook.objects.filter(pk__in=webhook_ids).values_list("pk", "name"))
        if webhook_ids
        else {}
    )
    policies = (
        dict(SlaPolicy.objects.filter(pk__in=policy_ids).values_list("pk", "name"))
        if policy_ids
        else {}
    )
    return TargetNames(webhooks=webhooks, policies=policies)


def _named(names: dict[int, str], target_id: object) -> str:
    name = names.get(target_id) if isinstance(target_id, int) else None
    return f"“{name}”" if name else str(target_id)


def describe_effects(effects: list[dict[str, Any]], names: TargetNames | None = None) -> list[str]:
    """Short readable lines for the list pages ("Set status to closed"); a list page passes
    the `target_names` of all its rules so that naming targets costs no query per rule."""
    if names is None:
        names = target_names([effects])
    lines: list[str] = []
    for effect in effects:
        kind = effect.get("type")
        if kind == "set":
            name = str(effect.get("field"))
            spec = FIELDS.get(name)
            lines.append(
                _("Set %(field)s to %(value)s")
                % {
                    "field": str(spec.label) if spec else name,
                    "value": value_label(name, effect.get("value")),
                }
            )
        elif kind == "raise_priority":
            lines.append(_("Raise the priority"))
        elif kind == "add_tags":
            lines.append(_("Add tags: %(tags)s") % {"tags": ", ".join(effect.get("tags", []))})
        elif kind == "remove_tags":
            lines.append(_("Remove tags: %(tags)s") % {"tags": ", ".join(effect.get("tags", []))})
        elif kind == "note":
            lines.append(_("Add an internal note"))
        elif kind == "mail":
            to = effect.get("address") or RECIPIENT_LABELS.get(str(effect.get("to")), "")
            lines.append(_("Mail to %(to)s") % {"to": to})
        elif kind == "notify":
            lines.append(
                _("Notify %(to)s") % {"to": RECIPIENT_LABELS.get(str(effect.get("to")), "")}
            )
        elif kind == "webhook":
            lines.append(
                _("Call webhook %(id)s") % {"id": _named(names.webhooks, effect.get("webhook_id"))}
            )
        elif kind == "sla_policy":
            lines.append(
                _("Apply SLA policy %(id)s")
                % {"id": _named(names.policies, effect.get("policy_id"))}
            )
        elif kind == "require_skills":
            lines.append(
                _("Require skills: %(skills)s") % {"skills": ", ".join(effect.get("skills", []))}
            )
        elif kind == "survey":
            kinds = ", ".join(str(k).upper() for k in effect.get("kinds") or ["csat"])
            delay = effect.get("delay_minutes")
            if isinstance(delay, int):
                lines.append(
                    _("Send a %(kinds)s survey %(minutes)d minutes after the solve")
                    % {"kinds": kinds, "minutes": delay}
                )
            else:
                lines.append(
                    _("Send a %(kinds)s survey after the brand's delay") % {"kinds": kinds}
                )
    return lines
