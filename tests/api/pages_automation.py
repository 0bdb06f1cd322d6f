"""Pages of the automation app: route -> expected status per role (see pages_common.py).

Settings › Triggers, Automations and (shared) Macros are for managers and admins: other staff
get 403, anonymous visitors and customers are redirected. Personal macros are for the roles
that may change tickets (QA reviewers and directors get 403); someone else's personal macro
does not exist for you (404). POST-only endpoints answer an allowed role's GET with 405.
"""

from doum.automation.actions import do_create_automation, do_create_macro, do_create_trigger
from doum.automation.models import Automation, Macro, Trigger
from tests.api.pages_common import PageCase, only, staff_only
from tests.personas import World

MANAGERS = ("manager", "admin")
EDITORS = ("agent", "tech_agent", "lead", "manager", "admin")
PAGE = only(MANAGERS)
POST_ONLY = only(MANAGERS, 405)


def _trigger(w: World) -> Trigger:
    return do_create_trigger(
        actor=w.admin, name="Tag VIP mail",
        conditions={"all": [{"field": "subject", "op": "contains", "value": "VIP"}]},
        effects=[{"type": "add_tags", "tags": ["vip"]}],
    )  # fmt: skip


def _automation(w: World) -> Automation:
    return do_create_automation(
        actor=w.admin, name="Nudge",
        conditions={"all": [
            {"field": "status", "op": "is", "value": ["open"]},
            {"field": "hours_since_updated", "op": "greater_than", "value": 48},
        ]},
        effects=[{"type": "set", "field": "priority", "value": "high"},
                 {"type": "note", "body": "No update for two days."}],
    )  # fmt: skip


def _shared_macro(w: World) -> Macro:
    return do_create_macro(actor=w.admin, shared=True, name="Shared", reply_body="Hello")


def _agents_macro(w: World) -> Macro:
    return do_create_macro(actor=w.agent, name="Mine", reply_body="Hi {{requester.first_name}}")


def _rule_page(kind: str, suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    build = _trigger if kind == "trigger" else _automation
    return PageCase(expected, path=lambda w: f"settings/{kind}s/{build(w).pk}/{suffix}")


def _shared_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/macros/{_shared_macro(w).pk}/{suffix}")


# The agent's own macro: the agent opens it, everyone else who may have macros gets 404.
OWN = {**only(EDITORS, 404), "agent": 200}
OWN_POST = only(EDITORS, 405)


def _own_page(suffix: str, expected: dict[str, int] = OWN_POST) -> PageCase:
    return PageCase(expected, path=lambda w: f"automation/macros/{_agents_macro(w).pk}/{suffix}")


PAGES: dict[str, PageCase] = {
    "settings/triggers/": PageCase(PAGE),
    "settings/triggers/new/": PageCase(PAGE),
    "settings/triggers/<int:rule_id>/": _rule_page("trigger", "", PAGE),
    "settings/triggers/<int:rule_id>/move/": _rule_page("trigger", "move/"),
    "settings/triggers/<int:rule_id>/active/": _rule_page("trigger", "active/"),
    "settings/triggers/<int:rule_id>/delete/": _rule_page("trigger", "delete/"),
    "settings/automations/": PageCase(PAGE),
    "settings/automations/new/": PageCase(PAGE),
    "settings/automations/<int:rule_id>/": _rule_page("automation", "", PAGE),
    "settings/automations/<int:rule_id>/move/": _rule_page("automation", "move/"),
    "settings/automations/<int:rule_id>/active/": _rule_page("automation", "active/"),
    "settings/automations/<int:rule_id>/delete/": _rule_page("automation", "delete/"),
    "settings/macros/": PageCase(PAGE),
    "settings/macros/new/": PageCase(PAGE),
    "settings/macros/<int:macro_id>/": _shared_page("", PAGE),
    "settings/macros/<int:macro_id>/move/": _shared_page("move/"),
    "settings/macros/<int:macro_id>/active/": _shared_page("active/"),
    "settings/macros/<int:macro_id>/delete/": _shared_page("delete/"),
    "automation/macros/": PageCase(only(EDITORS)),
    "automation/macros/new/": PageCase(only(EDITORS)),
    "automation/macros/<int:macro_id>/": _own_page("", OWN),
    "automation/macros/<int:macro_id>/move/": _own_page("move/"),
    "automation/macros/<int:macro_id>/active/": _own_page("active/"),
    "automation/macros/<int:macro_id>/delete/": _own_page("delete/"),
    "automation/tickets/<int:number>/macro/": PageCase(
        only(EDITORS, 405), path=lambda w: f"automation/tickets/{w.ticket.pk}/macro/"
    ),
}

__all__ = ["PAGES", "staff_only"]
