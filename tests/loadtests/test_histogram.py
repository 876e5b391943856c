"""The latency histogram: exact to 1 ms below 1 s, 0.1% beyond, mergeable, serialisable."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.histogram import MAX_US, Histogram, bucket_bounds, bucket_of

micros = st.integers(min_value=0, max_value=MAX_US)


@given(micros)
def test_a_value_lies_in_its_bucket_and_the_bucket_is_narrow(us: int) -> None:
    low, high = bucket_bounds(bucket_of(us))
    assert low <= us <= high
    assert high - low + 1 <= max(1, us / 1024)  # 0.1% of the value, one microsecond at least
    if us < 1_000_000:
        assert high - low < 1000  # exact to 1 ms below 1 s


def test_buckets_tile_the_line_without_gaps() -> None:
    previous_high = -1
    for index in range(bucket_of(1 << 24) + 1):
        low, high = bucket_bounds(index)
        assert low == previous_high + 1
        previous_high = high


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@given(st.lists(st.floats(min_value=0, max_value=3600), min_size=1, max_size=200))
def test_percentiles_are_the_exact_ones_within_the_resolution(values: list[float]) -> None:
    h = Histogram()
    h.record_many(values)
    for q in (0, 25, 50, 90, 99, 100):
        exact = round(_exact(values, q) * 1e6) / 1e6
        got = h.percentile(q)
        assert exact <= got + 1e-9
        assert got - exact <= max(1e-6, exact / 1024) + 1e-9
    assert h.total == len(values)
    assert math.isclose(h.mean, float(np.mean(values)), rel_tol=1e-6, abs_tol=1e-6)


@given(
    st.lists(st.floats(min_value=0, max_value=100), max_size=50),
    st.lists(st.floats(min_value=0, max_value=100), max_size=50),
)
def test_merging_is_recording_everything_in_one(a: list[float], b: list[float]) -> None:
    left, right, both = Histogram(), Histogram(), Histogram()
    left.record_many(a)
    right.record_many(b)
    both.record_many(a + b)
    merged = Histogram.from_dict(left.to_dict()).merge(Histogram.from_dict(right.to_dict()))
    assert merged.counts == both.counts
    assert merged.summary() == both.summary()


def test_a_histogram_of_another_layout_is_refused() -> None:
    data = Histogram().to_dict() | {"sub_bits": 7}
    with pytest.raises(ValueError, match="sub_bits 10"):
        Histogram.from_dict(data)


def test_negative_values_count_as_zero_and_huge_ones_are_clamped() -> None:
    h = Histogram()
    for seconds in (-0.5, 0.0015, 1e9):
        h.record(seconds)
    assert (h.min_us, h.max_us, h.total) == (0, MAX_US, 3)
    assert h.percentile(34) == pytest.approx(0.0015, rel=1 / 1024)
    assert h.counts[0] == 1
    assert h.counts[bucket_of(MAX_US)] == 1
