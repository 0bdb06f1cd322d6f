"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret.

Each request carries ``X-Doum-Timestamp`` (Unix seconds, when this attempt was sent) and
``X-Doum-Signature: sha256=<hex>``. A receiver recomputes the HMAC over the timestamp, a dot
and the raw body bytes, compares in constant time, and refuses timestamps outside a short
window (five minutes) so a captured request cannot be replayed later; see docs/webhooks.md.
`verify` is that check in Python (the tests' receiver uses it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Doum-Signature value for `body` sent at `timestamp`."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature_header: str,
    now: float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """True when the signature matches and the timestamp is within `tolerance_s` of `now`."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > tolerance_s:
        return False
    expected = signature(secret, int(timestamp), body)
    return hmac.compare_digest(expected.encode("ascii"), signature_header.strip().encode())
