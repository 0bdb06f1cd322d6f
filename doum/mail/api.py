"""REST endpoints of the email channel: raw inbound mail from mail providers' webhooks, and
the failed-mail list for integrations (admins only)."""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import IO

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from doum.accounts.roles import ADMINISTERS
from doum.api.auth import current_user
from doum.api.schemas import Out
from doum.core.errors import DoumError, Forbidden, InvalidInput, NotFound
from doum.mail import inbound
from doum.mail.addresses import base_address
from doum.mail.models import InboundMessage, InboundSource, InboundStatus, Mailbox

router = Router(tags=["mail"])

READ_CHUNK = 256 * 1024
SPOOL_IN_MEMORY = 4 * 1024 * 1024


class TooLarge(DoumError):
    status_code = 413
    code = "too_large"


class InboundOut(Out):
    id: int
    duplicate: bool
    status: str
    ticket_id: int | None
    failure_reason: str


class InboundRowOut(Out):
    id: int
    source: str
    mailbox_id: int | None
    received_at: datetime
    status: str
    outcome: str
    failure_reason: str
    attempts: int
    from_address: str
    subject: str
    is_automatic: bool
    ticket_id: int | None
    size: int


class InboundFilters(Schema):
    status: InboundStatus | None = None
    limit: int = 50


def _admin(request: HttpRequest) -> None:
    user = current_user(request)
    if not user.is_agent:
        raise NotFound(_("Not found."))
    if user.role not in ADMINISTERS:
        raise Forbidden(_("Only admins may do this."))


def _read_body(request: HttpRequest, spool: IO[bytes]) -> int:
    """Copy the raw request body into `spool` in chunks, up to the SMTP listener's hard limit
    (Django's in-memory upload limit is for forms, not for mail); its size."""
    limit = settings.DOUM_MAIL_SMTP_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(_("The message is larger than %(mb)s MB.") % {"mb": limit // 2**20})
    total = 0
    while chunk := request.read(READ_CHUNK):
        total += len(chunk)
        if total > limit:
            raise TooLarge(_("The message is larger than %(mb)s MB.") % {"mb": limit // 2**20})
        spool.write(chunk)
    return total


@router.post(
    "/mail/inbound",
    response={202: InboundOut},
    openapi_extra={
        "requestBody": {
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
            "required": True,
        }
    },
)
def receive_mail(request: HttpRequest, mailbox: str = "") -> tuple[int, InboundOut]:
    """Take one raw RFC 822 message (the request body, as sent by a mail provider's inbound
    webhook) for the support address `mailbox`. It is stored before anything else; the
    answer says what became of it. Malformed mail is kept on the failed-mail list (202 too)."""
    _admin(request)
    found = None
    if mailbox:
        found = Mailbox.objects.filter(address=base_address(mailbox), is_active=True).first()
        if found is None:
            raise InvalidInput(_("No active mailbox has this address."), field="mailbox")
    # Small messages stay in memory; large ones spill to a temporary file.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        if not _read_body(request, spool):
            raise InvalidInput(_("The request body is empty: send the raw message."), field="body")
        stored = inbound.store_inbound(
            spool,
            source=InboundSource.HTTP,
            mailbox_id=found.pk if found else None,
            envelope_to=[found.address] if found else [],
        )
    status: str = InboundStatus.PROCESSED
    if not stored.duplicate:
        status = inbound.process_inbound(stored.inbound_id)
    row = InboundMessage.objects.get(pk=stored.inbound_id)
    return 202, InboundOut(
        id=row.pk,
        duplicate=stored.duplicate,
        status=row.status if stored.duplicate else status,
        ticket_id=row.ticket_id,
        failure_reason=row.failure_reason,
    )


@router.get("/mail/inbound", response=list[InboundRowOut])
def list_inbound(request: HttpRequest, filters: Query[InboundFilters]) -> list[InboundRowOut]:
    """Received mail, newest first; `status=failed` is the failed-mail list."""
    _admin(request)
    rows = InboundMessage.objects.order_by("-received_at", "-id")
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    limit = max(1, min(filters.limit, 200))
    return [InboundRowOut.model_validate(r, from_attributes=True) for r in rows[:limit]]


@router.post("/mail/inbound/{inbound_id}/retry", response=InboundRowOut)
def retry_inbound(request: HttpRequest, inbound_id: int) -> InboundRowOut:
    """Process a failed message again (after the cause was fixed)."""
    _admin(request)
    inbound.do_retry_inbound(inbound_id, actor=current_user(request))
    row = InboundMessage.objects.get(pk=inbound_id)
    return InboundRowOut.model_validate(row, from_attributes=True)
