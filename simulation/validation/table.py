"""The validation table: its rows, and the budget (replications, seed, processes) behind them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from simulation.experiments.stats import Interval
from simulation.scenario.library import shipped_folder

FOLDER = shipped_folder() / "validation"
"""The validation scenarios (package data: a checkout's ``scenarios/validation``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """How many replications, from which root seed (None: the scenario's), on how many
    processes."""

    replications: int
    seed: int | None = None
    workers: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One line of the validation table: an exact value against the simulated mean's CI."""

    case: str
    parameters: Mapping[str, float | str]
    metric: str
    exact: float
    mean: float
    ci_low: float
    ci_high: float
    replications: int
    horizon_days: float
    warmup_days: float
    inside: bool

    def record(self) -> dict[str, Any]:
        """The row as plain JSON values."""
        return {**asdict(self), "parameters": dict(self.parameters)}

    def parameters_text(self) -> str:
        return ", ".join(
            f"{k}={v:g}" if isinstance(v, float | int) else f"{k}={v}"
            for k, v in self.parameters.items()
        )


def row(
    case: str,
    parameters: Mapping[str, float | str],
    metric: str,
    exact: float,
    interval: Interval,
    *,
    days: tuple[float, float],
    inside: bool | None = None,
) -> Row:
    """A row from the simulated ``interval``; ``days`` are the run's horizon and warm-up;
    ``inside`` defaults to whether the interval covers ``exact``."""
    return Row(
        case=case,
        parameters=dict(parameters),
        metric=metric,
        exact=float(exact),
        mean=interval.mean,
        ci_low=interval.low,
        ci_high=interval.high,
        replications=interval.n,
        horizon_days=days[0],
        warmup_days=days[1],
        inside=interval.covers(exact) if inside is None else inside,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    """A case's parameters, every one checked before anything runs, and the warnings a user
    should read before the run (a queue near saturation)."""

    parameters: Mapping[str, float]
    warnings: tuple[str, ...] = ()
