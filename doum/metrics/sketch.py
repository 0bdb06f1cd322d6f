"""A mergeable quantile sketch with 1 % relative accuracy (the DDSketch idea).

A value v > 0 falls in bucket i = ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a); every
value of bucket i lies in (gamma^(i-1), gamma^i], and the bucket's representative
2 * gamma^i / (gamma + 1) is within a relative error `a` of each of them. Zero (and, for
robustness, negative values, which durations never are) has its own bucket "z".

A sketch is a plain `{"<index>": count}` dict, merged by adding counts: merging is exact and
order-independent, and subtracting a ticket's old contribution gives exactly the sketch that
never saw it (buckets that fall to 0 are removed). `quantile(q)` estimates the nearest-rank
quantile: the value of rank ceil(q * n) (1-based) in the sorted values, within 1 % relative
error.

Stored (Rollup.*_sk), a sketch is compact bytes (`encode`): the bucket indexes as
little-endian int16 (the zero bucket as -32768), then the counts as int32, in index order:
6 bytes a bucket, decoded by `array` in C. Readers that merge many stored sketches add
them into an `Accumulator` (integer keys, no strings) and turn the sum into a sketch once.
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from fractions import Fraction

ACCURACY = 0.01
GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
ZERO = "z"

Sketch = dict[str, int]
# Integer bucket indexes (ZERO_INDEX for the zero bucket): what readers accumulate into.
Accumulator = dict[int, int]
ZERO_INDEX = -32768
_BIG_ENDIAN = sys.byteorder == "big"


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


def _index(key: str) -> int:
    return ZERO_INDEX if key == ZERO else int(key)


def encode(sketch: Mapping[str, int]) -> bytes | None:
    """The stored form of a sketch (None when empty). Counts must be positive and fit int32;
    indexes fit int16 (values up to 10^280 seconds)."""
    return _store((_index(k), v) for k, v in sketch.items() if v)


def _store(nonzero: Iterable[tuple[int, int]]) -> bytes | None:
    """(index, count) pairs as stored bytes, in index order; None when there are none."""
    pairs = sorted(nonzero)
    if not pairs:
        return None
    indexes = array("h", [k for k, _v in pairs])
    counts = array("i", [v for _k, v in pairs])
    if _BIG_ENDIAN:  # pragma: no cover - the stored form is little-endian everywhere
        indexes.byteswap()
        counts.byteswap()
    return indexes.tobytes() + counts.tobytes()


def _arrays(data: bytes | memoryview) -> tuple[array[int], array[int]]:
    raw = bytes(data)
    if len(raw) % 6:
        raise ValueError("not a stored sketch")
    n = len(raw) // 6
    indexes, counts = array("h"), array("i")
    indexes.frombytes(raw[: 2 * n])
    counts.frombytes(raw[2 * n :])
    if _BIG_ENDIAN:  # pragma: no cover
        indexes.byteswap()
        counts.byteswap()
    return indexes, counts


def decode(data: bytes | memoryview | None) -> Sketch:
    """A stored sketch back as a sketch dict ({} for None)."""
    if not data:
        return {}
    indexes, counts = _arrays(data)
    return {(ZERO if k == ZERO_INDEX else str(k)): v for k, v in zip(indexes, counts, strict=True)}


def add_encoded(into: Accumulator, data: bytes | memoryview | None) -> None:
    """Add a stored sketch into an accumulator (the readers' merge: no strings, no dicts)."""
    if not data:
        return
    indexes, counts = _arrays(data)
    get = into.get
    for k, v in zip(indexes, counts, strict=True):
        into[k] = get(k, 0) + v


def merge_encoded(
    data: bytes | memoryview | None, other: Mapping[str, int], sign: int = 1
) -> bytes | None:
    """A stored sketch with `other` added (sign=1) or subtracted (sign=-1), stored again: the
    writers' merge. The stored indexes are sorted, so each of `other`'s few buckets is found by
    bisection and its count changed in place (a new bucket is inserted at its place, an
    emptied one removed): no dict of the stored buckets, no sort. An empty result is None, as
    `encode` gives."""
    if data:
        indexes, counts = _arrays(data)
    else:
        indexes, counts = array("h"), array("i")
    emptied = False
    for key, count in other.items():
        amount = sign * count
        if not amount:
            continue
        index = _index(key)
        at = bisect_left(indexes, index)
        if at < len(indexes) and indexes[at] == index:
            counts[at] += amount
            emptied = emptied or counts[at] == 0
        else:
            indexes.insert(at, index)
            counts.insert(at, amount)
    if emptied:
        kept = [(k, v) for k, v in zip(indexes, counts, strict=True) if v]
        indexes = array("h", [k for k, _v in kept])
        counts = array("i", [v for _k, v in kept])
    if not indexes:
        return None
    if _BIG_ENDIAN:  # pragma: no cover
        indexes.byteswap()
        counts.byteswap()
    return indexes.tobytes() + counts.tobytes()


def of_accumulator(acc: Accumulator) -> Sketch:
    return {(ZERO if k == ZERO_INDEX else str(k)): v for k, v in acc.items() if v}
