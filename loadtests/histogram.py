"""A latency histogram in the manner of HdrHistogram: fixed relative error, mergeable, small.

Values are recorded in whole microseconds. Below 2,048 µs each microsecond has its own bucket;
above, every power of two is split into 1,024 equal buckets, so a bucket is never wider than
1/1,024 of its values (0.1%): exact to 1 ms up to 1 s, and to 0.1% beyond. Two histograms of
the same layout merge by adding their counts, so workers can each keep one and the master
adds them up. A percentile is the highest value of the bucket that holds it, as HdrHistogram
reports it: never below the true value, above it by at most the bucket's width.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Self

import numpy as np

SUB_BITS = 10
"""log2 of the buckets per power of two above the linear range (1,024: 0.1% resolution)."""

_LINEAR = 2 << SUB_BITS  # 2,048 one-microsecond buckets
_HALF = 1 << SUB_BITS
MAX_US = (1 << 42) - 1
"""The largest value kept (about 51 days in microseconds); longer ones are clamped to it."""


def bucket_of(us: int) -> int:
    """The bucket index of a value in whole microseconds."""
    if us < _LINEAR:
        return us
    shift = us.bit_length() - SUB_BITS - 1
    return _LINEAR + (shift - 1) * _HALF + ((us >> shift) - _HALF)


def bucket_bounds(index: int) -> tuple[int, int]:
    """The lowest and highest microsecond value of a bucket."""
    if index < _LINEAR:
        return index, index
    shift, sub = divmod(index - _LINEAR, _HALF)
    shift += 1
    low = (sub + _HALF) << shift
    return low, low + (1 << shift) - 1


_SIZE = bucket_of(MAX_US) + 1


def buckets_of(us: np.ndarray) -> np.ndarray:
    """:func:`bucket_of` of each value of an int64 array (``frexp`` gives each value's bit
    length exactly: every value below 2**53 is a float as it is)."""
    out = us.copy()
    big = us >= _LINEAR
    if big.any():
        values = us[big]
        _, bits = np.frexp(values.astype(np.float64))
        shift = bits.astype(np.int64) - SUB_BITS - 1
        out[big] = _LINEAR + (shift - 1) * _HALF + ((values >> shift) - _HALF)
    return out


class Histogram:
    """Counts of latencies in log-linear buckets; ``record`` takes seconds."""

    __slots__ = ("counts", "max_us", "min_us", "sum_us", "total")

    def __init__(self) -> None:
        self.counts = [0] * _SIZE  # a list: one increment is far cheaper than numpy's
        self.total = 0
        self.sum_us = 0
        self.min_us = MAX_US
        self.max_us = 0

    def record(self, seconds: float, count: int = 1) -> None:
        """Add ``count`` values of ``seconds`` (negative values count as zero)."""
        # the replay's hot path, three times per request: a comparison costs a tenth of a
        # min()/max() call
        us = round(seconds * 1e6)
        if us < 0:
            us = 0
        elif us > MAX_US:
            us = MAX_US
        self.counts[us if us < _LINEAR else bucket_of(us)] += count
        self.total += count
        self.sum_us += us * count
        if us < self.min_us:  # noqa: PLR1730
            self.min_us = us
        if us > self.max_us:  # noqa: PLR1730
            self.max_us = us

    def record_array(self, seconds: np.ndarray) -> None:
        """:meth:`record` of every value of a float array at once, rounded and clamped alike
        (``numpy.rint`` rounds half to even, as ``round`` does)."""
        if not len(seconds):
            return
        us = np.clip(np.rint(seconds * 1e6), 0, MAX_US).astype(np.int64)
        found, times = np.unique(buckets_of(us), return_counts=True)
        counts = self.counts
        for index, n in zip(found.tolist(), times.tolist(), strict=True):
            counts[index] += n
        self.total += len(us)
        self.sum_us += int(us.sum())
        self.min_us = min(self.min_us, int(us.min()))
        self.max_us = max(self.max_us, int(us.max()))

    def record_many(self, seconds: Iterable[float]) -> None:
        for value in seconds:
            self.record(value)

    def merge(self, other: Histogram) -> Self:
        """Add another histogram's counts to this one (both must be of this layout)."""
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.total += other.total
        self.sum_us += other.sum_us
        self.min_us = min(self.min_us, other.min_us)
        self.max_us = max(self.max_us, other.max_us)
        return self

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0..100) in seconds: the highest value of the bucket where the
        cumulative count first reaches ``q``% of the total; 0.0 when empty."""
        return self.percentiles((q,))[0]

    def percentiles(self, qs: Iterable[float]) -> list[float]:
        """:meth:`percentile` of each of ``qs``, summing the buckets once for all of them."""
        qs = list(qs)
        for q in qs:
            if not 0 <= q <= 100:
                raise ValueError(f"percentile must be in [0, 100], got {q}")
        if self.total == 0:
            return [0.0] * len(qs)
        ranks = np.maximum(1, np.ceil(np.asarray(qs, dtype=float) / 100 * self.total))
        found = np.searchsorted(np.cumsum(np.asarray(self.counts)), ranks)
        return [min(bucket_bounds(int(i))[1], self.max_us) / 1e6 for i in found]

    @property
    def mean(self) -> float:
        return self.sum_us / self.total / 1e6 if self.total else 0.0

    @property
    def max(self) -> float:
        return self.max_us / 1e6

    @property
    def min(self) -> float:
        return self.min_us / 1e6 if self.total else 0.0

    def summary(self, percentiles: Iterable[float] = (50, 90, 95, 99, 99.9)) -> dict[str, float]:
        out: dict[str, float] = {"count": float(self.total), "mean": self.mean, "min": self.min}
        qs = list(percentiles)
        out |= {f"p{q:g}": v for q, v in zip(qs, self.percentiles(qs), strict=True)}
        return out | {"max": self.max}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form: the non-empty buckets only."""
        nonzero = [i for i, n in enumerate(self.counts) if n]
        return {
            "unit": "us",
            "sub_bits": SUB_BITS,
            "buckets": {str(i): self.counts[i] for i in nonzero},
            "total": self.total,
            "sum_us": self.sum_us,
            "min_us": self.min_us,
            "max_us": self.max_us,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Histogram:
        if data.get("sub_bits") != SUB_BITS or data.get("unit") != "us":
            raise ValueError(
                f"histogram layout: expected unit 'us' and sub_bits {SUB_BITS}, got "
                f"{data.get('unit')!r} and {data.get('sub_bits')!r}"
            )
        made = cls()
        for index, count in data["buckets"].items():
            made.counts[int(index)] = int(count)
        made.total = int(data["total"])
        made.sum_us = int(data["sum_us"])
        made.min_us = int(data["min_us"])
        made.max_us = int(data["max_us"])
        return made
