"""Warm-up aids: hourly counts per replication, Welch's moving average, MSER-5 in days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.warmup import hourly, suggest_days, welch


def _log(times_by_rep: dict[int, list[float]]) -> pd.DataFrame:
    rows = [
        {"replication": rep, "type": "OrderPlaced", "t": t}
        for rep, times in times_by_rep.items()
        for t in times
    ]
    return pd.DataFrame(rows)


def test_hourly_counts_one_row_per_replication() -> None:
    counts = hourly(_log({0: [5.0, 70.0, 75.0], 1: [130.0]}), horizon=180.0)
    assert counts.tolist() == [[1, 2, 0], [0, 0, 1]]


def test_welch_keeps_a_flat_series_flat_and_shrinks_the_window_at_the_ends() -> None:
    counts = np.array([[1.0, 3.0, 5.0, 7.0], [3.0, 5.0, 7.0, 9.0]])
    assert welch(counts, window=1).tolist() == [2.0, 4.0, 6.0, 8.0]
    assert welch(np.full((3, 10), 4.0), window=3).tolist() == [4.0] * 10


def test_suggestion_finds_a_ramp_up() -> None:
    rng = np.random.default_rng(1)
    # 10 days: the first day ramps up from nothing, then a steady 20 orders per hour.
    rate = np.minimum(np.arange(240) / 24.0, 1.0) * 20.0
    times = {
        rep: [h * 60.0 + 30.0 for h, n in enumerate(rng.poisson(rate)) for _ in range(n)]
        for rep in range(5)
    }
    days = suggest_days(_log(times), horizon=240 * 60.0)
    assert 0.4 <= days <= 2.0
    assert days == pytest.approx(round(days * 24 / 5) * 5 / 24)  # a multiple of 5 hours
