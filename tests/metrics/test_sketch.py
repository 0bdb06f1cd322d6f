"""The quantile sketch: 1 % relative accuracy against the exact nearest-rank quantile."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doum.metrics import sketch


def exact_nearest_rank(values: list[float], q: float) -> float:
    """The value of rank ceil(q * n) (1-based, at least 1) in the sorted values."""
    ordered = sorted(values)
    return ordered[sketch.nearest_rank(len(ordered), q) - 1]


def close(estimate: float | None, exact: float) -> bool:
    assert estimate is not None
    if exact == 0:
        return estimate == 0
    return abs(estimate - exact) <= sketch.ACCURACY * exact * (1 + 1e-9)


values_strategy = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10**8),
        st.floats(min_value=0.001, max_value=1e9, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(values_strategy, st.sampled_from([0.5, 0.9, 0.0, 0.25, 0.99, 1.0]))
def test_quantiles_within_one_percent(values: list[float], q: float) -> None:
    assert close(sketch.quantile(sketch.of(values), q), exact_nearest_rank(values, q))


@settings(max_examples=150, deadline=None)
@given(values_strategy, values_strategy)
def test_merge_equals_sketch_of_union_and_subtract_undoes(a: list[float], b: list[float]) -> None:
    merged = sketch.merge(sketch.of(a), sketch.of(b))
    assert merged == sketch.of(a + b)
    assert sketch.merge_into(dict(merged), sketch.of(b), -1) == sketch.of(a)
    assert sketch.merge_into(sketch.of(a), sketch.of(a), -1) == {}


def test_zero_has_its_own_bucket_and_empty_is_none() -> None:
    assert sketch.bucket(0) == sketch.ZERO
    assert sketch.bucket(1) == "0"
    assert sketch.quantile({}, 0.5) is None
    assert sketch.quantile(sketch.of([0, 0, 5]), 0.5) == 0
    assert sketch.nearest_rank(10, 0.9) == 9  # 0.9 * 10 is 9, not 9.000000000000002
    assert math.isclose(sketch.quantile(sketch.of([100] * 10), 0.9) or 0, 100, rel_tol=0.01)
    with pytest.raises(ValueError):
        sketch.quantile({"1": 1}, 1.5)
