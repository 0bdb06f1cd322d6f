"""Small database helpers shared by the apps."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(qs: QuerySet[M]) -> M | None:
    """The single row a filter on a unique key finds, or None.

    Unlike `.first()`, adds no ORDER BY (which costs compiling on hot paths and means
    nothing for a unique key).
    """
    return next(iter(qs.order_by()[:1]), None)
