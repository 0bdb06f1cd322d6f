"""Pages of the ticket list, bulk actions and saved views: route -> expected status per role.

Kept apart from pages_tickets.py (the ticket page's rows) so the two areas do not clobber
each other; test_permission_matrix.py merges LIST_PAGES with the other areas' rows.
"""

from doum.tickets.saved_views import do_create_saved_view
from tests.api.pages_common import ROLES, PageCase, only, staff_only
from tests.personas import World

POST_ONLY = dict.fromkeys(ROLES, 405)


def _shared_view_path(world: World, suffix: str) -> str:
    view = do_create_saved_view(actor=world.admin, name="Shared", conditions=[], shared=True)
    return f"tickets/views/{view.pk}/{suffix}"


LIST_PAGES: dict[str, PageCase] = {
    "tickets/": PageCase(staff_only()),
    "tickets/counts": PageCase(staff_only()),
    "tickets/bulk/assign": PageCase(POST_ONLY),
    "tickets/bulk/status": PageCase(POST_ONLY),
    "tickets/bulk/priority": PageCase(POST_ONLY),
    "tickets/bulk/team": PageCase(POST_ONLY),
    "tickets/bulk/tags": PageCase(POST_ONLY),
    "tickets/bulk/merge": PageCase(POST_ONLY),
    "tickets/bulk/spam": PageCase(POST_ONLY),
    "tickets/views/": PageCase(staff_only()),
    "tickets/views/new": PageCase(staff_only()),
    "tickets/views/save": PageCase(POST_ONLY),
    # A shared view: every agent sees it, only managers and admins may edit it.
    "tickets/views/<int:view_id>/edit": PageCase(
        only(("manager", "admin")), path=lambda w: _shared_view_path(w, "edit")
    ),
    "tickets/views/<int:view_id>/delete": PageCase(
        POST_ONLY, path=lambda w: _shared_view_path(w, "delete")
    ),
    "tickets/views/<int:view_id>/move": PageCase(
        POST_ONLY, path=lambda w: _shared_view_path(w, "move")
    ),
}

# The name every area module exports (test_permission_matrix.py reads ``PAGES``).
PAGES = LIST_PAGES
