"""Sweeps: a grid over scenario parameters, each point replicated, in one tidy table.

``--set policies.fulfilment.max_legs=1,2,3 --set arrivals.per_hour=30,60`` makes six points;
every point runs the same replications (the same seeds), so neighbouring points are compared on
the same customers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from simulation.errors import InputError
from simulation.experiments.stats import t_interval


def parse_sets(sets: Sequence[str]) -> dict[str, list[Any]]:
    """``["a.b=1,2", "c=x"]`` -> ``{"a.b": [1, 2], "c": ["x"]}``, values typed as TOML would."""
    grid: dict[str, list[Any]] = {}
    for i, item in enumerate(sets):
        path, sep, values = item.partition("=")
        if not sep or not path or not values:
            raise InputError(f"--set[{i}]", "path=value1,value2,...", item)
        grid[path.strip()] = [_value(v.strip()) for v in values.split(",")]
    return grid


def parse_overrides(sets: Sequence[str]) -> dict[str, Any]:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": 1, "c": "x"}``: :func:`parse_sets`, one value a path."""
    overrides = {}
    for path, values in parse_sets(sets).items():
        if len(values) != 1:
            shown = ",".join(str(v) for v in values)
            raise InputError(f"--set {path}", "one value (a grid is for omnicanal sweep)", shown)
        overrides[path] = values[0]
    return overrides


def _value(text: str) -> Any:
    if text in {"true", "false"}:
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in order."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def summarise(table: pd.DataFrame, params: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Mean and CI of every KPI at every point: columns params..., kpi, mean, ci_low, ci_high, n."""
    measures = [
        c for c in table.columns
        if c not in {*params, "replication"} and pd.api.types.is_numeric_dtype(table[c])
    ]  # fmt: skip
    rows = []
    for key, part in table.groupby(list(params), sort=False):
        values = key if isinstance(key, tuple) else (key,)
        for kpi in measures:
            interval = t_interval(part[kpi].to_numpy(dtype="float64"), level)
            rows.append(
                {**dict(zip(params, values, strict=True)), "kpi": kpi, "mean": interval.mean,
                 "ci_low": interval.low, "ci_high": interval.high, "n": interval.n}
            )  # fmt: skip
    return pd.DataFrame(rows)


def sweep(
    grid: dict[str, list[Any]], run_point: Callable[[dict[str, Any]], pd.DataFrame]
) -> pd.DataFrame:
    """Run every point; ``run_point`` returns its KPI table (one row per replication)."""
    frames = [run_point(point).assign(**point) for point in points(grid)]
    table = pd.concat(frames, ignore_index=True)
    first = [*grid, "replication"]
    return table[first + [c for c in table.columns if c not in first]]
