"""Which rule made a change: triggers, automations, macros, SLA escalations and routing.

Automated writers call the ordinary ticket actions (with `via=Via.TRIGGER`,
`Via.AUTOMATION` or `Via.SYSTEM`) inside `with applied_by(RuleRef(...)):`; every event those
actions write then carries `data["rule"] = {"kind", "id", "name"}`, so metrics can exclude
automated changes and a reader of the history sees which rule made each one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleRef:
    """`kind` is "trigger", "automation", "macro", "sla" or "routing"; `id` the rule's id."""

    kind: str
    id: int
    name: str

    def as_data(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.id, "name": self.name}


_current: ContextVar[RuleRef | None] = ContextVar("doum_rule", default=None)


@contextmanager
def applied_by(rule: RuleRef) -> Iterator[RuleRef]:
    token = _current.set(rule)
    try:
        yield rule
    finally:
        _current.reset(token)


def current_rule() -> RuleRef | None:
    return _current.get()
