"""Pages of the sla app: route -> expected status per role (see pages_common.py).

The business calendar and SLA policy settings are for managers and admins: other staff get
403, anonymous visitors and customers are redirected. POST-only endpoints answer a manager's
GET with 405."""

from doum.sla.calendar_actions import do_create_calendar
from doum.sla.models import Calendar, SlaPolicy
from doum.sla.policy_actions import do_create_policy
from tests.api.pages_common import PageCase, only
from tests.personas import World

MANAGERS = ("manager", "admin")
PAGE = only(MANAGERS)
POST_ONLY = only(MANAGERS, 405)


def _calendar(w: World) -> Calendar:
    found = Calendar.objects.filter(name="Matrix office").first()
    return found or do_create_calendar(
        actor=w.admin, name="Matrix office", weekly={"0": "09:00-18:00"},
        country_holidays=["KR"],
    )  # fmt: skip


def _policy(w: World) -> SlaPolicy:
    found = SlaPolicy.objects.filter(name="Matrix policy").first()
    return found or do_create_policy(
        actor=w.admin, name="Matrix policy",
        targets=[{"priority": "normal", "metric": "first_reply", "minutes": 60}],
    )  # fmt: skip


def _calendar_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/calendars/{_calendar(w).pk}/{suffix}")


def _policy_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/sla/policies/{_policy(w).pk}/{suffix}")


PAGES: dict[str, PageCase] = {
    "settings/calendars/": PageCase(PAGE),
    "settings/calendars/new/": PageCase(PAGE),
    "settings/calendars/preview/": PageCase(POST_ONLY),
    "settings/calendars/teams/": PageCase(POST_ONLY),
    "settings/calendars/<int:calendar_id>/": _calendar_page("", PAGE),
    "settings/calendars/<int:calendar_id>/delete/": _calendar_page("delete/"),
    "settings/sla/policies/": PageCase(PAGE),
    "settings/sla/policies/new/": PageCase(PAGE),
    "settings/sla/policies/reorder/": PageCase(POST_ONLY),
    "settings/sla/policies/what-if/": PageCase(POST_ONLY),
    "settings/sla/policies/<int:policy_id>/": _policy_page("", PAGE),
    "settings/sla/policies/<int:policy_id>/activate/": _policy_page("activate/"),
    "settings/sla/policies/<int:policy_id>/deactivate/": _policy_page("deactivate/"),
    "settings/sla/policies/<int:policy_id>/delete/": _policy_page("delete/"),
    "settings/sla/policies/<int:policy_id>/what-if/": _policy_page("what-if/", PAGE),
}
