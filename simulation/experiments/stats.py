"""The statistics of simulation output: confidence intervals, paired differences, warm-up.

Replications are independent and identically distributed, so a KPI's mean gets a Student-t
interval; two scenarios run with common random numbers are compared through the paired
differences of their replications (Law, *Simulation Modeling and Analysis*, 5th ed., §10.2.1).
The warm-up is suggested by MSER-5 (White 1997; Hoad, Robinson & Davies 2010) and a steady
state mean from one long run by non-overlapping batch means (Law §9.5.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from simulation.errors import InputError


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean and its two-sided confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def relative_half_width(self) -> float:
        return self.half_width / abs(self.mean) if self.mean else math.inf

    def excludes(self, value: float = 0.0) -> bool:
        return not self.low <= value <= self.high

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Student-t confidence interval for the mean of i.i.d. ``values`` (NaNs are dropped)."""
    x = np.asarray(values, dtype="float64")
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, -math.inf, math.inf, 1)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def paired_interval(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, level: float = 0.95
) -> Interval:
    """Interval for mean(b - a) from replications paired by seed (common random numbers)."""
    x, y = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if x.shape != y.shape:
        raise InputError("replications", f"the same number in both ({len(x)})", len(y))
    return t_interval(y - x, level)


def mser5(series: Sequence[float] | np.ndarray) -> int:
    """MSER-5 warm-up: the number of leading observations to delete.

    The series is averaged in batches of 5; the truncation point d (in batches) minimises
    the marginal standard error  sum((z_i - mean(z_d:))^2) / (n - d)^2  over the first half
    of the batches. Returns the number of raw observations to drop (a multiple of 5).
    """
    x = np.asarray(series, dtype="float64")
    k = len(x) // 5
    if k < 4:
        return 0
    z = x[: k * 5].reshape(k, 5).mean(axis=1)
    best, best_d = math.inf, 0
    for d in range(k // 2):
        rest = z[d:]
        score = float(((rest - rest.mean()) ** 2).sum() / len(rest) ** 2)
        if score < best:
            best, best_d = score, d
    return best_d * 5


def batch_means(
    series: Sequence[float] | np.ndarray, batches: int = 20, level: float = 0.95
) -> Interval:
    """Steady-state mean of one long run, by ``batches`` non-overlapping batch means."""
    x = np.asarray(series, dtype="float64")
    size = len(x) // batches
    if batches < 2 or size < 1:
        raise InputError("batches", f"2..{len(x)} batches for {len(x)} observations", batches)
    return t_interval(x[: size * batches].reshape(batches, size).mean(axis=1), level)


def replications_for(
    values: Sequence[float] | np.ndarray, target: float, level: float = 0.95
) -> int:
    """Replications needed for a relative half-width of ``target`` (Law §9.4.1, eq. 9.3)."""
    interval = t_interval(values, level)
    if interval.n < 2 or not interval.mean:
        return interval.n + 1
    s = float(np.std(np.asarray(values, dtype="float64"), ddof=1))
    n = interval.n
    while True:
        half = stats.t.ppf(0.5 + level / 2, n - 1) * s / math.sqrt(n)
        if half / abs(interval.mean) <= target / (1 + target):
            return n
        n += 1
