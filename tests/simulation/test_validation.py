"""The model against theory, through its ordinary scenario files and CLI (fixed seeds)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.closed_forms import mmc_wq
from simulation.validation import CASES, run_case, run_rows


def test_pickup_desk_reproduces_erlang_c() -> None:
    # lambda = 2/min, mu = 1/min, c = 3: Wq = 4/9 (Erlang C), so W = 13/9 minutes.
    row = run_case(CASES["mmc"], replications=6, seed=3, workers=2)
    assert row["exact"] == pytest.approx(4 / 9 + 1)
    assert row["inside"], row
    assert row["ci_high"] - row["ci_low"] < 0.3  # the interval is tight enough to mean something


@pytest.mark.slow
def test_pickup_desk_under_heavier_load() -> None:
    params = {"arrival_rate": 2.0, "service_rate": 0.5, "servers": 5}
    row = run_case(CASES["mmc"], params, replications=8, seed=5, workers=2)
    assert row["exact"] == pytest.approx(mmc_wq(2.0, 0.5, 5) + 2.0)
    assert row["inside"], row


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
    row = run_case(CASES[name], replications=6, seed=11, workers=2)
    assert row["exact"] == pytest.approx(exact, abs=1e-6)
    assert row["inside"], row


def test_validate_model_prints_json_records() -> None:
    args = ["validate-model", "--case", "mmc", "--replications", "3", "--seed", "3", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.output)
    assert set(record) == {"case", "metric", "exact", "mean", "ci_low", "ci_high", "inside"}
    assert record["case"] == "mmc"


def test_an_unknown_case_is_named() -> None:
    result = CliRunner().invoke(app, ["validate-model", "--case", "mm1"])
    assert result.exit_code == 2
    assert f"--case[0]: expected one of {sorted(CASES)}, got 'mm1'" in result.output
    assert {"mmc", "erlang_a", "little_desk", "lost_sales", "base_stock_fill"} <= set(CASES)


def test_littles_law_holds_on_every_sample_path() -> None:
    """Over the whole run, the area under the count of customers at the desk (joins minus
    departures) equals the sum of their times there (paired customer by customer), whatever
    the seed: L = lambda W as an identity, not only in expectation."""
    from simulation.engine.compile import plan_of
    from simulation.engine.run import simulate
    from simulation.projections import at_pickup_desk
    from simulation.validation import scenario_for

    case = CASES["erlang_a"]  # some customers give up: both ways of leaving count
    plan = plan_of(scenario_for(case, case.defaults))
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
    from simulation.validation import scenario_for

    case = CASES["lost_sales"]
    plan = plan_of(scenario_for(case, case.defaults).with_overrides({"horizon_days": 200}))
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


# --- inventory studies: sweeps on common random numbers, and risk pooling ---------------------


def _by_metric(rows: list[dict[str, object]], start: str) -> dict[str, object]:
    (row,) = [r for r in rows if str(r["metric"]).startswith(start)]
    return row


def test_newsvendor_sweep_finds_the_textbook_optimum() -> None:
    # Example 4.3's demand moments (mean 50, sd 8) as compound Poisson baskets; S = 56, 57, 58.
    params = {"days": 20, "sweep_width": 1}
    rows = run_rows(CASES["newsvendor"], params, replications=4, seed=7, workers=2)
    assert [r["exact"] for r in rows[:3]] == pytest.approx([2.048432, 2.047911, 2.075606], abs=1e-6)
    assert all(r["inside"] for r in rows), rows
    exact = _by_metric(rows, "minimiser S of the simulated cost curve (range")
    assert exact["exact"] == 57
    textbook = _by_metric(rows, "minimiser S of the simulated cost curve vs the textbook")
    assert textbook["exact"] == pytest.approx(56.6040, abs=5e-5)


@pytest.mark.slow
def test_newsvendor_sweep_at_full_width() -> None:
    rows = run_rows(CASES["newsvendor"], {"days": 40}, replications=10, seed=3, workers=2)
    assert len(rows) == 9 + 2
    assert all(r["inside"] for r in rows), rows


def test_s_S_sweep_holds_example_4_7() -> None:
    # Snyder & Shen Example 4.7: (s, S) = (4, 10) at 8.034112, and its eight neighbours.
    rows = run_rows(CASES["s_S"], {"days": 50}, replications=4, seed=5, workers=1)
    best = _by_metric(rows, "cost per period at (s, S) = (4, 10)")
    assert best["exact"] == pytest.approx(8.034112, abs=1e-6)
    assert len(rows) == 9 + 2
    assert all(r["inside"] for r in rows), rows
    assert [r["exact"] for r in rows[-2:]] == [4, 10]


@pytest.mark.slow
def test_s_S_sweep_longer() -> None:
    rows = run_rows(CASES["s_S"], {"days": 300}, replications=8, seed=9, workers=2)
    assert all(r["inside"] for r in rows), rows


def test_risk_pooling_reproduces_the_exact_poisson_ratio() -> None:
    # N = 4 stores of Poisson(10) at S = 13 each vs one stock of Poisson(40) at S = 45.
    rows = run_rows(CASES["risk_pooling"], {"days": 40}, replications=4, seed=13, workers=2)
    ratio = _by_metric(rows, "cost ratio separate / pooled")
    assert ratio["exact"] == pytest.approx(2.046606, abs=1e-6)
    assert _by_metric(rows, "safety stock ratio")["exact"] == pytest.approx(2.4)
    assert all(r["inside"] for r in rows), rows


@pytest.mark.slow
def test_risk_pooling_with_nine_stores() -> None:
    params = {"stores": 9, "demand_per_day": 10, "days": 100}
    rows = run_rows(CASES["risk_pooling"], params, replications=6, seed=2, workers=2)
    assert _by_metric(rows, "cost ratio separate / pooled")["exact"] == pytest.approx(
        3.0877, abs=1e-4
    )
    assert all(r["inside"] for r in rows), rows


def test_validate_model_takes_the_studies_options() -> None:
    args = [
        "validate-model", "--case", "risk_pooling", "--stores", "2", "--days", "15",
        "--holding-cost", "1", "--penalty-cost", "4", "--replications", "2", "--seed", "1",
        "--json",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert len(records) == 6
    assert {r["case"] for r in records} == {"risk_pooling"}
    assert set(records[0]) == {"case", "metric", "exact", "mean", "ci_low", "ci_high", "inside"}
    assert "2 separate stores" in records[0]["metric"]


def test_a_study_names_a_bad_parameter() -> None:
    result = CliRunner().invoke(app, ["validate-model", "--case", "newsvendor", "--demand-sd", "5"])
    assert result.exit_code == 2
    assert "demand_sd" in result.output
