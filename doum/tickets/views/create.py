"""A new ticket on a customer's behalf, including a logged phone call.

Staff who may edit tickets pick the requester (an existing customer by id or e-mail, or a new
one by name and e-mail or phone), write the subject and first message and set the ticket's
fields. For a phone call the first message is the call notes, public or internal, and the
comment carries ``{"call": {"duration_seconds": ..., "direction": ...}}`` in its metadata.
Creating a new customer and the ticket is one transaction: a ticket that fails leaves no
customer behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from doum.accounts import roles
from doum.accounts.actions import do_find_or_create_customer, find_user_by_identity
from doum.accounts.models import Identity, Team, User
from doum.accounts.selectors import visible_users
from doum.core.errors import DoumError, InvalidInput
from doum.core.web import current_user, redirect_to, render_page, staff_page_for
from doum.tickets.actions import NewAttachment, do_create_ticket
from doum.tickets.models import Channel, Priority, TicketType, Via

CHANNELS = (Channel.WEB, Channel.EMAIL, Channel.PHONE, Channel.CHAT, Channel.SOCIAL)
DIRECTIONS = ("inbound", "outbound")
_DURATION = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)$")
MAX_CALL_S = 24 * 3600
TEXT_MAX = 200_000
FIELDS = (
    "requester", "new_name", "new_email", "new_phone", "subject", "body", "visibility",
    "channel", "priority", "type", "team", "assignee", "tags", "due_at", "call_duration",
    "call_direction", "call_notes",
)  # fmt: skip


def ticket_page(number: int) -> str:
    try:
        return reverse("tickets:ticket", args=[number])
    except NoReverseMatch:
        return f"/tickets/{number}/"


def parse_duration(text: str) -> int:
    """ "3:05" -> 185 seconds; "1:02:03" (hours:minutes:seconds) -> 3723."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise InvalidInput(
            _("Enter the call's length as minutes:seconds, for example 3:05."),
            field="call_duration",
        )
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total > MAX_CALL_S:
        raise InvalidInput(_("A call lasts at most 24 hours."), field="call_duration")
    return total


@dataclass
class Form:
    """What the page posted, as text, and the errors per field."""

    data: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.data.get(name, "")

    def int_or_none(self, name: str, label_error: str) -> int | None:
        raw = self.get(name).strip()
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit() and len(raw) < 18):
            self.errors[name] = label_error
            return None
        return int(raw)


def _find_requester(viewer: User, form: Form) -> User | None:
    """The existing person named in "requester" (an id or an e-mail address), if any."""
    raw = form.get("requester").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) < 18:
        found = visible_users(viewer).filter(pk=int(raw), is_active=True).first()
    elif "@" in raw:
        found = find_user_by_identity(Identity.Kind.EMAIL, raw)
        if found is None:
            found = visible_users(viewer).filter(email__iexact=raw, is_active=True).first()
    else:
        found = find_user_by_identity(Identity.Kind.PHONE, raw)
    if found is None or not found.is_active:
        form.errors["requester"] = _(
            "No such customer. Check the id or e-mail, or fill in a new customer below."
        )
        return None
    return found


def _due_at(form: Form) -> datetime | None:
    raw = form.get("due_at").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        form.errors["due_at"] = _("Enter a date and time, for example 2025-03-01 14:00.")
        return None
    if value.tzinfo is None:
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


@dataclass
class Parsed:
    kwargs: dict[str, Any]
    new_customer: dict[str, str] | None
    requester: User | None


def _parse(viewer: User, form: Form) -> Parsed:
    requester = _find_requester(viewer, form)
    new_customer: dict[str, str] | None = None
    name, email, phone = (form.get(k).strip() for k in ("new_name", "new_email", "new_phone"))
    if requester is None and "requester" not in form.errors:
        if not (email or phone):
            key = "new_email" if name else "requester"
            form.errors[key] = _("Choose a customer, or give a new customer's e-mail or phone.")
        else:
            new_customer = {"name": name, "email": email, "phone": phone}
            for value, key in ((email, "new_email"), (phone, "new_phone")):
                if value and len(value) > 254:
                    form.errors[key] = _("At most 254 characters.")
            if len(name) > 200:
                form.errors["new_name"] = _("At most 200 characters.")
    channel = form.get("channel") or Channel.WEB
    if channel not in CHANNELS:
        form.errors["channel"] = _("Choose a channel from the list.")
    body = form.get("body")
    notes = form.get("call_notes")
    metadata: dict[str, Any] | None = None
    duration_text = form.get("call_duration").strip()
    direction = form.get("call_direction") or "inbound"
    if channel == Channel.PHONE:
        call: dict[str, Any] = {"direction": direction}
        if direction not in DIRECTIONS:
            form.errors["call_direction"] = _("Choose inbound or outbound.")
        if duration_text:
            try:
                call["duration_seconds"] = parse_duration(duration_text)
            except InvalidInput as error:
                form.errors["call_duration"] = error.message
        metadata = {"call": call}
        body = "\n\n".join(part for part in (body.strip(), notes.strip()) if part)
    elif duration_text or notes.strip():
        key = "call_duration" if duration_text else "call_notes"
        form.errors[key] = _("Call details belong to tickets from the phone channel.")
    if len(body) > TEXT_MAX:
        form.errors["body"] = _("The message is too long.")
    elif not body.strip():
        key = "call_notes" if channel == Channel.PHONE else "body"
        form.errors[key] = _("Write the customer's request.")
    visibility = form.get("visibility") or "public"
    if visibility not in ("public", "internal"):
        form.errors["visibility"] = _("Choose public or internal.")
    tags = [t for t in re.split(r"[,\s]+", form.get("tags")[:2000]) if t]
    kwargs: dict[str, Any] = {
        "via": Via.PHONE if channel == Channel.PHONE else Via.WEB,
        "subject": form.get("subject")[:TEXT_MAX],
        "body": body,
        "channel": channel,
        "priority": form.get("priority") or Priority.NORMAL,
        "type": form.get("type") or TicketType.QUESTION,
        "team_id": form.int_or_none("team", _("Choose a team from the list.")),
        "assignee_id": form.int_or_none("assignee", _("Choose an agent from the list.")),
        "tags": tags,
        "due_at": _due_at(form),
        "public": visibility == "public",
        "comment_metadata": metadata,
    }
    if not kwargs["subject"].strip():
        form.errors["subject"] = _("A ticket needs a subject.")
    return Parsed(kwargs=kwargs, new_customer=new_customer, requester=requester)


_ACTION_FIELDS = {
    "requester": "requester", "subject": "subject", "body": "body", "channel": "channel",
    "priority": "priority", "type": "type", "team": "team", "team_id": "team",
    "assignee": "assignee", "assignee_id": "assignee", "tags": "tags", "due_at": "due_at",
    "public": "visibility", "email": "new_email", "phone": "new_phone", "name": "new_name",
    "attachments": "attachments",
}  # fmt: skip


def _attachments(request: HttpRequest) -> list[NewAttachment]:
    """The uploaded files; count and size are checked by the action, in its transaction."""
    return [
        NewAttachment(f.name or "file", f.content_type or "application/octet-stream", f.read())
        for f in request.FILES.getlist("attachments")
    ]


def _context(viewer: User, form: Form, requester: User | None) -> dict[str, Any]:
    return {
        "form": form.data,
        "errors": form.errors,
        "requester": requester,
        "channels": [(c.value, c.label) for c in CHANNELS],
        "priorities": Priority.choices,
        "types": TicketType.choices,
        "teams": list(Team.objects.order_by("name")),
        "agents": list(
            User.objects.filter(role__in=roles.EDITS_TICKETS, is_active=True).order_by("name")
        ),
        "directions": [("inbound", _("Inbound")), ("outbound", _("Outbound"))],
    }


@require_http_methods(["GET", "POST"])
@staff_page_for(roles.EDITS_TICKETS)
def new_ticket(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    if request.method == "GET":
        form = Form({"requester": request.GET.get("requester", "")[:254]})
        requester = _find_requester(viewer, form) if form.get("requester") else None
        form.errors.clear()
        channel = request.GET.get("channel", "")
        if channel in CHANNELS:
            form.data["channel"] = channel
            if channel == Channel.PHONE:
                form.data["visibility"] = "internal"
        return render_page(request, "tickets/new.html", _context(viewer, form, requester))
    form = Form({name: request.POST.get(name, "") for name in FIELDS})
    parsed = _parse(viewer, form)
    if not form.errors:
        try:
            with transaction.atomic():
                requester = parsed.requester
                if requester is None and parsed.new_customer is not None:
                    requester = do_find_or_create_customer(
                        actor=viewer,
                        name=parsed.new_customer["name"],
                        email=parsed.new_customer["email"] or None,
                        phone=parsed.new_customer["phone"] or None,
                    )
                assert requester is not None
                ticket = do_create_ticket(
                    actor=viewer,
                    requester_id=requester.pk,
                    attachments=_attachments(request),
                    **parsed.kwargs,
                )
        except DoumError as error:
            if error.status_code == 403:
                raise
            key = _ACTION_FIELDS.get((error.field or "").split(".")[0], "general")
            if parsed.requester is None and error.field in ("email", "phone", "name"):
                key = _ACTION_FIELDS[error.field or ""]
            form.errors[key] = error.message
        else:
            return redirect_to(request, ticket_page(ticket.pk))
    context = _context(viewer, form, parsed.requester)
    return render_page(request, "tickets/new.html", context, status=400)


urlpatterns: list[URLPattern] = [
    path("tickets/new", new_ticket, name="new"),
]
