"""Public holidays from the `holidays` package (PyPI), computed per year and cached.

A `HolidaySource` names one country's holiday set (optionally a subdivision and categories,
as the package understands them). The package computes every rule itself, including the
lunar-calendar holidays (Seollal, Chuseok, Buddha's Birthday) and substitute ("alternative",
"observed") days; nothing here hard-codes a date.

Holiday sets are computed lazily, one (source, year) at a time, and kept in a process-wide
LRU cache: a business calendar asks only for the years it touches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType

__all__ = ["HolidaySource", "holiday_dates", "holiday_names"]


@dataclass(frozen=True)
class HolidaySource:
    """One country's public holidays, as computed by the `holidays` package.

    `country` is an ISO 3166-1 alpha-2 code ("KR", "US", "DE"; case-insensitive).
    `subdivision` is the package's subdivision code ("CA" for California, "BY" for Bavaria).
    `categories` are the package's holiday categories ("public", "bank", ...); empty means the
    package's default for the country (its public holidays). Observed/substitute days are
    included, as the package computes them by default.

    Raises ValueError for a country, subdivision or category the package does not know.
    """

    country: str
    subdivision: str | None = None
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", self.country.strip().upper())
        if self.subdivision is not None:
            object.__setattr__(self, "subdivision", self.subdivision.strip())
        object.__setattr__(self, "categories", tuple(self.categories))
        _validate(self)

    def __str__(self) -> str:
        text = self.country
        if self.subdivision:
            text += f"-{self.subdivision}"
        if self.categories:
            text += f" ({', '.join(self.categories)})"
        return text


@lru_cache(maxsize=256)
def _validate(source: HolidaySource) -> None:
    import holidays as holidays_package  # imported on first use: it takes ~0.1 s

    try:
        holidays_package.country_holidays(
            source.country,
            subdiv=source.subdivision,
            categories=source.categories or None,
        )
    except (NotImplementedError, ValueError) as exc:
        raise ValueError(f"unknown holiday set {source}: {exc}") from None


@lru_cache(maxsize=4096)
def holiday_names(source: HolidaySource, year: int) -> Mapping[date, str]:
    """The holidays of `source` in `year`: date -> name (read-only; cached per year)."""
    import holidays as holidays_package

    computed = holidays_package.country_holidays(
        source.country,
        subdiv=source.subdivision,
        years=year,
        categories=source.categories or None,
    )
    return MappingProxyType({day: str(name) for day, name in sorted(computed.items())})


@lru_cache(maxsize=4096)
def holiday_dates(source: HolidaySource, year: int) -> frozenset[date]:
    """The dates of the holidays of `source` in `year` (cached per year)."""
    return frozenset(holiday_names(source, year))
