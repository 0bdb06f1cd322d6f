"""A mergeable quantile sketch with 1 % relative accuracy (the DDSketch idea).

A value v > 0 falls in bucket i = ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a); every
value of bucket i lies in (gamma^(i-1), gamma^i], and the bucket's representative
2 * gamma^i / (gamma + 1) is within a relative error `a` of each of them. Zero (and, for
robustness, negative values, which durations never are) has its own bucket "z".

A sketch is a plain `{"<index>": count}` dict, so it is stored as JSON in Rollup.sketches and
merged by adding counts: merging is exact and order-independent, and subtracting a ticket's
old contribution gives exactly the sketch that never saw it (buckets that fall to 0 are
removed). `quantile(q)` estimates the nearest-rank quantile: the value of rank
ceil(q * n) (1-based) in the sorted values, within 1 % relative error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from fractions import Fraction

ACCURACY = 0.01
GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
ZERO = "z"

Sketch = dict[str, int]


def bucket(value: float) -> str:
    """The key of the bucket that holds `value`."""
    if value <= 0:
        return ZERO
    return str(math.ceil(math.log(value) / _LOG_GAMMA))


def representative(key: str) -> float:
    """The value reported for every member of a bucket."""
    if key == ZERO:
        return 0.0
    return 2 * GAMMA ** int(key) / (GAMMA + 1)


def sort_key(key: str) -> float:
    return -math.inf if key == ZERO else int(key)


def of(values: Iterable[float]) -> Sketch:
    sketch: Sketch = {}
    for value in values:
        key = bucket(value)
        sketch[key] = sketch.get(key, 0) + 1
    return sketch


def merge_into(target: Sketch, other: Mapping[str, int], sign: int = 1) -> Sketch:
    """Add (sign=1) or subtract (sign=-1) `other` into `target`; empty buckets are dropped."""
    for key, count in other.items():
        total = target.get(key, 0) + sign * count
        if total:
            target[key] = total
        else:
            target.pop(key, None)
    return target


def merge(*sketches: Mapping[str, int]) -> Sketch:
    result: Sketch = {}
    for sketch in sketches:
        merge_into(result, sketch)
    return result


def count(sketch: Mapping[str, int]) -> int:
    return sum(sketch.values())


def nearest_rank(n: int, q: float) -> int:
    """The 1-based rank of the nearest-rank q-quantile of n values (q as written: 0.9 is 9/10)."""
    return max(1, math.ceil(Fraction(str(q)) * n))


def quantile(sketch: Mapping[str, int], q: float) -> float | None:
    """The nearest-rank q-quantile (0 <= q <= 1) within 1 %; None for an empty sketch."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    n = count(sketch)
    if n <= 0:
        return None
    rank = nearest_rank(n, q)
    seen = 0
    for key in sorted(sketch, key=sort_key):
        seen += sketch[key]
        if seen >= rank:
            return representative(key)
    return representative(max(sketch, key=sort_key))  # pragma: no cover - counts are positive
