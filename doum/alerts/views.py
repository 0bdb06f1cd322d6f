"""Alert pages: the episodes (/alerts/) and my notifications (/alerts/notifications/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doum.alerts import actions, selectors
from doum.core.errors import InvalidInput
from doum.core.web import current_user, redirect_to, render_page, staff_page, staff_page_for

RECENT = 50


@staff_page_for(selectors.SEES_ALERTS)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    episodes = selectors.visible_episodes(viewer)
    return render_page(
        request,
        "alerts/index.html",
        {
            "open_episodes": list(episodes.filter(closed_at__isnull=True).order_by("-opened_at")),
            "recent_episodes": list(
                episodes.filter(closed_at__isnull=False).order_by("-opened_at")[:RECENT]
            ),
        },
    )


@staff_page
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    return render_page(
        request,
        "alerts/notifications.html",
        {"notifications": selectors.my_notifications(viewer)},
    )


@staff_page
@require_GET
def unread(request: HttpRequest) -> HttpResponse:
    """The header's fragment (polled): the label and my unread count, counted fresh."""
    count = selectors.unread_count(current_user(request))
    response = render_page(request, "alerts/_bell_inner.html", {"unread": count})
    response["Cache-Control"] = "no-store"
    return response


@staff_page
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    raw = request.POST.get("notification", "")
    if raw == "all":
        actions.do_mark_all_notifications_read(actor=viewer)
    else:
        try:
            notification_id = int(raw)
        except ValueError:
            raise InvalidInput(_("Choose a notification."), field="notification") from None
        found = actions.do_mark_notification_read(notification_id, actor=viewer)
        if request.POST.get("open") and found.link.startswith("/"):
            return redirect_to(request, found.link)
    return redirect_to(request, reverse("alerts:notifications"))
