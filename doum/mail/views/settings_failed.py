"""Received mail for admins (/settings/mail/…): the failed-mail list (and, with a filter, the
ignored, processed and waiting messages), one message with its headers and the reason it
failed, the raw message as a download, "Retry" and "Dismiss".

Every value that came in a message is shown escaped; the raw bytes are only ever served as
an `application/octet-stream` attachment with a sandboxing CSP, never rendered.
"""

from __future__ import annotations

import contextlib
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser

from django.contrib import messages
from django.core.files import File
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.core.errors import DoumError, NotFound
from doum.core.text import single_line
from doum.core.web import admin_page, current_user, query_string, redirect_to, render_page
from doum.mail import inbound, selectors
from doum.mail.models import InboundMessage, InboundStatus
from doum.mail.views.forms import DismissForm, InboundFilterForm

LIST_FRAGMENT = "mail/settings_failed_list.html"
HEADER_BYTES = 64 * 1024
HEADER_VALUE_MAX = 2000
SUMMARY_HEADERS = (
    "From", "Sender", "Reply-To", "To", "Cc", "Delivered-To", "Return-Path", "Date", "Subject",
    "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "Precedence", "List-Id",
    "X-Loop", "X-Mailer", "Content-Type",
)  # fmt: skip


@require_GET
@admin_page
def failed_list(request: HttpRequest) -> HttpResponse:
    form = InboundFilterForm(request.GET)
    status = form.status()
    cursor = str(request.GET.get("cursor", ""))[:60]
    page = selectors.recent_inbound(status, cursor=cursor)
    show = "" if status == InboundStatus.FAILED else (status or "all")
    context = {
        "form": form,
        "page": page,
        "status": status,
        "show": show,
        "older_query": query_string({"show": show, "cursor": page.next_cursor}),
        "is_first_page": not cursor,
    }
    return render_page(request, "mail/settings_failed.html", context, fragment=LIST_FRAGMENT)


def open_raw(inbound_id: int) -> File[bytes]:
    try:
        return inbound.open_raw(inbound_id)
    except (OSError, ValueError) as error:
        raise NotFound(_("The raw message is missing from storage.")) from error


def raw_download(inbound_id: int) -> FileResponse:
    """The raw message streamed from storage as a download (never held in memory whole)."""
    response = FileResponse(open_raw(inbound_id), content_type="application/octet-stream")
    return as_download(response, inbound_id)


def header_summary(raw: bytes) -> list[tuple[str, str]]:
    """The headers an admin reads first, decoded where possible, one line each.

    Reads only the header block (at most the first 64 KiB); a header that cannot be decoded
    is shown as received."""
    head = raw[:HEADER_BYTES]
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end >= 0:
            head = head[: end + len(separator)]
            break
    parsed = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
    found: list[tuple[str, str]] = []
    for name in SUMMARY_HEADERS:
        for raw_value in parsed.get_all(name) or []:
            value = single_line(_decoded(raw_value))
            if len(value) > HEADER_VALUE_MAX:
                value = value[:HEADER_VALUE_MAX] + "…"
            found.append((name, value))
    return found


def _decoded(value: object) -> str:
    """An RFC 2047 encoded header value as text; as received when it does not decode."""
    text = str(value)
    # 8-bit bytes come out of the parser as surrogate escapes: most are UTF-8 (RFC 6532).
    with contextlib.suppress(UnicodeError):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # malformed encoded words, unknown charsets: show what came
        return text


def _detail_page(
    request: HttpRequest, message: InboundMessage, dismiss_form: DismissForm, status: int = 200
) -> HttpResponse:
    try:
        with open_raw(message.pk) as raw:
            headers = header_summary(raw.read(HEADER_BYTES))
        raw_missing = False
    except NotFound:
        headers, raw_missing = [], True
    context = {
        "message": message,
        "headers": headers,
        "raw_missing": raw_missing,
        "dismiss_form": dismiss_form,
        "can_retry": message.status != InboundStatus.PROCESSED,
        "can_dismiss": message.status == InboundStatus.FAILED,
    }
    return render_page(request, "mail/settings_inbound.html", context, status=status)


@require_GET
@admin_page
def inbound_detail(request: HttpRequest, inbound_id: int) -> HttpResponse:
    message = selectors.access_inbound(current_user(request), inbound_id)
    return _detail_page(request, message, DismissForm())


@require_GET
@admin_page
def inbound_raw(request: HttpRequest, inbound_id: int) -> FileResponse:
    message = selectors.access_inbound(current_user(request), inbound_id)
    return raw_download(message.pk)


def as_download(response: FileResponse, inbound_id: int) -> FileResponse:
    """The headers every raw-message download carries (see the attachment downloads)."""
    response["Content-Disposition"] = f'attachment; filename="message-{inbound_id}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _back(request: HttpRequest, inbound_id: int) -> HttpResponse:
    return redirect_to(request, reverse("settings:mail_inbound", args=[inbound_id]))


@admin_page
@require_POST
def inbound_retry(request: HttpRequest, inbound_id: int) -> HttpResponse:
    viewer = current_user(request)
    message = selectors.access_inbound(viewer, inbound_id)
    try:
        outcome = inbound.do_retry_inbound(message.pk, actor=viewer)
    except DoumError as error:
        messages.error(request, error.message)
        return _back(request, message.pk)
    message = selectors.access_inbound(viewer, inbound_id)
    if outcome == InboundStatus.PROCESSED and message.ticket_id is not None:
        messages.success(
            request,
            _("Processed: the message is now part of ticket #%(number)s.")
            % {"number": message.ticket_id},
        )
    elif outcome == InboundStatus.PROCESSED:
        messages.success(request, _("Processed."))
    elif outcome == InboundStatus.IGNORED:
        reason = message.failure_reason or message.automatic_reason or message.outcome
        messages.warning(request, _("Ignored again: %(reason)s") % {"reason": reason[:300]})
    else:
        messages.error(request, _("It failed again: %(reason)s")
                       % {"reason": single_line(message.failure_reason)[:300]})  # fmt: skip
    return _back(request, message.pk)


@admin_page
@require_POST
def inbound_dismiss(request: HttpRequest, inbound_id: int) -> HttpResponse:
    viewer = current_user(request)
    message = selectors.access_inbound(viewer, inbound_id)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, message, form, status=400)
    try:
        inbound.do_dismiss_inbound(message.pk, actor=viewer, note=form.cleaned_data["note"])
    except DoumError as error:
        form.add_error("note" if error.field == "note" else None, error.message)
        return _detail_page(request, message, form, status=error.status_code)
    messages.success(request, _("Dismissed: the message stays in the log as ignored."))
    return redirect_to(request, reverse("settings:mail_failed"))


urlpatterns: list[URLPattern] = [
    path("mail/failed/", failed_list, name="mail_failed"),
    path("mail/inbound/<int:inbound_id>/", inbound_detail, name="mail_inbound"),
    path("mail/inbound/<int:inbound_id>/raw", inbound_raw, name="mail_inbound_raw"),
    path("mail/inbound/<int:inbound_id>/retry/", inbound_retry, name="mail_inbound_retry"),
    path("mail/inbound/<int:inbound_id>/dismiss/", inbound_dismiss, name="mail_inbound_dismiss"),
]
