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


def steady_state(
    log: pd.DataFrame, horizon: float, warmup: float, batches: int = 20
) -> pd.DataFrame:
    """Batch-means estimates from one long run, after the warm-up (Law §9.5.3).

    Series: orders per hour, days from order to the customer per leg (in completion order),
    minutes at the pickup desk per pickup. Columns: series, mean, ci_low, ci_high, batches,
    observations. A series too short for the batches is left out.
    """
    from simulation import projections
    from simulation.experiments.stats import batch_means

    first = log[log["replication"] == log["replication"].min()]
    hours = hourly(first, horizon)[0][int(warmup // MINUTES_PER_HOUR) :]
    legs = projections.lead_times(first).merge(
        first[first["type"].isin(["LegDelivered", "LegPickedUp"])][["order", "location", "t"]],
        on=["order", "location"],
    )
    waits = projections.pickup_waits(first)
    series = {
        "orders_per_hour": hours,
        "lead_time_days": legs.loc[legs["t"] >= warmup].sort_values("t")["days"].to_numpy(),
        "pickup_wait_minutes": waits["minutes"].to_numpy(dtype="float64"),
    }
    rows = []
    for name, values in series.items():
        if len(values) < 2 * batches:
            continue
        interval = batch_means(values, batches=batches)
        rows.append(
            {"series": name, "mean": interval.mean, "ci_low": interval.low,
             "ci_high": interval.high, "batches": batches, "observations": len(values)}
        )  # fmt: skip
    return pd.DataFrame(
        rows, columns=["series", "mean", "ci_low", "ci_high", "batches", "observations"]
    )
