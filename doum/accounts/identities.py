"""Normalising identities so the same person is recognised on every channel."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from doum.accounts.models import Identity
from doum.core.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,253}$")
_PHONE_KEEP = re.compile(r"[^0-9+]")


def normalize_identity(kind: str, value: str) -> str:
    value = value.strip()
    if kind == Identity.Kind.EMAIL:
        value = value.lower()
        # isprintable(): no NUL or other control, format (U+202E) or lone surrogate characters.
        if not _EMAIL.match(value) or "." not in value.rsplit("@", 1)[1] or not value.isprintable():
            raise InvalidInput(_("This is not a valid e-mail address."), field="email")
        return value
    if kind == Identity.Kind.PHONE:
        # NFKC turns full-width digits and plus signs (typed with CJK input methods) into ASCII.
        digits = _PHONE_KEEP.sub("", unicodedata.normalize("NFKC", value))
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        if len(digits.lstrip("+")) < 4 or "+" in digits[1:]:
            raise InvalidInput(_("This is not a valid phone number."), field="phone")
        return digits
    if not value or len(value) > 254 or not value.isprintable() or any(c.isspace() for c in value):
        raise InvalidInput(_("This is not a valid handle."), field="value")
    return value.lstrip("@").lower() if kind != Identity.Kind.OTHER else value
