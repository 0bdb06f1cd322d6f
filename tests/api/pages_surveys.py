"""Pages of surveys (staff side) and the Customer feedback dashboard: route -> expected
status per role (see pages_common.py).

Responses: every analytics role (agents see the answers about their own work). Follow-ups:
team leads (their teams'), managers, admins and directors. Survey settings: managers and
admins. The Customer feedback dashboard: team leads, QA reviewers, managers, admins and
directors. Closing a follow-up is POST-only (GET answers 405 to those who may see it)."""

from doum.surveys.models import FollowUp
from tests.api.pages_common import PageCase, only
from tests.personas import World
from tests.surveys.helpers import rate, solved_ticket, survey_settings

RESPONSES = ("agent", "tech_agent", "lead", "qa", "manager", "director", "admin")
FOLLOW_UPS = ("lead", "manager", "director", "admin")
SETTINGS = ("manager", "admin")
FEEDBACK = ("lead", "qa", "manager", "director", "admin")


def _follow_up(w: World) -> FollowUp:
    found = FollowUp.objects.filter(team=w.billing).first()
    if found is not None:
        return found
    survey_settings(w)
    response = rate(solved_ticket(w, "matrix: slow"), 0, comment="slow")
    return FollowUp.objects.get(response=response)


PAGES: dict[str, PageCase] = {
    "surveys/": PageCase(only(RESPONSES)),
    "surveys/follow-ups/": PageCase(only(FOLLOW_UPS)),
    "surveys/follow-ups/<int:follow_up_id>/": PageCase(
        only(FOLLOW_UPS), path=lambda w: f"surveys/follow-ups/{_follow_up(w).pk}/"
    ),
    "surveys/follow-ups/<int:follow_up_id>/done/": PageCase(
        only(FOLLOW_UPS, 405), path=lambda w: f"surveys/follow-ups/{_follow_up(w).pk}/done/"
    ),
    "surveys/settings/": PageCase(only(SETTINGS)),
    "surveys/settings/<int:brand_id>/": PageCase(
        only(SETTINGS), path=lambda w: f"surveys/settings/{w.brand.pk}/"
    ),
    "analytics/feedback/": PageCase(only(FEEDBACK)),
}
