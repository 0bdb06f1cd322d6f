"""The original of an e-mailed comment (/mail/original/<inbound_id>/): the message exactly as
it was received, as a download, for staff who may see the ticket it became part of. Anyone
else (another team's agent, a message that made no ticket) is answered 404."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from doum.core.web import current_user, staff_page
from doum.mail import selectors
from doum.mail.views.settings_failed import raw_download


@require_GET
@staff_page
def original(request: HttpRequest, inbound_id: int) -> FileResponse:
    message = selectors.access_original(current_user(request), inbound_id)
    return raw_download(message.pk)


urlpatterns: list[URLPattern] = [
    path("original/<int:inbound_id>/", original, name="original"),
]
