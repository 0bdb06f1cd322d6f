"""Benchmark-only endpoints: the ceiling that bench/api_tickets.py compares the API against.

Mounted by doum/urls.py only when DOUM_BENCH_ENDPOINTS is true. Never enable it in production:
the endpoint writes without authentication.

`POST /bench/bare-create` does the least a ticket creation can do on this server: one
transaction holding one Ticket insert and two TicketEvent inserts (the shapes of a `created`
and a `comment_added` event), through the ORM, with no authentication, validation, comment,
search entry or response serialisation. Everything the real `POST /api/v1/tickets` does beyond
that is what the benchmark's ratio measures.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from doum.accounts.models import Brand, User
from doum.tickets.models import EventKind, Status, Ticket, TicketEvent, Via

# (brand id, user id, user role), looked up on the first call and kept for the process.
_ids: tuple[int, int, str] | None = None


def _lookup(request: HttpRequest) -> tuple[int, int, str]:
    global _ids
    brand_q = request.GET.get("brand_id")
    user_q = request.GET.get("user_id")
    if brand_q and user_q and brand_q.isdigit() and user_q.isdigit():
        # The caller names the rows; the role is only copied into the event.
        return int(brand_q), int(user_q), request.GET.get("role", "customer")[:20]
    if _ids is None:
        brand = Brand.objects.order_by("id").only("id").first()
        user = User.objects.filter(role="customer", is_active=True).order_by("id").first()
        if brand is None or user is None:
            raise LookupError("bare-create needs a brand and an active customer")
        _ids = (brand.pk, user.pk, user.role)
    return _ids


@csrf_exempt
@require_POST
def bare_create(request: HttpRequest) -> JsonResponse:
    try:
        brand_id, user_id, role = _lookup(request)
    except LookupError as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    now = datetime.now(tz=UTC)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            brand_id=brand_id,
            subject="bare ticket",
            status=Status.NEW,
            requester_id=user_id,
            submitter_id=user_id,
            channel="api",
            created_at=now,
            updated_at=now,
            version=1,
        )
        common = {
            "ticket_id": ticket.pk,
            "actor_id": user_id,
            "actor_role": role,
            "via": Via.API,
            "at": now,
            "version": 1,
        }
        TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    kind=EventKind.CREATED, new_value=Status.NEW, data={"status": "new"}, **common
                ),
                TicketEvent(kind=EventKind.COMMENT_ADDED, is_public=True, **common),
            ]
        )
    return JsonResponse({"id": ticket.pk}, status=201)


urlpatterns = [
    path("bench/bare-create", bare_create, name="bench_bare_create"),
]
