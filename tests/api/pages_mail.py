"""Pages of the email channel: route -> expected status per role (see pages_common.py).

The mail settings pages are for admins only: every other staff role gets 403 (managers
included), anonymous visitors and customers are redirected. POST-only endpoints answer an
admin's GET with 405. The original of an e-mailed comment is for staff who can see its
ticket (world.ticket is Billing's: the Technical agent gets 404)."""

from doum.mail import inbound
from doum.mail.addresses import plus_address
from doum.mail.mailboxes import do_create_mailbox
from doum.mail.models import Mailbox
from tests.api.pages_common import PageCase, only, staff_only
from tests.mail.mails import mail
from tests.personas import World

ADMINS = ("admin",)
PAGE = only(ADMINS)
POST_ONLY = only(ADMINS, 405)


def _mailbox(w: World) -> Mailbox:
    found = Mailbox.objects.filter(address="help@acme.test").first()
    return found or do_create_mailbox(
        actor=w.admin, name="Acme help", address="help@acme.test", brand_id=w.brand.pk,
        team_id=w.billing.pk,
    )  # fmt: skip


def _emailed_reply(w: World) -> int:
    """A reply by mail from the customer on world.ticket (processed into a comment)."""
    raw = mail(sender="kim@acme.example", to=plus_address("help@acme.test", w.ticket.pk))
    stored = inbound.store_inbound(raw, source="http", mailbox_id=_mailbox(w).pk)
    inbound.process_inbound(stored.inbound_id)
    return stored.inbound_id


def _mailbox_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/mailboxes/{_mailbox(w).pk}/{suffix}")


def _inbound_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/mail/inbound/{_emailed_reply(w)}/{suffix}")


def _template_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/mail/templates/reply/ko/{suffix}")


PAGES: dict[str, PageCase] = {
    "settings/mailboxes/": PageCase(PAGE),
    "settings/mailboxes/new/": PageCase(PAGE),
    "settings/mailboxes/<int:mailbox_id>/": _mailbox_page("", PAGE),
    "settings/mailboxes/<int:mailbox_id>/deactivate/": _mailbox_page("deactivate/"),
    "settings/mailboxes/<int:mailbox_id>/reactivate/": _mailbox_page("reactivate/"),
    "settings/mail/failed/": PageCase(PAGE),
    "settings/mail/inbound/<int:inbound_id>/": _inbound_page("", PAGE),
    "settings/mail/inbound/<int:inbound_id>/raw": _inbound_page("raw", PAGE),
    "settings/mail/inbound/<int:inbound_id>/retry/": _inbound_page("retry/"),
    "settings/mail/inbound/<int:inbound_id>/dismiss/": _inbound_page("dismiss/"),
    "settings/mail/outbound/": PageCase(PAGE),
    "settings/mail/templates/": PageCase(PAGE),
    "settings/mail/templates/<slug:kind>/<slug:language>/": _template_page("", PAGE),
    "settings/mail/templates/<slug:kind>/<slug:language>/preview/": _template_page("preview/"),
    "settings/mail/templates/<slug:kind>/<slug:language>/reset/": _template_page("reset/"),
    "mail/original/<int:inbound_id>/": PageCase(
        {**staff_only(), "tech_agent": 404}, path=lambda w: f"mail/original/{_emailed_reply(w)}/"
    ),
}
