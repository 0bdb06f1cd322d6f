"""Which brand a portal request belongs to, and that brand's look.

The brand is chosen by the request's host name (``Brand.portal_host``, compared without case
and without the port); a host no brand claims gets the default brand. Everything a brand
puts on a page passes a strict check here first: colours must be ``#rrggbb`` before they are
written into the generated style sheet, and a logo is shown only from an ``https://`` URL or
a ``/static/`` path.
"""

from __future__ import annotations

import hashlib
import re

from django.core.cache import cache
from django.http import HttpRequest

from doum.accounts.actions import default_brand
from doum.accounts.models import Brand
from doum.core.db import one_or_none

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_PRIMARY = "#1f6feb"
DEFAULT_ACCENT = "#0b3d91"
BRAND_CACHE_S = 30
_LOGO_UNSAFE = re.compile(r"[\s\"'<>\\`()]")


def brand_for_request(request: HttpRequest) -> Brand:
    """The brand whose portal host is the request's host, else the default brand."""
    cached = getattr(request, "_doum_portal_brand", None)
    if isinstance(cached, Brand):
        return cached
    host = request.get_host().rsplit(":", 1)[0].strip().lower().rstrip(".")
    brand = _brand_for_host(host) if host else None
    if brand is None:
        brand = default_brand()
    request._doum_portal_brand = brand  # type: ignore[attr-defined]
    return brand


def _brand_for_host(host: str) -> Brand | None:
    key = "doum:portal-host:" + hashlib.sha256(host.encode()).hexdigest()[:32]
    cached = cache.get(key)
    if isinstance(cached, Brand):
        return cached
    if cached == "none":
        return None
    brand = one_or_none(Brand.objects.filter(portal_host__iexact=host).exclude(portal_host=""))
    cache.set(key, brand if brand is not None else "none", BRAND_CACHE_S)
    return brand


def safe_color(value: str, fallback: str) -> str:
    """``value`` when it is exactly ``#rrggbb`` (lower-cased), else ``fallback``."""
    if isinstance(value, str) and HEX_COLOR.fullmatch(value):
        return value.lower()
    return fallback


def logo_src(brand: Brand) -> str:
    """The logo address when it is safe to show (https URL or /static/ path), else ''."""
    url = (brand.logo_url or "").strip()
    if not url or len(url) > 500 or _LOGO_UNSAFE.search(url) or not url.isprintable():
        return ""
    if url.startswith("https://") and len(url) > len("https://"):
        return url
    if url.startswith("/static/") and ".." not in url and "//" not in url:
        return url
    return ""


def portal_title(brand: Brand) -> str:
    return brand.portal_title.strip() or brand.name


def _mix_with_white(color: str, share: float) -> str:
    """``color`` blended toward white (``share`` of the colour kept), as #rrggbb."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * share):02x}" for c in (r, g, b))


def _text_on(color: str) -> str:
    """Black or white text, whichever reads better on ``color`` (WCAG relative luminance)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#1d2330" if luminance > 0.4 else "#ffffff"


def brand_css(brand: Brand) -> str:
    """The brand's style sheet: custom properties the portal style sheet reads.

    Only checked ``#rrggbb`` values reach the text; anything else falls back to Doum's colours.
    """
    primary = safe_color(brand.primary_color, DEFAULT_PRIMARY)
    accent = safe_color(brand.accent_color, DEFAULT_ACCENT)
    return (
        f"/* Portal colours of brand {int(brand.pk)} (generated). */\n"
        ":root {\n"
        f"  --accent: {primary};\n"
        f"  --accent-fg: {_text_on(primary)};\n"
        f"  --accent-soft: {_mix_with_white(primary, 0.12)};\n"
        f"  --brand-primary: {primary};\n"
        f"  --brand-accent: {accent};\n"
        f"  --brand-accent-fg: {_text_on(accent)};\n"
        "}\n"
    )


def brand_css_version(brand: Brand) -> str:
    """A short fingerprint of the generated sheet, added to its URL so changes show at once."""
    return hashlib.sha256(brand_css(brand).encode()).hexdigest()[:12]
