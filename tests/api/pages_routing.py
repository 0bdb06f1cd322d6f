"""Pages of the routing app: route -> expected status per role (see pages_common.py).

The routing settings are for managers and admins: every other staff role gets 403, anonymous
visitors and customers are redirected. POST-only endpoints answer a manager's GET with 405."""

from doum.routing.actions import do_create_skill
from doum.routing.models import Skill
from tests.api.pages_common import PageCase, only
from tests.personas import World

MANAGERS = ("manager", "admin")
PAGE = only(MANAGERS)
POST_ONLY = only(MANAGERS, 405)


def _skill(w: World) -> int:
    found = Skill.objects.filter(name="billing").first()
    return (found or do_create_skill(actor=w.admin, name="billing")).pk


PAGES: dict[str, PageCase] = {
    "settings/routing/": PageCase(PAGE),
    "settings/routing/teams/<int:team_id>/": PageCase(
        PAGE, path=lambda w: f"settings/routing/teams/{w.billing.pk}/"
    ),
    "settings/routing/skills/new/": PageCase(PAGE),
    "settings/routing/skills/<int:skill_id>/": PageCase(
        PAGE, path=lambda w: f"settings/routing/skills/{_skill(w)}/"
    ),
    "settings/routing/skills/<int:skill_id>/delete/": PageCase(
        POST_ONLY, path=lambda w: f"settings/routing/skills/{_skill(w)}/delete/"
    ),
    "settings/routing/agents/<int:user_id>/": PageCase(
        PAGE, path=lambda w: f"settings/routing/agents/{w.agent.pk}/"
    ),
    "settings/routing/agents/<int:user_id>/skills/": PageCase(
        POST_ONLY, path=lambda w: f"settings/routing/agents/{w.agent.pk}/skills/"
    ),
    "settings/routing/agents/<int:user_id>/capacity/": PageCase(
        POST_ONLY, path=lambda w: f"settings/routing/agents/{w.agent.pk}/capacity/"
    ),
}
