"""Paired comparisons of scenarios: per KPI, each scenario's mean and CI, and its difference
to the first scenario with a paired CI (the replications share seeds: common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.experiments.stats import paired_interval, t_interval

COLUMNS = [
    "kpi",
    "scenario",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "differs",
]


def comparison(kpis: Mapping[str, pd.DataFrame], level: float = 0.95) -> pd.DataFrame:
    """``kpis`` maps scenario name -> its KPI table (one row per replication, same replications).

    Returns the tidy table of :data:`COLUMNS`; ``differs`` is True where the paired interval of
    the difference to the first scenario excludes zero.
    """
    names = list(kpis)
    first = kpis[names[0]].set_index("replication").sort_index()
    measures = [c for c in first.columns if pd.api.types.is_numeric_dtype(first[c])]
    rows = []
    for name in names:
        table = kpis[name].set_index("replication").sort_index()
        if not table.index.equals(first.index):
            raise ValueError(
                f"{name}: replications {list(table.index)} differ from {list(first.index)}"
            )
        for kpi in measures:
            values = table[kpi].to_numpy(dtype="float64")
            own = t_interval(values, level)
            diff = paired_interval(first[kpi].to_numpy(dtype="float64"), values, level)
            is_first = name == names[0]
            rows.append(
                {
                    "kpi": kpi, "scenario": name, "mean": own.mean, "ci_low": own.low,
                    "ci_high": own.high,
                    "diff": np.nan if is_first else diff.mean,
                    "diff_ci_low": np.nan if is_first else diff.low,
                    "diff_ci_high": np.nan if is_first else diff.high,
                    "differs": False if is_first else bool(diff.excludes(0.0)),
                }
            )  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def widest(kpis: Mapping[str, pd.DataFrame], chosen: Sequence[str], level: float = 0.95) -> float:
    """The largest relative half-width over the chosen KPIs of every scenario."""
    worst = 0.0
    for table in kpis.values():
        for kpi in chosen:
            interval = t_interval(table[kpi].to_numpy(dtype="float64"), level)
            worst = max(worst, interval.relative_half_width)
    return worst


def until_precise(
    more: Callable[[int], Mapping[str, pd.DataFrame]],
    chosen: Sequence[str],
    *,
    target: float,
    start: int,
    step: int,
    most: int,
) -> tuple[dict[str, pd.DataFrame], int]:
    """Add replications ``step`` at a time until every chosen KPI's relative half-width is at
    most ``target`` (or ``most`` replications ran). ``more(n)`` runs the next ``n`` replications
    of every scenario and returns their KPI tables."""
    found: dict[str, pd.DataFrame] = {}
    done = 0
    batch = start
    while True:
        for name, table in more(batch).items():
            found[name] = (
                pd.concat([found.get(name), table], ignore_index=True) if name in found else table
            )
        done += batch
        if done >= most or widest(found, chosen) <= target:
            return found, done
        batch = min(step, most - done)
