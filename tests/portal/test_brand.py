"""The portal takes its brand from the host name, and the brand's look never lets hostile
values into the style sheet or the page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from doum.accounts import actions as accounts
from doum.accounts.models import Brand
from doum.portal.brands import brand_css, logo_src, safe_color
from tests.personas import World


def make_brand(world: World, slug: str, **look: str) -> Brand:
    return accounts.do_create_brand(
        actor=world.admin, name=f"Brand {slug}", slug=slug, is_default=False, **look
    )


def test_host_chooses_the_brand_case_insensitively_else_the_default(
    world: World, hosts: None
) -> None:
    make_brand(world, "beta", portal_host="help.beta.example", portal_title="Beta Help Center")
    page = Client(HTTP_HOST="HELP.Beta.Example").get("/portal/")
    assert page.status_code == 200
    assert "Beta Help Center" in page.content.decode()
    default = Client().get("/portal/")
    assert "Acme Support" in default.content.decode()
    assert "Beta Help Center" not in default.content.decode()


@pytest.fixture
def hosts(settings: object) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "help.beta.example", "help.gamma.example"]  # type: ignore[attr-defined]


def test_brand_css_uses_the_host_brand_colours(world: World, hosts: None) -> None:
    make_brand(world, "beta", portal_host="help.beta.example", primary_color="#AA0000",
               accent_color="#112233")  # fmt: skip
    response = Client(HTTP_HOST="help.beta.example").get("/portal/brand.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert "--accent: #aa0000;" in css
    assert "--brand-accent: #112233;" in css
    assert "public" in response["Cache-Control"]
    assert response["ETag"]
    again = Client(HTTP_HOST="help.beta.example").get(
        "/portal/brand.css", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


def test_the_page_links_the_current_brand_css_version(world: World, hosts: None) -> None:
    make_brand(world, "beta", portal_host="help.beta.example", primary_color="#aa0000")
    page = Client(HTTP_HOST="help.beta.example").get("/portal/").content.decode()
    css = Client(HTTP_HOST="help.beta.example").get("/portal/brand.css")
    version = css["ETag"].strip('"')
    assert f'/portal/brand.css?v={version}"' in page
    long = Client(HTTP_HOST="help.beta.example").get(f"/portal/brand.css?v={version}")
    assert "max-age=86400" in long["Cache-Control"]


HOSTILE_COLOURS = [
    "red;}body{display:none",
    "#fff;} * { background: url(https://evil.example/x) }",
    "</style><script>alert(1)</script>",
    "#12345",
    "#1234567",
    "expression(alert(1))",
    "#12g456",
    "",
    "#abcdef\n}",
]


@pytest.mark.parametrize("value", HOSTILE_COLOURS)
def test_hostile_colours_never_reach_the_css(world: World, hosts: None, value: str) -> None:
    make_brand(world, "gamma", portal_host="help.gamma.example", primary_color=value[:7],
               accent_color=value[:7])  # fmt: skip
    # The model column holds 7 characters; write the whole value on an unsaved copy too.
    brand = Brand.objects.get(slug="gamma")
    brand.primary_color = value
    brand.accent_color = value
    css = brand_css(brand)
    assert "--accent: #1f6feb;" in css
    assert "--brand-accent: #0b3d91;" in css
    served = Client(HTTP_HOST="help.gamma.example").get("/portal/brand.css").content.decode()
    for text in (css, served):
        assert re.findall(r"#[0-9a-f]{6};", text) and text.count(";") == 6
        for bad in ("<", "}body", "url(", "expression", "script", "display"):
            assert bad not in text
    assert safe_color(value, "#000000") == "#000000"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://cdn.example/logo.png", True),
        ("/static/doum/logo.svg", True),
        ("http://cdn.example/logo.png", False),
        ("javascript:alert(1)", False),
        ("data:image/svg+xml,<svg onload=alert(1)>", False),
        ('https://x.example/a.png" onerror="alert(1)', False),
        ("//evil.example/logo.png", False),
        ("/static/../media/x", False),
        ("", False),
    ],
)
def test_logo_only_from_https_or_static(world: World, hosts: None, url: str, shown: bool) -> None:
    brand = make_brand(world, "gamma", portal_host="help.gamma.example", logo_url=url)
    assert bool(logo_src(brand)) is shown
    page = Client(HTTP_HOST="help.gamma.example").get("/portal/").content.decode()
    assert ('class="portal-logo"' in page) is shown
    assert "onerror" not in page and "javascript:" not in page


def test_portal_pages_carry_the_strict_csp_and_no_inline_styles(world: World) -> None:
    response = Client().get("/portal/")
    assert "style-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "<style" not in html and "style=" not in html and "<script>" not in html
    assert 'name="csrf-token"' in html and "doum/app.js" in html


def test_requests_submitted_on_a_brand_host_belong_to_that_brand(world: World, hosts: None) -> None:
    from doum.tickets.models import Ticket
    from tests.portal.helpers import PortalClient

    beta = make_brand(world, "beta", portal_host="help.beta.example")
    client = PortalClient(HTTP_HOST="help.beta.example")
    client.force_login(world.customer)
    response = client.post("/portal/new", {"subject": "Beta question", "description": "hi"})
    assert response.status_code == 302
    assert Ticket.objects.get(subject="Beta question").brand == beta
