"""Pages of the alerts app: route -> expected status per role (see pages_common.py).

The alerts page is for team leads (their teams' alerts), managers, directors and admins;
every staff member has notifications. Marking read is POST-only (GET answers 405)."""

from tests.api.pages_common import PageCase, only, staff_only

PAGES: dict[str, PageCase] = {
    "alerts/": PageCase(only(("lead", "manager", "director", "admin"))),
    "alerts/notifications/": PageCase(staff_only()),
    "alerts/notifications/unread/": PageCase(staff_only()),
    "alerts/notifications/read/": PageCase(staff_only(405)),
}
