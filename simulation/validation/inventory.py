"""Inventory validation studies: newsvendor and (s, S) optima by sweep, and risk pooling.

Each :class:`~simulation.validation.study.Study` here runs several scenarios of
``scenarios/validation/`` on common random numbers (every point uses the scenario's seed, so
the same customers) and gives several rows of the validation table: the cost at every point of
a sweep against its exact value, the minimiser of the simulated cost curve against the textbook
one, or the separate and pooled costs and their ratio. Every cost is a projection of the event
log (:func:`simulation.projections.period_costs`), never an engine counter.

Sweep points carry simultaneous 95% intervals (Bonferroni over the k points), so that all k
should hold their exact value at once. The minimiser's "interval" is the range of the subset
of points not shown worse than the simulated best (Nelson et al. 2001 screening, 95%), and the
row is inside when the exact optimum is in that subset: near an optimum the cost curve is flat
(Example 4.3: G(56) - G(57) = 0.0005 a period), so a finite run names a set, not one point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simulation import projections
from simulation.engine.compile import plan_of
from simulation.engine.plan import Plan
from simulation.errors import InputError
from simulation.eventlog import table_to_frame
from simulation.experiments.replications import run_replications
from simulation.experiments.selection import screen
from simulation.experiments.stats import Interval, t_interval
from simulation.scenario import load_scenario
from simulation.types import MINUTES_PER_DAY
from simulation.validation import closed_forms
from simulation.validation.catalogue import SPECS
from simulation.validation.study import Study
from simulation.validation.table import FOLDER, Budget, Row, row


def _replicated(
    file: str,
    overrides: Mapping[str, Any],
    budget: Budget,
    measure: Callable[[pd.DataFrame, Plan], Any],
) -> list[Any]:
    """``measure`` of each replication's log of the scenario ``file`` with ``overrides``."""
    path = FOLDER / file
    scenario = load_scenario(path).with_overrides(overrides, source=str(path))
    plan = plan_of(scenario)
    seed = scenario.seed if budget.seed is None else budget.seed
    tables = run_replications(plan, seed, budget.replications, workers=budget.workers)
    return [measure(table_to_frame(t), plan) for t in tables]


def _days(params: Mapping[str, float], file: str) -> tuple[float, float]:
    """A study's horizon (its ``days``) and the scenario file's warm-up, in days."""
    return params["days"], load_scenario(FOLDER / file).warmup_days


def _period_costs(log: pd.DataFrame, plan: Plan, costs: projections.PeriodCosts) -> pd.DataFrame:
    period = plan.review_days * MINUTES_PER_DAY
    return projections.period_costs(
        log, costs, period=period, since=plan.warmup, until=plan.horizon
    )


def _mean_cost(costs: projections.PeriodCosts) -> Callable[[pd.DataFrame, Plan], float]:
    def measure(log: pd.DataFrame, plan: Plan) -> float:
        return float(_period_costs(log, plan, costs)["cost"].mean())

    return measure


def _row(
    name: str,
    params: Mapping[str, float],
    metric: str,
    exact: float,
    interval: Interval,
    *,
    file: str,
    inside: bool | None = None,
) -> Row:
    return row(name, params, metric, exact, interval, days=_days(params, file), inside=inside)


def _costs(params: Mapping[str, float]) -> projections.PeriodCosts:
    return projections.PeriodCosts(
        holding=params["holding_cost"],
        shortage=params["penalty_cost"],
        fixed_order=params.get("fixed_cost", 0.0),
    )


def _sweep(
    name: str,
    params: Mapping[str, float],
    points: list[tuple[str, dict[str, Any], float]],
    file: str,
    budget: Budget,
) -> tuple[list[Row], np.ndarray]:
    """One row per point (label, overrides, exact cost), simultaneous 95% intervals; and the
    k x n matrix of per-replication mean costs for the screening."""
    measure = _mean_cost(_costs(params))
    days = {"horizon_days": params["days"]}
    samples = np.array([_replicated(file, {**days, **o}, budget, measure) for _, o, _ in points])
    level = 1 - 0.05 / len(points)
    rows = [
        _row(
            name,
            params,
            f"cost per period at {label} (simultaneous 95% CI over {len(points)} points)",
            exact,
            t_interval(values, level),
            file=file,
        )
        for (label, _, exact), values in zip(points, samples, strict=True)
    ]
    return rows, samples


def _optimum_interval(labels: list[float], samples: np.ndarray) -> tuple[Interval, set[int]]:
    """The simulated minimiser (as the mean) and the range of the screened subset."""
    kept = set(screen(samples, maximise=False))
    best = int(np.argmin(samples.mean(axis=1)))
    chosen = [labels[i] for i in kept]
    return Interval(labels[best], min(chosen), max(chosen), samples.shape[1]), kept


# --------------------------------------------------------------------------------- newsvendor


def _newsvendor_overrides(params: Mapping[str, float], level: int) -> dict[str, Any]:
    customers, basket = closed_forms.basket_demand_for(
        params["demand_per_day"], params["demand_sd"]
    )
    return {
        "arrivals.per_hour": customers / 24.0,
        "segments.0.basket_mean": basket,
        "catalogue.initial": {"S01": {"ITEM": level}},
        "policies.replenishment.params": {"store": {"S": level}},
    }


def _newsvendor_optima(params: Mapping[str, float]) -> tuple[NDArray[np.float64], int, float]:
    """The model's demand pmf, its exact optimum, and the textbook normal optimum."""
    mean, sd = params["demand_per_day"], params["demand_sd"]
    h, p = params["holding_cost"], params["penalty_cost"]
    pmf = closed_forms.basket_demand_pmf(*closed_forms.basket_demand_for(mean, sd))
    best = closed_forms.newsvendor_discrete(pmf, h, p).order_up_to
    return pmf, best, closed_forms.newsvendor_normal(h, p, mean, sd).order_up_to


def _newsvendor(params: Mapping[str, float], budget: Budget) -> list[Row]:
    h, p = params["holding_cost"], params["penalty_cost"]
    pmf, best, textbook = _newsvendor_optima(params)
    width = int(params["sweep_width"])
    levels = [S for S in range(best - width, best + width + 1) if S >= 0]
    points = [
        (f"S = {S}", _newsvendor_overrides(params, S), closed_forms.newsvendor_cost(S, pmf, h, p))
        for S in levels
    ]
    rows, samples = _sweep("newsvendor", params, points, _NEWSVENDOR, budget)
    found, kept = _optimum_interval([float(S) for S in levels], samples)
    exact_metric = (
        "minimiser S of the simulated cost curve (range: levels not worse than the best, "
        "screening 95%) vs the exact optimum of the model's demand"
    )
    textbook_metric = "minimiser S of the simulated cost curve vs the textbook normal optimum"
    at_best = levels.index(best) in kept
    return [
        *rows,
        _row("newsvendor", params, exact_metric, best, found, file=_NEWSVENDOR, inside=at_best),
        _row("newsvendor", params, textbook_metric, textbook, found, file=_NEWSVENDOR),
    ]


# --------------------------------------------------------------------------------- (s, S)


def _s_S_overrides(params: Mapping[str, float], s: int, S: int) -> dict[str, Any]:
    return {
        "arrivals.per_hour": params["demand_per_day"] / 24.0,
        "catalogue.initial": {"S01": {"ITEM": S}},
        "policies.replenishment.params": {"store": {"s": s, "S": S}},
    }


def _s_S_costs(params: Mapping[str, float]) -> dict[str, float]:
    costs = {"mean_demand": params["demand_per_day"], "h": params["holding_cost"]}
    return costs | {"p": params["penalty_cost"], "K": params["fixed_cost"]}


def _s_S(params: Mapping[str, float], budget: Budget) -> list[Row]:
    costs = _s_S_costs(params)
    best = closed_forms.optimal_s_S(**costs)
    width = int(params["sweep_width"])
    grid = [
        (s, S)
        for s in range(best.s - width, best.s + width + 1)
        for S in range(best.S - width, best.S + width + 1)
        if s < S
    ]
    points = [
        (f"(s, S) = ({s}, {S})", _s_S_overrides(params, s, S), closed_forms.s_S_cost(s, S, **costs))
        for s, S in grid
    ]
    rows, samples = _sweep("s_S", params, points, _S_S, budget)
    at_best = grid.index((best.s, best.S))
    for part, exact in (("s", best.s), ("S", best.S)):
        found, kept = _optimum_interval(
            [float(pair[0 if part == "s" else 1]) for pair in grid], samples
        )
        metric = (
            f"minimiser (s, S) of the simulated cost surface: {part} (range over the points not "
            "worse than the best, screening 95%; inside: the exact (s, S) is one of them)"
        )
        rows.append(_row("s_S", params, metric, exact, found, file=_S_S, inside=at_best in kept))
    return rows


# --------------------------------------------------------------------------------- risk pooling


@dataclass(frozen=True, slots=True)
class _Stocking:
    """One replication of one side: mean cost a period, mean period-end net inventory (the
    safety stock), share of (store, period) ending without backorders."""

    cost: float
    stock: float
    service: float


def _stocking(costs: projections.PeriodCosts) -> Callable[[pd.DataFrame, Plan], _Stocking]:
    def measure(log: pd.DataFrame, plan: Plan) -> _Stocking:
        table = _period_costs(log, plan, costs)
        ends = projections.period_ends(
            plan.review_days * MINUTES_PER_DAY, plan.warmup, plan.horizon
        )
        net = projections.net_inventory_at(log, ends)["net"].to_numpy(dtype=float)
        return _Stocking(
            cost=float(table["cost"].mean()),
            stock=float(net.sum() / len(ends)),
            service=float((net >= 0).mean()),
        )

    return measure


def _pooling_overrides(params: Mapping[str, float], level: int, *, pooled: bool) -> dict[str, Any]:
    n = int(params["stores"])
    base = load_scenario(FOLDER / "pooling-separate.toml").network.locations[0]
    stores = [
        base.model_copy(update={"id": f"S{i + 1:02d}", "region": f"R{i + 1}", "x": 100.0 * i})
        for i in range(n)
    ]
    if pooled:
        stores = [base.model_copy(update={"id": "P01", "region": "all", "x": 50.0 * (n - 1)})]
    return {
        "horizon_days": params["days"],
        "arrivals.per_hour": n * params["demand_per_day"] / 24.0,
        "network.regions": [{"name": f"R{i + 1}", "x": 100.0 * i, "y": 0.0} for i in range(n)],
        "network.locations": [s.model_dump(mode="json") for s in stores],
        "catalogue.stock": {"store": level},
        "policies.replenishment.params": {"store": {"S": level}},
    }


def _pooling_exact(params: Mapping[str, float]) -> closed_forms.PoissonPooling:
    mean = params["demand_per_day"]
    exact = closed_forms.pooled_newsvendor_poisson(
        int(params["stores"]), mean, params["holding_cost"], params["penalty_cost"]
    )
    if not math.isfinite(exact.safety_stock.ratio) or exact.safety_stock.pooled <= 0:
        expected = "a demand whose pooled newsvendor optimum holds a safety stock > 0"
        raise InputError("demand_per_day", expected, mean)
    return exact


def _risk_pooling(params: Mapping[str, float], budget: Budget) -> list[Row]:
    n, exact = int(params["stores"]), _pooling_exact(params)
    measure = _stocking(_costs(params))
    sides = (
        ("pooling-separate.toml", exact.store.order_up_to, False),
        ("pooling-pooled.toml", exact.pooled.order_up_to, True),
    )
    separate, pooled = (
        _replicated(file, _pooling_overrides(params, level, pooled=one), budget, measure)
        for file, level, one in sides
    )
    pairs = list(zip(separate, pooled, strict=True))
    return [
        _row(
            "risk_pooling", params, metric, value, t_interval([f(a, b) for a, b in pairs]),
            file="pooling-separate.toml",
        )
        for metric, value, f in _pooling_rows(n, exact)
    ]  # fmt: skip


def _pooling_rows(
    n: int, exact: closed_forms.PoissonPooling
) -> list[tuple[str, float, Callable[[_Stocking, _Stocking], float]]]:
    """(metric, exact value, measure of a (separate, pooled) pair of replications)."""
    root = f"normal theory: sqrt(N) = {math.sqrt(n):g}"
    S1, SN = exact.store.order_up_to, exact.pooled.order_up_to
    return [
        (
            f"cost per period, {n} separate stores at S = {S1} each (sum)",
            exact.cost.separate,
            lambda a, b: a.cost,
        ),
        (f"cost per period, one pooled stock at S = {SN}", exact.cost.pooled, lambda a, b: b.cost),
        (
            f"cost ratio separate / pooled ({root})",
            exact.cost.ratio,
            lambda a, b: a.cost / b.cost,
        ),
        (
            f"safety stock ratio separate / pooled, mean period-end net inventory ({root})",
            exact.safety_stock.ratio,
            lambda a, b: a.stock / b.stock,
        ),
        (
            f"cycle service level of a separate store, P(D <= {S1})",
            exact.store.cycle_service_level,
            lambda a, b: a.service,
        ),
        (
            f"cycle service level of the pooled stock, P(D <= {SN})",
            exact.pooled.cycle_service_level,
            lambda a, b: b.service,
        ),
    ]


def _checked(
    exact: Callable[[Mapping[str, float]], object],
) -> Callable[[Mapping[str, float]], tuple[str, ...]]:
    """A study's check: its exact values computed (they raise for bad parameters), no
    warnings."""

    def check(params: Mapping[str, float]) -> tuple[str, ...]:
        exact(params)
        return ()

    return check


_NEWSVENDOR, _S_S = "newsvendor.toml", "s-S.toml"
STUDIES: dict[str, Study] = {
    "newsvendor": Study(
        spec=SPECS["newsvendor"], check=_checked(_newsvendor_optima), rows=_newsvendor
    ),
    "s_S": Study(
        spec=SPECS["s_S"],
        check=_checked(lambda p: closed_forms.optimal_s_S(**_s_S_costs(p))),
        rows=_s_S,
    ),
    "risk_pooling": Study(
        spec=SPECS["risk_pooling"], check=_checked(_pooling_exact), rows=_risk_pooling
    ),
}
"""The inventory studies by name."""
