"""Image attachments shown inline in a conversation, for staff and for the customer.

Only raster images whose bytes really are PNG, JPEG, GIF or WebP are ever served inline, with
the content type read from the bytes (never the sender's claim), nosniff and a sandboxing
CSP; anything else (HTML, SVG, PDF, a mislabelled file) is 404 here and remains a download
through /api/v1/attachments/<id>.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from doum.accounts.models import User
from doum.core.errors import NotFound
from doum.tickets.models import PREVIEW_MAX_BYTES
from doum.tickets.selectors import access_attachment

SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(head: bytes) -> str | None:
    """The image type the bytes begin with, or None for anything that is not a raster image."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@require_GET
def preview(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    user = request.user
    if not user.is_authenticated or not isinstance(user, User):
        return redirect_to_login(request.get_full_path())
    try:
        attachment = access_attachment(user, attachment_id)
    except NotFound as error:
        raise Http404(error.message) from error
    if attachment.size > PREVIEW_MAX_BYTES:
        raise Http404
    handle = default_storage.open(attachment.storage_key, "rb")
    content_type = sniff_image(handle.read(16))
    if content_type is None:
        handle.close()
        raise Http404
    handle.seek(0)
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = 'inline; filename="preview"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns: list[URLPattern] = [
    path("tickets/attachments/<int:attachment_id>/preview", preview, name="attachment_preview"),
]
