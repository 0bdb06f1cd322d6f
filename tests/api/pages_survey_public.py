"""Pages of surveys: route -> expected status per role (see pages_common.py).

The customer's survey pages need no sign-in: the signed token in the address decides, so
every role gets the same answer (a genuine link: 200; a made-up one: 400)."""

from tests.api.pages_common import ROLES, PageCase
from tests.personas import World


def _solved_invitation_path(world: World, suffix: str) -> str:
    from doum.surveys import delivery, tokens
    from doum.tickets import actions as tickets
    from doum.tickets.models import Ticket, Via

    ticket = Ticket.objects.get(pk=world.ticket.pk)
    tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status="solved")
    invitation = delivery.schedule_after_solve(ticket.pk, delay_minutes=0)[0]
    purpose = tokens.OPT_OUT if suffix else tokens.RATE
    return f"survey/{tokens.make_token(invitation, purpose)}/{suffix}"


PAGES: dict[str, PageCase] = {
    "survey/<str:token>/": PageCase(
        dict.fromkeys(ROLES, 200), path=lambda w: _solved_invitation_path(w, "") + "?score=1"
    ),
    "survey/<str:token>/opt-out/": PageCase(
        dict.fromkeys(ROLES, 400), path=lambda w: "survey/not-a-token/opt-out/"
    ),
}
