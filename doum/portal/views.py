"""Customer portal pages: the welcome page, the brand's style sheet, submitting a request,
the customer's requests, one request's public conversation, replying and marking solved.

Each view parses input, calls one action or selector and renders. Customers see what
`visible_tickets` / `access_ticket` / `visible_comments` give them: never internal notes,
never history, never another customer's request.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from doum.accounts.actions import do_find_or_create_customer, find_user_by_identity
from doum.accounts.models import Identity, User
from doum.core.errors import DoumError, InvalidInput
from doum.core.throttle import client_ip
from doum.portal import signin
from doum.portal.brands import brand_css, brand_css_version, brand_for_request
from doum.portal.forms import ReplyForm, RequestForm, apply_error, new_attachments
from doum.portal.web import (
    customer_page,
    open_page,
    portal_error,
    portal_user,
    render_portal,
    signed_in_customer,
)
from doum.tickets.actions import (
    REQUESTER_MAY_SOLVE,
    do_add_comment,
    do_create_ticket,
    do_solve_as_requester,
)
from doum.tickets.custom_fields import active_definitions, visible_values
from doum.tickets.models import CustomField, Status, Ticket, Via
from doum.tickets.selectors import (
    access_ticket,
    page_of_tickets,
    visible_comments,
    visible_tickets,
)

PAGE_SIZE = 25

# What a customer is told about a status (agents' words stay in the workspace).
CUSTOMER_STATUS = {
    Status.NEW: ("open", gettext_lazy("Open")),
    Status.OPEN: ("open", gettext_lazy("Open")),
    Status.ON_HOLD: ("open", gettext_lazy("Open")),
    Status.PENDING: ("pending", gettext_lazy("Awaiting your reply")),
    Status.SOLVED: ("solved", gettext_lazy("Solved")),
    Status.CLOSED: ("solved", gettext_lazy("Solved")),
}


def customer_status(ticket: Ticket) -> tuple[str, str]:
    css, label = CUSTOMER_STATUS.get(Status(ticket.status), ("open", gettext_lazy("Open")))
    return css, str(label)


@require_GET
@open_page
def home(request: HttpRequest) -> HttpResponse:
    if portal_user(request) is not None:
        return HttpResponseRedirect(reverse("portal:requests"))
    return render_portal(request, "portal/home.html", {})


@require_GET
def brand_stylesheet(request: HttpRequest) -> HttpResponse:
    """``portal/brand.css``: the colours of the brand this host belongs to."""
    brand = brand_for_request(request)
    version = brand_css_version(brand)
    etag = f'"{version}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(brand_css(brand), content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    # A URL with the current fingerprint never changes; the bare URL is checked again soon.
    max_age = 86400 if request.GET.get("v") == version else 300
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


# --- submit a request ---------------------------------------------------------------------


def customer_fields() -> list[CustomField]:
    return [
        d
        for d in active_definitions().values()
        if d.visible_to_customers and d.editable_by_customers
    ]


FORM_FIELDS = {
    "subject": "subject",
    "body": "description",
    "attachments": "attachments",
    "email": "email",
    "name": "name",
}


@require_http_methods(["GET", "POST"])
@open_page
def new_request(request: HttpRequest) -> HttpResponse:
    user = portal_user(request)
    form = RequestForm(
        request.POST or None,
        request.FILES or None,
        visitor=user is None,
        definitions=sorted(customer_fields(), key=lambda d: (d.position, d.pk)),
        language=translation.get_language() or "en",
    )
    if request.method == "POST" and form.is_valid():
        if not signin.hit(signin.SUBMIT_PER_IP, client_ip(request)):
            form.add_error(None, _("Too many attempts. Wait a few minutes and try again."))
            return render_portal(request, "portal/new.html", {"form": form}, status=429)
        try:
            return _submit(request, form, user)
        except DoumError as error:
            apply_error(form, error, FORM_FIELDS)
    status = 400 if form.errors else 200
    return render_portal(request, "portal/new.html", {"form": form}, status=status)


def _submit(request: HttpRequest, form: RequestForm, user: User | None) -> HttpResponse:
    brand = brand_for_request(request)
    data = form.cleaned_data
    fields: dict[str, Any] = {
        "via": Via.PORTAL,
        "subject": data["subject"],
        "body": data["description"],
        "brand_id": brand.pk,
        "custom_fields": form.custom_values() or None,
        "attachments": new_attachments(data["attachments"]),
    }
    if user is not None:
        ticket = do_create_ticket(actor=user, **fields)
        messages.success(request, _("Your request was sent. We will reply by e-mail and here."))
        return HttpResponseRedirect(reverse("portal:request", args=[ticket.pk]))
    # A visitor: the request is filed for the person the address belongs to, who is sent a
    # sign-in link. The visitor is NOT signed in: anyone can type anyone's address.
    email = data["email"]
    existing = find_user_by_identity(Identity.Kind.EMAIL, email)
    with transaction.atomic():
        if existing is not None and existing.is_agent:
            signin.send_sign_in_link(request, existing, brand, reason="staff_submitted")
        elif existing is None or existing.is_active:
            customer = existing or do_find_or_create_customer(
                actor=None, email=email, name=data["name"]
            )
            do_create_ticket(actor=customer, **fields)
            signin.send_sign_in_link(request, customer, brand, reason="submitted")
    return render_portal(request, "portal/check_mail.html", {"email": email, "submitted": True})


# --- my requests ----------------------------------------------------------------------------


def _shares_with_organization(user: User) -> bool:
    return bool(user.organization_id and user.organization and user.organization.shared_tickets)


@require_GET
@customer_page
def my_requests(request: HttpRequest) -> HttpResponse:
    user = signed_in_customer(request)
    shared = _shares_with_organization(user)
    show = request.GET.get("show", "mine")
    if show not in ("mine", "organization") or not shared:
        show = "mine"
    qs = visible_tickets(user)
    if show == "organization" and user.organization_id is not None:
        qs = qs.filter(organization_id=user.organization_id)
    else:
        qs = qs.filter(Q(requester_id=user.pk) | Q(ticketfollower__user_id=user.pk))
    cursor = request.GET.get("cursor") or None
    try:
        rows, next_cursor = page_of_tickets(qs, sort="-updated_at", limit=PAGE_SIZE, cursor=cursor)
    except InvalidInput:
        rows, next_cursor = page_of_tickets(qs, sort="-updated_at", limit=PAGE_SIZE, cursor=None)
        cursor = None
    tickets = [
        {"ticket": t, "status_css": css, "status_label": label, "mine": t.requester_id == user.pk}
        for t in rows
        for css, label in [customer_status(t)]
    ]
    context = {
        "tickets": tickets,
        "show": show,
        "shared": shared,
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
    }
    return render_portal(request, "portal/requests.html", context)


# --- one request ----------------------------------------------------------------------------


def _request_context(user: User, ticket: Ticket) -> dict[str, Any]:
    definitions = active_definitions()
    language = translation.get_language() or "en"
    fields = []
    for key, value in visible_values(ticket.custom_fields, definitions).items():
        d = definitions[key]
        label = d.label_ko if language == "ko" and d.label_ko else d.label
        options = {
            str(o.get("value")): str(
                (o.get("label_ko") if language == "ko" else None) or o.get("label") or ""
            )
            for o in d.options
            if isinstance(o, dict)
        }
        if isinstance(value, list):
            shown = ", ".join(options.get(v) or v for v in value)
        elif isinstance(value, bool):
            shown = _("Yes") if value else _("No")
        else:
            shown = options.get(str(value)) or str(value)
        fields.append({"label": label, "value": shown})
    css, label = customer_status(ticket)
    return {
        "survey": _survey_context(user, ticket, language),
        "ticket": ticket,
        "comments": list(visible_comments(user, ticket)),
        "status_css": css,
        "status_label": label,
        "fields": fields,
        "closed": ticket.status == Status.CLOSED,
        "solved": ticket.status == Status.SOLVED,
        "may_solve": ticket.status in REQUESTER_MAY_SOLVE and ticket.assignee_id is not None,
    }


def _survey_context(user: User, ticket: Ticket, language: str) -> dict[str, Any] | None:
    """The requester's CSAT for the ticket's latest solve: the rating links while it is open
    (fresh signed links to the survey page), the given rating once answered; else None."""
    if ticket.requester_id != user.pk or ticket.status not in (Status.SOLVED, Status.CLOSED):
        return None
    from doum.surveys import delivery, wording
    from doum.surveys.selectors import settings_for

    invitation = delivery.latest_invitation(ticket.pk)
    if invitation is None or invitation.customer_id != user.pk:
        return None
    response = getattr(invitation, "response", None)
    given = (
        wording.score_label(invitation.kind, invitation.csat_scale, response.score)
        if response is not None
        else ""
    )
    links = []
    if response is None and delivery.may_answer(invitation):
        links = [
            {
                "score": score,
                "label": label,
                "url": delivery.rate_url(invitation, score) + "&via=portal",
            }
            for score, label in wording.choices(invitation.kind, invitation.csat_scale, language)
        ]
    if not links and not given:
        return None
    words = wording.wording_for(settings_for(invitation.brand_id), invitation.kind, language)
    question = wording.fill(words["question"], delivery.placeholder_values(invitation))
    return {"question": question, "links": links, "given": given}


@require_GET
@customer_page
def request_page(request: HttpRequest, number: int) -> HttpResponse:
    user = signed_in_customer(request)
    ticket = access_ticket(user, number)
    context = {**_request_context(user, ticket), "form": ReplyForm()}
    return render_portal(request, "portal/request.html", context)


@require_POST
@customer_page
def reply(request: HttpRequest, number: int) -> HttpResponse:
    user = signed_in_customer(request)
    ticket = access_ticket(user, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            comment = do_add_comment(
                ticket,
                actor=user,
                via=Via.PORTAL,
                body=form.cleaned_data["body"],
                public=True,
                attachments=new_attachments(form.cleaned_data["attachments"]),
            )
        except InvalidInput as error:
            apply_error(form, error, {"body": "body", "attachments": "attachments"})
        else:
            messages.success(request, _("Your reply was sent."))
            url = reverse("portal:request", args=[ticket.pk])
            return HttpResponseRedirect(f"{url}#comment-{comment.pk}")
    context = {**_request_context(user, ticket), "form": form}
    return render_portal(request, "portal/request.html", context, status=400)


@require_POST
@customer_page
def solve(request: HttpRequest, number: int) -> HttpResponse:
    user = signed_in_customer(request)
    ticket = access_ticket(user, number)
    raw_version = request.POST.get("version", "")
    version = int(raw_version) if raw_version.isascii() and raw_version.isdigit() else None
    try:
        do_solve_as_requester(ticket, actor=user, via=Via.PORTAL, expected_version=version)
    except InvalidInput as error:
        messages.error(request, error.message)
    except DoumError as error:
        return portal_error(request, error)
    else:
        messages.success(request, _("Thank you. Your request is marked as solved."))
    return HttpResponseRedirect(reverse("portal:request", args=[ticket.pk]))
