"""Webhook writers: endpoints, deliveries (queued after commit), retries and replay."""

from __future__ import annotations

from typing import Any


def queue_webhook(
    webhook_id: int, *, ticket_id: int | None, event: str, payload: dict[str, Any]
) -> int | None:
    """Queue one delivery of `event` to a webhook after commit; the delivery id (None when the
    webhook is inactive or missing)."""
    raise NotImplementedError
