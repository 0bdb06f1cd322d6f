"""Pages of the core app and the sign-in pages."""

from tests.api.pages_common import ROLES, PageCase, only, staff_only

PAGES: dict[str, PageCase] = {
    "": PageCase(staff_only()),
    "healthz": PageCase(dict.fromkeys(ROLES, 200)),
    "favicon.ico": PageCase(dict.fromkeys(ROLES, 301)),
    "login/": PageCase({"anonymous": 200, **dict.fromkeys(ROLES[1:], 302)}),
    "logout/": PageCase(dict.fromkeys(ROLES, 405)),  # sign-out is POST only
    "api/docs": PageCase(dict.fromkeys(ROLES, 302)),
    "api/openapi.json": PageCase(dict.fromkeys(ROLES, 200)),
    "admin/": PageCase({**dict.fromkeys(ROLES, 302), "admin": 200}),
    "settings/": PageCase(only(("manager", "admin"))),
}
