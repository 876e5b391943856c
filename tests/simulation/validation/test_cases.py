"""The single-scenario cases against their closed forms, through the scenario files (fixed
seeds), and the checks before any run."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.errors import InputError
from simulation.validation import CASES, run_rows, scenario_for
from simulation.validation.cases import CASES as SINGLE
from simulation.validation.closed_forms import mmc_wq


def test_pickup_desk_reproduces_erlang_c() -> None:
    # lambda = 2/min, mu = 1/min, c = 3: Wq = 4/9 (Erlang C), so W = 13/9 minutes.
    (row,) = run_rows(CASES["mmc"], replications=6, seed=3, workers=2)
    assert row.exact == pytest.approx(4 / 9 + 1)
    assert row.inside, row
    assert row.ci_high - row.ci_low < 0.3  # the interval is tight enough to mean something
    assert (row.replications, row.horizon_days, row.warmup_days) == (6, 1.0, 0.25)
    assert row.parameters == {"arrival_rate": 2.0, "service_rate": 1.0, "servers": 3}


@pytest.mark.slow
def test_pickup_desk_under_heavier_load() -> None:
    params = {"arrival_rate": 2.0, "service_rate": 0.5, "servers": 5}
    (row,) = run_rows(CASES["mmc"], params, replications=8, seed=5, workers=2)
    assert row.exact == pytest.approx(mmc_wq(2.0, 0.5, 5) + 2.0)
    assert row.inside, row


@pytest.mark.parametrize(
    ("name", "exact"),
    [
        ("mg1_deterministic", 1.75),  # Pollaczek-Khinchine: rho = 0.6, Wq = 0.6 / (2 * 0.4) = 0.75
        ("mg1_erlang2", 2.125),  # scv 1/2: Wq = 0.75 * 1.5 = 1.125
        ("erlang_a", 0.146594),  # the figure: lambda 1.5, mu 1, c 2, theta 0.5
        ("little_desk", 2 * 13 / 9),  # L = lambda W = 2/min x 13/9 min, counted from the log
        ("lost_sales", 0.110054),  # the figure: Erlang B(5, 3), Karush 1957
        ("base_stock_fill", 0.864464),  # the figure: Palm, lambda 2, L 5, S 14
        ("base_stock_backorders", 0.186937),  # E[(D - 14)+], D ~ Poisson(10)
    ],
)
def test_desk_variants_reproduce_their_closed_forms(name: str, exact: float) -> None:
    (row,) = run_rows(CASES[name], replications=6, seed=11, workers=2)
    assert row.exact == pytest.approx(exact, abs=1e-6)
    assert row.inside, row


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("erlang_a", {"abandonment_rate": 0}, "abandonment_rate"),
        ("mmc", {"arrival_rate": 3.0}, "arrival_rate"),  # rho = 1
        ("little_desk", {"servers": 0}, "servers"),
        ("mmc", {"service_rate": -1.0}, "service_rate"),
        ("mg1_erlang2", {"arrival_rate": 1.5}, "arrival_rate"),  # rho = 1.5
        ("mg1_deterministic", {"mean_service": float("nan")}, "mean_service"),
        ("lost_sales", {"base_stock": 2.5}, "base_stock"),
        ("lost_sales", {"lead_days": 0}, "lead_days"),
        ("base_stock_fill", {"demand_per_day": -2}, "demand_per_day"),
        ("mmc", {"warmup_days": 1.0}, "warmup_days"),  # not before the horizon of 1 day
        ("mmc", {"base_stock": 3}, "base_stock"),  # a parameter of another case
    ],
)
def test_bad_parameters_are_refused_before_any_simulation(
    name: str, params: dict[str, float], field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated despite a bad parameter")

    monkeypatch.setattr("simulation.validation.cases.run_replications", no_runs)
    with pytest.raises(InputError) as refused:
        CASES[name].prepare(params)
    assert refused.value.field == field


def test_near_saturation_the_run_grows_and_warns() -> None:
    # rho = 2.85 / 3 = 0.95: the M/M/1 relaxation time of a pooled server 3/min is 8.7 hours.
    setup = SINGLE["mmc"].prepare({"arrival_rate": 2.85})
    horizon, warmup = setup.parameters["horizon_days"], setup.parameters["warmup_days"]
    assert 3.5 < warmup < 4
    assert 17.5 < horizon < 18.5
    (warning,) = setup.warnings
    assert "rho = 0.95" in warning
    assert "biased low" in warning
    chosen = SINGLE["mmc"].prepare({"arrival_rate": 2.85, "horizon_days": 5, "warmup_days": 1})
    assert (chosen.parameters["horizon_days"], chosen.parameters["warmup_days"]) == (5, 1)
    assert chosen.warnings  # still biased low
    assert not SINGLE["mmc"].prepare({}).warnings  # rho = 2/3
    assert not SINGLE["erlang_a"].prepare({"arrival_rate": 5.0}).warnings  # abandonment: stable


def test_littles_law_holds_on_every_sample_path() -> None:
    """Over the whole run, the area under the count of customers at the desk (joins minus
    departures) equals the sum of their times there (paired customer by customer), whatever
    the seed: L = lambda W as an identity, not only in expectation."""
    from simulation.engine.compile import plan_of
    from simulation.engine.run import simulate
    from simulation.projections import at_pickup_desk

    # some customers give up: both ways of leaving count
    plan = plan_of(scenario_for(SINGLE["erlang_a"]))
    log = simulate(plan, seed=17).to_frame()
    horizon = plan.horizon
    area = float(at_pickup_desk(log, 0.0, horizon).iloc[0]) * horizon
    visits = log[log["type"] == "TouchpointVisited"]
    joined = visits[visits["reason"] == "pickup_queue"].groupby("customer")["t"].min()
    owners = log[log["type"] == "OrderPlaced"].set_index("order")["customer"]
    picked = log[log["type"] == "LegPickedUp"].assign(customer=lambda f: f["order"].map(owners))
    reneged = visits[visits["reason"] == "pickup_reneged"]
    left = (
        pd.concat([picked[["customer", "t"]], reneged[["customer", "t"]]])
        .groupby("customer")["t"]
        .min()
    )
    stay = left.reindex(joined.index).fillna(horizon).clip(upper=horizon) - joined
    assert len(joined) > 1000
    assert area == pytest.approx(float(stay.sum()), rel=1e-9)


def test_continuous_review_orders_one_for_one() -> None:
    """review_days = 0: every sale is replaced by exactly one unit, a lead time later."""
    from simulation.engine.compile import plan_of
    from simulation.engine.run import simulate

    plan = plan_of(scenario_for(SINGLE["lost_sales"], {"horizon_days": 200}))
    log = simulate(plan, seed=4).to_frame()
    sold = log.loc[log["type"] == "StockIssued", "t"].to_numpy()
    came = log[(log["type"] == "StockReceived") & (log["reason"] == "replenishment")]
    assert set(came["qty"]) == {1}
    arrived = came["t"].to_numpy()
    assert len(sold) - 5 <= len(arrived) <= len(sold)  # at most S units still on the way
    # the i-th receipt follows the i-th sale by between the shortest and the longest lead time
    lead = (arrived - sold[: len(arrived)]) / 1440
    assert lead.min() >= 2.7
    assert lead.max() <= 3.3
