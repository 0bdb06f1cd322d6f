"""Security headers on every response: a strict Content-Security-Policy and friends.

Pages carry no inline scripts or styles; everything comes from /static/. Django's
SecurityMiddleware already sets X-Content-Type-Options: nosniff and the referrer policy;
this adds the CSP and a permissions policy. The interactive API docs (a third-party page)
get a looser policy of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

STRICT = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
CDN = "https://cdn.jsdelivr.net"
API_DOCS = "; ".join(
    [
        f"default-src 'self' {CDN}",
        f"script-src 'self' 'unsafe-inline' {CDN}",
        f"style-src 'self' 'unsafe-inline' {CDN}",
        "img-src 'self' data: https:",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith("/api/v1/docs")
            response["Content-Security-Policy"] = API_DOCS if docs else STRICT
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Permissions-Policy", PERMISSIONS)
        return response
