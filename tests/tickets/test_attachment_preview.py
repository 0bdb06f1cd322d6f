"""Raster images show inline in conversations; nothing else is ever served inline."""

from __future__ import annotations

import pytest
from django.test import Client

from doum.tickets import actions
from doum.tickets.models import Attachment, Via
from tests.pages import signed_in
from tests.personas import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML_AS_PNG = b"<html><script>alert(1)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def attach(world: World, name: str, content_type: str, data: bytes, *, public: bool = True) -> int:
    author = world.customer if public else world.agent
    comment = actions.do_add_comment(
        world.ticket, actor=author, via=Via.WEB if not public else Via.PORTAL, body="see file",
        public=public, attachments=[actions.NewAttachment(name, content_type, data)],
    )  # fmt: skip
    return Attachment.objects.get(comment=comment).pk


def preview(client: Client, pk: int) -> int:
    return int(client.get(f"/tickets/attachments/{pk}/preview").status_code)


def test_a_png_is_served_inline_with_its_sniffed_type(world: World) -> None:
    pk = attach(world, "screen.png", "image/png", PNG)
    response = signed_in(world.agent).get(f"/tickets/attachments/{pk}/preview")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]


def test_who_may_see_a_preview(world: World) -> None:
    public = attach(world, "screen.png", "image/png", PNG)
    note = attach(world, "internal.png", "image/png", PNG, public=False)
    assert preview(signed_in(world.customer), public) == 200
    assert preview(signed_in(world.customer), note) == 404  # internal notes stay internal
    assert preview(signed_in(world.outsider), public) == 404
    assert preview(signed_in(world.tech_agent), public) == 404  # another team's ticket
    assert preview(signed_in(world.agent), note) == 200
    assert preview(Client(), public) == 302  # to sign-in


@pytest.mark.parametrize(
    ("name", "claimed", "data"),
    [
        ("evil.png", "image/png", HTML_AS_PNG),
        ("drawing.svg", "image/svg+xml", SVG),
        ("page.html", "text/html", HTML_AS_PNG),
        ("doc.pdf", "application/pdf", b"%PDF-1.4"),
    ],
)
def test_anything_but_a_real_raster_image_is_never_inline(
    world: World, name: str, claimed: str, data: bytes
) -> None:
    pk = attach(world, name, claimed, data)
    assert preview(signed_in(world.agent), pk) == 404
    # It stays a download.
    download = signed_in(world.agent).get(f"/api/v1/attachments/{pk}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment")


def test_the_ticket_page_and_the_portal_show_images_not_other_files(world: World) -> None:
    png = attach(world, "screen.png", "image/png", PNG)
    svg = attach(world, "drawing.svg", "image/svg+xml", SVG)
    page = signed_in(world.agent).get(f"/tickets/{world.ticket.pk}/").content.decode()
    assert f'<img src="/tickets/attachments/{png}/preview"' in page
    assert f"/tickets/attachments/{svg}/preview" not in page
    portal = signed_in(world.customer).get(f"/portal/requests/{world.ticket.pk}").content.decode()
    assert f'<img src="/tickets/attachments/{png}/preview"' in portal
    assert f"/tickets/attachments/{svg}/preview" not in portal
