"""Pages of the portal area: route -> expected status per role (see pages_common.py)."""

from tests.api.pages_common import ROLES, STAFF, PageCase


def _portal(anonymous: int, customers: int, staff: int = 302) -> dict[str, int]:
    """Visitors get ``anonymous``, customers (customer, outsider) ``customers``, staff
    ``staff`` (the portal sends staff to the workspace)."""
    return {
        "anonymous": anonymous,
        "customer": customers,
        "outsider": customers,
        **dict.fromkeys(STAFF, staff),
    }


POST_ONLY = dict.fromkeys(ROLES, 405)

PAGES: dict[str, PageCase] = {
    "portal/": PageCase(_portal(200, 302)),  # customers go on to their requests
    "portal/brand.css": PageCase(dict.fromkeys(ROLES, 200)),
    "portal/language": PageCase(POST_ONLY),
    "portal/signup": PageCase(_portal(200, 302)),
    "portal/login": PageCase(_portal(200, 302)),
    "portal/login/link": PageCase(_portal(200, 302)),
    # An unknown or expired token: the same answer for everyone who is not staff.
    "portal/login/link/<str:token>": PageCase(
        _portal(400, 400), path=lambda w: "portal/login/link/not-a-token"
    ),
    "portal/logout": PageCase(POST_ONLY),
    "portal/new": PageCase(_portal(200, 200)),
    "portal/requests": PageCase(_portal(302, 200)),
    "portal/requests/<int:number>": PageCase(
        {**_portal(302, 200), "outsider": 404}, path=lambda w: f"portal/requests/{w.ticket.pk}"
    ),
    "portal/requests/<int:number>/reply": PageCase(
        POST_ONLY, path=lambda w: f"portal/requests/{w.ticket.pk}/reply"
    ),
    "portal/requests/<int:number>/solve": PageCase(
        POST_ONLY, path=lambda w: f"portal/requests/{w.ticket.pk}/solve"
    ),
}
