"""Webhook writers: endpoints (admins only, audited), deliveries queued after commit, the
test ping, replay of dead deliveries, and the allowed hosts.

Other apps call `queue_webhook` (a trigger's or an SLA escalation's webhook effect) or
`queue_event` (an event for every webhook subscribed to it). The secret is never written to
the audit log; revealing and rotating it are.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.models import User
from doum.core import clock
from doum.core.errors import Conflict, InvalidInput, NotFound
from doum.core.text import single_line
from doum.webhooks import guard, signing
from doum.webhooks.delivery import REPLAYABLE_STATUSES, create_delivery, enqueue
from doum.webhooks.models import (
    SUBSCRIBABLE_EVENTS,
    AllowedHost,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)

log = logging.getLogger(__name__)

NAME_MAX = 100
NOTE_MAX = 200
PAYLOAD_MAX_BYTES = 256 * 1024
EDITABLE = frozenset({"name", "url", "events", "include_internal", "is_active"})


# --- deliveries other apps queue ------------------------------------------------------------


def _check_payload(event: str, payload: dict[str, Any]) -> None:
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if not isinstance(payload, dict):
        raise TypeError("a webhook payload is a dict")
    size = len(json.dumps(payload, cls=DjangoJSONEncoder).encode("utf-8"))
    if size > PAYLOAD_MAX_BYTES:
        raise ValueError(f"webhook payload of {size} bytes is over {PAYLOAD_MAX_BYTES}")


def queue_webhook(
    webhook_id: int, *, ticket_id: int | None, event: str, payload: dict[str, Any]
) -> int | None:
    """Queue one delivery of `event` to a webhook after commit; the delivery id (None when the
    webhook is inactive, missing, or does not subscribe to `event`).

    `payload` is the event's data (JSON-serialisable; datetimes allowed), sent as the body's
    "data". Safe inside the caller's transaction: nothing is sent if it rolls back.
    """
    _check_payload(event, payload)
    webhook = Webhook.objects.filter(pk=webhook_id, is_active=True).first()
    if webhook is None:
        log.info("webhook %s is missing or inactive: %s not queued", webhook_id, event)
        return None
    if event != WebhookEvent.PING and event not in (webhook.events or []):
        log.info("webhook %s does not subscribe to %s: not queued", webhook_id, event)
        return None
    return int(create_delivery(webhook, event=event, ticket_id=ticket_id, payload=payload).pk)


def queue_event(event: str, *, ticket_id: int | None, payload: dict[str, Any]) -> list[int]:
    """Queue `event` for every active webhook that subscribes to it; the delivery ids."""
    _check_payload(event, payload)
    ids: list[int] = []
    with transaction.atomic():
        for webhook in Webhook.objects.filter(is_active=True).order_by("id"):
            if event in (webhook.events or []):
                delivery = create_delivery(
                    webhook, event=event, ticket_id=ticket_id, payload=payload
                )
                ids.append(int(delivery.pk))
    return ids


# --- webhooks -------------------------------------------------------------------------------


def _clean_name(value: object) -> str:
    return clean_name(str(value), field="name", max_length=NAME_MAX)


def _clean_url(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(_("Enter the URL that receives the events."), field="url")
    return guard.check_url(value)


def _clean_events(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInput(_("Choose the events to send."), field="events")
    chosen = set()
    for item in value:
        if not isinstance(item, str) or item not in SUBSCRIBABLE_EVENTS:
            raise InvalidInput(
                _("“%(event)s” is not an event a webhook can subscribe to.")
                % {"event": single_line(str(item))[:60]},
                field="events",
            )
        chosen.add(item)
    if not chosen:
        raise InvalidInput(_("Choose at least one event."), field="events")
    return [str(e) for e in SUBSCRIBABLE_EVENTS if e in chosen]


def _clean(field: str, value: Any) -> Any:
    if field == "name":
        return _clean_name(value)
    if field == "url":
        return _clean_url(value)
    if field == "events":
        return _clean_events(value)
    if field in ("include_internal", "is_active"):
        return bool(value)
    raise InvalidInput(_("This field cannot be changed."), field=field)


def _audit_data(webhook: Webhook) -> dict[str, Any]:
    """What the audit log keeps of a webhook: everything but the secret."""
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "include_internal": webhook.include_internal,
        "is_active": webhook.is_active,
    }


@transaction.atomic
def do_create_webhook(
    *,
    actor: User | None,
    name: str,
    url: str,
    events: list[str],
    include_internal: bool = False,
    is_active: bool = True,
) -> Webhook:
    """A new webhook with a generated secret (read it from the returned row once)."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may set up webhooks."))
    values = {"name": name, "url": url, "events": events, "include_internal": include_internal,
              "is_active": is_active}  # fmt: skip
    cleaned = {field: _clean(field, value) for field, value in values.items()}
    now = clock.now()
    webhook = Webhook.objects.create(
        **cleaned, secret=signing.new_secret(), created_by=actor, created_at=now, updated_at=now
    )
    audit(actor, "webhook.created", webhook, **_audit_data(webhook))
    return webhook


def _locked(webhook: Webhook) -> Webhook:
    current = Webhook.objects.select_for_update().filter(pk=webhook.pk).first()
    if current is None:
        raise NotFound(_("No such webhook."))
    return current


@transaction.atomic
def do_update_webhook(webhook: Webhook, *, actor: User | None, **changes: Any) -> Webhook:
    """Change the given fields (see EDITABLE); audited with what changed."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may change webhooks."))
    current = _locked(webhook)
    changed: list[str] = []
    for field, value in changes.items():
        if field not in EDITABLE:
            raise InvalidInput(_("This field cannot be changed."), field=field)
        cleaned = _clean(field, value)
        if getattr(current, field) != cleaned:
            setattr(current, field, cleaned)
            changed.append(field)
    if not changed:
        return current
    current.updated_at = clock.now()
    current.save(update_fields=[*changed, "updated_at"])
    action = "webhook.updated"
    if changed == ["is_active"]:
        action = "webhook.reactivated" if current.is_active else "webhook.deactivated"
    data = {k: v for k, v in _audit_data(current).items() if k in changed}
    audit(actor, action, current, changed=sorted(changed), **data)
    return current


def do_deactivate_webhook(webhook: Webhook, *, actor: User | None) -> Webhook:
    """Stop sending; queued deliveries give up when their turn comes (replayable later)."""
    return do_update_webhook(webhook, actor=actor, is_active=False)


def do_reactivate_webhook(webhook: Webhook, *, actor: User | None) -> Webhook:
    return do_update_webhook(webhook, actor=actor, is_active=True)


@transaction.atomic
def do_rotate_webhook_secret(webhook: Webhook, *, actor: User | None) -> Webhook:
    """A new secret; every attempt from now on (retries included) is signed with it."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may change webhooks."))
    current = _locked(webhook)
    now = clock.now()
    current.secret = signing.new_secret()
    current.secret_rotated_at = now
    current.updated_at = now
    current.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    audit(actor, "webhook.secret_rotated", current)
    return current


@transaction.atomic
def do_reveal_webhook_secret(webhook: Webhook, *, actor: User | None) -> str:
    """The secret, for an admin who needs it again; the look is audited."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may see webhook secrets."))
    current = Webhook.objects.filter(pk=webhook.pk).first()
    if current is None:
        raise NotFound(_("No such webhook."))
    audit(actor, "webhook.secret_revealed", current)
    return current.secret


def do_queue_test_ping(webhook: Webhook, *, actor: User | None) -> WebhookDelivery:
    """A "ping" delivery to `webhook` (tried once; the page sends it at once and shows the
    result). Works for an inactive webhook too, so it can be checked before reactivating."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may test webhooks."))
    current = Webhook.objects.filter(pk=webhook.pk).first()
    if current is None:
        raise NotFound(_("No such webhook."))
    payload = {
        "note": "Test ping from Doum: this webhook is reachable.",
        "webhook": {"id": current.pk, "name": current.name},
        "sent_by": None if actor is None else {"id": actor.pk, "name": actor.name},
    }
    return create_delivery(
        current, event=WebhookEvent.PING, ticket_id=None, payload=payload, enqueue_task=False
    )


@transaction.atomic
def do_replay_delivery(delivery_id: int, *, actor: User | None) -> WebhookDelivery:
    """Send a dead (or failed) delivery again, with the same id and body, from attempt one.
    Audited."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may replay webhook deliveries."))
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .select_related("webhook")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound(_("No such delivery."))
    if delivery.status not in REPLAYABLE_STATUSES:
        raise Conflict(
            _("Only a delivery that gave up or is waiting to retry can be replayed; this one is "
              "“%(status)s”.") % {"status": delivery.get_status_display()},
            field="status",
        )  # fmt: skip
    if not delivery.webhook.is_active:
        raise InvalidInput(
            _("The webhook “%(name)s” is inactive; reactivate it before replaying.")
            % {"name": delivery.webhook.name},
            field="webhook",
        )
    now = clock.now()
    previous = delivery.status
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        task_due_at=now,
        replays=delivery.replays + 1,
        updated_at=now,
    )
    audit(actor, "webhook.delivery_replayed", delivery, webhook=delivery.webhook_id,
          event=delivery.event, previous=previous, attempts=delivery.attempts)  # fmt: skip
    delivery_pk = delivery.pk
    transaction.on_commit(lambda: enqueue(delivery_pk))
    delivery.refresh_from_db()
    return delivery


# --- allowed hosts --------------------------------------------------------------------------


@transaction.atomic
def do_add_allowed_host(*, actor: User | None, host: str, note: str = "") -> AllowedHost:
    """Allow `host` (a name or an IP address) to resolve to private addresses and to be
    reached over plain http. Metadata, unspecified and multicast addresses stay refused."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may change the allowed hosts."))
    normalized = guard.normalize_host(str(host))
    ip = guard.literal_ip(normalized)
    kind = guard.address_kind(ip) if ip is not None else None
    if kind is not None and kind not in guard.ALLOWABLE:
        raise InvalidInput(guard.refusal(normalized, kind), field="host")
    if normalized in guard.setting_hosts():
        raise InvalidInput(
            _("%(host)s is already allowed by the DOUM_WEBHOOK_ALLOWED_HOSTS setting.")
            % {"host": normalized},
            field="host",
        )
    note = single_line(str(note))
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            _("At most %(max_length)s characters.") % {"max_length": NOTE_MAX}, field="note"
        )
    try:
        with transaction.atomic():
            row = AllowedHost.objects.create(
                host=normalized, note=note, created_by=actor, created_at=clock.now()
            )
    except IntegrityError as error:
        raise InvalidInput(
            _("%(host)s is already on the list.") % {"host": normalized}, field="host"
        ) from error
    audit(actor, "webhook.host_allowed", row, host=normalized, note=note)
    return row


@transaction.atomic
def do_remove_allowed_host(allowed_id: int, *, actor: User | None) -> None:
    require_role(actor, roles.ADMINISTERS, _("Only admins may change the allowed hosts."))
    row = AllowedHost.objects.select_for_update().filter(pk=allowed_id).first()
    if row is None:
        raise NotFound(_("No such allowed host."))
    audit(actor, "webhook.host_disallowed", row, host=row.host)
    row.delete()
