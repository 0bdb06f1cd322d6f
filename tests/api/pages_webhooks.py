"""Pages of the webhooks app: route -> expected status per role (see pages_common.py).

The webhook settings pages are for admins only: every other staff role gets 403 (managers
included), anonymous visitors and customers are redirected. POST-only endpoints answer an
admin's GET with 405."""

from doum.webhooks import actions
from doum.webhooks.models import AllowedHost, Webhook
from tests.api.pages_common import PageCase, only
from tests.personas import World

ADMINS = ("admin",)
PAGE = only(ADMINS)
POST_ONLY = only(ADMINS, 405)


def _webhook(w: World) -> Webhook:
    found = Webhook.objects.filter(name="Matrix hook").first()
    return found or actions.do_create_webhook(
        actor=w.admin, name="Matrix hook", url="https://hooks.example.com/doum",
        events=["ticket.created", "trigger"],
    )  # fmt: skip


def _delivery(w: World) -> int:
    found = actions.queue_webhook(
        _webhook(w).pk, ticket_id=w.ticket.pk, event="trigger", payload={"rule": 1}
    )
    assert found is not None
    return found


def _allowed(w: World) -> int:
    found = AllowedHost.objects.filter(host="hooks.internal.test").first()
    return (found or actions.do_add_allowed_host(actor=w.admin, host="hooks.internal.test")).pk


def _webhook_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(expected, path=lambda w: f"settings/webhooks/{_webhook(w).pk}/{suffix}")


def _delivery_page(suffix: str, expected: dict[str, int] = POST_ONLY) -> PageCase:
    return PageCase(
        expected, path=lambda w: f"settings/webhooks/deliveries/{_delivery(w)}/{suffix}"
    )


PAGES: dict[str, PageCase] = {
    "settings/webhooks/": PageCase(PAGE),
    "settings/webhooks/new/": PageCase(PAGE),
    "settings/webhooks/<int:webhook_id>/": _webhook_page("", PAGE),
    "settings/webhooks/<int:webhook_id>/deactivate/": _webhook_page("deactivate/"),
    "settings/webhooks/<int:webhook_id>/reactivate/": _webhook_page("reactivate/"),
    "settings/webhooks/<int:webhook_id>/rotate-secret/": _webhook_page("rotate-secret/"),
    "settings/webhooks/<int:webhook_id>/secret/": _webhook_page("secret/"),
    "settings/webhooks/<int:webhook_id>/ping/": _webhook_page("ping/"),
    "settings/webhooks/<int:webhook_id>/deliveries/": _webhook_page("deliveries/", PAGE),
    "settings/webhooks/dead/": PageCase(PAGE),
    "settings/webhooks/deliveries/<int:delivery_id>/": _delivery_page("", PAGE),
    "settings/webhooks/deliveries/<int:delivery_id>/replay/": _delivery_page("replay/"),
    "settings/webhooks/allowed-hosts/": PageCase(PAGE),
    "settings/webhooks/allowed-hosts/<int:allowed_id>/remove/": PageCase(
        POST_ONLY, path=lambda w: f"settings/webhooks/allowed-hosts/{_allowed(w)}/remove/"
    ),
}
