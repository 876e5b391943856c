"""Validation cases: the model, run through its ordinary scenario files, against closed forms.

Each case names a scenario file under ``scenarios/validation/``, the overrides its parameters
map to, the exact value from :mod:`simulation.validation.closed_forms`, and how to measure the
same quantity from one replication's event log. :meth:`Case.run` replicates it and says whether
the exact value lies inside the 95% confidence interval of the simulated mean. Parameters,
their checks and defaults are in :mod:`simulation.validation.catalogue`; every one is checked
by :meth:`Case.prepare` before anything runs.

A queue near saturation (load rho > 0.9) relaxes slowly from its empty start: unless the
horizon and warm-up are given, they grow with the relaxation time 1 / (c mu (1 - sqrt rho)^2)
(the M/M/1 figure for the pooled service rate), and the setup warns that the estimate is
biased low all the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation import projections
from simulation.engine.compile import plan_of
from simulation.errors import InputError
from simulation.eventlog import table_to_frame
from simulation.experiments.replications import run_replications
from simulation.experiments.stats import t_interval
from simulation.scenario import Scenario, load_scenario
from simulation.types import MINUTES_PER_DAY
from simulation.validation import closed_forms
from simulation.validation.catalogue import SPECS, Spec
from simulation.validation.table import FOLDER, Budget, Row, Setup, row

SATURATION = 0.9
"""Above this load a queue case grows its horizon and warm-up, and warns."""
_RELAXATIONS = (10.0, 40.0)
"""Warm-up and measured window, in relaxation times, near saturation."""
_MOST_GROWTH = 20.0
"""The longest horizon near saturation, in multiples of the scenario file's."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Load:
    """A queue's load rho and its pooled service rate (per minute), for the stability check
    and the relaxation time."""

    rho: float
    rate: float
    field: str = "arrival_rate"
    """The parameter named when rho >= 1."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    spec: Spec
    metric: str
    file: str
    overrides: Callable[[Mapping[str, float]], dict[str, Any]]
    exact: Callable[[Mapping[str, float]], float]
    measure: Callable[[pd.DataFrame, float, float], float]
    """From one replication's log, the warm-up and the horizon (minutes), the measured value."""
    load: Callable[[Mapping[str, float]], Load] | None = None
    """A queue's load (None: no queue that could saturate)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def defaults(self) -> Mapping[str, float | None]:
        return self.spec.defaults

    def prepare(self, given: Mapping[str, float]) -> Setup:
        """Every parameter checked (the exact value computed, the scenario built), the
        horizon and warm-up settled; or an :class:`InputError` before anything runs."""
        values = self.spec.resolve(given)
        model = {k: v for k, v in values.items() if v is not None and k not in _DAYS}
        load = self.load(model) if self.load else None
        if load is not None and load.rho >= 1:
            expected = f"a load rho < 1 (rho = {load.rho:.6g} with the other parameters)"
            raise InputError(load.field, expected, model[load.field])
        self.exact(model)
        base = load_scenario(FOLDER / self.file)
        chosen = (values["horizon_days"], values["warmup_days"])
        horizon, warmup, warnings = _days(
            self.name, load, (base.horizon_days, base.warmup_days), chosen
        )
        if warmup >= horizon:
            raise InputError("warmup_days", f"less than horizon_days ({horizon:g})", warmup)
        parameters = {**model, "horizon_days": horizon, "warmup_days": warmup}
        _scenario(self, parameters)  # the scenario's own checks
        return Setup(parameters=parameters, warnings=warnings)

    def run(self, setup: Setup, budget: Budget) -> list[Row]:
        """One row: case, parameters, metric, exact, mean, CI, replications, days, inside."""
        values = setup.parameters
        scenario = _scenario(self, values)
        plan = plan_of(scenario)
        seed = scenario.seed if budget.seed is None else budget.seed
        tables = run_replications(plan, seed, budget.replications, workers=budget.workers)
        measured = [self.measure(table_to_frame(t), plan.warmup, plan.horizon) for t in tables]
        shown = {k: v for k, v in values.items() if k not in _DAYS}
        days = (scenario.horizon_days, scenario.warmup_days)
        interval = t_interval(measured)
        return [row(self.name, shown, self.metric, self.exact(values), interval, days=days)]


_DAYS = ("horizon_days", "warmup_days")


def _days(
    name: str,
    load: Load | None,
    file: tuple[float, float],
    chosen: tuple[float | None, float | None],
) -> tuple[float, float, tuple[str, ...]]:
    """Horizon and warm-up (days): as chosen, else the file's, grown near saturation."""
    horizon, warmup = file
    if load is None or load.rho <= SATURATION:
        return _either(chosen[0], horizon), _either(chosen[1], warmup), ()
    relaxation = 1.0 / (load.rate * (1.0 - math.sqrt(load.rho)) ** 2) / MINUTES_PER_DAY
    grown_warmup = max(warmup, _RELAXATIONS[0] * relaxation)
    grown = max(horizon, grown_warmup + max(horizon - warmup, _RELAXATIONS[1] * relaxation))
    if grown > _MOST_GROWTH * horizon:
        grown_warmup *= _MOST_GROWTH * horizon / grown
        grown = _MOST_GROWTH * horizon
    horizon = _either(chosen[0], math.ceil(grown * 10) / 10)
    warmup = _either(chosen[1], min(math.ceil(grown_warmup * 10) / 10, horizon / 2))
    warning = (
        f"{name}: rho = {load.rho:.4g} > {SATURATION:g}: the queue relaxes in about "
        f"{relaxation * 24:.3g} hours; warm-up {warmup:.4g} and horizon {horizon:.4g} days "
        f"(scenario: {file[1]:g} and {file[0]:g}); a run that starts empty near saturation "
        "underestimates waits and queue lengths (biased low): check with a longer "
        "--horizon-days and --warmup-days"
    )
    return horizon, warmup, (warning,)


def _either(chosen: float | None, otherwise: float) -> float:
    return otherwise if chosen is None else chosen


def scenario_for(case: Case, params: Mapping[str, float] | None = None) -> Scenario:
    """The case's scenario file with ``params`` (over the defaults, checked) as overrides."""
    return _scenario(case, case.prepare(params or {}).parameters)


def _scenario(case: Case, values: Mapping[str, float]) -> Scenario:
    base = load_scenario(FOLDER / case.file)
    days = {k: values[k] for k in _DAYS if k in values}
    return base.with_overrides({**case.overrides(values), **days}, source=str(FOLDER / case.file))


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


def _base_stock_overrides(p: Mapping[str, float]) -> dict[str, Any]:
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


def _mmc_load(p: Mapping[str, float]) -> Load:
    rate = p["servers"] * p["service_rate"]
    return Load(rho=p["arrival_rate"] / rate, rate=rate)


def _mg1_load(p: Mapping[str, float]) -> Load:
    return Load(rho=p["arrival_rate"] * p["mean_service"], rate=1.0 / p["mean_service"])


def _mmc_sojourn(p: Mapping[str, float]) -> float:
    return closed_forms.mmc_wq(p["arrival_rate"], p["service_rate"], int(p["servers"])) + (
        1.0 / p["service_rate"]
    )


def _mg1_sojourn(scv: float) -> Callable[[Mapping[str, float]], float]:
    def exact(p: Mapping[str, float]) -> float:
        return closed_forms.mg1_wq(p["arrival_rate"], p["mean_service"], scv) + p["mean_service"]

    return exact


def _case(name: str, metric: str, file: str, **parts: Any) -> Case:
    return Case(spec=SPECS[name], metric=metric, file=file, **parts)


CASES: dict[str, Case] = {
    c.name: c
    for c in (
        _case(
            "mmc", "W at the pickup desk (min)", "mmc.toml",
            overrides=_mmc_overrides, exact=_mmc_sojourn, measure=_desk_sojourn, load=_mmc_load,
        ),
        # Little's law: L = lambda W, with W of M/M/c; L is counted from the log, not from W
        _case(
            "little_desk", "L at the pickup desk, time average (customers)", "mmc.toml",
            overrides=_mmc_overrides, exact=lambda p: p["arrival_rate"] * _mmc_sojourn(p),
            measure=_desk_population, load=_mmc_load,
        ),
        _case(
            "mg1_deterministic", "W at a one-server desk, constant service (min)", "mmc.toml",
            overrides=_mg1_overrides("deterministic"), exact=_mg1_sojourn(0.0),
            measure=_desk_sojourn, load=_mg1_load,
        ),
        _case(
            "mg1_erlang2", "W at a one-server desk, Erlang-2 service (min)", "mmc.toml",
            overrides=_mg1_overrides("erlang2"), exact=_mg1_sojourn(0.5),
            measure=_desk_sojourn, load=_mg1_load,
        ),
        _case(
            "erlang_a", "P(abandon) at the desk", "mmc.toml",
            overrides=_erlang_a_overrides,
            exact=lambda p: closed_forms.erlang_a(
                p["arrival_rate"], p["service_rate"], int(p["servers"]), p["abandonment_rate"]
            ).p_abandon,
            measure=_abandon_share,
        ),
        _case(
            "lost_sales", "P(lost sale) under base stock", "lost-sales.toml",
            overrides=_base_stock_overrides,
            exact=lambda p: closed_forms.lost_sales_probability(
                int(p["base_stock"]), p["demand_per_day"], p["lead_days"]
            ),
            measure=_lost_share,
        ),
        _case(
            "base_stock_fill", "fill rate under base stock with backorders", "backorders.toml",
            overrides=_base_stock_overrides,
            exact=lambda p: closed_forms.base_stock_fill_rate(
                int(p["base_stock"]), p["demand_per_day"] * p["lead_days"]
            ),
            measure=_filled_at_once,
        ),
        _case(
            "base_stock_backorders", "mean units on backorder under base stock",
            "backorders.toml",
            overrides=_base_stock_overrides,
            exact=lambda p: closed_forms.base_stock_expected_backorders(
                int(p["base_stock"]), p["demand_per_day"] * p["lead_days"]
            ),
            measure=_mean_backorders,
        ),
    )
}  # fmt: skip
"""The single-scenario cases by name."""
