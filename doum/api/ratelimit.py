"""Rate limits for the API: per token, per client IP, and a tighter one for anonymous calls.

Fixed one-minute windows counted in Django's cache. With several worker processes, point
DOUM_CACHE_URL at Redis (or `db`) so that the workers share one count; with the default
in-process cache each worker counts alone.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from doum.core import throttle
from doum.core.throttle import client_ip

WINDOW_S = 60


def _hit(key: str, limit: int, now: float) -> int | None:
    """Count one request; the seconds to wait when over the limit, else None."""
    if throttle.hit(f"rl:{key}", WINDOW_S, now=now) > limit:
        window = throttle.window_of(WINDOW_S, now)
        return max(1, math.ceil((window + 1) * WINDOW_S - now))
    return None


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.path not in (
            "/api/docs",
            "/api/openapi.json",
        ):
            limited = self.check(request)
            if limited is not None:
                return limited
        return self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        now = time.time()
        ip = client_ip(request)
        auth = request.headers.get("Authorization", "")
        checks: list[tuple[str, int]] = [(f"ip:{ip}", settings.DOUM_RATE_LIMIT_IP_PER_MIN)]
        if auth:
            digest = hashlib.sha256(auth.encode("utf-8", "replace")).hexdigest()[:32]
            checks.append((f"tok:{digest}", settings.DOUM_RATE_LIMIT_TOKEN_PER_MIN))
        elif settings.SESSION_COOKIE_NAME not in request.COOKIES:
            checks.append((f"anon:{ip}", settings.DOUM_RATE_LIMIT_ANON_PER_MIN))
        for key, limit in checks:
            wait = _hit(key, limit, now)
            if wait is not None:
                body = {
                    "code": "rate_limited",
                    "message": ngettext(
                        "Too many requests. Try again in %(seconds)d second.",
                        "Too many requests. Try again in %(seconds)d seconds.",
                        wait,
                    )
                    % {"seconds": wait},
                    "retry_after": wait,
                }
                response = HttpResponse(
                    json.dumps(body), status=429, content_type="application/json"
                )
                response["Retry-After"] = str(wait)
                return response
        return None
