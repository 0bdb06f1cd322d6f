"""Reads for the webhook settings pages: webhooks, their delivery logs, the dead-letter list and
the allowed hosts. Admins only: anyone else is answered "not found", like every selector
answers for what the viewer may not see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.models import User
from doum.core.errors import NotFound
from doum.webhooks import guard
from doum.webhooks.models import (
    AllowedHost,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)

PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Page:
    """One page of deliveries, newest first; `next_cursor` is "" on the last page."""

    rows: Sequence[WebhookDelivery]
    next_cursor: str


def is_admin(user: User) -> bool:
    return user.is_active and user.role in roles.ADMINISTERS


# --- webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookRow:
    webhook: Webhook
    retrying: int  # deliveries waiting for their next attempt
    dead: int  # deliveries that gave up (test pings left out)


def webhook_list() -> list[WebhookRow]:
    """Every webhook, active ones first, with how many of its deliveries wait to be retried
    or gave up (counted over those two statuses only, with the status index: the log of
    delivered events is never scanned)."""
    counts: dict[tuple[int, str], int] = {}
    troubled = (
        WebhookDelivery.objects.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.DEAD])
        .exclude(event=WebhookEvent.PING)
        .values_list("webhook_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for webhook_id, status, n in troubled:
        counts[(webhook_id, status)] = n
    return [
        WebhookRow(
            w,
            counts.get((w.pk, DeliveryStatus.FAILED), 0),
            counts.get((w.pk, DeliveryStatus.DEAD), 0),
        )
        for w in Webhook.objects.order_by("-is_active", "name", "id")
    ]


def access_webhook(user: User, webhook_id: int) -> Webhook:
    found = Webhook.objects.filter(pk=webhook_id).first() if is_admin(user) else None
    if found is None:
        raise NotFound(_("No such webhook."))
    return found


# --- deliveries (keyset pages over created_at, id; newest first) ----------------------------


def encode_cursor(at: datetime, pk: int) -> str:
    return f"{(at - EPOCH) // MICROSECOND}.{pk}"


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The position a cursor names; None for an empty or malformed one (the first page)."""
    micros, _dot, pk = cursor.partition(".")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
        return None
    try:
        return EPOCH + int(micros) * MICROSECOND, int(pk)
    except OverflowError:
        return None


def _page(qs: QuerySet[WebhookDelivery], cursor: str, limit: int) -> Page:
    limit = max(1, min(limit, 200))
    position = decode_cursor(cursor)
    if position is not None:
        at, pk = position
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(qs.order_by("-created_at", "-pk")[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, "")
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].created_at, int(rows[-1].pk)))


def _deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("webhook").defer("payload")


def delivery_log(
    webhook: Webhook, *, status: str = "", cursor: str = "", limit: int = PAGE_SIZE
) -> Page:
    """A webhook's deliveries, newest first (only those with `status` when one is given)."""
    qs = _deliveries().filter(webhook=webhook)
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    return _page(qs, cursor, limit)


def dead_letters(*, cursor: str = "", limit: int = PAGE_SIZE) -> Page:
    """Deliveries of every webhook that gave up, newest first (test pings left out)."""
    qs = _deliveries().filter(status=DeliveryStatus.DEAD).exclude(event=WebhookEvent.PING)
    return _page(qs, cursor, limit)


def dead_count() -> int:
    return (
        WebhookDelivery.objects.filter(status=DeliveryStatus.DEAD)
        .exclude(event=WebhookEvent.PING)
        .count()
    )


def access_delivery(user: User, delivery_id: int) -> WebhookDelivery:
    found = None
    if is_admin(user):
        found = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if found is None:
        raise NotFound(_("No such delivery."))
    return found


# --- allowed hosts --------------------------------------------------------------------------


def allowed_host_rows() -> QuerySet[AllowedHost]:
    return AllowedHost.objects.select_related("created_by").order_by("host")


def access_allowed_host(user: User, allowed_id: int) -> AllowedHost:
    found = AllowedHost.objects.filter(pk=allowed_id).first() if is_admin(user) else None
    if found is None:
        raise NotFound(_("No such allowed host."))
    return found


def setting_hosts() -> list[str]:
    """The hosts the DOUM_WEBHOOK_ALLOWED_HOSTS setting allows (shown, not editable)."""
    return sorted(guard.setting_hosts())
