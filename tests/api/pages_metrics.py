"""Pages of the metrics app: route -> expected status per role (see pages_common.py).

/analytics/ sends every staff member to their own dashboard. Dashboards by role: agents see
their own numbers only; team leads theirs and their team's; QA reviewers the operations
dashboard; managers, admins and directors every dashboard. The drill-down is open to every
staff member (it lists only the tickets they may see). The analytics settings are for
managers and admins; their POST-only endpoints answer a manager's GET with 405."""

from doum.metrics.goals import do_set_goal
from doum.metrics.models import Goal
from tests.api.pages_common import PageCase, only, staff_only
from tests.personas import World

AGENT_DASHBOARD = ("agent", "tech_agent", "lead", "manager", "admin", "director")
TEAM_DASHBOARD = ("lead", "manager", "admin", "director")
OPERATIONS = ("qa", "manager", "admin", "director")
EXECUTIVE = ("manager", "admin", "director")
SETTINGS = ("manager", "admin")


def _goal(w: World) -> Goal:
    found = Goal.objects.filter(team=w.billing, metric="solved").first()
    return found or do_set_goal(actor=w.admin, metric="solved", target=10, team_id=w.billing.pk)


PAGES: dict[str, PageCase] = {
    "analytics/": PageCase(staff_only(302)),
    "analytics/agent/": PageCase(only(AGENT_DASHBOARD)),
    "analytics/team/": PageCase(only(TEAM_DASHBOARD)),
    "analytics/operations/": PageCase(only(OPERATIONS)),
    "analytics/executive/": PageCase(only(EXECUTIVE)),
    "analytics/executive/print/": PageCase(only(EXECUTIVE)),
    "analytics/tickets/": PageCase(
        staff_only(200), path=lambda w: "analytics/tickets/?metric=created"
    ),
    "analytics/settings/": PageCase(only(SETTINGS)),
    "analytics/settings/save/": PageCase(only(SETTINGS, 405)),
    "analytics/settings/goals/": PageCase(only(SETTINGS, 405)),
    "analytics/settings/goals/<int:goal_id>/delete/": PageCase(
        only(SETTINGS, 405), path=lambda w: f"analytics/settings/goals/{_goal(w).pk}/delete/"
    ),
}
