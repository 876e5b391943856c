"""Choosing a warm-up: Welch's moving-average plot and an MSER-5 suggestion, from the log.

Both look at the hourly count of one kind of event (orders placed, by default) averaged over
replications (Welch 1983; Law, *Simulation Modeling and Analysis*, 5th ed., §9.5.1). MSER-5
(White 1997) suggests how many leading hours to drop; Welch's plot lets a person judge it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.experiments.stats import mser5
from simulation.types import MINUTES_PER_DAY, MINUTES_PER_HOUR


def hourly(log: pd.DataFrame, horizon: float, kind: str = "OrderPlaced") -> np.ndarray:
    """Counts of ``kind`` per hour, one row per replication."""
    hours = int(np.ceil(horizon / MINUTES_PER_HOUR))
    rows = []
    for _, part in log.groupby("replication", sort=True):
        t = part.loc[part["type"] == kind, "t"].to_numpy(dtype="float64")
        rows.append(np.bincount((t // MINUTES_PER_HOUR).astype(int), minlength=hours)[:hours])
    return np.array(rows, dtype="float64")


def welch(counts: np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average of the across-replication mean, window ``w`` on each side."""
    mean: np.ndarray = counts.mean(axis=0)
    out: np.ndarray = np.empty_like(mean)
    for i in range(len(mean)):
        half = min(window, i, len(mean) - 1 - i)
        out[i] = mean[i - half : i + half + 1].mean()
    return out


def suggest_days(log: pd.DataFrame, horizon: float, kind: str = "OrderPlaced") -> float:
    """MSER-5 on the mean hourly series: the warm-up it suggests, in days."""
    counts = hourly(log, horizon, kind)
    return mser5(counts.mean(axis=0)) * MINUTES_PER_HOUR / MINUTES_PER_DAY
