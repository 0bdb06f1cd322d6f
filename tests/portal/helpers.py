"""A test browser for the portal: after-commit work (mail) runs as it would in production,
once the request's transaction has committed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.test import Client, TestCase

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

_CSRF = re.compile(r'(name="csrf-token" content|name="csrfmiddlewaretoken" value)="[^"]*"')


class PortalClient(Client):
    def request(self, **request: Any) -> _MonkeyPatchedWSGIResponse:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


def page_text(response: _MonkeyPatchedWSGIResponse, *replace: str) -> str:
    """The page without its per-request CSRF tokens, with ``replace`` strings blanked."""
    text = _CSRF.sub(r'\1=""', response.content.decode())
    for value in replace:
        text = text.replace(value, "…")
    return text
