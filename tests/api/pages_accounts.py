"""Pages of the accounts area: route -> expected status per role (see pages_common.py)."""

from tests.api.pages_common import ROLES, PageCase, only, staff_only

POST_ONLY = dict.fromkeys(ROLES, 405)  # a GET of a form's endpoint
EVERYONE = dict.fromkeys(ROLES, 200)

PAGES: dict[str, PageCase] = {
    # Customers (CRM) and organizations: every staff role reads them.
    "people/": PageCase(staff_only()),
    "people/<int:user_id>/": PageCase(staff_only(), path=lambda w: f"people/{w.customer.pk}/"),
    "people/<int:user_id>/edit": PageCase(POST_ONLY, path=lambda w: f"people/{w.customer.pk}/edit"),
    "people/<int:user_id>/identities": PageCase(
        POST_ONLY, path=lambda w: f"people/{w.customer.pk}/identities"
    ),
    "people/<int:user_id>/identities/<int:identity_id>/remove": PageCase(
        POST_ONLY,
        path=lambda w: f"people/{w.customer.pk}/identities/{w.customer.identities.get().pk}/remove",
    ),
    "people/<int:user_id>/identities/<int:identity_id>/clear-bounce": PageCase(
        POST_ONLY,
        path=lambda w: (
            f"people/{w.customer.pk}/identities/{w.customer.identities.get().pk}/clear-bounce"
        ),
    ),
    "organizations/": PageCase(staff_only()),
    "organizations/<int:org_id>/": PageCase(
        staff_only(), path=lambda w: f"organizations/{w.acme.pk}/"
    ),
    "organizations/<int:org_id>/edit": PageCase(
        POST_ONLY, path=lambda w: f"organizations/{w.acme.pk}/edit"
    ),
    # The signed-in staff member's own profile.
    "profile/": PageCase(staff_only()),
    "profile/edit": PageCase(POST_ONLY),
    "profile/password": PageCase(POST_ONLY),
    "profile/availability": PageCase(POST_ONLY),
    # Password reset: for everyone, signed in or not.
    "password-reset/": PageCase(EVERYONE),
    "password-reset/sent/": PageCase(EVERYONE),
    "password-reset/<uidb64>/<token>/": PageCase(
        EVERYONE, path=lambda w: "password-reset/MQ/bad-token/"
    ),
    "password-reset/done/": PageCase(EVERYONE),
    # A ticket on a customer's behalf (lives in the tickets namespace).
    "tickets/new": PageCase(only(("agent", "tech_agent", "lead", "manager", "admin"))),
}
