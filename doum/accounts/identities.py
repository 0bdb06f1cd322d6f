"""Normalising identities so the same person is recognised on every channel."""

from __future__ import annotations

import re

from doum.accounts.models import Identity
from doum.core.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,253}$")
_PHONE_KEEP = re.compile(r"[^\d+]")


def normalize_identity(kind: str, value: str) -> str:
    value = value.strip()
    if kind == Identity.Kind.EMAIL:
        value = value.lower()
        if not _EMAIL.match(value) or "." not in value.rsplit("@", 1)[1]:
            raise InvalidInput("This is not a valid e-mail address.", field="email")
        return value
    if kind == Identity.Kind.PHONE:
        digits = _PHONE_KEEP.sub("", value)
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        if len(digits.lstrip("+")) < 4 or "+" in digits[1:]:
            raise InvalidInput("This is not a valid phone number.", field="phone")
        return digits
    if not value or len(value) > 254 or any(c.isspace() for c in value):
        raise InvalidInput("This is not a valid handle.", field="value")
    return value.lstrip("@").lower() if kind != Identity.Kind.OTHER else value
