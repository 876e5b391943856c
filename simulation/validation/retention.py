"""The repeat-visits case: visits per customer against the geometric law of a constant rate.

``scenarios/validation/repeat-visits.toml`` is the journey regime (unlimited stock, customers
arriving uniformly over the first day only) with one segment whose ``repeat_rate`` and
``repeat_days`` the case sets. The engine decides at the start of each visit, from the visit's
own draws, whether the customer comes back, so visits per customer are geometric, cut only by
the horizon; :class:`~simulation.validation.closed_forms.retention.RepeatVisits` gives the
exact mean and survival P(visits > k) with that cut. Each is read from the log through
:func:`simulation.customers.value.customers` (the projection behind the customer KPIs), per
replication, and the rows hold simultaneous 95% intervals (Bonferroni), as the journey case.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simulation.customers.value import customers
from simulation.engine.compile import plan_of
from simulation.eventlog import table_to_frame
from simulation.experiments.replications import run_replications
from simulation.experiments.stats import t_interval
from simulation.scenario import Scenario, load_scenario
from simulation.validation.catalogue import SPECS
from simulation.validation.closed_forms.retention import RepeatVisits
from simulation.validation.study import Study
from simulation.validation.table import FOLDER, Budget, Row, row

FILE = "repeat-visits.toml"
SURVIVAL = (1, 2, 3, 4, 5)
"""The k of the P(visits > k) rows."""
WINDOW_DAYS = 1.0
"""The first visits fall in the first day (the scenario's ``day_of_week``)."""


def scenario_of(params: Mapping[str, float]) -> Scenario:
    """``repeat-visits.toml`` with the case's repeat rate, days between visits, customers."""
    path = FOLDER / FILE
    return load_scenario(path).with_overrides(
        {
            "segments.0.repeat_rate": params["repeat_rate"],
            "segments.0.repeat_days": params["repeat_days"],
            "arrivals.per_hour": params["customers"] / 24.0,
        },
        source=str(path),
    )


def law_of(params: Mapping[str, float], horizon_days: float) -> RepeatVisits:
    return RepeatVisits(
        repeat_rate=params["repeat_rate"], repeat_days=params["repeat_days"],
        window_days=WINDOW_DAYS, horizon_days=horizon_days,
    )  # fmt: skip


def visits_per_customer(log: pd.DataFrame) -> pd.DataFrame:
    """One replication's measures: mean visits per customer, and P(visits > k) for each k."""
    visits = customers(log)["visits"].to_numpy(dtype="float64")
    measures = {"mean": visits.mean(), **{f"> {k}": (visits > k).mean() for k in SURVIVAL}}
    return pd.DataFrame([measures])


def exact_values(law: RepeatVisits) -> list[tuple[str, float, str]]:
    """(metric, exact value, column of :func:`visits_per_customer`) of each row."""
    p, geometric = law.repeat_rate, law.geometric_mean()
    return [
        (f"visits per customer (geometric 1/(1-p) = {geometric:.6g}, cut by the horizon)",
         law.mean(), "mean"),
        *((f"P(visits > {k}) (geometric p^k = {p**k:.6g}, cut by the horizon)",
           law.survival(k), f"> {k}") for k in SURVIVAL),
    ]  # fmt: skip


def _rows(params: Mapping[str, float], budget: Budget) -> list[Row]:
    scenario = scenario_of(params)
    seed = scenario.seed if budget.seed is None else budget.seed
    tables = run_replications(plan_of(scenario), seed, budget.replications, workers=budget.workers)
    measured = pd.concat([visits_per_customer(table_to_frame(t)) for t in tables])
    wanted = exact_values(law_of(params, scenario.horizon_days))
    level = 1 - 0.05 / len(wanted)
    shown = {k: params[k] for k in ("repeat_rate", "repeat_days", "customers")}
    return [
        row(
            "repeat_visits", shown,
            f"{metric} (simultaneous 95% CI over {len(wanted)} rows)",
            exact, t_interval(np.asarray(measured[column], dtype=float), level),
            days=(scenario.horizon_days, scenario.warmup_days),
        )
        for metric, exact, column in wanted
    ]  # fmt: skip


def _check(params: Mapping[str, float]) -> tuple[str, ...]:
    law_of(params, load_scenario(FOLDER / FILE).horizon_days)  # raises for a rate >= 1
    return ()


STUDY = Study(spec=SPECS["repeat_visits"], check=_check, rows=_rows)
"""The repeat-visits case."""
