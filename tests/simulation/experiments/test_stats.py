"""Output statistics: interval coverage, paired intervals, MSER-5, batch means (fixed seeds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from simulation.errors import InputError
from simulation.experiments.stats import (
    batch_means,
    mser5,
    paired_interval,
    replications_for,
    t_interval,
)


def test_t_interval_matches_the_textbook_formula() -> None:
    # n = 5, mean 3, s = sqrt(2.5); t(0.975, 4) = 2.776445 (any t table).
    interval = t_interval([1, 2, 3, 4, 5])
    assert interval.mean == 3
    assert interval.half_width == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), abs=1e-6)


def test_the_95_percent_interval_covers_at_a_rate_consistent_with_95_percent() -> None:
    rng = np.random.default_rng(20261124)
    trials = 4000
    covered = sum(t_interval(rng.normal(10.0, 3.0, size=8)).covers(10.0) for _ in range(trials))
    rate = covered / trials
    # Binomial(4000, 0.95): 99.9% of rates fall within 0.95 +- 3.29 * sqrt(0.95 * 0.05 / 4000).
    assert abs(rate - 0.95) <= 3.29 * math.sqrt(0.95 * 0.05 / trials)


def test_paired_interval_is_the_interval_of_the_differences() -> None:
    a = np.array([10.0, 12.0, 9.0, 11.0])
    b = a + np.array([1.0, 1.2, 0.8, 1.0])
    paired = paired_interval(a, b)
    assert paired.mean == pytest.approx(1.0)
    assert paired.excludes(0.0)
    assert paired.half_width < t_interval(b).half_width
    with pytest.raises(InputError, match="replications"):
        paired_interval(a, b[:3])


def test_mser5_finds_the_end_of_a_transient() -> None:
    rng = np.random.default_rng(7)
    transient = 20.0 * np.exp(-np.arange(2000) / 60.0)
    series = transient + rng.normal(0.0, 1.0, size=2000)
    drop = mser5(series)
    assert drop % 5 == 0
    assert 150 <= drop <= 500  # the transient is below noise after about 3 time constants


def test_mser5_keeps_a_stationary_series() -> None:
    assert mser5(np.random.default_rng(8).normal(size=1000)) <= 100


def test_batch_means_cover_the_mean_of_an_autocorrelated_series() -> None:
    rng = np.random.default_rng(9)
    hits = 0
    for _ in range(200):
        x = lfilter([1.0], [1.0, -0.5], rng.normal(size=20_000))  # AR(1), phi = 0.5, mean 0
        hits += batch_means(x, batches=20).covers(0.0)
    assert abs(hits / 200 - 0.95) <= 3.29 * math.sqrt(0.95 * 0.05 / 200)


def test_replications_for_a_relative_precision() -> None:
    values = np.array([100.0, 110.0, 90.0, 105.0, 95.0])
    n = replications_for(values, target=0.01)
    interval = t_interval(values)
    assert n > len(values)
    assert interval.relative_half_width > 0.01
