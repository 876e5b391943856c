"""The BG/NBD study: a segment whose repeat visits follow the BG/NBD law, against its closed forms.

``scenarios/validation/journey.toml`` (stock that never runs out, customers arriving on the
first day of each week) with one segment, its repeat visits by the law of
:class:`~simulation.scenario.model.Btyd` with the given ``r``, ``alpha`` (days), ``a``, ``b``.
A customer's first visit is their first transaction (time 0 of the model) and each later
visit a repeat; a customer first seen ``T`` days before the horizon has made ``X(T)`` repeats
by it. Per replication, over its customers, the study takes the mean of ``X(T) - E[X(T)]`` and
of ``1[X(T) = 0] - P(X(T) = 0)``, with ``E[X(T)]`` and ``P(X(T) = 0) = (alpha / (alpha + T))^r``
the closed forms (Fader, Hardie & Lee 2005, eq. 7 and 9) at each customer's own ``T``; a row
holds the closed form's mean over the customers against it plus the simulated difference's
95% interval. Both rows' intervals are simultaneous (Bonferroni).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simulation.engine.compile import plan_of
from simulation.eventlog import table_to_frame
from simulation.experiments.replications import run_replications
from simulation.experiments.stats import Interval, t_interval
from simulation.scenario import Scenario, load_scenario
from simulation.types import MINUTES_PER_DAY
from simulation.validation.catalogue import SPECS
from simulation.validation.closed_forms.bg_nbd import BgNbd
from simulation.validation.study import Study
from simulation.validation.table import FOLDER, Budget, Row, row


def scenario_of(params: Mapping[str, float]) -> Scenario:
    """journey.toml with its first segment alone, repeat visits by the BG/NBD law (the
    customer loop off: with a satisfaction table, satisfaction would decide instead)."""
    base = load_scenario(FOLDER / "journey.toml")
    law = {k: params[k] for k in ("r", "alpha", "a", "b")}
    segment = base.segments[0].model_copy(update={"share": 1.0, "return_rate": 0.0})
    chosen = segment.model_dump(mode="json") | {"btyd": law}
    return base.with_overrides(
        {
            "segments": [chosen],
            "satisfaction": None,  # the BG/NBD law alone decides who comes back
            "loyalty": None,
            "horizon_days": params["days"],
            "arrivals.per_hour": params["customers"] / 24.0,
        },
        source=str(FOLDER / "journey.toml"),
    )


def histories(log: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """Per customer: ``x`` repeat visits and ``T`` days from their first visit to the horizon."""
    arrived = log[log["type"] == "CustomerArrived"]
    per = arrived.groupby("customer", observed=True)["t"].agg(["min", "size"])
    return pd.DataFrame(
        {
            "x": per["size"].to_numpy(float) - 1.0,
            "T": horizon_days - per["min"].to_numpy() / MINUTES_PER_DAY,
        }
    )


def _rows(params: Mapping[str, float], budget: Budget) -> list[Row]:
    model = BgNbd(params["r"], params["alpha"], params["a"], params["b"])
    scenario = scenario_of(params)
    seed = scenario.seed if budget.seed is None else budget.seed
    tables = run_replications(plan_of(scenario), seed, budget.replications, workers=budget.workers)
    mean_gap, zero_gap, mean_exact, zero_exact = [], [], [], []
    for table in tables:
        h = histories(table_to_frame(table), scenario.horizon_days)
        expected = np.array([model.expected_repeats(t) for t in h["T"]])
        none = (model.alpha / (model.alpha + h["T"].to_numpy())) ** model.r
        mean_gap.append(float((h["x"] - expected).mean()))
        zero_gap.append(float(((h["x"] == 0) - none).mean()))
        mean_exact.append(float(expected.mean()))
        zero_exact.append(float(none.mean()))
    shown = {k: params[k] for k in ("r", "alpha", "a", "b", "customers", "days")}
    days = (scenario.horizon_days, scenario.warmup_days)
    out = []
    for metric, exact, gaps in (
        ("E[X(T)]: repeat visits per customer by the horizon", mean_exact, mean_gap),
        ("P(X(T) = 0): customers with no repeat visit", zero_exact, zero_gap),
    ):
        at = float(np.mean(exact))
        gap = t_interval(np.array(gaps), 1 - 0.05 / 2)
        shifted = Interval(at + gap.mean, at + gap.low, at + gap.high, gap.n)
        out.append(
            row(
                "bg_nbd",
                shown,
                f"{metric} (simultaneous 95% CI over 2 rows)",
                at,
                shifted,
                days=days,
            )
        )
    return out


def _check(params: Mapping[str, float]) -> tuple[str, ...]:
    BgNbd(params["r"], params["alpha"], params["a"], params["b"])
    return ()


STUDY = Study(spec=SPECS["bg_nbd"], check=_check, rows=_rows)
"""The BG/NBD study."""
