"""Pages of the tickets area: route -> expected status per role (see pages_common.py)."""

from doum.tickets import actions
from doum.tickets.models import Attachment, Via
from tests.api.pages_common import ROLES, PageCase, staff_only
from tests.personas import World

# The ticket page (tests/tickets/test_ticket_page*.py): world.ticket is the customer's
# Billing ticket, so the Technical agent gets 404 like for any ticket they may not see.
SEE_BILLING_TICKET = {**staff_only(), "tech_agent": 404}
POST_ONLY = dict.fromkeys(ROLES, 405)


def _ticket(suffix: str = "") -> PageCase:
    return PageCase(SEE_BILLING_TICKET, path=lambda w: f"tickets/{w.ticket.pk}/{suffix}")


def _image_preview(w: World) -> str:
    comment = actions.do_add_comment(
        w.ticket, actor=w.customer, via=Via.PORTAL, body="screenshot",
        attachments=[actions.NewAttachment("s.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 8)],
    )  # fmt: skip
    return f"tickets/attachments/{Attachment.objects.get(comment=comment).pk}/preview"


PAGES: dict[str, PageCase] = {
    # A public image on the customer's ticket: the customer and Billing staff see it inline.
    "tickets/attachments/<int:attachment_id>/preview": PageCase(
        {**SEE_BILLING_TICKET, "customer": 200, "outsider": 404}, path=_image_preview
    ),
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
