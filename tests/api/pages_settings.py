"""Pages of the settings area: route -> expected status per role (see pages_common.py).

Every settings page is for managers and admins: other staff get 403, anonymous visitors and
customers are redirected. The POST-only endpoints answer a GET from a manager with 405 (the
role check comes first, so nobody else learns which operations exist)."""

from doum.tickets import field_definitions
from doum.tickets.models import CustomField
from tests.api.pages_common import PageCase, only
from tests.personas import World

MANAGERS = ("manager", "admin")
PAGE = only(MANAGERS)
POST_ONLY = only(MANAGERS, 405)


def _field(world: World) -> CustomField:
    found = CustomField.objects.filter(key="matrix_reason").first()
    return found or field_definitions.do_create_custom_field(
        actor=world.admin, key="matrix_reason", label="Reason", field_type="text"
    )


def _user(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/users/{w.agent.pk}/{suffix}")


def _team(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/teams/{w.billing.pk}/{suffix}")


def _tag(suffix: str) -> PageCase:
    return PageCase(POST_ONLY, path=lambda w: f"settings/tags/1/{suffix}")


PAGES: dict[str, PageCase] = {
    "settings/users/": PageCase(PAGE),
    "settings/users/new/": PageCase(PAGE),
    "settings/users/<int:user_id>/": _user("", PAGE),
    "settings/users/<int:user_id>/edit/": _user("edit/"),
    "settings/users/<int:user_id>/role/": _user("role/"),
    "settings/users/<int:user_id>/teams/": _user("teams/"),
    "settings/users/<int:user_id>/password/": _user("password/"),
    "settings/users/<int:user_id>/deactivate/": _user("deactivate/"),
    "settings/users/<int:user_id>/reactivate/": _user("reactivate/"),
    "settings/teams/": PageCase(PAGE),
    "settings/teams/new/": PageCase(POST_ONLY),
    "settings/teams/<int:team_id>/": _team("", PAGE),
    "settings/teams/<int:team_id>/edit/": _team("edit/"),
    "settings/teams/<int:team_id>/lead/": _team("lead/"),
    "settings/teams/<int:team_id>/members/add/": _team("members/add/"),
    "settings/teams/<int:team_id>/members/<int:user_id>/remove/": PageCase(
        POST_ONLY, path=lambda w: f"settings/teams/{w.billing.pk}/members/{w.agent.pk}/remove/"
    ),
    "settings/fields/": PageCase(PAGE),
    "settings/fields/new/": PageCase(PAGE),
    "settings/fields/<int:field_id>/": PageCase(
        PAGE, path=lambda w: f"settings/fields/{_field(w).pk}/"
    ),
    "settings/tags/": PageCase(PAGE),
    "settings/tags/<int:tag_id>/rename/": _tag("rename/"),
    "settings/tags/<int:tag_id>/merge/": _tag("merge/"),
    "settings/tags/<int:tag_id>/delete/": _tag("delete/"),
}
