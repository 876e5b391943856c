"""Customer lifetime value: margin to date plus a fitted BG/NBD's discounted next days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.customers.lifetime import lifetime_values
from simulation.engine.compile import plan_of
from simulation.engine.run import run_replication
from simulation.validation.bg_nbd import scenario_of

DAYS = 35.0


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    """Buyers who come back by the BG/NBD law and buy at every visit."""
    scenario = scenario_of({"r": 2.0, "alpha": 10.0, "a": 3.0, "b": 4.0, "customers": 300,
                            "days": DAYS})  # fmt: skip
    buys = {"transitions": {"discover": {"add_to_cart": 1.0}, "add_to_cart": {"checkout": 1.0}},
            "modes": {"home_delivery": 1.0}}  # fmt: skip
    segment = scenario.segments[0].model_copy(update=buys).model_dump(mode="json")
    plan = plan_of(scenario.with_overrides({"segments": [segment]}))
    return run_replication(plan, seed=4).log.to_table().to_pandas()


def _values(log: pd.DataFrame, **given: float) -> pd.DataFrame:
    chosen = {"days": 365.0, "discount_rate": 0.1, "margin_share": 0.4} | given
    return lifetime_values(log, DAYS, **chosen)


def test_no_days_ahead_leaves_the_margin_to_date(log: pd.DataFrame) -> None:
    values = _values(log, days=0.0)
    placed = log[log["type"] == "OrderPlaced"]
    assert set(values["customer"]) == set(placed["customer"].astype(int))
    assert values["future"].abs().max() < 1e-9
    assert values["to_date"].sum() == pytest.approx(0.4 * placed["amount"].sum(), rel=0.05)


def test_more_days_add_value_and_discounting_takes_it_away(log: pd.DataFrame) -> None:
    year, two, dear = _values(log), _values(log, days=730.0), _values(log, discount_rate=0.9)
    assert (two["future"] >= year["future"] - 1e-9).all()
    assert two["future"].sum() > year["future"].sum() > dear["future"].sum() > 0
    assert (year["cltv"] == year["to_date"] + year["future"]).all()


def test_the_margin_share_scales_every_value(log: pd.DataFrame) -> None:
    half, whole = _values(log, margin_share=0.5), _values(log, margin_share=1.0)
    assert np.allclose(2 * half["cltv"], whole["cltv"])


def test_a_scenario_without_a_lifetime_table_has_no_cltv() -> None:
    from simulation.api import run

    kpis = run("baseline", out=None, overrides={"horizon_days": 2, "arrivals.per_hour": 10}).kpis
    assert kpis["cltv"].isna().all()
    assert kpis["ltv_to_cac"].isna().all()
