"""Sending deliveries: the row is written when the event happens, a background task sends it,
retries back off exponentially, and the last failure leaves it "dead" for an admin to replay.

`create_delivery` writes one `WebhookDelivery` and enqueues `tasks.deliver_task` after
commit. `send_delivery` claims the row with a conditional UPDATE (so two workers never send
the same delivery; the claim is a lease that runs out if the worker dies), POSTs the signed
body through `transport.post`, and records the outcome with another conditional UPDATE.
A 2xx answer is success; anything else (a 3xx included: redirects are never followed) is a
failure that is retried at 1, 2, 4, … minutes (capped, with jitter) until
DOUM_WEBHOOK_MAX_ATTEMPTS; a refused address or an inactive webhook fails at once.
`retry_due` is the periodic sweep: it takes back leases that ran out, re-enqueues the
deliveries whose task was lost, and forgets delivered ones older than DOUM_WEBHOOK_KEEP_DAYS.
It never sends anything itself.

The body of a delivery is the same bytes on every attempt; the timestamp and signature
are made anew for each attempt.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q

from doum.core import clock
from doum.core.text import normalize, single_line
from doum.webhooks import signing, transport
from doum.webhooks.models import (
    DeliveryError,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)

log = logging.getLogger(__name__)

# While a worker sends, the row is leased to it (longer than any request may take).
LEASE = timedelta(minutes=2)
# A due row whose task should have run this long ago is enqueued again by the sweep.
LOST_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 500
EXCERPT_MAX = 1000
ERROR_MAX = 2000
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
# What an admin may replay: deliveries that gave up, or wait for their next retry.
REPLAYABLE_STATUSES = (DeliveryStatus.DEAD, DeliveryStatus.FAILED)


def limits() -> transport.Limits:
    return transport.Limits(
        connect_timeout=float(settings.DOUM_WEBHOOK_CONNECT_TIMEOUT_S),
        total_timeout=float(settings.DOUM_WEBHOOK_TIMEOUT_S),
        max_bytes=int(settings.DOUM_WEBHOOK_RESPONSE_MAX_BYTES),
    )


def max_attempts(event: str) -> int:
    """A test ping is tried once (its result is shown at once); events up to the setting."""
    return 1 if event == WebhookEvent.PING else max(1, int(settings.DOUM_WEBHOOK_MAX_ATTEMPTS))


def retry_delay(attempts: int) -> timedelta:
    """base * 2**(attempts-1), at most the cap, plus up to 10 % jitter so that deliveries
    that failed together do not all come back in the same second."""
    base = float(settings.DOUM_WEBHOOK_RETRY_BASE_S) * 2 ** max(attempts - 1, 0)
    base = min(base, float(settings.DOUM_WEBHOOK_RETRY_MAX_S))
    return timedelta(seconds=base + random.uniform(0, base / 10))


# --- queueing -------------------------------------------------------------------------------


def create_delivery(
    webhook: Webhook,
    *,
    event: str,
    ticket_id: int | None,
    payload: dict[str, Any],
    enqueue_task: bool = True,
) -> WebhookDelivery:
    """Write one queued delivery; its task is enqueued after commit."""
    now = clock.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            webhook=webhook,
            event=event,
            ticket_id=ticket_id,
            payload=payload,
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now,
            task_due_at=now,
            created_at=now,
            updated_at=now,
        )
        if enqueue_task:
            delivery_id = delivery.pk
            transaction.on_commit(lambda: enqueue(delivery_id))
    return delivery


def enqueue(delivery_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the send task; a failure to enqueue is logged, and the sweep finds the row."""
    from doum.webhooks.tasks import deliver_task

    try:
        if run_after is not None and not deliver_task.get_backend().supports_defer:
            return  # a backend that cannot wait: the sweep enqueues the retry when it is due
        task = deliver_task.using(run_after=run_after) if run_after else deliver_task
        task.enqueue(delivery_id)
    except Exception:
        log.exception("webhook delivery %s: could not enqueue; the sweep will", delivery_id)


# --- sending --------------------------------------------------------------------------------


def body(delivery: WebhookDelivery) -> bytes:
    """The JSON body: the delivery's id, event and time, and the event's data."""
    envelope = {
        "id": delivery.pk,
        "event": delivery.event,
        "created_at": delivery.created_at,
        "webhook_id": delivery.webhook_id,
        "data": delivery.payload,
    }
    text = json.dumps(
        envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )
    return text.encode("utf-8")


def headers(delivery: WebhookDelivery, secret: str, data: bytes, timestamp: int) -> dict[str, str]:
    return {
        "X-Doum-Event": delivery.event,
        "X-Doum-Delivery": str(delivery.pk),
        "X-Doum-Attempt": str(delivery.attempts),
        "X-Doum-Timestamp": str(timestamp),
        "X-Doum-Signature": signing.signature(secret, timestamp, data),
    }


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the row for this worker: queued or failed, and due; leased until now + LEASE."""
    return (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status__in=PENDING, next_attempt_at__lte=now
        ).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=now + LEASE,
            updated_at=now,
        )
        == 1
    )


def send_delivery(delivery_id: int) -> str:
    """Send one delivery; its status afterwards. A delivery another worker holds, or whose
    next attempt is not due, is left alone (its current status is returned)."""
    now = clock.now()
    if not _claim(delivery_id, now):
        status = (
            WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        )
        return status or "missing"
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.is_active:
        return _failed(delivery, DeliveryError.INACTIVE, "the webhook is inactive", permanent=True)
    data = body(delivery)
    timestamp = int(clock.now().timestamp())
    try:
        response = transport.post(
            webhook.url, data, headers(delivery, webhook.secret, data, timestamp), limits=limits()
        )
    except transport.SendFailed as failure:
        return _failed(delivery, failure.kind, failure.detail, permanent=failure.permanent)
    except Exception as error:  # a bug must not leave the row leased for nothing
        log.exception("webhook delivery %s: unexpected error", delivery.pk)
        return _failed(delivery, DeliveryError.PROTOCOL, f"{type(error).__name__}: {error}")
    excerpt = _excerpt(response.body)
    if 200 <= response.status < 300:
        _record(
            delivery,
            status=DeliveryStatus.SUCCEEDED,
            delivered_at=clock.now(),
            next_attempt_at=None,
            response_status=response.status,
            response_excerpt=excerpt,
            error_kind="",
            error="",
            duration_ms=response.duration_ms,
        )
        return DeliveryStatus.SUCCEEDED
    if 300 <= response.status < 400:
        kind = DeliveryError.REDIRECT
        detail = f"HTTP {response.status} redirect to {single_line(response.location) or '?'}"
    else:
        kind, detail = DeliveryError.HTTP_STATUS, f"HTTP {response.status}"
    return _failed(delivery, kind, detail, response=response, excerpt=excerpt)


def _excerpt(data: bytes) -> str:
    return normalize(data[: EXCERPT_MAX * 4].decode("utf-8", "replace"))[:EXCERPT_MAX]


def _record(delivery: WebhookDelivery, **fields: Any) -> bool:
    """Write the outcome, only while the row is still this attempt's (a lease taken back by
    the sweep means another attempt owns it now)."""
    fields.setdefault("updated_at", clock.now())
    return (
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts
        ).update(**fields)
        == 1
    )


def _failed(
    delivery: WebhookDelivery,
    kind: str,
    detail: str,
    *,
    permanent: bool = False,
    response: transport.Response | None = None,
    excerpt: str = "",
) -> str:
    """Record a failed attempt: retry later, or give up ("dead")."""
    detail = single_line(detail)[:ERROR_MAX]
    answer = {
        "response_status": response.status if response else None,
        "response_excerpt": excerpt,
        "duration_ms": response.duration_ms if response else None,
    }
    if permanent or delivery.attempts >= max_attempts(delivery.event):
        _record(
            delivery, status=DeliveryStatus.DEAD, next_attempt_at=None, error_kind=kind,
            error=detail, **answer,
        )  # fmt: skip
        log.warning(
            "webhook delivery %s gave up after attempt %s: %s", delivery.pk, delivery.attempts,
            detail,
        )  # fmt: skip
        return DeliveryStatus.DEAD
    next_at = clock.now() + retry_delay(delivery.attempts)
    recorded = _record(
        delivery, status=DeliveryStatus.FAILED, next_attempt_at=next_at, task_due_at=next_at,
        error_kind=kind, error=detail, **answer,
    )  # fmt: skip
    log.info(
        "webhook delivery %s attempt %s failed, retry at %s: %s", delivery.pk, delivery.attempts,
        next_at, detail,
    )  # fmt: skip
    if recorded:
        enqueue(delivery.pk, run_after=next_at)
    return DeliveryStatus.FAILED


# --- the sweep ------------------------------------------------------------------------------


def retry_due(limit: int = SWEEP_BATCH) -> int:
    """Enqueue the deliveries that are due and have no live task; returns how many.

    First, rows whose sending lease ran out (the worker died mid-request) count as a failed
    attempt: due again at once, or dead when it was their last. Then every queued or failed
    row that is due and whose task should have run LOST_AFTER ago (its enqueue was lost, or
    its task never ran) is enqueued again; claiming `task_due_at` with a conditional UPDATE
    makes concurrent sweeps enqueue each row once.
    """
    now = clock.now()
    stale = WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, next_attempt_at__lte=now
    ).values_list("pk", "attempts", "event")[:limit]
    for pk, attempts, event in list(stale):
        last = attempts >= max_attempts(event)
        WebhookDelivery.objects.filter(
            pk=pk, status=DeliveryStatus.SENDING, attempts=attempts, next_attempt_at__lte=now
        ).update(
            status=DeliveryStatus.DEAD if last else DeliveryStatus.FAILED,
            next_attempt_at=None if last else now,
            task_due_at=None,
            error_kind=DeliveryError.INTERRUPTED,
            error="the worker sending this attempt stopped before it finished",
            updated_at=now,
        )
    lost = Q(task_due_at__isnull=True) | Q(task_due_at__lte=now - LOST_AFTER)
    due = (
        WebhookDelivery.objects.filter(status__in=PENDING, next_attempt_at__lte=now)
        .filter(lost)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    enqueued = 0
    for pk in list(due):
        taken = (
            WebhookDelivery.objects.filter(pk=pk, status__in=PENDING)
            .filter(lost)
            .update(task_due_at=now)
        )
        if taken:
            enqueue(pk)
            enqueued += 1
    prune(now, limit=limit)
    return enqueued


def prune(now: datetime, *, limit: int = SWEEP_BATCH) -> int:
    """Forget delivered deliveries (and failed test pings) older than DOUM_WEBHOOK_KEEP_DAYS,
    a batch per sweep; dead letters stay until an admin replays them."""
    days = int(settings.DOUM_WEBHOOK_KEEP_DAYS)
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).filter(
        Q(status=DeliveryStatus.SUCCEEDED) | Q(status=DeliveryStatus.DEAD, event=WebhookEvent.PING)
    )
    ids = list(old.values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    deleted, _counts = WebhookDelivery.objects.filter(pk__in=ids).delete()
    return int(deleted)
