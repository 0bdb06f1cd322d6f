"""Errors that actions and selectors raise; the API and the pages turn them into responses.

Every error carries a message a person can act on and, where one input is at fault, the
field it belongs to.
"""

from __future__ import annotations

from typing import Any


class DoumError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        data.update(self.extra)
        return data


class InvalidInput(DoumError):
    """The input is wrong: a missing, malformed or forbidden value."""


class NotFound(DoumError):
    """Does not exist, or the user may not know that it exists (same answer on purpose)."""

    status_code = 404
    code = "not_found"


class Forbidden(DoumError):
    """The user can see the object but may not do this to it."""

    status_code = 403
    code = "forbidden"


class Conflict(DoumError):
    """The write was made against a stale version; `changes` says what moved since."""

    status_code = 409
    code = "conflict"


class RateLimited(DoumError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
