"""What every account writer shares: the audit row, the role check, name cleaning."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from doum.accounts.models import AuditLog, User
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import is_blank, single_line

TOKEN_PREFIX = "doum_"


def audit(actor: User | None, action: str, target: Any, **data: Any) -> None:
    AuditLog.objects.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=str(target.pk),
        data=data,
        at=clock.now(),
    )


def require_role(actor: User | None, allowed: frozenset[str], message: str) -> None:
    """Refuse with ``message`` (a translated sentence) unless the actor's role is allowed."""
    if actor is not None and actor.role not in allowed:
        raise Forbidden(message)


def clean_name(value: str, field: str = "name", max_length: int = 200) -> str:
    value = single_line(value)
    if is_blank(value):
        raise InvalidInput(_("This field may not be blank."), field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("At most %(max_length)s characters.") % {"max_length": max_length}, field=field
        )
    return value
