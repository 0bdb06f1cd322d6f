"""The original of an e-mailed comment (/mail/original/<inbound_id>/): the message exactly as
it was received, as a download, for staff who may see the ticket it became part of. Anyone
else (another team's agent, a message that made no ticket) is answered 404."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from doum.core.web import current_user, staff_page
from doum.mail import selectors
from doum.mail.views.settings_failed import as_download, read_raw


@require_GET
@staff_page
def original(request: HttpRequest, inbound_id: int) -> HttpResponse:
    message = selectors.access_original(current_user(request), inbound_id)
    response = HttpResponse(read_raw(message.pk), content_type="application/octet-stream")
    return as_download(response, message.pk)


urlpatterns: list[URLPattern] = [
    path("original/<int:inbound_id>/", original, name="original"),
]
