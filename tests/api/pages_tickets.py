"""Pages of the tickets area: route -> expected status per role (see pages_common.py)."""

from tests.api.pages_common import ROLES, PageCase, staff_only

# The ticket page (tests/tickets/test_ticket_page*.py): world.ticket is the customer's
# Billing ticket, so the Technical agent gets 404 like for any ticket they may not see.
SEE_BILLING_TICKET = {**staff_only(), "tech_agent": 404}
POST_ONLY = dict.fromkeys(ROLES, 405)


def _ticket(suffix: str = "") -> PageCase:
    return PageCase(SEE_BILLING_TICKET, path=lambda w: f"tickets/{w.ticket.pk}/{suffix}")


PAGES: dict[str, PageCase] = {
    "tickets/<int:number>/": _ticket(),
    "tickets/<int:number>/history": _ticket("history"),
    "tickets/<int:number>/activity": _ticket("activity"),
    "tickets/<int:number>/comments": PageCase(
        POST_ONLY, path=lambda w: f"tickets/{w.ticket.pk}/comments"
    ),
    "tickets/<int:number>/fields": PageCase(
        POST_ONLY, path=lambda w: f"tickets/{w.ticket.pk}/fields"
    ),
    "tickets/<int:number>/assign-to-me": PageCase(
        POST_ONLY, path=lambda w: f"tickets/{w.ticket.pk}/assign-to-me"
    ),
    "tickets/<int:number>/solve": PageCase(
        POST_ONLY, path=lambda w: f"tickets/{w.ticket.pk}/solve"
    ),
    "tickets/<int:number>/problem": PageCase(
        POST_ONLY, path=lambda w: f"tickets/{w.ticket.pk}/problem"
    ),
    "tickets/<int:number>/problem/unlink": PageCase(
        POST_ONLY, path=lambda w: f"tickets/{w.ticket.pk}/problem/unlink"
    ),
}
