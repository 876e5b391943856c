"""Validation cases: the model, run through its ordinary scenario files, against closed forms.

Each case names a scenario file under ``scenarios/validation/``, the overrides its parameters
map to, the exact value from :mod:`simulation.closed_forms`, and how to measure the same
quantity from one replication's event log. :func:`run_case` replicates it and says whether the
exact value lies inside the 95% confidence interval of the simulated mean. The inventory
studies (newsvendor and (s, S) optima by sweep, risk pooling) run several scenarios each and
give several rows: see :mod:`simulation.inventory_validation`; :func:`run_rows` runs either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation import closed_forms, projections
from simulation.engine.compile import plan_of
from simulation.eventlog import table_to_frame
from simulation.experiments.replications import run_replications
from simulation.experiments.stats import t_interval
from simulation.inventory_validation import FOLDER, STUDIES, Budget, Study
from simulation.scenario import Scenario, load_scenario


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    metric: str
    file: str
    defaults: Mapping[str, float]
    overrides: Callable[[Mapping[str, float]], dict[str, Any]]
    exact: Callable[[Mapping[str, float]], float]
    measure: Callable[[pd.DataFrame, float, float], float]
    """From one replication's log, the warm-up and the horizon (minutes), the measured value."""


def _desk_sojourn(log: pd.DataFrame, warmup: float, horizon: float) -> float:
    """Mean minutes from joining the pickup desk queue to pickup, for pickups after warm-up."""
    waits = projections.pickup_waits(log)
    picked = log[log["type"] == "LegPickedUp"][["order", "t"]]
    kept = waits.merge(picked, on="order")
    return float(kept.loc[kept["t"] >= warmup, "minutes"].mean())


def _desk_population(log: pd.DataFrame, warmup: float, horizon: float) -> float:
    """Time-average number at the desk after warm-up, counted from joins and departures."""
    return float(projections.at_pickup_desk(log, warmup, horizon).iloc[0])


def _lost_share(log: pd.DataFrame, warmup: float, horizon: float) -> float:
    """Units lost for want of stock / units demanded, after warm-up."""
    after = log[log["t"] >= warmup]
    lost = after.loc[after["type"] == "SaleLost", "qty"].sum()
    sold = after.loc[after["type"] == "StockIssued", "qty"].sum()
    return float(lost / (lost + sold)) if lost + sold else float("nan")


def _lost_sales_overrides(p: Mapping[str, float]) -> dict[str, Any]:
    level = int(p["base_stock"])
    return {
        "arrivals.per_hour": p["demand_per_day"] / 24.0,
        "catalogue.lead_days": p["lead_days"],
        "catalogue.initial": {"S01": {"ITEM": level}},
        "policies.replenishment.params": {"store": {"S": level}},
    }


def _filled_at_once(log: pd.DataFrame, warmup: float, horizon: float) -> float:
    """Units served from stock / units demanded (served + backordered), after warm-up."""
    after = log[log["t"] >= warmup]
    served = after.loc[after["type"] == "OrderPlaced", "qty"].sum()
    waited = after.loc[after["type"] == "BackorderPlaced", "qty"].sum()
    return float(served / (served + waited)) if served + waited else float("nan")


def _mean_backorders(log: pd.DataFrame, warmup: float, horizon: float) -> float:
    """Time-average units on backorder after warm-up, counted from the log."""
    moves = log[log["type"].isin(["BackorderPlaced", "BackorderFilled"])]
    sign = (moves["type"] == "BackorderPlaced").map({True: 1, False: -1})
    waiting = (sign * moves["qty"]).cumsum().to_numpy(dtype=float)
    edges = np.clip(np.append(moves["t"].to_numpy(dtype=float), horizon), warmup, horizon)
    return float((waiting * np.diff(edges)).sum() / (horizon - warmup))


def _mmc_overrides(p: Mapping[str, float]) -> dict[str, Any]:
    return {
        "arrivals.per_hour": p["arrival_rate"] * 60.0,
        "network.locations.0.desk_minutes": 1.0 / p["service_rate"],
        "network.locations.0.desk_servers": int(p["servers"]),
    }


def _abandon_share(log: pd.DataFrame, warmup: float, horizon: float) -> float:
    """Desk arrivals after warm-up that gave up waiting / all desk arrivals after warm-up."""
    visits = log[(log["type"] == "TouchpointVisited") & (log["t"] >= warmup)]
    joined = int((visits["reason"] == "pickup_queue").sum())
    gave_up = int((visits["reason"] == "pickup_reneged").sum())
    return gave_up / joined if joined else float("nan")


def _mg1_overrides(service: str) -> Callable[[Mapping[str, float]], dict[str, Any]]:
    def overrides(p: Mapping[str, float]) -> dict[str, Any]:
        return {
            "arrivals.per_hour": p["arrival_rate"] * 60.0,
            "network.locations.0.desk_minutes": p["mean_service"],
            "network.locations.0.desk_servers": 1,
            "network.locations.0.desk_service": service,
        }

    return overrides


def _erlang_a_overrides(p: Mapping[str, float]) -> dict[str, Any]:
    return {
        **_mmc_overrides(p),
        "segments.0.patience_minutes": 1.0 / p["abandonment_rate"],
        "segments.0.pickup_attempts": 1,
    }


CASES: dict[str, Case | Study] = {
    "mmc": Case(
        name="mmc",
        metric="W at the pickup desk (min)",
        file="mmc.toml",
        defaults={"arrival_rate": 2.0, "service_rate": 1.0, "servers": 3},
        overrides=_mmc_overrides,
        exact=lambda p: (
            closed_forms.mmc_wq(p["arrival_rate"], p["service_rate"], int(p["servers"]))
            + 1.0 / p["service_rate"]
        ),
        measure=_desk_sojourn,
    ),
    "little_desk": Case(
        name="little_desk",
        metric="L at the pickup desk, time average (customers)",
        file="mmc.toml",
        defaults={"arrival_rate": 2.0, "service_rate": 1.0, "servers": 3},
        overrides=_mmc_overrides,
        # Little's law: L = lambda W, with W of M/M/c; L is counted from the log, not from W
        exact=lambda p: (
            p["arrival_rate"]
            * (
                closed_forms.mmc_wq(p["arrival_rate"], p["service_rate"], int(p["servers"]))
                + 1.0 / p["service_rate"]
            )
        ),
        measure=_desk_population,
    ),
    "mg1_deterministic": Case(
        name="mg1_deterministic",
        metric="W at a one-server desk, constant service (min)",
        file="mmc.toml",
        defaults={"arrival_rate": 0.6, "mean_service": 1.0},
        overrides=_mg1_overrides("deterministic"),
        exact=lambda p: (
            closed_forms.mg1_wq(p["arrival_rate"], p["mean_service"], 0.0) + p["mean_service"]
        ),
        measure=_desk_sojourn,
    ),
    "mg1_erlang2": Case(
        name="mg1_erlang2",
        metric="W at a one-server desk, Erlang-2 service (min)",
        file="mmc.toml",
        defaults={"arrival_rate": 0.6, "mean_service": 1.0},
        overrides=_mg1_overrides("erlang2"),
        exact=lambda p: (
            closed_forms.mg1_wq(p["arrival_rate"], p["mean_service"], 0.5) + p["mean_service"]
        ),
        measure=_desk_sojourn,
    ),
    "erlang_a": Case(
        name="erlang_a",
        metric="P(abandon) at the desk",
        file="mmc.toml",
        defaults={"arrival_rate": 1.5, "service_rate": 1.0, "servers": 2, "abandonment_rate": 0.5},
        overrides=_erlang_a_overrides,
        exact=lambda p: (
            closed_forms.erlang_a(
                p["arrival_rate"], p["service_rate"], int(p["servers"]), p["abandonment_rate"]
            ).p_abandon
        ),
        measure=_abandon_share,
    ),
    "lost_sales": Case(
        name="lost_sales",
        metric="P(lost sale) under base stock",
        file="lost-sales.toml",
        defaults={"base_stock": 5, "demand_per_day": 1.0, "lead_days": 3.0},
        overrides=_lost_sales_overrides,
        exact=lambda p: closed_forms.lost_sales_probability(
            int(p["base_stock"]), p["demand_per_day"], p["lead_days"]
        ),
        measure=_lost_share,
    ),
    "base_stock_fill": Case(
        name="base_stock_fill",
        metric="fill rate under base stock with backorders",
        file="backorders.toml",
        defaults={"base_stock": 14, "demand_per_day": 2.0, "lead_days": 5.0},
        overrides=_lost_sales_overrides,
        exact=lambda p: closed_forms.base_stock_fill_rate(
            int(p["base_stock"]), p["demand_per_day"] * p["lead_days"]
        ),
        measure=_filled_at_once,
    ),
    "base_stock_backorders": Case(
        name="base_stock_backorders",
        metric="mean units on backorder under base stock",
        file="backorders.toml",
        defaults={"base_stock": 14, "demand_per_day": 2.0, "lead_days": 5.0},
        overrides=_lost_sales_overrides,
        exact=lambda p: closed_forms.base_stock_expected_backorders(
            int(p["base_stock"]), p["demand_per_day"] * p["lead_days"]
        ),
        measure=_mean_backorders,
    ),
    **STUDIES,
}
"""The validation cases and studies by name."""


def scenario_for(case: Case, params: Mapping[str, float]) -> Scenario:
    base = load_scenario(FOLDER / case.file)
    return base.with_overrides(case.overrides(params), source=str(FOLDER / case.file))


def run_case(
    case: Case,
    params: Mapping[str, float] | None = None,
    *,
    replications: int = 10,
    seed: int | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """One row of the validation table: case, metric, exact, mean, ci_low, ci_high, inside."""
    values = {**case.defaults, **(params or {})}
    scenario = scenario_for(case, values)
    plan = plan_of(scenario)
    tables = run_replications(
        plan, scenario.seed if seed is None else seed, replications, workers=workers
    )
    measured = [case.measure(table_to_frame(t), plan.warmup, plan.horizon) for t in tables]
    interval = t_interval(measured)
    exact = case.exact(values)
    return {
        "case": case.name,
        "parameters": ", ".join(f"{k}={v:g}" for k, v in values.items()),
        "metric": case.metric,
        "exact": exact,
        "mean": interval.mean,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "replications": interval.n,
        "inside": interval.covers(exact),
    }


def run_rows(
    case: Case | Study,
    params: Mapping[str, float] | None = None,
    *,
    replications: int = 10,
    seed: int | None = None,
    workers: int | None = None,
) -> list[dict[str, Any]]:
    """The rows of the validation table that a case (one) or a study (several) gives."""
    if isinstance(case, Study):
        budget = Budget(replications=replications, seed=seed, workers=workers)
        return case.run({**case.defaults, **(params or {})}, budget)
    return [run_case(case, params, replications=replications, seed=seed, workers=workers)]
